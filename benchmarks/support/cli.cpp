// See cli.hpp.
#include "support/cli.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace joule_bench
{
    namespace
    {
        /// "--name=value" -> true with value; "--name" -> true with has_value false.
        bool flag(const std::string& arg, const std::string& name, std::string& value, bool& has_value)
        {
            const std::string dashed = "--" + name;
            if (arg == dashed)
            {
                has_value = false;
                value.clear();
                return true;
            }
            if (arg.compare(0, dashed.size() + 1, dashed + "=") == 0)
            {
                has_value = true;
                value = arg.substr(dashed.size() + 1);
                return true;
            }
            return false;
        }

        bool parse_bool(const std::string& v, bool has_value, bool& out)
        {
            if (!has_value || v == "true" || v == "1" || v == "yes" || v == "on")
                out = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off")
                out = false;
            else
                return false;
            return true;
        }

        bool parse_seconds(std::string v, double& out)
        {
            if (!v.empty() && v.back() == 's')
                v.pop_back();
            char* end = nullptr;
            out = std::strtod(v.c_str(), &end);
            return !v.empty() && *end == '\0' && std::isfinite(out) && out >= 0;
        }
    } // namespace

    std::string parse_command_line(const std::vector<std::string>& args, command_line& cl)
    {
        for (const std::string& a : args)
        {
            std::string v;
            bool has = false;
            auto need = [&](const char* name) -> std::string {
                return has && !v.empty() ? "" : std::string("--") + name + " needs a value (--" + name + "=...)";
            };
            std::string problem;
            if (flag(a, "full", v, has))
                cl.full = true;
            else if (flag(a, "short", v, has))
                cl.short_run = true;
            else if (flag(a, "list-selection", v, has))
                cl.list_selection = true;
            else if (flag(a, "no-progress", v, has))
                cl.progress = false;
            else if (flag(a, "remeasure-limits", v, has))
                cl.remeasure_limits = true;
            else if (flag(a, "quick-limits", v, has))
                cl.quick_limits = true;
            else if (flag(a, "budget", v, has))
            {
                if (!parse_seconds(v, cl.budget))
                    problem = "--budget needs a number of seconds >= 0 (got '" + v + "')";
            }
            else if (flag(a, "results", v, has))
                problem = need("results"), cl.results = v;
            else if (flag(a, "limits-cache", v, has))
                problem = need("limits-cache"), cl.cache_dir = v;
            else if (flag(a, "watts", v, has))
            {
                char* end = nullptr;
                cl.watts = std::strtod(v.c_str(), &end);
                if (v.empty() || *end != '\0' || !std::isfinite(cl.watts) || cl.watts <= 0)
                    problem = "--watts needs a number of watts > 0 (got '" + v + "')";
            }
            else if (flag(a, "power-command", v, has))
                problem = need("power-command"), cl.power_command = v;
            else if (flag(a, "power-file", v, has))
                problem = need("power-file"), cl.power_file = v;
            else if (flag(a, "power-scope", v, has))
            {
                cl.power_scope = v;
                if (v != "wall" && v != "board" && v != "package" && v != "core" && v != "dram")
                    problem = "--power-scope must be wall, board, package, core or dram (got '" + v + "')";
            }
            else if (flag(a, "power-model", v, has))
                problem = need("power-model"), cl.power_model = v;
            else if (flag(a, "energy-source", v, has))
            {
                cl.energy_source = v;
                if (v != "auto" && v != "hwmon" && v != "rapl" && v != "perf" && v != "estimate")
                    problem = "--energy-source must be auto, hwmon, rapl, perf or estimate (got '" + v + "')";
                if (v == "auto")
                    cl.energy_source.clear();
            }
            else if (flag(a, "rapl-zones", v, has))
                problem = need("rapl-zones"), cl.rapl_zones = v;
            else if (flag(a, "sysfs-root", v, has))
                problem = need("sysfs-root"), cl.sysfs_root = v;
            else if (flag(a, "benchmark_out", v, has))
                problem = need("benchmark_out"), cl.out = v;
            else if (flag(a, "benchmark_out_format", v, has))
            {
                cl.out_format = v;
                if (v != "json" && v != "csv" && v != "console")
                    problem = "--benchmark_out_format must be json, csv or console (got '" + v + "')";
            }
            else if (flag(a, "benchmark_report_aggregates_only", v, has))
            {
                if (!parse_bool(v, has, cl.report_aggregates_only))
                    problem = "--benchmark_report_aggregates_only takes true or false (got '" + v + "')";
            }
            else if (flag(a, "benchmark_display_aggregates_only", v, has))
            {
                if (!parse_bool(v, has, cl.display_aggregates_only))
                    problem = "--benchmark_display_aggregates_only takes true or false (got '" + v + "')";
            }
            else if (flag(a, "benchmark_min_time", v, has))
            {
                if (!parse_seconds(v, cl.min_time))
                    problem = "--benchmark_min_time needs a number of seconds >= 0 (got '" + v + "')";
            }
            else if (flag(a, "benchmark_list_tests", v, has))
            {
                if (!parse_bool(v, has, cl.list_tests))
                    problem = "--benchmark_list_tests takes true or false (got '" + v + "')";
                cl.passthrough.push_back(a);
            }
            else if (flag(a, "benchmark_enable_random_interleaving", v, has))
            {
                if (!parse_bool(v, has, cl.random_interleaving))
                    problem = "--benchmark_enable_random_interleaving takes true or false (got '" + v + "')";
                cl.passthrough.push_back(a);
            }
            else
                cl.passthrough.push_back(a); // Google Benchmark's, or unknown: it reports those
            if (!problem.empty())
                return problem;
        }
        if ((cl.watts > 0) + !cl.power_command.empty() + !cl.power_file.empty() > 1)
            return "give one external meter: --watts, --power-command or --power-file";
        if (!cl.power_scope.empty() && cl.watts <= 0 && cl.power_command.empty() && cl.power_file.empty())
            return "--power-scope describes an external meter: give --watts, --power-command or --power-file too";
        if (cl.full && cl.short_run)
            return "--full and --short contradict each other";
        return "";
    }

    void print_help()
    {
        std::printf(
            "joule-bench: joule's kernels against their peers, in throughput and throughput per watt.\n"
            "\n"
            "usage: joule-bench [options] [Google Benchmark flags]\n"
            "       joule-bench compare A.json B.json\n"
            "\n"
            "selection:\n"
            "  (default)                the short selection (JOULE_BENCH_SHORT in each family), within --budget\n"
            "  --full                   every benchmark\n"
            "  --benchmark_filter=RE    benchmarks matching RE, from all (add --short to stay in the short selection)\n"
            "  --budget=SECONDS         stop starting benchmarks after this long (short run default: 240)\n"
            "  --list-selection         print the benchmarks the other flags select, in run order, and exit\n"
            "                           (1 if a JOULE_BENCH_SHORT pattern matches no benchmark)\n"
            "outputs:\n"
            "  --results=DIR            write joule-bench.json (Google Benchmark JSON), joule-bench.csv, table.txt\n"
            "                           and limits.json there\n"
            "  --benchmark_out=FILE     also Google Benchmark's own output file (--benchmark_out_format=json|csv|console)\n"
            "  --no-progress            no [k/N] lines on stderr\n"
            "machine limits (measured once per machine, cached in ~/.cache/joule):\n"
            "  --remeasure-limits       measure again     --limits-cache=DIR  cache folder\n"
            "energy (detected: external > hwmon > RAPL > perf > estimate):\n"
            "  --watts=W                a constant wattage read from a wall meter (figures labelled estimated)\n"
            "  --power-command=CMD      a command printing watts or joules ('12.5 W', '3400 J')\n"
            "  --power-file=PATH        a file holding watts or joules, re-read at every sample\n"
            "  --power-scope=S          what that external meter measures: wall (default), board (USB-C meter\n"
            "                           at a board's input, PMIC), package, core or dram\n"
            "  --energy-source=S        auto (default), hwmon, rapl, perf or estimate\n"
            "  --rapl-zones=LIST        RAPL zones to sum by name: package (default), psys, core, dram, package,dram\n"
            "  --power-model=SPEC       the estimate's model: idle=W,core=W,pj_flop=PJ,pj_byte=PJ\n"
            "                           (default idle=10,core=6: a stated guess, not a measurement)\n"
            "  --sysfs-root=DIR         read /sys from DIR (testing)\n"
            "\n");
    }
} // namespace joule_bench
