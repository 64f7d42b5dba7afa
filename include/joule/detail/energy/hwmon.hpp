// Board sensors through hwmon (energy*_input in uJ, power*_input in uW, INA3221 rails as in*_input
// mV x curr*_input mA) and the older iio INA3221 layout of Jetson L4T (rail_name_N,
// in_powerN_input in mW). Devices are found by name, never by their hwmonN number, which
// changes between boots. On INA3221 rail monitors (one or more chips) the board's total input rail
// is chosen by its label (VDD_IN, POM_5V_IN, ...); without one, every rail of every chip is summed
// and the source says so.
#pragma once

#include <regex>

#include "joule/detail/energy/common.hpp"

namespace joule
{
    namespace energy
    {
        JOULE_BEGIN_ARCH_NS
        namespace detail
        {
            /// Labels of a board's total input rail (Jetson Nano: POM_5V_IN; TX2, Xavier NX, Orin NX and
            /// Nano: VDD_IN). Not VIN_SYS_5V0: on AGX Xavier and AGX Orin it is the module's 5 V system
            /// input only, beside the rails fed from the main input (GPU, CPU, SOC, CV, DDR), which
            /// have no total rail there: their rails are summed across both INA3221 chips.
            inline bool is_total_rail(const std::string& label)
            {
                static const std::regex total("^(VDD_IN|POM_5V_IN|VDD_5V_IN|VIN|SYS_5V_IN|IN|INPUT|TOTAL)$",
                                              std::regex::icase);
                return std::regex_match(label, total);
            }

            /// hwmon drivers whose power is not the CPU's or the board's (GPUs, disks).
            inline bool ignored_hwmon(const std::string& name)
            {
                static const char* const ignored[] = {"amdgpu", "radeon", "nouveau", "i915", "xe", "nvme", "drivetemp"};
                for (const char* n : ignored)
                    if (name == n)
                        return true;
                return false;
            }

            /// One sensor channel: files to read and how to turn them into W or J.
            struct hwmon_channel
            {
                std::string label;
                std::string path_a;     ///< energy (uJ), power (uW or mW), or voltage (mV)
                std::string path_b;     ///< current (mA) for INA3221 voltage x current, else empty
                double scale = 1e-6;    ///< to J or W
            };

            class hwmon_sensor final : public backend
            {
            public:
                hwmon_sensor(const options& o, std::vector<hwmon_channel> channels, bool energy)
                    : options_(o)
                    , channels_(std::move(channels))
                {
                    value_kind = energy ? kind::energy_counter : kind::power;
                    wrap_joules.assign(channels_.size(), 0.0);
                    quality = energy::quality::measured;
                    min_window_seconds = energy ? 0.1 : 1.0; // power: >= 10 samples at 10 Hz
                    default_poll_seconds = energy ? 1.0 : 0.1;
                }

                sample read() override
                {
                    sample s;
                    for (const hwmon_channel& c : channels_)
                    {
                        const read_value a = read_number(options_, c.path_a);
                        if (!a.ok)
                            return {false, {}, a.error};
                        double v = a.value * c.scale;
                        if (!c.path_b.empty())
                        {
                            const read_value b = read_number(options_, c.path_b);
                            if (!b.ok)
                                return {false, {}, b.error};
                            v *= b.value;
                        }
                        s.values.push_back(v);
                    }
                    s.ok = true;
                    return s;
                }

            private:
                options options_;
                std::vector<hwmon_channel> channels_;
            };

            /// Chooses the total rail when one is labelled so, else keeps every rail (summed).
            inline std::vector<hwmon_channel> choose_rails(std::vector<hwmon_channel> rails, std::string& what)
            {
                for (const hwmon_channel& c : rails)
                    if (is_total_rail(c.label))
                    {
                        what = "rail " + c.label;
                        return {c};
                    }
                if (rails.size() == 1)
                {
                    what = "rail " + rails[0].label;
                    return rails;
                }
                what = "sum of rails";
                for (std::size_t i = 0; i < rails.size(); ++i)
                    what += (i ? "+" : " ") + (rails[i].label.empty() ? "?" : rails[i].label);
                return rails;
            }

