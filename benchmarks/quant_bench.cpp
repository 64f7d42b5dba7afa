// Benchmarks for joule/quant.hpp: quantize and dequantize throughput of the main GGUF formats.
//
// Throughput is counted as ggml's test-quantize-perf counts it ("float32 throughput"): bytes of
// f32 data per second (4 bytes per value, read by quantize, written by dequantize), so the rows
// compare directly with the anchors in the Quantization issue. Sizes are test-quantize-perf's:
// 4096 values (L1), 65536 (L2), 655360 (L3) and 65536000 (DRAM, 262 MB of floats). When the
// ggml peer is built (scripts/ggml_peer.sh), the same rows run ggml's functions as "ggml".
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/quant.hpp>

#include "support/report.hpp"

namespace
{
    const std::vector<float>& input(std::size_t n)
    {
        static std::vector<float> x;
        if (x.size() < n)
        {
            x.resize(n);
            std::mt19937 rng(42);
            std::normal_distribution<float> normal(0.0f, 1.0f);
            for (auto& v : x)
                v = normal(rng);
        }
        return x;
    }

    template <class Block>
    void bm_quantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const float* x = input(n).data();
        std::vector<Block> q(n / Block::block_size);
        for (auto _ : state)
        {
            joule::quantize(x, q.data(), n);
            benchmark::DoNotOptimize(q.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 4.0 * double(n), joule_bench::bound::memory_read});
    }

    template <class Block>
    void bm_dequantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<Block> q(n / Block::block_size);
        joule::quantize(input(n).data(), q.data(), n);
        std::vector<float> y(n);
        for (auto _ : state)
        {
            joule::dequantize(q.data(), y.data(), n);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {0, 4.0 * double(n), joule_bench::bound::memory_triad});
    }

    void sizes(benchmark::internal::Benchmark* b)
    {
        for (std::int64_t n : {4096, 65536, 655360, 65536000})
            b->Arg(n);
        b->UseRealTime();
    }
} // namespace

BENCHMARK(bm_quantize<joule::block_q8_0>)->Name("quantize_q8_0/joule")->Apply(sizes);
BENCHMARK(bm_quantize<joule::block_q4_0>)->Name("quantize_q4_0/joule")->Apply(sizes);
BENCHMARK(bm_quantize<joule::block_q8_K>)->Name("quantize_q8_K/joule")->Apply(sizes);
BENCHMARK(bm_quantize<joule::block_q4_K>)->Name("quantize_q4_K/joule")->Arg(65536)->UseRealTime();
BENCHMARK(bm_dequantize<joule::block_q4_0>)->Name("dequantize_q4_0/joule")->Apply(sizes);
BENCHMARK(bm_dequantize<joule::block_q8_0>)->Name("dequantize_q8_0/joule")->Apply(sizes);
BENCHMARK(bm_dequantize<joule::block_q4_K>)->Name("dequantize_q4_K/joule")->Apply(sizes);
BENCHMARK(bm_dequantize<joule::block_q6_K>)->Name("dequantize_q6_K/joule")->Apply(sizes);
