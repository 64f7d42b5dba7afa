// Benchmarks for joule/int8_gemm.hpp: the integer matmul (uint8 A with a zero point, int8 B with
// a zero point, int32 C) in GOP/s (2 * M * N * K), against joule's own f32 GEMM on the same
// shape in the same run. The f32 rows are named impl "f32gemm" (not "joule_...") so that the
// table's "joule/best peer" column shows the int8 speed-up over joule's f32 matmul.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/int8_gemm.hpp>
#include <joule/matmul.hpp>

#include "support/report.hpp"

namespace
{
    void bm_int8_gemm(benchmark::State& state, std::size_t M, std::size_t N, std::size_t K)
    {
        std::mt19937 rng(1);
        std::vector<std::uint8_t> a(M * K);
        std::vector<std::int8_t> b(K * N);
        for (auto& v : a)
            v = static_cast<std::uint8_t>(rng());
        for (auto& v : b)
            v = static_cast<std::int8_t>(rng());
        std::vector<std::int32_t> c(M * N);
        joule::int8_gemm_options opts;
        opts.a_zero_point = 128;
        opts.b_zero_point = 1;
        for (auto _ : state)
        {
            joule::matmul(joule::matrix_view<const std::uint8_t>(a.data(), M, K),
                          joule::matrix_view<const std::int8_t>(b.data(), K, N), joule::matrix_view<std::int32_t>(c.data(), M, N),
                          opts);
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {2.0 * double(M) * double(N) * double(K), double(M * K + K * N + 4 * M * N),
                                    joule_bench::bound::compute_int8});
    }

    void bm_f32_gemm(benchmark::State& state, std::size_t M, std::size_t N, std::size_t K)
    {
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> a(M * K), b(K * N), c(M * N);
        for (auto& v : a)
            v = u(rng);
        for (auto& v : b)
            v = u(rng);
        for (auto _ : state)
        {
            joule::matmul(joule::matrix_view<const float>(a.data(), M, K), joule::matrix_view<const float>(b.data(), K, N),
                          joule::matrix_view<float>(c.data(), M, N));
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, {2.0 * double(M) * double(N) * double(K), 4.0 * double(M * K + K * N + M * N),
                                    joule_bench::bound::compute_f32});
    }

    int register_int8_gemm_benchmarks()
    {
        for (std::size_t n : {256, 512, 1024})
        {
            const std::string shape = std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n);
            benchmark::RegisterBenchmark(("int8_gemm/joule/" + shape + "/threads:1").c_str(),
                                         [n](benchmark::State& s) { bm_int8_gemm(s, n, n, n); })
                ->UseRealTime();
            benchmark::RegisterBenchmark(("int8_gemm/f32gemm/" + shape + "/threads:1").c_str(),
                                         [n](benchmark::State& s) { bm_f32_gemm(s, n, n, n); })
                ->UseRealTime();
        }
        return 0;
    }
} // namespace

JOULE_BENCH_SHORT("^int8_gemm/(joule|f32gemm)/512x512x512/threads:1");

static const int int8_gemm_registered [[maybe_unused]] = register_int8_gemm_benchmarks();