            /// Channels of one hwmon directory: energy first, then power, then INA3221 V x I.
            inline bool hwmon_channels(const options& o, const std::string& dir, std::vector<hwmon_channel>& out,
                                       bool& energy, std::string& denied)
            {
                const std::vector<std::string> files = list_dir(dir);
                auto collect = [&](const std::regex& pattern, double scale, const char* label_prefix) {
                    std::vector<hwmon_channel> found;
                    std::smatch m;
                    for (const std::string& f : files)
                        if (std::regex_match(f, m, pattern))
                        {
                            hwmon_channel c;
                            c.path_a = dir + "/" + f;
                            c.scale = scale;
                            c.label = read_text(o, dir + "/" + label_prefix + m[1].str() + "_label");
                            if (c.label.empty())
                                c.label = label_prefix + m[1].str();
                            const read_value probe = read_number(o, c.path_a);
                            if (probe.denied)
                                denied = c.path_a;
                            if (probe.ok)
                                found.push_back(c);
                        }
                    return found;
                };
                std::vector<hwmon_channel> found = collect(std::regex("energy([0-9]+)_input"), 1e-6, "energy");
                energy = !found.empty();
                if (found.empty())
                    found = collect(std::regex("power([0-9]+)_(input|average)"), 1e-6, "power");
                if (found.empty())
                {
                    // INA3221: bus voltage inN_input (mV) and current currN_input (mA) per rail.
                    std::smatch m;
                    for (const std::string& f : files)
                        if (std::regex_match(f, m, std::regex("curr([0-9]+)_input")))
                        {
                            const std::string n = m[1].str();
                            hwmon_channel c;
                            c.path_a = dir + "/in" + n + "_input";
                            c.path_b = dir + "/" + f;
                            c.scale = 1e-6; // mV * mA = uW
                            c.label = read_text(o, dir + "/in" + n + "_label");
                            if (c.label.empty())
                                c.label = "in" + n;
                            const read_value a = read_number(o, c.path_a), b = read_number(o, c.path_b);
                            if (a.denied || b.denied)
                                denied = a.denied ? c.path_a : c.path_b;
                            if (a.ok && b.ok)
                                found.push_back(c);
                        }
                }
                out = std::move(found);
                return !out.empty();
            }

