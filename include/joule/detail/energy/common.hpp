// joule::energy vocabulary (readings, options, the power model) and the seams every backend reads
// the system through: a file reader, a command runner, a clock. Tests replace the seams to run
// each backend against fake sysfs trees, fake clocks and denied files (even as root).
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#if defined(_WIN32)
#include <fstream>
#define JOULE_DETAIL_POPEN _popen
#define JOULE_DETAIL_PCLOSE _pclose
#else
#include <fcntl.h>
#include <unistd.h>
#define JOULE_DETAIL_POPEN ::popen
#define JOULE_DETAIL_PCLOSE ::pclose
#endif

#include "joule/detail/config.hpp"
#include "joule/error.hpp"

namespace joule
{
    namespace energy
    {
        /// What a figure covers. Package energy is not wall energy: always report the scope.
        enum class scope
        {
            core,    ///< CPU cores only (RAPL "core")
            package, ///< CPU package(s) (RAPL "package-N", perf energy-pkg)
            dram,    ///< memory (RAPL "dram")
            board,   ///< a board's input rail or the sum of its rails (Jetson INA3221, psys, PMIC)
            wall,    ///< everything behind the plug (external meter)
            unknown
        };

        /// Whether joules were read from a sensor (measured) or computed from a model or a stated
        /// wattage (estimated). Never compare the two kinds with each other.
        enum class quality
        {
            measured,
            estimated
        };

        JOULE_BEGIN_ARCH_NS

        inline const char* to_string(scope s) noexcept
        {
            switch (s)
            {
            case scope::core: return "core";
            case scope::package: return "package";
            case scope::dram: return "dram";
            case scope::board: return "board";
            case scope::wall: return "wall";
            default: return "unknown";
            }
        }

        inline const char* to_string(quality q) noexcept
        {
            return q == quality::measured ? "measured" : "estimated";
        }

        /// One reading of a meter: cumulative since the meter started, or (after subtracting two
        /// readings) over an interval.
        struct reading
        {
            double joules = 0;  ///< energy
            double seconds = 0; ///< wall-clock time
            std::string source; ///< which sensor or model, e.g. "rapl package-0+package-1"
            energy::scope scope = energy::scope::unknown;
            energy::quality quality = energy::quality::estimated;
            bool valid = true;  ///< false when the meter could not read: joules mean nothing then
            std::string error;  ///< why not valid
            std::uint64_t failures = 0; ///< failed samples before this reading (intervals across one are invalid)

            double watts() const { return seconds > 0 ? joules / seconds : 0.0; }
        };

        /// The interval between two readings of one meter. Invalid when either reading is, or when
        /// the meter failed in between (the energy of the gap is unknown).
        inline reading operator-(const reading& later, const reading& earlier)
        {
            reading d = later;
            d.joules = later.joules - earlier.joules;
            d.seconds = later.seconds - earlier.seconds;
            if (!earlier.valid)
            {
                d.valid = false;
                d.error = earlier.error;
            }
            else if (later.valid && later.failures != earlier.failures)
            {
                d.valid = false;
                d.error = "the meter failed during the interval";
            }
            return d;
        }

        /// The model behind estimated figures (energy roofline, Choi et al. IPDPS 2013):
        ///     E = (idle_watts + core_watts * active_cores) * T + pJ/flop * W + pJ/byte * Q
        /// with T the wall time, W the operations and Q the bytes moved. The defaults are a
        /// labelled guess for a desktop/server core, not a measurement: set them for your machine
        /// (e.g. idle and loaded watts read from a wall meter).
        struct power_model
        {
            double idle_watts = 10.0;         ///< drawn whatever runs (uncore, memory, board)
            double core_watts = 6.0;          ///< added per busy core
            double picojoules_per_flop = 0.0; ///< energy per operation beyond the core's static power
            double picojoules_per_byte = 0.0; ///< energy per byte moved from memory
            double active_cores = 1.0;        ///< busy cores assumed by meter::read()

            /// True when every field still has its default: figures then come from a guess the
            /// user never stated, and the source says "default model".
            bool is_default() const
            {
                const power_model d;
                return idle_watts == d.idle_watts && core_watts == d.core_watts &&
                       picojoules_per_flop == d.picojoules_per_flop && picojoules_per_byte == d.picojoules_per_byte &&
                       active_cores == d.active_cores;
            }

            std::string describe() const
            {
                std::ostringstream out;
                out << "idle " << idle_watts << " W + " << core_watts << " W/core";
                if (picojoules_per_flop > 0)
                    out << " + " << picojoules_per_flop << " pJ/flop";
                if (picojoules_per_byte > 0)
                    out << " + " << picojoules_per_byte << " pJ/byte";
                return out.str();
            }
        };

