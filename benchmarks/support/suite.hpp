// joule-bench's frame: turns each Google Benchmark run into a result row (throughput, % of the
// bounding machine limit, energy), forwards the enriched runs to the display reporter chosen by
// --benchmark_format, and writes the table, CSV and JSON at the end.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/energy.hpp>

#include "support/limits.hpp"
#include "support/report.hpp"

namespace joule_bench
{
    /// `<kernel>/<impl>/<shape>[/threads:T]`, split.
    struct name_parts
    {
        std::string kernel, impl, shape;
        int threads = 1;
    };
    name_parts parse_name(const benchmark::BenchmarkReporter::Run& run);
    name_parts parse_name(const std::string& full_name);
    /// `full_name` without the parts Google Benchmark appends to a registered name (real_time,
    /// repeats:N, iterations:N, min_time:...), keeping threads:T: "sgemm/joule/8x8x8/threads:1/real_time"
    /// gives "sgemm/joule/8x8x8/threads:1". JOULE_BENCH_SHORT patterns are matched against it.
    std::string registered_name(const std::string& full_name);
    /// "a2" < "a10": digit runs compare as numbers (shapes sort by size).
    bool natural_less(const std::string& a, const std::string& b);

    /// Samples a meter every few milliseconds so any past window's energy can be read back.
    class energy_timeline
    {
    public:
        struct window
        {
            bool ok = false;
            double joules = 0;
            std::string note; ///< why not ok
        };

        explicit energy_timeline(joule::energy::meter& m, double period_seconds = 0.01);
        ~energy_timeline();
        /// Energy between two steady-clock times (interpolated between samples).
        window between(double t0, double t1);

    private:
        struct sample // small: a long run keeps 100 a second
        {
            double t;
            double joules;
            std::uint64_t failures;
            bool valid;
        };
        void take();

        joule::energy::meter& meter_;
        std::mutex mutex_;
        std::vector<sample> samples_;
        std::string last_error_;
        bool stop_ = false;
        std::thread thread_;
    };

    /// One result: a run (or an aggregate of repetitions) with everything the table shows.
    struct result_row
    {
        std::string name, kernel, impl, shape, aggregate; ///< aggregate: "" for a single run, "median", ...
        int threads = 1;
        bool error = false;
        std::string error_message;
        double iterations = 0;
        double seconds_per_iteration = 0; ///< wall time
        bool has_work = false;
        work w;
        double gflops = 0, gbs = 0;     ///< rates
        std::string limit_name;         ///< e.g. "fp32 FMA peak, 1 core"
        double limit_value = 0;         ///< GFLOP/s, GOP/s or GB/s
        double pct_of_limit = 0;
        bool in_cache = false;          ///< memory-bound but fits in the last-level cache
        bool energy_ok = false;
        std::string energy_note;
        double joules_per_iteration = 0, watts = 0, gflop_per_joule = 0, gb_per_joule = 0;
        double vs_best_peer = 0;        ///< joule rows: best peer time / joule time; 0 = no peer
        std::string best_peer;
    };

    struct suite_settings
    {
        machine_limits limits;
        joule::energy::meter* meter = nullptr;
        energy_timeline* timeline = nullptr;
        joule::energy::power_model model; ///< used when the meter is the estimate
        bool estimate_from_model = false; ///< the meter is the model estimate: use run threads and work
        double constant_watts = 0;        ///< > 0: a stated constant wattage (joules = watts x wall time)
        bool display_aggregates_only = false;
        double idle_watts = 0; ///< measured at start-up with nothing running (0: not measured)
    };

    /// Wraps the display reporter: enriches runs and keeps them (and their rows) for the files.
    class suite_reporter : public benchmark::BenchmarkReporter
    {
    public:
        suite_reporter(suite_settings settings, benchmark::BenchmarkReporter* display);
        bool ReportContext(const Context& context) override;
        void ReportRuns(const std::vector<Run>& reports) override;
        void Finalize() override;

        const std::vector<Run>& runs() const { return runs_; }
        std::vector<result_row> table_rows() const; ///< one per benchmark, ratios filled in
        const std::vector<result_row>& all_rows() const { return rows_; }

    private:
        result_row row_for(const Run& run, const loop_record* record) const;
        suite_settings s_;
        benchmark::BenchmarkReporter* display_;
        bool context_reported_ = false;
        std::vector<Run> runs_;
        std::vector<result_row> rows_;
        std::map<std::pair<std::int64_t, std::int64_t>, std::vector<result_row>> iteration_rows_;
    };

    /// Short name of the energy source for the table: "rapl", "hwmon", "estimate", ...
    std::string energy_tag(const joule::energy::meter& m);

    std::string format_table(const std::vector<result_row>& rows, const machine_limits& L,
                             const joule::energy::meter& m, double idle_watts);
    std::string format_csv(const std::vector<result_row>& rows, const joule::energy::meter& m, double idle_watts);
} // namespace joule_bench
