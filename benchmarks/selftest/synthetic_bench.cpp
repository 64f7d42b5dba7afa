// Small synthetic benchmarks that exercise joule-bench's frame (not joule's kernels): a kernel
// with two peers, Google Benchmark threads, threads and shape from Args, a benchmark without
// report(), one that fails, and a short-run selection (one pattern matching nothing on request).
// Built into joule-bench-selftest only.
#include <cstddef>
#include <cstdlib>
#include <numeric>
#include <vector>

#include <benchmark/benchmark.h>

#include "support/report.hpp"

namespace
{
    // dot/<impl>/<n>: the same work three ways, so "joule vs best peer" has two peers to pick from.
    template <int Stride>
    void bm_dot(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<float> x(n * Stride, 1.0f), y(n * Stride, 0.5f);
        for (auto _ : state)
        {
            float s = 0;
            for (std::size_t i = 0; i < n; ++i)
                s += x[i * Stride] * y[i * Stride];
            benchmark::DoNotOptimize(s);
        }
        joule_bench::report(state, {2.0 * double(n), 8.0 * double(n), joule_bench::bound::compute_f32});
    }

    // stream/joule/<n>/threads:2 through Google Benchmark's own threads: counters are summed.
    void bm_stream(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<float> x(n, 1.0f);
        for (auto _ : state)
        {
            float s = std::accumulate(x.begin(), x.end(), 0.0f);
            benchmark::DoNotOptimize(s);
        }
        joule_bench::report(state, {0, 4.0 * double(n), joule_bench::bound::memory_read});
    }

    // argshape/joule/<m>/threads:<t>: shape and threads from Args and ArgNames.
    void bm_argshape(benchmark::State& state)
    {
        const auto m = static_cast<std::size_t>(state.range(0));
        std::vector<int> v(m, 3);
        for (auto _ : state)
        {
            int s = std::accumulate(v.begin(), v.end(), 0);
            benchmark::DoNotOptimize(s);
        }
        joule_bench::report(state, {double(m), 4.0 * double(m), joule_bench::bound::compute_int8});
    }

    void bm_noreport(benchmark::State& state)
    {
        for (auto _ : state)
            benchmark::DoNotOptimize(state.iterations());
    }

    void bm_fails(benchmark::State& state)
    {
        state.SkipWithError("synthetic failure");
        for (auto _ : state)
        {
        }
    }
} // namespace

// Ends where the registered name ends: the listed name goes on with "/real_time".
JOULE_BENCH_SHORT("^dot/[a-z_]+/4096$");
// A pattern that matches nothing, for the check that such a pattern is reported.
static const bool unmatched_pattern [[maybe_unused]] =
  std::getenv("JOULE_BENCH_SELFTEST_UNMATCHED") && joule_bench::short_run("^nothing/");

BENCHMARK(bm_dot<1>)->Name("dot/joule")->Arg(4096)->UseRealTime();
BENCHMARK(bm_dot<2>)->Name("dot/peer_a")->Arg(4096)->UseRealTime();
BENCHMARK(bm_dot<4>)->Name("dot/peer_b")->Arg(4096)->UseRealTime();
BENCHMARK(bm_stream)->Name("stream/joule")->Arg(1 << 16)->Threads(2)->UseRealTime();
BENCHMARK(bm_argshape)->Name("argshape/joule")->Args({512, 2})->ArgNames({"", "threads"})->UseRealTime();
BENCHMARK(bm_noreport)->Name("noreport/joule/8")->UseRealTime();
BENCHMARK(bm_fails)->Name("fails/joule/1")->UseRealTime();