        /// Joules the model gives for `seconds` of work on `active_cores` cores doing `flops`
        /// operations and moving `bytes` bytes.
        inline double estimate_joules(const power_model& m, double seconds, double active_cores, double flops = 0,
                                      double bytes = 0)
        {
            return (m.idle_watts + m.core_watts * active_cores) * seconds + m.picojoules_per_flop * 1e-12 * flops +
                   m.picojoules_per_byte * 1e-12 * bytes;
        }

        /// Parses "idle=8,core=4.5,pj_flop=10,pj_byte=60,cores=2" (any subset) into `model`.
        /// Throws joule::error naming the bad field.
        inline power_model parse_power_model(const std::string& text, power_model model = {})
        {
            std::stringstream in(text);
            std::string field;
            while (std::getline(in, field, ','))
            {
                if (field.empty())
                    continue;
                const auto eq = field.find('=');
                const std::string key = field.substr(0, eq);
                const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
                char* end = nullptr;
                const double v = std::strtod(value.c_str(), &end);
                if (value.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
                    detail::fail("energy::parse_power_model", "'", field,
                                 "' is not key=value with a finite value >= 0 (keys: idle, core, pj_flop, pj_byte, cores)");
                if (key == "idle")
                    model.idle_watts = v;
                else if (key == "core")
                    model.core_watts = v;
                else if (key == "pj_flop")
                    model.picojoules_per_flop = v;
                else if (key == "pj_byte")
                    model.picojoules_per_byte = v;
                else if (key == "cores")
                    model.active_cores = v;
                else
                    detail::fail("energy::parse_power_model", "unknown key '", key,
                                 "' (keys: idle, core, pj_flop, pj_byte, cores)");
            }
            return model;
        }

        /// What reading a file (or running a command) gave: the text, or the errno that stopped it.
        struct file_result
        {
            bool ok = false;
            int error_number = 0;
            std::string text;
        };

        /// Reads a small sysfs file with open/read, so a denied file gives EACCES (not a silent
        /// empty stream). The default file reader.
        inline file_result read_small_file(const std::string& path)
        {
            file_result r;
#if defined(_WIN32)
            std::ifstream in(path, std::ios::binary);
            if (!in)
            {
                r.error_number = ENOENT;
                return r;
            }
            r.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            r.ok = true;
            return r;
#else
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
            {
                r.error_number = errno;
                return r;
            }
            char buffer[4096];
            for (;;)
            {
                const ssize_t n = ::read(fd, buffer, sizeof buffer);
                if (n < 0)
                {
                    if (errno == EINTR)
                        continue;
                    r.error_number = errno;
                    ::close(fd);
                    return r;
                }
                if (n == 0)
                    break;
                r.text.append(buffer, static_cast<std::size_t>(n));
                if (r.text.size() > 65536)
                    break;
            }
            ::close(fd);
            r.ok = true;
            return r;
#endif
        }

        /// Runs a shell command and returns what it printed on stdout. The default command runner.
        inline file_result run_shell_command(const std::string& command)
        {
            file_result r;
            FILE* pipe = JOULE_DETAIL_POPEN(command.c_str(), "r");
            if (pipe == nullptr)
            {
                r.error_number = errno;
                return r;
            }
            char buffer[1024];
            std::size_t n;
            while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0 && r.text.size() < 65536)
                r.text.append(buffer, n);
            const int status = JOULE_DETAIL_PCLOSE(pipe);
            r.ok = status == 0;
            if (!r.ok)
                r.error_number = status < 0 ? errno : 0;
            return r;
        }

        /// Seconds on a monotonic clock. The default clock.
        inline double monotonic_seconds()
        {
            return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
        }

        /// Where and how a meter looks. Everything has a working default; tests replace the seams.
        struct options
        {
            /// Prefix for every /sys path ("" = the real root). Point it at a fake tree to test.
            std::string sysfs_root;

            // ---- 1. external meter, given by the user (at most one of these) ----
            double watts = 0;    ///< > 0: a constant stated wattage (figures are labelled estimated)
            std::string command; ///< shell command printing watts or joules ("12.5", "12.5 W", "3400 J", "800 mW")
            std::string file;    ///< file holding watts or joules in the same form, re-read at every sample
            /// What the external meter measures, for the readings' scope: wall (a plug meter, the
            /// default), board (a USB-C meter at the board's input, a board's PMIC), or package,
            /// core, dram for a meter of those alone.
            energy::scope external_scope = energy::scope::wall;

