// Linux powercap RAPL (Intel, and AMD Zen since Linux ~5.11) and the perf_event power PMU.
//
// RAPL: /sys/class/powercap/intel-rapl:N[:M]/{name, energy_uj, max_energy_range_uj}. Zones are
// matched by name (package-N, core, uncore, dram, psys), never by number; the intel-rapl-mmio
// provider duplicates package-0 and is ignored. Each counter wraps at max_energy_range_uj (within
// minutes at high power on AMD): the meter unwraps every zone on its own and polls from a thread
// so that no counter wraps twice between samples. energy_uj is root-only since Linux 5.10
// (CVE-2020-8694): EACCES falls back and says how to grant access.
//
// perf: /sys/bus/event_source/devices/power/{type, cpumask, events/energy-pkg[.scale, .unit]},
// perf_event_open(pid = -1, cpu = one per package).
#pragma once

#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/syscall.h>
#endif

#include "joule/detail/energy/common.hpp"

namespace joule
{
    namespace energy
    {
        JOULE_BEGIN_ARCH_NS
        namespace detail
        {
            struct rapl_zone
            {
                std::string name;
                std::string energy_path;
                double range_joules = 0;
            };

            class rapl_counters final : public backend
            {
            public:
                rapl_counters(const options& o, std::vector<rapl_zone> zones)
                    : options_(o)
                    , zones_(std::move(zones))
                {
                    value_kind = kind::energy_counter;
                    source = "rapl";
                    for (std::size_t i = 0; i < zones_.size(); ++i)
                    {
                        wrap_joules.push_back(zones_[i].range_joules);
                        source += (i ? "+" : " ") + zones_[i].name;
                    }
                    quality = energy::quality::measured;
                    min_window_seconds = 0.05; // RAPL updates every ~1 ms with jitter
                    default_poll_seconds = 1.0;
                }

                sample read() override
                {
                    sample s;
                    for (const rapl_zone& z : zones_)
                    {
                        const read_value v = read_number(options_, z.energy_path);
                        if (!v.ok)
                            return {false, {}, v.error};
                        s.values.push_back(v.value * 1e-6);
                    }
                    s.ok = true;
                    return s;
                }

            private:
                options options_;
                std::vector<rapl_zone> zones_;
            };

            inline std::vector<std::string> split_list(const std::string& text)
            {
                std::vector<std::string> out;
                std::stringstream in(text);
                std::string item;
                while (std::getline(in, item, ','))
                    if (!trim(item).empty())
                        out.push_back(trim(item));
                return out;
            }

            inline scope scope_of_rapl(const std::string& wanted)
            {
                if (wanted == "core")
                    return scope::core;
                if (wanted == "dram")
                    return scope::dram;
                if (wanted == "psys")
                    return scope::board;
                return scope::package;
            }

            inline probe_result probe_rapl(const options& o)
            {
                probe_result p;
                const std::string base = o.sysfs_root + "/sys/class/powercap";
                const std::vector<std::string> wanted = split_list(o.rapl_zones);
                std::vector<rapl_zone> zones;
                std::string problems;
                bool denied = false;
                for (const std::string& entry : list_dir(base))
                {
                    // intel-rapl:0, intel-rapl:0:1; not intel-rapl (the control type) nor intel-rapl-mmio:0.
                    if (!starts_with(entry, "intel-rapl:"))
                        continue;
                    const std::string dir = base + "/" + entry;
                    rapl_zone z;
                    z.name = read_text(o, dir + "/name");
                    bool match = false;
                    for (const std::string& w : wanted)
                        match = match || starts_with(z.name, w);
                    if (!match)
                        continue;
                    z.energy_path = dir + "/energy_uj";
                    const read_value e = read_number(o, z.energy_path);
                    const read_value r = read_number(o, dir + "/max_energy_range_uj");
                    if (!e.ok || !r.ok)
                    {
                        denied = denied || e.denied || r.denied;
                        problems += (problems.empty() ? "" : "; ") + (e.ok ? r.error : e.error);
                        continue;
                    }
                    z.range_joules = r.value * 1e-6;
                    zones.push_back(z);
                }
                if (zones.empty() || !problems.empty())
                {
                    // A zone that cannot be read would leave the sum short: use none of them.
                    p.why_not = "rapl: " + (problems.empty() ? "no zone named " + o.rapl_zones : problems);
                    if (denied)
                        p.grant_hint = "RAPL energy_uj is root-only: sudo chmod a+r " + base +
                                       "/intel-rapl:*/energy_uj (or a udev rule, see README 'Real power numbers')";
                    return p;
                }
                auto b = std::make_unique<rapl_counters>(o, std::move(zones));
                b->scope = wanted.size() == 1 ? scope_of_rapl(wanted[0]) : scope::package;
                p.found = std::move(b);
                return p;
            }

            // ---- perf_event power PMU -----------------------------------------------------------

