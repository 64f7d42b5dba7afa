// How every joule-bench benchmark reports its work, so the suite can turn timings into
// throughput, % of the machine limit that bounds the kernel, and energy figures.
//
// Naming convention (the results table groups on it):
//     <kernel>/<implementation>/<shape>[/threads:<T>]
// e.g. "sgemm/joule/512x512x512/threads:1", "sgemm/openblas/512x512x512/threads:1",
//      "softmax/onednn/4096/threads:1". <implementation> is "joule" for joule's kernels and the
// peer's name otherwise; rows with the same kernel, shape and threads are compared.
//
// Register every benchmark with ->UseRealTime(): joule's kernels run on their own threads, so
// the timing thread's CPU time undercounts, and energy rates need wall time anyway.
//
// Call joule_bench::report(state, work) once, after the timing loop, with the work one
// iteration does. The suite adds the counters (GFLOP/s or GB/s now; % of limit and energy as the
// benchmark-suite issue lands them).
#pragma once

#include <cstdint>

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

    inline void report(benchmark::State& state, const work& w)
    {
        const double iterations = static_cast<double>(state.iterations());
        // Shown as e.g. "FLOP=93.1G/s" and "bytes=24.9G/s" (rates over wall-clock iterations).
        if (w.flops > 0)
            state.counters["FLOP"] = benchmark::Counter(w.flops * iterations, benchmark::Counter::kIsRate,
                                                        benchmark::Counter::OneK::kIs1000);
        if (w.bytes > 0)
            state.counters["bytes"] = benchmark::Counter(w.bytes * iterations, benchmark::Counter::kIsRate,
                                                         benchmark::Counter::OneK::kIs1000);
    }
} // namespace joule_bench
