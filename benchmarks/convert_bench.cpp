// Benchmarks for joule/convert.hpp: float <-> f16 / bf16 rows, in bytes moved per second
// (4 bytes read + 2 written per element, or the reverse), beside memcpy of the same bytes as
// the machine's own copy-bandwidth reference at the same size.
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/convert.hpp>

#include "support/report.hpp"

namespace
{
    std::vector<float> ramp(std::size_t n)
    {
        std::vector<float> x(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = static_cast<float>(i % 1000) * 0.37f - 100.0f;
        return x;
    }

    template <class Half>
    void bm_narrow(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const auto x = ramp(n);
        std::vector<Half> y(n);
        for (auto _ : state)
        {
            joule::convert(x.data(), y.data(), n);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 6.0 * double(n), joule_bench::bound::memory_triad});
    }

    template <class Half>
    void bm_widen(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const auto x = ramp(n);
        std::vector<Half> h(n);
        joule::convert(x.data(), h.data(), n);
        std::vector<float> y(n);
        for (auto _ : state)
        {
            joule::convert(h.data(), y.data(), n);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 6.0 * double(n), joule_bench::bound::memory_triad});
    }

    // memcpy of 6 bytes per element: the same traffic with no arithmetic.
    void bm_memcpy_reference(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<char> a(n * 3), b(n * 3);
        for (auto _ : state)
        {
            std::memcpy(b.data(), a.data(), a.size());
            benchmark::DoNotOptimize(b.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 6.0 * double(n), joule_bench::bound::memory_triad});
    }
} // namespace

// The short run: both sizes of the f16 pair and the memcpy reference (bf16 runs with --full).
JOULE_BENCH_SHORT("^(f32_to_f16|f16_to_f32|copy_6_bytes_per_element)/");

// 4096 elements stay in L1/L2; 16M elements (96 MiB of traffic) are far beyond the L3.
BENCHMARK(bm_narrow<joule::f16>)->Name("f32_to_f16/joule")->Arg(4096)->Arg(1 << 24)->UseRealTime();
BENCHMARK(bm_widen<joule::f16>)->Name("f16_to_f32/joule")->Arg(4096)->Arg(1 << 24)->UseRealTime();
BENCHMARK(bm_narrow<joule::bf16>)->Name("f32_to_bf16/joule")->Arg(4096)->Arg(1 << 24)->UseRealTime();
BENCHMARK(bm_widen<joule::bf16>)->Name("bf16_to_f32/joule")->Arg(4096)->Arg(1 << 24)->UseRealTime();
BENCHMARK(bm_memcpy_reference)->Name("copy_6_bytes_per_element/memcpy")->Arg(4096)->Arg(1 << 24)->UseRealTime();
