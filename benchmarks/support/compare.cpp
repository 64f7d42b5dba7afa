// `joule-bench compare A.json B.json`: the ratios between two runs (before and after a change, or
// two machines), from Google Benchmark JSON files written by joule-bench. Energy ratios only
// when both runs measured energy the same way: measured and estimated figures are never mixed.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/compare.hpp"
#include "support/json.hpp"

namespace joule_bench
{
    namespace
    {
        struct entry
        {
            double seconds = 0;    ///< per iteration
            double joules = -1;    ///< per iteration, -1 = none
            std::string kind;      ///< median / mean / iteration
        };

        struct run_file
        {
            std::string path, energy_source, energy_scope, energy_quality, power_model;
            std::map<std::string, entry> entries;
            std::vector<std::string> order;
        };

        double unit_seconds(const std::string& unit)
        {
            if (unit == "ns")
                return 1e-9;
            if (unit == "us")
                return 1e-6;
            if (unit == "ms")
                return 1e-3;
            return 1;
        }

        bool load(const std::string& path, run_file& out, std::string& error)
        {
            std::ifstream in(path);
            if (!in)
            {
                error = "cannot read " + path;
                return false;
            }
            std::stringstream text;
            text << in.rdbuf();
            json::value root;
            try
            {
                root = json::parse(text.str());
            }
            catch (const std::exception& e)
            {
                error = path + ": " + e.what();
                return false;
            }
            const json::value* benchmarks = root.find("benchmarks");
            if (!benchmarks || benchmarks->kind != json::value::type::array)
            {
                error = path + ": not Google Benchmark JSON (no \"benchmarks\" array)";
                return false;
            }
            out.path = path;
            if (const json::value* ctx = root.find("context"))
            {
                out.energy_source = ctx->string_or("joule_energy_source", "");
                out.energy_scope = ctx->string_or("joule_energy_scope", "");
                out.energy_quality = ctx->string_or("joule_energy_quality", "");
                out.power_model = ctx->string_or("joule_power_model", "");
            }
            std::map<std::string, std::vector<entry>> iterations;
            for (const json::value& b : benchmarks->items)
            {
                if (b.find("error_occurred") && b.find("error_occurred")->b)
                    continue;
                const std::string name = b.string_or("run_name", b.string_or("name", ""));
                const std::string type = b.string_or("run_type", "iteration");
                entry e;
                e.seconds = b.number_or("real_time", 0) * unit_seconds(b.string_or("time_unit", "ns"));
                e.joules = b.number_or("J_per_iter", -1);
                if (type == "aggregate")
                {
                    const std::string agg = b.string_or("aggregate_name", "");
                    if (agg != "median" && agg != "mean")
                        continue;
                    e.kind = agg;
                    auto it = out.entries.find(name);
                    if (it == out.entries.end())
                        out.order.push_back(name);
                    if (it == out.entries.end() || it->second.kind != "median")
                        out.entries[name] = e;
                }
                else
                    iterations[name].push_back(e);
            }
            for (auto& [name, list] : iterations)
            {
                if (out.entries.count(name))
                    continue; // an aggregate says it better
                entry mean;
                mean.kind = "iteration";
                mean.joules = 0;
                for (const entry& e : list)
                {
                    mean.seconds += e.seconds / double(list.size());
                    if (e.joules < 0 || mean.joules < 0)
                        mean.joules = -1;
                    else
                        mean.joules += e.joules / double(list.size());
                }
                out.entries[name] = mean;
                out.order.push_back(name);
            }
            return true;
        }

        /// Why energy of the two runs cannot be compared, or "" when it can.
        std::string energy_mismatch(const run_file& a, const run_file& b)
        {
            if (a.energy_quality.empty() || b.energy_quality.empty())
                return "a file has no joule-bench energy context";
            if (a.energy_quality != b.energy_quality)
                return "A is " + a.energy_quality + " (" + a.energy_source + "), B is " + b.energy_quality + " (" +
                       b.energy_source + "): measured and estimated figures are never compared";
            if (a.energy_scope != b.energy_scope)
                return "A's scope is " + a.energy_scope + ", B's is " + b.energy_scope;
            if (a.energy_quality == "estimated" && a.energy_source != b.energy_source)
                return "the two estimates use different models (" + a.energy_source + " vs " + b.energy_source + ")";
            return "";
        }
    } // namespace

    int compare_main(const std::vector<std::string>& args)
    {
        if (args.size() != 2)
        {
            std::fprintf(stderr, "usage: joule-bench compare A.json B.json\n"
                                 "  prints B's speed and energy relative to A for every benchmark in both\n");
            return 2;
        }
        run_file a, b;
        std::string error;
        if (!load(args[0], a, error) || !load(args[1], b, error))
        {
            std::fprintf(stderr, "joule-bench compare: %s\n", error.c_str());
            return 2;
        }
        const std::string mismatch = energy_mismatch(a, b);
        std::size_t width = 9;
        for (const std::string& n : a.order)
            width = std::max(width, n.size());
        std::printf("A: %s\nB: %s\n\n", a.path.c_str(), b.path.c_str());
        std::printf("%-*s  %12s  %12s  %9s  %12s  %12s  %9s\n", int(width), "benchmark", "A time", "B time", "speed B/A",
                    "A J/iter", "B J/iter", "energy B/A");
        double log_sum = 0, log_energy = 0;
        int count = 0, energy_count = 0, only_a = 0;
        for (const std::string& name : a.order)
        {
            auto it = b.entries.find(name);
            if (it == b.entries.end())
            {
                ++only_a;
                continue;
            }
            const entry& ea = a.entries[name];
            const entry& eb = it->second;
            if (ea.seconds <= 0 || eb.seconds <= 0)
                continue;
            const double speed = ea.seconds / eb.seconds;
            log_sum += std::log(speed);
            ++count;
            char ja[32] = "-", jb[32] = "-", er[32] = "-";
            if (mismatch.empty() && ea.joules > 0 && eb.joules > 0)
            {
                std::snprintf(ja, sizeof ja, "%.4g", ea.joules);
                std::snprintf(jb, sizeof jb, "%.4g", eb.joules);
                std::snprintf(er, sizeof er, "%.3fx", eb.joules / ea.joules);
                log_energy += std::log(eb.joules / ea.joules);
                ++energy_count;
            }
            std::printf("%-*s  %10.4g s  %10.4g s  %8.3fx  %12s  %12s  %9s\n", int(width), name.c_str(), ea.seconds,
                        eb.seconds, speed, ja, jb, er);
        }
        int only_b = 0;
        for (const std::string& name : b.order)
            only_b += a.entries.count(name) ? 0 : 1;
        std::printf("\n");
        if (count > 0)
            std::printf("geometric mean speed B/A: %.3fx over %d benchmarks (> 1: B is faster)\n",
                        std::exp(log_sum / count), count);
        if (energy_count > 0)
            std::printf("geometric mean energy per iteration B/A: %.3fx (< 1: B uses less; %s)\n",
                        std::exp(log_energy / energy_count), a.energy_quality.c_str());
        if (!mismatch.empty())
            std::printf("energy not compared: %s\n", mismatch.c_str());
        if (only_a || only_b)
            std::printf("%d benchmarks only in A, %d only in B (not compared)\n", only_a, only_b);
        if (count == 0)
        {
            std::fprintf(stderr, "joule-bench compare: no benchmark is in both files\n");
            return 1;
        }
        return 0;
    }
} // namespace joule_bench
