// The cost of runtime dispatch itself: the same level's kernels called through dispatch and
// directly, one after the other in the same run (see dispatch/dispatch_kernels.hpp for why both
// run the same machine code). Shapes where a call is short, so a fixed per-call cost would show:
// a 64^3 sgemm (about 5 us on Zen 4), a 128-element softmax and a 128-element f32 -> f16
// conversion (tens of ns).
//
// Names: dispatch_overhead_<kernel>/joule_dispatched/<shape> and .../direct/<shape>. "direct"
// is not a peer library but it is listed as one so that the results table prints the ratio
// dispatched / direct in its "joule/best peer" column. The label names the level both ran.
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "dispatch/dispatch_kernels.hpp"
#include "support/report.hpp"

namespace
{
    using joule_bench_dispatch::calls;

    /// The call set to time: dispatched, or the direct build of the level dispatch chose.
    const calls* pick(benchmark::State& state, bool via_dispatch)
    {
        static const calls d = joule_bench_dispatch::dispatched();
        const calls* c = via_dispatch ? &d : joule_bench_dispatch::direct(d.level);
        if (c == nullptr)
            state.SkipWithError(("no direct build of level " + std::string(d.level)).c_str());
        else
            state.SetLabel(std::string("level=") + c->level);
        return c;
    }

    void bm_sgemm(benchmark::State& state, bool via_dispatch, std::size_t n)
    {
        std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
        const calls* k = pick(state, via_dispatch);
        if (k == nullptr)
            return;
        for (auto _ : state)
        {
            k->sgemm(a.data(), b.data(), c.data(), n);
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
        const double nn = double(n);
        joule_bench::report(state, {2 * nn * nn * nn, 3 * 4 * nn * nn, joule_bench::bound::compute_f32});
    }

    void bm_f32_to_f16(benchmark::State& state, bool via_dispatch, std::size_t n)
    {
        std::vector<float> x(n, 1.5f);
        std::vector<std::uint16_t> y(n);
        const calls* k = pick(state, via_dispatch);
        if (k == nullptr)
            return;
        for (auto _ : state)
        {
            k->f32_to_f16(x.data(), y.data(), n);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 6.0 * double(n), joule_bench::bound::memory_triad});
    }

    void bm_softmax(benchmark::State& state, bool via_dispatch, std::size_t n)
    {
        std::vector<float> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = float(int(i % 17) - 8) * 0.37f;
        const calls* k = pick(state, via_dispatch);
        if (k == nullptr)
            return;
        for (auto _ : state)
        {
            k->softmax(x.data(), y.data(), n);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 12.0 * double(n), joule_bench::bound::memory_triad}); // as softmax_bench counts
    }
} // namespace

JOULE_BENCH_SHORT("^dispatch_overhead_");

BENCHMARK_CAPTURE(bm_sgemm, dispatched, true, 64)->Name("dispatch_overhead_sgemm/joule_dispatched/64x64x64")->UseRealTime();
BENCHMARK_CAPTURE(bm_sgemm, direct, false, 64)->Name("dispatch_overhead_sgemm/direct/64x64x64")->UseRealTime();
BENCHMARK_CAPTURE(bm_f32_to_f16, dispatched, true, 128)->Name("dispatch_overhead_f32_to_f16/joule_dispatched/128")->UseRealTime();
BENCHMARK_CAPTURE(bm_softmax, dispatched, true, 128)->Name("dispatch_overhead_softmax/joule_dispatched/128")->UseRealTime();
BENCHMARK_CAPTURE(bm_softmax, direct, false, 128)->Name("dispatch_overhead_softmax/direct/128")->UseRealTime();
BENCHMARK_CAPTURE(bm_f32_to_f16, direct, false, 128)->Name("dispatch_overhead_f32_to_f16/direct/128")->UseRealTime();
