// Benchmarks for joule/quant.hpp and joule/onnx_quant.hpp: quantize and dequantize throughput.
//
// Throughput is counted as ggml's test-quantize-perf counts it ("float32 throughput"): bytes of
// f32 data per second (4 bytes per value, read by quantize, written by dequantize), so the rows
// compare directly with the anchors in the Quantization issue. Sizes are test-quantize-perf's:
// 4096 values (L1), 65536 (L2), 655360 (L3) and 65536000 (DRAM: 262 MB of floats).
//
// Peers in the same run:
// - ggml, when scripts/ggml_peer.sh has built it (scripts/bench.sh --ggml): its CPU quantizer
//   (from_float: the SIMD one ggml uses for activations, which rounds q8 ties to even) and its
//   dequantizer (to_float), i.e. what test-quantize-perf times; plus its q4_0 x q8_0 and
//   q4_K x q8_K dot products (vec_dot rows; joule's quantized linear layer is timed against ggml
//   in quant_linear_bench.cpp).
// The "bytes" counter is those f32 bytes (what the goals count); out of cache the frame's
// % of limit is taken against the measured single-core read (quantize) or triad (dequantize)
// bandwidth.
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/executor.hpp>
#include <joule/onnx_quant.hpp>
#include <joule/quant.hpp>

#include "support/report.hpp"
#include "support/threads.hpp"