            // ---- which backends may be used ----
            /// "" (detect in order external > hwmon > rapl > perf > estimate), or one of
            /// "hwmon", "rapl", "perf", "estimate" to use only that one.
            std::string only;
            /// RAPL zones to sum, matched by name prefix: "package" (default), "psys", "core", "dram",
            /// or a comma list such as "package,dram".
            std::string rapl_zones = "package";
            /// The model behind estimated figures (used when nothing is readable).
            power_model model;

            /// Seconds between samples of the background thread; 0 = the backend's default
            /// (0.1 s for power sensors, 1 s for wrapping counters).
            double poll_seconds = 0;
            /// Sample from a background thread (needed for power-only sensors and for counters
            /// that can wrap twice within one interval). Tests turn it off and call meter::poll().
            bool background_polling = true;

            // ---- seams ----
            std::function<file_result(const std::string& path)> read_file = read_small_file;
            std::function<file_result(const std::string& command)> run_command = run_shell_command;
            std::function<double()> clock = monotonic_seconds;
            /// Opens perf counter (type, config) on `cpu`; returns a function reading the raw count,
            /// or an empty function with `error_number` set. Empty = perf_event_open(2).
            std::function<std::function<bool(std::uint64_t&)>(std::uint32_t type, std::uint64_t config, int cpu,
                                                               int& error_number)>
                open_perf_counter;
            /// Where the one-line hints go (e.g. how to grant read access to RAPL); default stderr.
            std::function<void(const std::string&)> notice;
        };

        namespace detail
        {
            inline std::string trim(const std::string& s)
            {
                const auto b = s.find_first_not_of(" \t\r\n");
                if (b == std::string::npos)
                    return "";
                const auto e = s.find_last_not_of(" \t\r\n");
                return s.substr(b, e - b + 1);
            }

            /// Parses a whole string as a finite number; false if anything else is there.
            inline bool parse_number(const std::string& text, double& value)
            {
                const std::string t = trim(text);
                if (t.empty())
                    return false;
                char* end = nullptr;
                value = std::strtod(t.c_str(), &end);
                return end != nullptr && *end == '\0' && std::isfinite(value);
            }

            /// Entries of a directory, sorted by name (empty if it does not exist).
            inline std::vector<std::string> list_dir(const std::string& dir)
            {
                std::vector<std::string> names;
                std::error_code ec;
                for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
                    names.push_back(it->path().filename().string());
                std::sort(names.begin(), names.end());
                return names;
            }

            inline bool exists(const std::string& path)
            {
                std::error_code ec;
                return std::filesystem::exists(path, ec);
            }

            inline bool starts_with(const std::string& s, const std::string& prefix)
            {
                return s.compare(0, prefix.size(), prefix) == 0;
            }

            /// A value read through the seam, with why it could not be read.
            struct read_value
            {
                bool ok = false;
                bool denied = false; ///< EACCES / EPERM
                double value = 0;
                std::string error;
            };

            inline read_value read_number(const options& o, const std::string& path)
            {
                read_value v;
                const file_result r = o.read_file(path);
                if (!r.ok)
                {
                    v.denied = r.error_number == EACCES || r.error_number == EPERM;
                    v.error = path + ": " + std::strerror(r.error_number ? r.error_number : EIO);
                    return v;
                }
                if (!parse_number(r.text, v.value))
                {
                    v.error = path + ": not a number ('" + trim(r.text) + "')";
                    return v;
                }
                v.ok = true;
                return v;
            }

            inline std::string read_text(const options& o, const std::string& path)
            {
                const file_result r = o.read_file(path);
                return r.ok ? trim(r.text) : std::string();
            }

            /// What a backend gives at each sample: cumulative counters (joules, each may wrap at
            /// its own range) or instantaneous power (watts) per channel. The meter sums channels.
            struct sample
            {
                bool ok = false;
                std::vector<double> values;
                std::string error;
            };

            class backend
            {
            public:
                enum class kind
                {
                    energy_counter, ///< values are joules, cumulative; wrap at wrap_joules[i] (0: never)
                    power           ///< values are watts; the meter integrates with the trapezoid rule
                };

                virtual ~backend() = default;
                virtual sample read() = 0;

                kind value_kind = kind::energy_counter;
                std::vector<double> wrap_joules;
                std::string source;
                energy::scope scope = energy::scope::unknown;
                energy::quality quality = energy::quality::measured;
                double min_window_seconds = 0;   ///< shortest interval worth reporting
                double default_poll_seconds = 1; ///< background sampling period
            };

            /// A backend, or why there is none (and whether because access was denied).
            struct probe_result
            {
                std::unique_ptr<backend> found;
                std::string why_not;
                std::string grant_hint; ///< non-empty when access was denied: how to allow it
            };
        } // namespace detail

        JOULE_END_ARCH_NS
    } // namespace energy
} // namespace joule