            inline std::function<bool(std::uint64_t&)> open_perf_counter_syscall(std::uint32_t type, std::uint64_t config,
                                                                                 int cpu, int& error_number)
            {
#if defined(__linux__) && defined(SYS_perf_event_open)
                perf_event_attr attr;
                std::memset(&attr, 0, sizeof attr);
                attr.size = sizeof attr;
                attr.type = type;
                attr.config = config;
                const long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0UL);
                if (fd < 0)
                {
                    error_number = errno;
                    return {};
                }
                auto handle = std::shared_ptr<int>(new int(static_cast<int>(fd)), [](int* f) {
                    ::close(*f);
                    delete f;
                });
                return [handle](std::uint64_t& count) {
                    return ::read(*handle, &count, sizeof count) == static_cast<ssize_t>(sizeof count);
                };
#else
                (void)type;
                (void)config;
                (void)cpu;
                error_number = ENOSYS;
                return {};
#endif
            }

            /// "0", "0,64", "0-1" -> the CPUs listed.
            inline std::vector<int> parse_cpu_list(const std::string& text)
            {
                std::vector<int> cpus;
                for (const std::string& item : split_list(text))
                {
                    const auto dash = item.find('-');
                    const int lo = std::atoi(item.substr(0, dash).c_str());
                    const int hi = dash == std::string::npos ? lo : std::atoi(item.substr(dash + 1).c_str());
                    for (int c = lo; c <= hi && c - lo < 4096; ++c)
                        cpus.push_back(c);
                }
                return cpus;
            }

            /// "event=0x02" or "event=0x02,umask=0x1" -> config bits (event in 0-7, umask in 8-15).
            inline bool parse_perf_event(const std::string& text, std::uint64_t& config)
            {
                config = 0;
                bool any = false;
                for (const std::string& term : split_list(text))
                {
                    const auto eq = term.find('=');
                    const std::string key = term.substr(0, eq);
                    const std::uint64_t value =
                        eq == std::string::npos ? 1 : std::strtoull(term.substr(eq + 1).c_str(), nullptr, 0);
                    if (key == "event")
                        config |= value & 0xff;
                    else if (key == "umask")
                        config |= (value & 0xff) << 8;
                    else
                        return false;
                    any = true;
                }
                return any;
            }

            class perf_energy final : public backend
            {
            public:
                perf_energy(std::vector<std::function<bool(std::uint64_t&)>> counters, double scale)
                    : counters_(std::move(counters))
                    , scale_(scale)
                {
                    value_kind = kind::energy_counter;
                    wrap_joules.assign(counters_.size(), 0.0);
                    quality = energy::quality::measured;
                    scope = energy::scope::package;
                    min_window_seconds = 0.05;
                    default_poll_seconds = 1.0;
                }
                sample read() override
                {
                    sample s;
                    for (auto& c : counters_)
                    {
                        std::uint64_t count = 0;
                        if (!c(count))
                            return {false, {}, "perf energy-pkg: read failed"};
                        s.values.push_back(static_cast<double>(count) * scale_);
                    }
                    s.ok = true;
                    return s;
                }

            private:
                std::vector<std::function<bool(std::uint64_t&)>> counters_;
                double scale_;
            };

            inline probe_result probe_perf(const options& o)
            {
                probe_result p;
                const std::string dir = o.sysfs_root + "/sys/bus/event_source/devices/power";
                const read_value type = read_number(o, dir + "/type");
                if (!type.ok)
                {
                    p.why_not = "perf: no power PMU (" + type.error + ")";
                    return p;
                }
                std::uint64_t config = 0;
                const std::string event = read_text(o, dir + "/events/energy-pkg");
                if (!parse_perf_event(event, config))
                {
                    p.why_not = "perf: no events/energy-pkg";
                    return p;
                }
                double scale = 1;
                const std::string scale_text = read_text(o, dir + "/events/energy-pkg.scale");
                if (!scale_text.empty() && !parse_number(scale_text, scale))
                {
                    p.why_not = "perf: bad events/energy-pkg.scale '" + scale_text + "'";
                    return p;
                }
                const std::string unit = read_text(o, dir + "/events/energy-pkg.unit");
                if (!unit.empty() && unit != "Joules")
                {
                    p.why_not = "perf: energy-pkg unit is '" + unit + "', not Joules";
                    return p;
                }
                std::vector<int> cpus = parse_cpu_list(read_text(o, dir + "/cpumask"));
                if (cpus.empty())
                    cpus = {0};
                auto open = o.open_perf_counter ? o.open_perf_counter : open_perf_counter_syscall;
                std::vector<std::function<bool(std::uint64_t&)>> counters;
                for (int cpu : cpus)
                {
                    int error_number = 0;
                    auto c = open(static_cast<std::uint32_t>(type.value), config, cpu, error_number);
                    if (!c)
                    {
                        p.why_not = std::string("perf: perf_event_open(energy-pkg, cpu ") + std::to_string(cpu) +
                                    "): " + std::strerror(error_number ? error_number : EIO);
                        if (error_number == EACCES || error_number == EPERM)
                            p.grant_hint = "perf power events need kernel.perf_event_paranoid <= 0 "
                                           "(sudo sysctl kernel.perf_event_paranoid=0) or CAP_PERFMON";
                        return p;
                    }
                    counters.push_back(std::move(c));
                }
                auto b = std::make_unique<perf_energy>(std::move(counters), scale);
                b->source = "perf power/energy-pkg (" + std::to_string(cpus.size()) + " package" +
                            (cpus.size() > 1 ? "s)" : ")");
                p.found = std::move(b);
                return p;
            }
        } // namespace detail
        JOULE_END_ARCH_NS
    } // namespace energy
} // namespace joule
