// joule-bench's entry point: parses its flags, measures (or loads) the machine limits, finds the
// energy source, selects the benchmarks (short or full), runs them one at a time with progress,
// and writes the table, CSV and JSON. `joule-bench compare A.json B.json` compares two runs.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <joule/dispatch.hpp>
#include <joule/energy.hpp>

#include "support/cli.hpp"
#include "support/compare.hpp"
#include "support/limits.hpp"
#include "support/report.hpp"
#include "support/suite.hpp"

namespace
{
    using namespace joule_bench;

    constexpr double default_short_budget = 240; // seconds of benchmarks: the short run stays under 5 minutes
    constexpr double short_min_time = 0.1;
    constexpr double timeline_period = 0.01;          // sysfs and files: cheap to read 100 times a second
    constexpr double command_timeline_period = 0.25;  // an external command is a process per sample

    int bad_input(const std::string& message)
    {
        std::fprintf(stderr, "joule-bench: %s\n", message.c_str());
        return 2;
    }

    std::string shell_quote(const std::string& s)
    {
        std::string out = "'";
        for (char c : s)
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return out + "'";
    }

    std::string self_path()
    {
        char buf[4096];
        const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0)
            return "";
        buf[n] = '\0';
        return buf;
    }

    /// The names Google Benchmark would run for `filter`, listed by a child joule-bench (the
    /// library lists only through its own flag, which cannot be set twice in one process).
    bool list_benchmarks(const std::string& filter, std::vector<std::string>& names)
    {
        const std::string self = self_path();
        if (self.empty())
            return false;
        const std::string cmd =
            shell_quote(self) + " --benchmark_list_tests=true " + shell_quote("--benchmark_filter=" + filter);
        FILE* pipe = ::popen(cmd.c_str(), "r");
        if (!pipe)
            return false;
        char line[4096];
        while (std::fgets(line, sizeof line, pipe))
        {
            std::string s(line);
            while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
                s.pop_back();
            if (!s.empty())
                names.push_back(s);
        }
        return ::pclose(pipe) == 0;
    }

    std::string regex_escape(const std::string& s)
    {
        static const std::string special = R"(\^$.|?*+()[]{})";
        std::string out;
        for (char c : s)
        {
            if (special.find(c) != std::string::npos)
                out += '\\';
            out += c;
        }
        return out;
    }

    /// Removes the folders make_dirs created, deepest first (only while they are still empty).
    void remove_dirs(std::vector<std::string>& created)
    {
        for (auto it = created.rbegin(); it != created.rend(); ++it)
            ::rmdir(it->c_str());
        created.clear();
    }

    /// mkdir -p; `created` receives the folders that did not exist, so a later failure can
    /// remove them again (bad input leaves no partial files).
    bool make_dirs(const std::string& path, std::string& error, std::vector<std::string>& created)
    {
        std::string partial;
        for (std::size_t i = 0; i <= path.size(); ++i)
        {
            if (i == path.size() || path[i] == '/')
            {
                if (!partial.empty())
                {
                    if (::mkdir(partial.c_str(), 0755) == 0)
                        created.push_back(partial);
                    else if (errno != EEXIST)
                    {
                        error = partial + ": " + std::strerror(errno);
                        remove_dirs(created);
                        return false;
                    }
                }
            }
            if (i < path.size())
                partial += path[i];
        }
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        {
            error = path + ": not a folder";
            remove_dirs(created);
            return false;
        }
        return true;
    }

    /// Can a file be created at `path`? (Creates and removes a probe.)
    bool writable(const std::string& path, std::string& error)
    {
        const std::string probe = path + ".joule-bench-probe";
        std::FILE* f = std::fopen(probe.c_str(), "w");
        if (!f)
        {
            error = std::strerror(errno);
            return false;
        }
        std::fclose(f);
        std::remove(probe.c_str());
        return true;
    }

    /// Writes `text` to `path` through a temporary file, so a failure leaves nothing behind.
    bool write_file(const std::string& path, const std::string& text)
    {
        const std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp);
            out << text;
            out.close();
            if (!out)
            {
                std::remove(tmp.c_str());
                return false;
            }
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
        {
            std::remove(tmp.c_str());
            return false;
        }
        return true;
    }

    /// Google Benchmark's own output of `runs` in `format` (json, csv, console).
    std::string gbench_output(const std::vector<benchmark::BenchmarkReporter::Run>& runs, const std::string& format,
                              bool aggregates_only)
    {
        std::ostringstream text;
        std::unique_ptr<benchmark::BenchmarkReporter> r;
        if (format == "csv")
        {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            r = std::make_unique<benchmark::CSVReporter>(); // deprecated upstream, still what --benchmark_out_format=csv gives
#pragma GCC diagnostic pop
        }
        else if (format == "console")
            r = std::make_unique<benchmark::ConsoleReporter>(benchmark::ConsoleReporter::OO_Tabular);
        else
            r = std::make_unique<benchmark::JSONReporter>();
        r->SetOutputStream(&text);
        r->SetErrorStream(&text);
        benchmark::BenchmarkReporter::Context context;
        r->ReportContext(context);
        std::vector<benchmark::BenchmarkReporter::Run> selected;
        for (const auto& run : runs)
        {
            const bool has_aggregates = run.repetitions > 1;
            if (aggregates_only && has_aggregates && run.run_type == benchmark::BenchmarkReporter::Run::RT_Iteration)
                continue;
            selected.push_back(run);
        }
        if (!selected.empty())
            r->ReportRuns(selected);
        r->Finalize();
        return text.str();
    }

    std::string describe_limits(const machine_limits& L)
    {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "fp32 FMA %.1f / %.1f GFLOP/s, int8 dot %.1f / %.1f GOP/s (%s), read %.1f / %.1f GB/s (%s), "
                      "triad %.1f / %.1f GB/s (1 core / %d), clock %.2f GHz, last-level cache %.0f KiB",
                      L.fma_gflops_1, L.fma_gflops_all, L.int8_gops_1, L.int8_gops_all, L.int8_method.c_str(),
                      L.read_gbs_1, L.read_gbs_all, L.read_method.empty() ? "1 stream" : L.read_method.c_str(),
                      L.triad_gbs_1, L.triad_gbs_all, L.cpus, L.clock_ghz,
                      L.last_level_cache_bytes() / 1024);
        return buf;
    }

    std::string mmss(double seconds)
    {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%d:%02d", int(seconds) / 60, int(seconds) % 60);
        return buf;
    }

    /// Orders benchmarks so each kernel/shape/threads group runs together, joule first.
    void sort_for_comparison(std::vector<std::string>& names)
    {
        std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
            const name_parts x = parse_name(a), y = parse_name(b);
            if (x.kernel != y.kernel)
                return x.kernel < y.kernel;
            if (x.shape != y.shape)
                return natural_less(x.shape, y.shape);
            if (x.threads != y.threads)
                return x.threads < y.threads;
            const bool jx = x.impl.rfind("joule", 0) == 0, jy = y.impl.rfind("joule", 0) == 0;
            if (jx != jy)
                return jx;
            return x.impl < y.impl;
        });
    }

    int run(int argc, char** argv)
    {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (!args.empty() && args[0] == "compare")
            return compare_main(std::vector<std::string>(args.begin() + 1, args.end()));

        command_line cl;
        const std::string problem = parse_command_line(args, cl);
        if (!problem.empty())
            return bad_input(problem + " (try --help)");

        // Google Benchmark parses the rest; unknown flags end here, before any file exists.
        std::vector<std::string> gb_args = {argv[0]};
        gb_args.insert(gb_args.end(), cl.passthrough.begin(), cl.passthrough.end());
        if (cl.list_tests)
        {
            std::vector<char*> gb_argv;
            for (auto& s : gb_args)
                gb_argv.push_back(s.data());
            int gb_argc = static_cast<int>(gb_argv.size());
            benchmark::Initialize(&gb_argc, gb_argv.data(), [] {
                print_help();
                benchmark::PrintDefaultHelp();
            });
            if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data()))
                return 2;
            benchmark::RunSpecifiedBenchmarks();
            benchmark::Shutdown();
            return 0;
        }

        // The energy source decides how long each window must be.
        joule::energy::options eo;
        eo.watts = cl.watts;
        eo.command = cl.power_command;
        eo.file = cl.power_file;
        {
            using joule::energy::scope;
            for (scope sc : {scope::wall, scope::board, scope::package, scope::core, scope::dram})
                if (cl.power_scope == joule::energy::to_string(sc))
                    eo.external_scope = sc;
        }
        eo.only = cl.energy_source;
        eo.sysfs_root = cl.sysfs_root;
        if (!cl.rapl_zones.empty())
            eo.rapl_zones = cl.rapl_zones;
        std::unique_ptr<joule::energy::meter> meter;
        try
        {
            if (!cl.power_model.empty())
                eo.model = joule::energy::parse_power_model(cl.power_model);
            meter = std::make_unique<joule::energy::meter>(joule::energy::meter::detect(eo));
        }
        catch (const joule::error& e)
        {
            return bad_input(e.what());
        }
        const bool from_model = meter->source().rfind("estimate", 0) == 0;
        const bool linear_in_time = from_model || cl.watts > 0;
        // Windows long enough for the source's resolution, and for the timeline's interpolated
        // edges to matter little: 50 samples (0.5 s) at 10 ms, 10 samples (2.5 s) for a command.
        const bool command_source = meter->source().rfind("external command", 0) == 0;
        const double period = command_source ? command_timeline_period : timeline_period;
        const double edges = command_source ? 10 * period : 50 * period;
        const double required = linear_in_time ? 0.0 : std::max(meter->min_window_seconds(), edges);
        const bool filter_given = std::any_of(cl.passthrough.begin(), cl.passthrough.end(), [](const std::string& a) {
            return a.rfind("--benchmark_filter=", 0) == 0 && a.size() > 19;
        });
        const bool short_mode = !cl.full && (cl.short_run || !filter_given);
        double min_time = cl.min_time >= 0 ? cl.min_time : (short_mode ? short_min_time : 0.5);
        std::string min_time_note;
        if (min_time < required)
        {
            char buf[200];
            std::snprintf(buf, sizeof buf, "raised --benchmark_min_time from %.3g s to %.3g s: %s needs windows that long",
                          min_time, required, energy_tag(*meter).c_str());
            min_time_note = buf;
            min_time = required;
        }
        gb_args.push_back("--benchmark_min_time=" + std::to_string(min_time));

        std::vector<char*> gb_argv;
        for (auto& s : gb_args)
            gb_argv.push_back(s.data());
        int gb_argc = static_cast<int>(gb_argv.size());
        benchmark::Initialize(&gb_argc, gb_argv.data(), [] {
            print_help();
            benchmark::PrintDefaultHelp();
        });
        if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data()))
        {
            std::fprintf(stderr, "joule-bench: unknown flag (try --help)\n");
            return 2;
        }

        // Output locations must be writable before anything runs.
        // The results folder comes first (--benchmark_out may lie inside it); whatever it
        // created is removed again when a check fails.
        std::string error;
        std::vector<std::string> created_dirs;
        if (!cl.results.empty() && (!make_dirs(cl.results, error, created_dirs) || !writable(cl.results + "/x", error)))
        {
            remove_dirs(created_dirs);
            return bad_input("cannot write to the results folder '" + cl.results + "': " + error);
        }
        if (!cl.out.empty() && !writable(cl.out, error))
        {
            remove_dirs(created_dirs);
            return bad_input("cannot write --benchmark_out='" + cl.out + "': " + error);
        }

        // The suite's own lines go to stdout, unless the display is JSON or CSV there.
        const bool machine_display = std::any_of(cl.passthrough.begin(), cl.passthrough.end(), [](const std::string& a) {
            return a == "--benchmark_format=json" || a == "--benchmark_format=csv";
        });
        std::FILE* const text = machine_display ? stderr : stdout;

        // Selection.
        std::vector<std::string> names;
        const std::string filter = benchmark::GetBenchmarkFilter();
        if (!list_benchmarks(filter.empty() ? "." : filter, names))
            return bad_input("cannot list the benchmarks (bad --benchmark_filter '" + filter + "'?)");
        std::vector<std::string> not_opted_in, unmatched_patterns;
        if (short_mode)
        {
            std::vector<std::regex> patterns;
            for (const std::string& p : detail::short_patterns())
            {
                try
                {
                    patterns.emplace_back(p);
                }
                catch (const std::regex_error&)
                {
                    return bad_input("JOULE_BENCH_SHORT(\"" + p + "\") is not a valid regex");
                }
            }
            // Patterns see the name as registered too ("sgemm/joule/8x8x8/threads:1", without the
            // "/real_time" UseRealTime() appends), so they can end in "threads:1$".
            std::vector<std::size_t> matched(patterns.size(), 0);
            std::vector<std::string> kept;
            std::set<std::string> kernels_kept, kernels_all;
            for (const std::string& n : names)
            {
                kernels_all.insert(parse_name(n).kernel);
                const std::string registered = registered_name(n);
                bool keep = false;
                for (std::size_t i = 0; i < patterns.size(); ++i)
                    if (std::regex_search(n, patterns[i]) || std::regex_search(registered, patterns[i]))
                    {
                        ++matched[i];
                        keep = true;
                    }
                if (keep)
                {
                    kept.push_back(n);
                    kernels_kept.insert(parse_name(n).kernel);
                }
            }
            for (const std::string& k : kernels_all)
                if (!kernels_kept.count(k))
                    not_opted_in.push_back(k);
            // With every benchmark listed, a pattern matching none of them is a family's short
            // selection gone missing (a renamed benchmark, a suffix the pattern did not expect).
            if (filter.empty())
                for (std::size_t i = 0; i < patterns.size(); ++i)
                    if (matched[i] == 0)
                        unmatched_patterns.push_back(detail::short_patterns()[i]);
            names = kept;
        }
        sort_for_comparison(names);
        names.erase(std::unique(names.begin(), names.end()), names.end());
        for (const std::string& p : unmatched_patterns)
            std::fprintf(stderr, "joule-bench: warning: JOULE_BENCH_SHORT(\"%s\") matches no benchmark\n", p.c_str());
        if (cl.list_selection)
        {
            // The benchmarks this command line would run, in order; fails when a short pattern
            // matches nothing (CTest joule_bench_short_selection runs it).
            for (const std::string& n : names)
                std::printf("%s\n", n.c_str());
            return unmatched_patterns.empty() ? 0 : 1;
        }
        const double budget = cl.budget >= 0 ? cl.budget : (short_mode ? default_short_budget : 0);

        // Limits.
        limits_options lo;
        lo.remeasure = cl.remeasure_limits;
        lo.quick = cl.quick_limits;
        lo.cache_dir = cl.cache_dir;
        bool from_cache = false;
        std::string cache_path;
        const machine_limits limits = machine_limits_for_this_machine(lo, from_cache, cache_path);

        // The kernels the benchmarks call (joule-bench itself is built for one instruction set;
        // the dispatch_overhead benchmarks label the level runtime dispatch picked).
        const joule::arch_info arch = joule::active_arch();
        std::fprintf(text, "joule-bench: kernels in use: level=%s isa=%s simd=%s (%zu float lanes), xsimd %d.%d\n",
                    arch.level, arch.isa, arch.simd, arch.float_lanes, arch.xsimd_version_major,
                    arch.xsimd_version_minor);
        if (const char* forced = std::getenv("JOULE_ARCH"); forced && *forced)
            std::fprintf(stderr,
                         "joule-bench: warning: JOULE_ARCH=%s changes only the dispatch_overhead rows; every other "
                         "benchmark runs the level above (%s), which this joule-bench was compiled for. "
                         "scripts/bench.sh --avx2 builds one for AVX2\n",
                         forced, arch.level);
        std::fprintf(text, "joule-bench: limits %s: %s\n",
                    from_cache ? ("cached " + limits.measured_at + " (--remeasure-limits to redo)").c_str()
                               : ("measured now, " + limits.measured_at).c_str(),
                    describe_limits(limits).c_str());
        // Triad's 12 bytes per element are 8 read and 4 written, and on many machines the writes
        // (streaming stores) add to what the reads get: the read limit is then below triad, which
        // is fine (the development VM: read 21.6, triad 31.0 GB/s). But a read limit below triad's
        // own reads (2/3 of it) means the read pass fell short, and % of the read limit (GEMV
        // rows) would overstate how close kernels come to it.
        const double triad_reads = limits.triad_gbs_1 * 8.0 / 12.0;
        if (limits.read_gbs_1 > 0 && limits.read_gbs_1 < 0.9 * triad_reads)
            std::fprintf(stderr,
                         "joule-bench: warning: 1-core read bandwidth %.1f GB/s is %.0f%% below the reads of triad "
                         "(%.1f of its %.1f GB/s): %% of the read limit may read high; --remeasure-limits on a "
                         "quiet machine\n",
                         limits.read_gbs_1, 100 * (1 - limits.read_gbs_1 / triad_reads), triad_reads,
                         limits.triad_gbs_1);
        std::string source = meter->source();
        if (from_model && cl.power_model.empty() && !source.empty() && source.back() == ')')
            source.insert(source.size() - 1, "; set with --power-model");
        std::fprintf(text, "joule-bench: energy: %s, scope %s, %s", source.c_str(),
                    joule::energy::to_string(meter->scope()), joule::energy::to_string(meter->quality()));
        if (meter->quality() == joule::energy::quality::estimated)
            std::fprintf(text, " (ESTIMATED: no power sensor read; see README 'Real power numbers')");
        std::fprintf(text, "\n");
        for (const std::string& line : meter->detection_log())
            std::fprintf(text, "joule-bench:   not used: %s\n", line.c_str());
        if (!min_time_note.empty())
            std::fprintf(text, "joule-bench: %s\n", min_time_note.c_str());
        const char* selection = short_mode ? "short" : (cl.full ? "full" : "filtered");
        std::fprintf(text, "joule-bench: %zu benchmarks, %s selection%s, min_time %.3g s\n", names.size(),
                    selection,
                    budget > 0 ? (", budget " + mmss(budget)).c_str() : "", min_time);
        if (!not_opted_in.empty())
        {
            std::fprintf(text, "joule-bench: not in the short run (no JOULE_BENCH_SHORT):");
            for (const std::string& k : not_opted_in)
                std::fprintf(text, " %s", k.c_str());
            std::fprintf(text, " (--full runs them)\n");
        }
        std::fflush(stdout);

        benchmark::AddCustomContext("joule_level", arch.level);
        benchmark::AddCustomContext("joule_isa", arch.isa);
        benchmark::AddCustomContext("joule_energy_source", meter->source());
        benchmark::AddCustomContext("joule_energy_scope", joule::energy::to_string(meter->scope()));
        benchmark::AddCustomContext("joule_energy_quality", joule::energy::to_string(meter->quality()));
        benchmark::AddCustomContext("joule_limits", describe_limits(limits));
        benchmark::AddCustomContext("joule_selection", selection);

        // Run.
        std::unique_ptr<energy_timeline> timeline;
        if (!linear_in_time)
            timeline = std::make_unique<energy_timeline>(*meter, period);
        // Idle power, for net-of-idle figures (edge boards idle at a large share of their load).
        double idle_watts = 0;
        if (timeline && meter->quality() == joule::energy::quality::measured)
        {
            const double idle_window = std::max(1.0, 2 * meter->min_window_seconds());
            const double t0 = detail::steady_seconds();
            std::this_thread::sleep_for(std::chrono::duration<double>(idle_window));
            const energy_timeline::window w = timeline->between(t0, detail::steady_seconds());
            if (w.ok)
                idle_watts = w.joules / idle_window;
            std::fprintf(text, "joule-bench: idle power %s\n", w.ok ? (std::to_string(idle_watts) + " W").c_str()
                                                            : ("unavailable: " + w.note).c_str());
        }
        suite_settings ss;
        ss.idle_watts = idle_watts;
        ss.limits = limits;
        ss.meter = meter.get();
        ss.timeline = timeline.get();
        ss.model = eo.model;
        ss.estimate_from_model = from_model;
        ss.constant_watts = cl.watts;
        ss.display_aggregates_only = cl.display_aggregates_only || cl.report_aggregates_only;
        std::unique_ptr<benchmark::BenchmarkReporter> display(benchmark::CreateDefaultDisplayReporter());
        suite_reporter reporter(ss, display.get());

        const auto start = std::chrono::steady_clock::now();
        auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
        std::vector<std::string> skipped;
        if (cl.random_interleaving)
        {
            // Interleaving needs every benchmark in one call: no per-benchmark progress or budget.
            std::string spec;
            for (const std::string& n : names)
                spec += (spec.empty() ? "^(" : "|") + regex_escape(n);
            if (!names.empty())
                benchmark::RunSpecifiedBenchmarks(&reporter, spec + ")$");
        }
        else
            for (std::size_t i = 0; i < names.size(); ++i)
            {
                if (budget > 0 && elapsed() > budget)
                {
                    skipped.assign(names.begin() + static_cast<std::ptrdiff_t>(i), names.end());
                    break;
                }
                if (cl.progress)
                {
                    std::fprintf(stderr, "[%zu/%zu %s] %s\n", i + 1, names.size(), mmss(elapsed()).c_str(),
                                 names[i].c_str());
                    std::fflush(stderr);
                }
                benchmark::RunSpecifiedBenchmarks(&reporter, "^" + regex_escape(names[i]) + "$");
                std::fflush(stdout);
            }
        timeline.reset();
        display->Finalize();

        // Outputs.
        const std::vector<result_row> rows = reporter.table_rows();
        std::string table = format_table(rows, limits, *meter, idle_watts);
        if (!skipped.empty())
        {
            table += "SKIPPED " + std::to_string(skipped.size()) + " benchmarks: the short run's budget of " +
                     mmss(budget) + " was reached (--budget=SECONDS, --full, or --benchmark_filter):";
            for (const std::string& n : skipped)
                table += " " + n;
            table += "\n";
        }
        std::fprintf(text, "\n%s", table.c_str());
        bool ok = true;
        if (!cl.results.empty())
        {
            ok = write_file(cl.results + "/joule-bench.json", gbench_output(reporter.runs(), "json", cl.report_aggregates_only)) &&
                 write_file(cl.results + "/joule-bench.csv", format_csv(reporter.all_rows(), *meter, idle_watts)) &&
                 write_file(cl.results + "/table.txt", table) && write_file(cl.results + "/limits.json", limits.to_json());
            if (!ok)
            {
                for (const char* f : {"joule-bench.json", "joule-bench.csv", "table.txt", "limits.json"})
                    std::remove((cl.results + "/" + f).c_str());
                std::fprintf(stderr, "joule-bench: writing the results to %s failed\n", cl.results.c_str());
            }
        }
        if (ok && !cl.out.empty() &&
            !write_file(cl.out, gbench_output(reporter.runs(), cl.out_format, cl.report_aggregates_only)))
        {
            std::fprintf(stderr, "joule-bench: writing %s failed\n", cl.out.c_str());
            ok = false;
        }
        benchmark::Shutdown(); // after the outputs: it frees the context they print
        if (!cl.results.empty() && ok)
            std::fprintf(text, "results: %s\n", cl.results.c_str());
        return ok ? 0 : 3;
    }
} // namespace

int main(int argc, char** argv)
{
    // Families register their extra full-run shapes at static initialization when
    // JOULE_BENCH_FULL=1 (see support/report.hpp): --full sets it and starts again.
    const char* full_env = std::getenv("JOULE_BENCH_FULL");
    if (!(full_env && std::strcmp(full_env, "1") == 0) &&
        std::any_of(argv + 1, argv + argc, [](const char* a) { return std::strcmp(a, "--full") == 0; }))
    {
        ::setenv("JOULE_BENCH_FULL", "1", 1);
        const std::string self = self_path();
        if (!self.empty())
            ::execv(self.c_str(), argv);
        std::fprintf(stderr, "joule-bench: warning: could not restart with JOULE_BENCH_FULL=1 (%s)\n", std::strerror(errno));
    }
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0))
    {
        print_help();
        benchmark::PrintDefaultHelp();
        return 0;
    }
    return run(argc, argv);
}
