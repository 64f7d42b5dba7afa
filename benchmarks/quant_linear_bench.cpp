// Benchmarks for joule/quant_linear.hpp: joule::linear with GGUF-quantized weights.
//
// Rows: linear_<format>/<impl>/<M>x<N>x<K>/threads:<T>
// - M = 1 (decoding) for q4_0, q8_0 and q4_K at N x K = 4096 x 4096 and 14336 x 4096: the
//   weights (9.4 to 62 MB) are streamed once per call, so the "bytes" counter is the weight
//   bytes and the % of limit is taken against the measured read bandwidth.
// - M = 16 and 512 (prompt processing), in GOP/s (2 * M * N * K), against the int8 dot peak.
// Each shape's weights are quantized once and kept (14336 x 4096 is larger than the L3).
//
// Peer in the same run, when scripts/ggml_peer.sh has built it (scripts/bench.sh --ggml): ggml's
// own kernels for the same work at M = 1: its CPU quantizer of the activation row to the dot type
// (from_float), then its vec_dot over the N weight rows, split over the same thread pool as
// joule's rows. This is the inner work of ggml_compute_forward_mul_mat for one row of X, without
// ggml's graph and scheduling overhead. The weights are the same bytes (joule's quantize is
// byte-exact with ggml's).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <random>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/executor.hpp>
#include <joule/quant_linear.hpp>

#include "support/report.hpp"
#include "support/threads.hpp"

#if defined(JOULE_BENCH_HAVE_GGML)
#include <ggml-cpu.h>
#include <ggml.h>
#endif

