// joule-bench's command line: its own flags, and the Google Benchmark flags it handles itself
// (output files, aggregates, min_time) because it runs benchmarks one at a time.
#pragma once

#include <string>
#include <vector>

namespace joule_bench
{
    struct command_line
    {
        // selection and length
        bool full = false;        ///< every benchmark (default: the short selection)
        bool short_run = false;   ///< the short selection even with --benchmark_filter
        double budget = -1;       ///< seconds for the benchmarks of a short run; < 0: default
        bool progress = true;
        bool list_selection = false; ///< print the selected benchmarks' names and exit
        // outputs
        std::string results;      ///< folder for JSON, CSV, table, limits
        // limits
        bool remeasure_limits = false;
        bool quick_limits = false;
        std::string cache_dir;
        // energy
        double watts = 0;
        std::string power_command, power_file, power_model, energy_source, rapl_zones, sysfs_root;
        std::string power_scope;  ///< the external meter's scope: wall, board, package, core, dram; "": wall
        // Google Benchmark flags handled here
        std::string out, out_format = "json";
        bool report_aggregates_only = false, display_aggregates_only = false;
        double min_time = -1;     ///< < 0: not given
        bool list_tests = false;
        bool random_interleaving = false;
        // what Google Benchmark parses itself
        std::vector<std::string> passthrough;
    };

    /// Parses argv (without argv[0]). Returns "" or the message for a bad argument.
    std::string parse_command_line(const std::vector<std::string>& args, command_line& cl);

    /// joule-bench's own help (Google Benchmark's follows it).
    void print_help();
} // namespace joule_bench
