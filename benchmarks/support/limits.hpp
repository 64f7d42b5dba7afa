// The machine's own limits, measured by joule-bench at start-up and cached per machine: the
// roofline every result is placed against.
#pragma once

#include <string>
#include <vector>

namespace joule_bench
{
    struct cache_level
    {
        int level = 0;
        std::string type; ///< Data, Instruction, Unified
        double bytes = 0;
        int shared_by = 1; ///< logical CPUs sharing it
    };

    struct machine_limits
    {
        std::string key;         ///< what identifies the machine (CPU model, CPU count, ISA)
        std::string cpu_model;
        std::string isa;         ///< joule's compiled instruction set
        std::string measured_at; ///< UTC date and time
        int cpus = 1;            ///< logical CPUs used for the all-core figures
        double clock_ghz = 0;    ///< measured with a chain of dependent adds (1 per cycle)
        double fma_gflops_1 = 0, fma_gflops_all = 0;   ///< fp32 FMA peak
        std::string fma_method;
        double int8_gops_1 = 0, int8_gops_all = 0;     ///< int8 dot peak (2 ops per multiply-add)
        std::string int8_method;
        double read_gbs_1 = 0, read_gbs_all = 0;       ///< memory read bandwidth (out of cache)
        double triad_gbs_1 = 0, triad_gbs_all = 0;     ///< a = b + s*c, counting 12 bytes per element (STREAM)
        double memory_test_bytes = 0;                  ///< per array
        std::vector<cache_level> caches;
        std::string cache_source;                      ///< sysfs, or Google Benchmark's CPU info
        double others_busy = 0;                       ///< share of the CPUs others used just before measuring (0..1)
        std::string read_method;                       ///< the faster of 1 stream and 8 side by side
        std::string triad_method;                      ///< the faster of regular and streaming stores

        /// The last-level cache's total size (bytes), 0 when unknown.
        double last_level_cache_bytes() const;
        std::string to_json() const;
        static bool from_json(const std::string& text, machine_limits& out);
    };

    struct limits_options
    {
        bool remeasure = false;   ///< ignore the cache
        bool quick = false;       ///< tiny windows and buffers (for tests of the suite itself)
        std::string cache_dir;    ///< empty: $JOULE_CACHE_DIR, $XDG_CACHE_HOME/joule, ~/.cache/joule
    };

    /// The cached limits for this machine, or freshly measured ones (then cached). Progress goes
    /// to stderr. `from_cache` says which; `cache_path` where they are (empty if not cacheable).
    machine_limits machine_limits_for_this_machine(const limits_options& o, bool& from_cache, std::string& cache_path);

    /// Reads cache sizes from sysfs under `sysfs_root`, or from Google Benchmark's CPU info.
    std::vector<cache_level> read_caches(const std::string& sysfs_root, std::string& source);
} // namespace joule_bench