#if defined(JOULE_BENCH_HAVE_GGML)
#include <ggml-cpu.h>
#include <ggml.h>
#endif

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

    void f32_bytes(benchmark::State& state, std::size_t n, joule_bench::bound limit)
    {
        joule_bench::report(state, {0, 4.0 * double(n), limit});
    }

    /// The executor for a row: the calling thread, or a pool of state.range(1) threads.
    joule::executor_ref executor_for(benchmark::State& state)
    {
        return joule_bench::executor_for_threads(static_cast<std::size_t>(state.range(1)));
    }

    template <class Block>
    void bm_quantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const float* x = input(n).data();
        std::vector<Block> q(n / Block::block_size);
        const auto executor = executor_for(state);
        for (auto _ : state)
        {
            joule::quantize(x, q.data(), n, executor);
            benchmark::DoNotOptimize(q.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_read);
    }

    template <class Block>
    void bm_dequantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<Block> q(n / Block::block_size);
        joule::quantize(input(n).data(), q.data(), n);
        std::vector<float> y(n);
        const auto executor = executor_for(state);
        for (auto _ : state)
        {
            joule::dequantize(q.data(), y.data(), n, executor);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_triad);
    }

    void bm_quantize_linear_int8(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const float* x = input(n).data();
        std::vector<std::int8_t> q(n);
        for (auto _ : state)
        {
            joule::quantize_linear(x, q.data(), n, 0.02f, 3);
            benchmark::DoNotOptimize(q.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_read);
    }

    void bm_dequantize_linear_int8(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        std::vector<std::int8_t> q(n);
        joule::quantize_linear(input(n).data(), q.data(), n, 0.02f, 3);
        std::vector<float> y(n);
        for (auto _ : state)
        {
            joule::dequantize_linear(q.data(), y.data(), n, 0.02f, 3);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_triad);
    }

#if defined(JOULE_BENCH_HAVE_GGML)
    const bool ggml_ready = [] {
        ggml_cpu_init();
        return true;
    }();

    std::vector<unsigned char> ggml_quantized(ggml_type type, const float* x, std::size_t n)
    {
        std::vector<unsigned char> q(ggml_row_size(type, static_cast<std::int64_t>(n)));
        ggml_quantize_chunk(type, x, q.data(), 0, 1, static_cast<std::int64_t>(n), nullptr);
        return q;
    }

    template <ggml_type Type>
    void bm_ggml_quantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const float* x = input(n).data();
        std::vector<unsigned char> q(ggml_row_size(Type, static_cast<std::int64_t>(n)));
        const auto from_float = ggml_get_type_traits_cpu(Type)->from_float;
        for (auto _ : state)
        {
            from_float(x, q.data(), static_cast<std::int64_t>(n));
            benchmark::DoNotOptimize(q.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_read);
    }

    template <ggml_type Type>
    void bm_ggml_dequantize(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const auto q = ggml_quantized(Type, input(n).data(), n);
        std::vector<float> y(n);
        const auto to_float = ggml_get_type_traits(Type)->to_float;
        for (auto _ : state)
        {
            to_float(q.data(), y.data(), static_cast<std::int64_t>(n));
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        f32_bytes(state, n, joule_bench::bound::memory_triad);
    }

    /// ggml's vec_dot of a weight row (Type) with an activation row (its vec_dot_type): the
    /// inner loop of its quantized matmul, reported as f32-equivalent bytes of one row.
    template <ggml_type Type>
    void bm_ggml_vec_dot(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        const auto* traits = ggml_get_type_traits_cpu(Type);
        const auto w = ggml_quantized(Type, input(n).data(), n);
        // Activations as ggml's matmul makes them: its CPU quantizer for the vec_dot type.
        std::vector<unsigned char> a(ggml_row_size(traits->vec_dot_type, static_cast<std::int64_t>(n)));
        ggml_get_type_traits_cpu(traits->vec_dot_type)->from_float(input(n).data(), a.data(), static_cast<std::int64_t>(n));
        for (auto _ : state)
        {
            float s = 0;
            traits->vec_dot(static_cast<int>(n), &s, 0, w.data(), 0, a.data(), 0, 1);
            benchmark::DoNotOptimize(s);
        }
        f32_bytes(state, n, joule_bench::bound::memory_read);
    }
#endif

    void sizes(benchmark::internal::Benchmark* b)
    {
        for (std::int64_t n : {4096, 65536, 655360, 65536000})
            b->Args({n, 1});
        b->ArgNames({"", "threads"})->UseRealTime();
    }
    /// joule's rows also run the DRAM size on all cores (a joule::thread_pool), where there is
    /// more than one.
    void sizes_and_threads(benchmark::internal::Benchmark* b)
    {
        sizes(b);
        const auto all = static_cast<std::int64_t>(joule_bench::all_cores());
        if (all > 1)
            b->Args({65536000, all});
    }
} // namespace

// The short run: the two kernels the issue sets goals for, at every size, beside ggml.
JOULE_BENCH_SHORT("^(quantize_q8_0|dequantize_q4_0)/(joule|ggml)/[0-9]+/threads:1");

BENCHMARK(bm_quantize<joule::block_q8_0>)->Name("quantize_q8_0/joule")->Apply(sizes_and_threads);
BENCHMARK(bm_quantize<joule::block_q4_0>)->Name("quantize_q4_0/joule")->Apply(sizes);
BENCHMARK(bm_quantize<joule::block_q8_K>)->Name("quantize_q8_K/joule")->Apply(sizes);
BENCHMARK(bm_quantize<joule::block_q4_K>)->Name("quantize_q4_K/joule")->Args({65536, 1})->ArgNames({"", "threads"})->UseRealTime();
BENCHMARK(bm_dequantize<joule::block_q4_0>)->Name("dequantize_q4_0/joule")->Apply(sizes_and_threads);
BENCHMARK(bm_dequantize<joule::block_q8_0>)->Name("dequantize_q8_0/joule")->Apply(sizes);
BENCHMARK(bm_dequantize<joule::block_q4_K>)->Name("dequantize_q4_K/joule")->Apply(sizes);
BENCHMARK(bm_dequantize<joule::block_q6_K>)->Name("dequantize_q6_K/joule")->Apply(sizes);
BENCHMARK(bm_quantize_linear_int8)->Name("quantize_linear_int8/joule")->Arg(4096)->Arg(65536000)->UseRealTime();
BENCHMARK(bm_dequantize_linear_int8)->Name("dequantize_linear_int8/joule")->Arg(4096)->Arg(65536000)->UseRealTime();

#if defined(JOULE_BENCH_HAVE_GGML)
BENCHMARK(bm_ggml_quantize<GGML_TYPE_Q8_0>)->Name("quantize_q8_0/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_quantize<GGML_TYPE_Q4_0>)->Name("quantize_q4_0/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_quantize<GGML_TYPE_Q8_K>)->Name("quantize_q8_K/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_quantize<GGML_TYPE_Q4_K>)->Name("quantize_q4_K/ggml")->Arg(65536)->UseRealTime();
BENCHMARK(bm_ggml_dequantize<GGML_TYPE_Q4_0>)->Name("dequantize_q4_0/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_dequantize<GGML_TYPE_Q8_0>)->Name("dequantize_q8_0/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_dequantize<GGML_TYPE_Q4_K>)->Name("dequantize_q4_K/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_dequantize<GGML_TYPE_Q6_K>)->Name("dequantize_q6_K/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_vec_dot<GGML_TYPE_Q4_0>)->Name("vec_dot_q4_0_q8_0/ggml")->Apply(sizes);
BENCHMARK(bm_ggml_vec_dot<GGML_TYPE_Q4_K>)->Name("vec_dot_q4_K_q8_K/ggml")->Apply(sizes);
#endif