namespace
{
    std::vector<float> normal_floats(std::size_t n, std::uint32_t seed)
    {
        std::vector<float> x(n);
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto& v : x)
            v = normal(rng);
        return x;
    }

    joule::executor_ref executor_for(std::size_t threads)
    {
        return joule_bench::executor_for_threads(threads);
    }

    /// N x K weights of a format, quantized once per shape and kept.
    template <class Block>
    const std::vector<Block>& weights(std::size_t N, std::size_t K)
    {
        static std::map<std::pair<std::size_t, std::size_t>, std::vector<Block>> cache;
        auto& w = cache[{N, K}];
        if (w.empty())
        {
            const auto f = normal_floats(N * K, 7);
            w.resize(N * K / Block::block_size);
            joule::quantize(f.data(), w.data(), N * K, joule_bench::pool(joule_bench::all_cores()));
        }
        return w;
    }

    template <class Block>
    void bm_linear(benchmark::State& state, std::size_t M, std::size_t N, std::size_t K, std::size_t threads)
    {
        const auto& w = weights<Block>(N, K);
        const auto x = normal_floats(M * K, 11);
        std::vector<float> y(M * N);
        joule::linear_options opts;
        opts.executor = executor_for(threads);
        const joule::qmatrix_view<const Block> W(w.data(), N, K);
        for (auto _ : state)
        {
            joule::linear(joule::matrix_view<const float>(x.data(), M, K), W, joule::matrix_view<float>(y.data(), M, N),
                          opts);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        const double weight_bytes = double(w.size() * sizeof(Block));
        joule_bench::report(state, {2.0 * double(M) * double(N) * double(K), weight_bytes,
                                    M == 1 ? joule_bench::bound::memory_read : joule_bench::bound::compute_int8});
    }

#if defined(JOULE_BENCH_HAVE_GGML)
    const bool ggml_ready = [] {
        ggml_cpu_init();
        return true;
    }();

    template <class Block, ggml_type Type>
    void bm_ggml_linear(benchmark::State& state, std::size_t M, std::size_t N, std::size_t K, std::size_t threads)
    {
        const auto& w = weights<Block>(N, K); // ggml's bytes: joule's quantize is byte-exact
        const auto x = normal_floats(M * K, 11);
        std::vector<float> y(M * N);
        const auto* traits = ggml_get_type_traits_cpu(Type);
        const auto from_float = ggml_get_type_traits_cpu(traits->vec_dot_type)->from_float;
        const std::size_t a_row = ggml_row_size(traits->vec_dot_type, static_cast<std::int64_t>(K));
        std::vector<unsigned char> a(M * a_row);
        const std::size_t w_row = K / Block::block_size;
        const auto executor = executor_for(threads);
        const std::size_t tasks = threads > 1 ? 2 * threads : 1;
        const std::size_t per_task = (N + tasks - 1) / tasks;
        for (auto _ : state)
        {
            for (std::size_t m = 0; m < M; ++m)
                from_float(x.data() + m * K, a.data() + m * a_row, static_cast<std::int64_t>(K));
            auto task = [&](std::size_t t) {
                const std::size_t n1 = std::min(N, (t + 1) * per_task);
                for (std::size_t m = 0; m < M; ++m)
                    for (std::size_t n = t * per_task; n < n1; ++n)
                        traits->vec_dot(static_cast<int>(K), &y[m * N + n], 0, w.data() + n * w_row, 0,
                                        a.data() + m * a_row, 0, 1);
            };
            executor.run(tasks, task);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {2.0 * double(M) * double(N) * double(K), double(w.size() * sizeof(Block)),
                                    M == 1 ? joule_bench::bound::memory_read : joule_bench::bound::compute_int8});
    }
#endif

    /// Registers <kernel>/<impl>/<M>x<N>x<K>/threads:<T> for every shape of the file's header.
    template <class F>
    void register_shapes(const char* kernel, const char* impl, F fn, bool decode_only)
    {
        // single thread, and all cores where there is more than one
        const auto all = static_cast<std::int64_t>(joule_bench::all_cores());
        std::vector<std::int64_t> counts = {1};
        if (all > 1)
            counts.push_back(all);
        std::vector<std::array<std::int64_t, 4>> shapes;
        for (std::int64_t n : {4096, 14336})
            for (std::int64_t t : counts)
                shapes.push_back({1, n, 4096, t});
        if (!decode_only)
        {
            for (std::int64_t m : {16, 512})
                for (std::int64_t n : {4096, 14336})
                    shapes.push_back({m, n, 4096, 1});
            if (all > 1)
                shapes.push_back({16, 14336, 4096, all});
        }
        for (const auto& s : shapes)
        {
            const std::string name = std::string(kernel) + "/" + impl + "/" + std::to_string(s[0]) + "x" +
                                     std::to_string(s[1]) + "x" + std::to_string(s[2]) + "/threads:" + std::to_string(s[3]);
            benchmark::RegisterBenchmark(name.c_str(), [fn, s](benchmark::State& state) {
                fn(state, std::size_t(s[0]), std::size_t(s[1]), std::size_t(s[2]), std::size_t(s[3]));
            })->UseRealTime();
        }
    }

    int register_quant_linear_benchmarks()
    {
        register_shapes("linear_q4_0", "joule", bm_linear<joule::block_q4_0>, false);
        register_shapes("linear_q8_0", "joule", bm_linear<joule::block_q8_0>, false);
        register_shapes("linear_q4_K", "joule", bm_linear<joule::block_q4_K>, false);
#if defined(JOULE_BENCH_HAVE_GGML)
        register_shapes("linear_q4_0", "ggml", bm_ggml_linear<joule::block_q4_0, GGML_TYPE_Q4_0>, true);
        register_shapes("linear_q8_0", "ggml", bm_ggml_linear<joule::block_q8_0, GGML_TYPE_Q8_0>, true);
        register_shapes("linear_q4_K", "ggml", bm_ggml_linear<joule::block_q4_K, GGML_TYPE_Q4_K>, true);
#endif
        return 0;
    }
} // namespace

// Short run: decoding at the DRAM-sized shape on one thread and all cores beside ggml, and M = 16.
JOULE_BENCH_SHORT("^linear_(q4_0|q8_0|q4_K)/(joule|ggml)/1x14336x4096/threads:[0-9]+$");
JOULE_BENCH_SHORT("^linear_q4_0/joule/16x4096x4096/threads:1");

static const int quant_linear_registered [[maybe_unused]] = register_quant_linear_benchmarks();