            inline probe_result probe_hwmon(const options& o)
            {
                probe_result p;
                const std::string root = o.sysfs_root;
                // Candidate directories: every hwmon device, the INA3221 driver's own view (the
                // same devices on a real system: deduplicated by canonical path), and iio devices.
                std::vector<std::string> dirs;
                for (const std::string& h : list_dir(root + "/sys/class/hwmon"))
                    dirs.push_back(root + "/sys/class/hwmon/" + h);
                for (const std::string& drv : {std::string("ina3221"), std::string("ina3221x")})
                {
                    const std::string base = root + "/sys/bus/i2c/drivers/" + drv;
                    for (const std::string& dev : list_dir(base))
                    {
                        for (const std::string& h : list_dir(base + "/" + dev + "/hwmon"))
                            dirs.push_back(base + "/" + dev + "/hwmon/" + h);
                        for (const std::string& d : list_dir(base + "/" + dev))
                            if (starts_with(d, "iio:device"))
                                dirs.push_back(base + "/" + dev + "/" + d);
                    }
                }
                struct candidate
                {
                    std::string name, dir, what;
                    std::vector<hwmon_channel> channels;
                    bool energy = false;
                    int rank = 0; // lower is better
                };
                std::vector<candidate> candidates;
                // INA3221 rails of every chip (AGX boards have two; TX2 has its VDD_IN on the
                // second): the total rail is looked for among all of them, else they are summed.
                struct ina_chip
                {
                    std::string canonical, name; // by canonical path (its I2C address), not hwmonN
                    std::vector<hwmon_channel> rails;
                };
                std::vector<ina_chip> ina_chips;
                std::vector<std::string> seen;
                std::string denied;
                for (const std::string& dir : dirs)
                {
                    std::error_code ec;
                    const std::string canonical = std::filesystem::weakly_canonical(dir, ec).string();
                    if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
                        continue;
                    seen.push_back(canonical);
                    candidate c;
                    c.dir = dir;
                    c.name = read_text(o, dir + "/name");
                    if (ignored_hwmon(c.name))
                        continue;
                    if (dir.find("iio:device") != std::string::npos)
                    {
                        // Old L4T: rail_name_N and in_powerN_input (mW).
                        std::vector<hwmon_channel> rails;
                        for (const std::string& f : list_dir(dir))
                            if (starts_with(f, "rail_name_"))
                            {
                                const std::string n = f.substr(10);
                                hwmon_channel ch;
                                ch.label = read_text(o, dir + "/" + f);
                                ch.path_a = dir + "/in_power" + n + "_input";
                                ch.scale = 1e-3;
                                const read_value v = read_number(o, ch.path_a);
                                if (v.denied)
                                    denied = ch.path_a;
                                if (v.ok)
                                    rails.push_back(ch);
                            }
                        if (rails.empty())
                            continue;
                        ina_chips.push_back({canonical, c.name.empty() ? "ina3221x" : c.name, rails});
                        continue;
                    }
                    else
                    {
                        std::vector<hwmon_channel> channels;
                        if (!hwmon_channels(o, dir, channels, c.energy, denied))
                            continue;
                        if (c.name.find("ina3221") != std::string::npos && !c.energy)
                        {
                            ina_chips.push_back({canonical, c.name, channels});
                            continue;
                        }
                        // Per-socket energy (amd_energy: Esocket0, Ecore000...): sum the sockets.
                        std::vector<hwmon_channel> sockets;
                        for (const hwmon_channel& ch : channels)
                            if (starts_with(ch.label, "Esocket"))
                                sockets.push_back(ch);
                        if (!sockets.empty())
                        {
                            c.channels = sockets;
                            c.what = "sockets";
                        }
                        else
                            c.channels = choose_rails(channels, c.what);
                        c.rank = 1;
                    }
                    candidates.push_back(std::move(c));
                }
                if (!ina_chips.empty())
                {
                    std::sort(ina_chips.begin(), ina_chips.end(),
                              [](const ina_chip& a, const ina_chip& b) { return a.canonical < b.canonical; });
                    std::vector<hwmon_channel> rails;
                    for (const ina_chip& chip : ina_chips)
                        rails.insert(rails.end(), chip.rails.begin(), chip.rails.end());
                    candidate c;
                    c.name = ina_chips.front().name;
                    if (ina_chips.size() > 1)
                        c.name += " (" + std::to_string(ina_chips.size()) + " chips)";
                    c.channels = choose_rails(rails, c.what);
                    c.rank = 0;
                    candidates.push_back(std::move(c));
                }
                if (candidates.empty())
                {
                    p.why_not = "hwmon: no energy or power sensor";
                    if (!denied.empty())
                    {
                        p.why_not += " readable (" + denied + ": permission denied)";
                        p.grant_hint = "allow reading " + denied + " (chmod a+r, or a udev rule)";
                    }
                    return p;
                }
                // Best rank, then by name: the choice does not depend on hwmonN numbering.
                std::stable_sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) {
                    return a.rank != b.rank ? a.rank < b.rank : a.name < b.name;
                });
                candidate& best = candidates.front();
                auto b = std::make_unique<hwmon_sensor>(o, best.channels, best.energy);
                b->source = "hwmon " + (best.name.empty() ? std::string("?") : best.name) + " " + best.what +
                            (best.energy ? " (energy)" : " (power)");
                b->scope = best.name == "power_meter" ? energy::scope::wall
                           : best.what == "sockets"   ? energy::scope::package
                                                      : energy::scope::board;
                p.found = std::move(b);
                return p;
            }
        } // namespace detail
        JOULE_END_ARCH_NS
    } // namespace energy
} // namespace joule
