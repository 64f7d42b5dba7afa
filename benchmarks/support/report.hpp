// How every joule-bench benchmark reports its work, so the suite can turn timings into
// throughput, % of the machine limit that bounds the kernel, and energy figures.
//
// Naming convention (the results table groups on it):
//     <kernel>/<implementation>/<shape>[/threads:<T>]
// e.g. "sgemm/joule/512x512x512/threads:1", "sgemm/openblas/512x512x512/threads:1",
//      "softmax/onednn/4096/threads:1". <implementation> is "joule" (or "joule_<variant>") for
// joule's kernels and the peer's name otherwise; rows with the same kernel, shape and threads
// are compared. The shape may come from the name or from Args ("sgemm/joule" + Arg(512) gives
// shape "512"); "threads:T" may come from ->Threads(T) or from a "threads" ArgName.
//
// Register every benchmark with ->UseRealTime(): joule's kernels run on their own threads, so
// the timing thread's CPU time undercounts, and energy rates need wall time anyway.
//
// Call joule_bench::report(state, work) once, after the timing loop, with the work one
// iteration does. The suite then adds, per result: GFLOP/s or GB/s, % of the bounding limit
// (measured at start-up), joules per iteration, average watts and GFLOP/J or GB/J. Benchmarks
// that do not call report() still run and are timed, without those figures.
//
// The short run (the default of scripts/bench.sh, under 5 minutes for the whole suite) holds only
// the benchmarks a family opts in, by regex searched in the full name, or in the name as
// registered (without the "/real_time" Google Benchmark appends), so "threads:1$" matches:
//     JOULE_BENCH_SHORT("^sgemm/[a-z]+/(256x256x256|1024x1024x1024)/threads:1$");
// Every pattern must match some benchmark: `joule-bench --list-selection` fails otherwise (CTest
// joule_bench_short_selection), so a renamed benchmark cannot drop out of the short run unseen.
// Keep a family's short selection to a few shapes that show its in-cache and out-of-cache
// behaviour against each peer; --full runs everything. A family may also register extra shapes
// only when the environment has JOULE_BENCH_FULL=1, which `joule-bench --full` sets.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace joule_bench
{
    /// What limits a kernel's speed on a roofline: the figure its "% of limit" is taken against.
    enum class bound
    {
        compute_f32,  ///< fp32 FMA peak (GEMM)
        compute_int8, ///< int8 dot-product peak (int8 GEMM, quantized dots in cache)
        memory_read,  ///< read bandwidth (GEMV, quantized GEMV out of cache)
        memory_triad, ///< read+write bandwidth (softmax, conversions out of cache)
        none
    };

    /// The work one iteration does.
    struct work
    {
        double flops = 0; ///< floating-point (or integer) operations, 2 per multiply-add
        double bytes = 0; ///< bytes that must cross the memory bus at least once
        bound limit = bound::none;
    };

    /// One finished timing loop, as report() saw it at its end.
    struct loop_record
    {
        double end_seconds = 0; ///< steady clock, when report() was called
        std::int64_t iterations = 0;
        work w;
        int threads = 1;
    };

    namespace detail
    {
        struct loop_log
        {
            std::mutex mutex;
            std::vector<loop_record> records;
        };
        inline loop_log& loops()
        {
            static loop_log log;
            return log;
        }
        inline std::vector<std::string>& short_patterns()
        {
            static std::vector<std::string> patterns;
            return patterns;
        }
        inline double steady_seconds()
        {
            return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
        }
        /// The counter that ties a reported run to its loop record (removed from every output).
        inline const char* loop_id_counter() { return "joule_loop_id"; }
    } // namespace detail

    inline void report(benchmark::State& state, const work& w)
    {
        const double end = detail::steady_seconds();
        const double iterations = static_cast<double>(state.iterations());
        // Shown as e.g. "FLOP=93.1G/s" and "bytes=24.9G/s" (rates over wall-clock iterations).
        if (w.flops > 0)
            state.counters["FLOP"] = benchmark::Counter(w.flops * iterations, benchmark::Counter::kIsRate,
                                                        benchmark::Counter::OneK::kIs1000);
        if (w.bytes > 0)
            state.counters["bytes"] = benchmark::Counter(w.bytes * iterations, benchmark::Counter::kIsRate,
                                                         benchmark::Counter::OneK::kIs1000);
        // Thread 0 alone records the loop, and alone sets the id (threads' counters are summed).
        if (state.thread_index() == 0)
        {
            auto& log = detail::loops();
            std::lock_guard<std::mutex> lock(log.mutex);
            state.counters[detail::loop_id_counter()] = static_cast<double>(log.records.size());
            log.records.push_back({end, static_cast<std::int64_t>(state.iterations()), w, state.threads()});
        }
    }

    /// Adds the benchmarks whose full name, or name as registered, matches `regex` (ECMAScript,
    /// searched) to the short run. Returns true so it can initialize a static; use JOULE_BENCH_SHORT.
    inline bool short_run(const char* regex)
    {
        detail::short_patterns().emplace_back(regex);
        return true;
    }
} // namespace joule_bench

#define JOULE_BENCH_DETAIL_CAT2(a, b) a##b
#define JOULE_BENCH_DETAIL_CAT(a, b) JOULE_BENCH_DETAIL_CAT2(a, b)
/// JOULE_BENCH_SHORT("regex"): the benchmarks matching it are part of the short default run.
#define JOULE_BENCH_SHORT(regex)                                                                       \
    static const bool JOULE_BENCH_DETAIL_CAT(joule_bench_short_, __LINE__) [[maybe_unused]] =          \
        ::joule_bench::short_run(regex)
