// Benchmarks for joule/matmul.hpp beside OpenBLAS, BLIS and Eigen, in one binary and run.
//
//   sgemm/<impl>/<n>x<n>x<n>/threads:<T>           square f32 GEMM (GFLOP/s, % of FMA peak)
//   linear_f32/<impl>/M<m>_N<n>_K<k>/threads:<T>   Y = X * W^T, W N x K, LLM shapes; joule with
//                                                  W packed once (pack(W.t())), peers with W as is
//   linear_f16/joule/..., linear_bf16/joule/...    the same with 16-bit weights
//
// GEMM rows are bound by the FMA peak, M = 1 rows by read bandwidth: the suite reports % of the
// machine limit it measured at start-up.
//
// Peers are loaded at run time with dlopen(RTLD_LOCAL) from the paths CMake found, so that
// OpenBLAS's and BLIS's identically named BLAS/CBLAS symbols can never shadow each other, and
// each is checked to be the library it claims (openblas_get_config(), bli_info_get_version_str(),
// and dladdr() of the very function called). Their thread counts are set explicitly before
// every benchmark (openblas_set_num_threads, bli_thread_set_num_threads); Eigen is built
// without OpenMP here, so it is single-threaded and only has threads:1 rows. At M = 1 the
// OpenBLAS row calls cblas_sgemv, which is what an engine would call for one token.
//
// Thread counts: 1, and all cores (std::thread::hardware_concurrency()); 1024^3 also has a
// 2-thread row (the 2-thread scaling goal), the same row as all cores on a 2-core
// machine. Every LLM shape has a single-thread and an all-cores row for joule and OpenBLAS.
//
// The short run (JOULE_BENCH_SHORT below) holds one in-cache and one out-of-cache square size
// per peer, 2 threads at 1024^3 and the single-thread decode shapes M = 1 and 16; --full runs
// every row registered here (the all-cores rows included), and JOULE_BENCH_FULL=1 (set by
// `joule-bench --full`) registers 2048^3, multi-thread rows for every size and the remaining
// LLM shapes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/arch.hpp>
#include <joule/matmul.hpp>

#include "support/report.hpp"
#include "support/threads.hpp"

#if defined(JOULE_BENCH_OPENBLAS_PATH) || defined(JOULE_BENCH_BLIS_PATH)
#include <dlfcn.h>
#endif
#if defined(JOULE_BENCH_BLIS_PATH)
#include <blis.h>
#endif
#if defined(JOULE_BENCH_EIGEN)
#include <Eigen/Core>
#endif

namespace
{
    /// Runs the timing loop, then reports the work of one iteration.
    template <class Run, class Out>
    void time_and_report(benchmark::State& state, Run& run, Out* out, const joule_bench::work& w)
    {
        for (auto _ : state)
        {
            run();
            benchmark::DoNotOptimize(out);
            benchmark::ClobberMemory();
        }
        joule_bench::report(state, w);
    }

    joule::thread_pool& pool_of(int threads)
    {
        return joule_bench::pool(static_cast<std::size_t>(threads < 1 ? 1 : threads));
    }

    /// The multi-thread counts of the rows: 2 (the scaling goal) where asked, and all
    /// cores; without duplicates and without 1.
    std::vector<int> multi_thread_counts(bool with_two)
    {
        std::vector<int> counts;
        const int all = static_cast<int>(joule_bench::all_cores());
        if (with_two)
            counts.push_back(2);
        if (all > 1 && std::find(counts.begin(), counts.end(), all) == counts.end())
            counts.push_back(all);
        return counts;
    }

    std::vector<float> random_floats(std::size_t n, unsigned seed)
    {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        std::vector<float> v(n);
        for (auto& x : v)
            x = d(rng);
        return v;
    }

    // ---- peers, loaded with dlopen ----------------------------------------------------------------
    /// Is `fn` defined in a shared object whose path contains `needle`?
    [[maybe_unused]] bool defined_in(const void* fn, const char* needle, std::string& where)
    {
#if defined(JOULE_BENCH_OPENBLAS_PATH) || defined(JOULE_BENCH_BLIS_PATH)
        Dl_info info{};
        if (!dladdr(fn, &info) || !info.dli_fname)
            return false;
        where = info.dli_fname;
        return where.find(needle) != std::string::npos;
#else
        (void)fn, (void)needle, (void)where;
        return false;
#endif
    }

    struct openblas_lib
    {
        // CBLAS with 32-bit integers (Debian's libopenblas0): enums as int.
        using sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                                  float*, int);
        using sgemv_fn = void (*)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
        sgemm_fn sgemm = nullptr;
        sgemv_fn sgemv = nullptr;
        void (*set_threads)(int) = nullptr;
        std::string kernels; ///< openblas_get_corename(): the kernel set DYNAMIC_ARCH chose (or OPENBLAS_CORETYPE forced)
        std::string error = "OpenBLAS was not found when joule-bench was configured";

        static const openblas_lib& get()
        {
            static const openblas_lib lib = [] {
                openblas_lib l;
#if defined(JOULE_BENCH_OPENBLAS_PATH)
                void* h = dlopen(JOULE_BENCH_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
                if (!h)
                    return l.error = std::string("dlopen ") + JOULE_BENCH_OPENBLAS_PATH + " failed", l;
                auto config = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_config"));
                l.sgemm = reinterpret_cast<sgemm_fn>(dlsym(h, "cblas_sgemm"));
                l.sgemv = reinterpret_cast<sgemv_fn>(dlsym(h, "cblas_sgemv"));
                l.set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
                if (auto core = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename")))
                    l.kernels = core();
                std::string where;
                if (!config || !std::strstr(config(), "OpenBLAS") || !l.sgemm || !l.sgemv || !l.set_threads ||
                    !defined_in(reinterpret_cast<void*>(l.sgemm), "openblas", where))
                    return l.error = "the library at " JOULE_BENCH_OPENBLAS_PATH " is not OpenBLAS (" + where + ")",
                           l.sgemm = nullptr, l;
                l.error.clear();
#endif
                return l;
            }();
            return lib;
        }
    };

    struct blis_lib
    {
#if defined(JOULE_BENCH_BLIS_PATH)
        decltype(&::bli_sgemm) sgemm = nullptr;
        decltype(&::bli_thread_set_num_threads) set_threads = nullptr;
#endif
        std::string kernels; ///< bli_arch_string(bli_arch_query_id()): the configuration chosen at run time
        std::string error = "BLIS was not found when joule-bench was configured";

        static const blis_lib& get()
        {
            static const blis_lib lib = [] {
                blis_lib l;
#if defined(JOULE_BENCH_BLIS_PATH)
                void* h = dlopen(JOULE_BENCH_BLIS_PATH, RTLD_NOW | RTLD_LOCAL);
                if (!h)
                    return l.error = std::string("dlopen ") + JOULE_BENCH_BLIS_PATH + " failed", l;
                auto version = reinterpret_cast<decltype(&::bli_info_get_version_str)>(dlsym(h, "bli_info_get_version_str"));
                l.sgemm = reinterpret_cast<decltype(&::bli_sgemm)>(dlsym(h, "bli_sgemm"));
                l.set_threads = reinterpret_cast<decltype(&::bli_thread_set_num_threads)>(
                    dlsym(h, "bli_thread_set_num_threads"));
                auto arch_id = reinterpret_cast<decltype(&::bli_arch_query_id)>(dlsym(h, "bli_arch_query_id"));
                auto arch_name = reinterpret_cast<decltype(&::bli_arch_string)>(dlsym(h, "bli_arch_string"));
                if (arch_id && arch_name)
                    l.kernels = arch_name(arch_id());
                std::string where;
                if (!version || !version() || !l.sgemm || !l.set_threads ||
                    !defined_in(reinterpret_cast<void*>(l.sgemm), "blis", where))
                    return l.error = "the library at " JOULE_BENCH_BLIS_PATH " is not BLIS (" + where + ")",
                           l.sgemm = nullptr, l;
                l.error.clear();
#endif
                return l;
            }();
            return lib;
        }
    };

#if defined(JOULE_BENCH_EIGEN)
    /// The widest instruction set Eigen's products were compiled with (its own
    /// SimdInstructionSetsInUse() says "AVX" for AVX2 + FMA builds).
    const char* eigen_isa()
    {
#if defined(EIGEN_VECTORIZE_AVX512)
        return "Eigen AVX512";
#elif defined(EIGEN_VECTORIZE_AVX2) && defined(EIGEN_VECTORIZE_FMA)
        return "Eigen AVX2+FMA";
#elif defined(EIGEN_VECTORIZE_AVX)
        return "Eigen AVX";
#elif defined(EIGEN_VECTORIZE_NEON)
        return "Eigen NEON";
#elif defined(EIGEN_VECTORIZE_SSE2)
        return "Eigen SSE2";
#else
        return "Eigen scalar";
#endif
    }
#endif

    // ---- square sgemm ----------------------------------------------------------------------------
    enum class impl
    {
        joule,
        openblas,
        blis,
        eigen
    };

    void bm_sgemm(benchmark::State& state, impl who, std::size_t n, int threads)
    {
        const auto a = random_floats(n * n, 1), b = random_floats(n * n, 2);
        std::vector<float> c(n * n, 0.0f);
        const int in = static_cast<int>(n);
        std::function<void()> run;
        if (who == impl::joule)
        {
            joule::gemm_options opt;
            opt.executor = pool_of(threads);
            run = [&, opt] {
                joule::matmul(joule::matrix_view<const float>(a.data(), n, n), joule::matrix_view<const float>(b.data(), n, n),
                              joule::matrix_view<float>(c.data(), n, n), opt);
            };
            state.SetLabel(joule::compiled_arch().isa);
        }
        else if (who == impl::openblas)
        {
            const auto& lib = openblas_lib::get();
            if (!lib.sgemm)
                return state.SkipWithError(lib.error.c_str());
            lib.set_threads(threads);
            state.SetLabel(lib.kernels);
            run = [&] { lib.sgemm(101, 111, 111, in, in, in, 1.0f, a.data(), in, b.data(), in, 0.0f, c.data(), in); };
        }
        else if (who == impl::blis)
        {
#if defined(JOULE_BENCH_BLIS_PATH)
            const auto& lib = blis_lib::get();
            if (!lib.sgemm)
                return state.SkipWithError(lib.error.c_str());
            lib.set_threads(threads);
            state.SetLabel(lib.kernels);
            run = [&] {
                float one = 1.0f, zero = 0.0f;
                const dim_t d = static_cast<dim_t>(n);
                lib.sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, d, d, d, &one, const_cast<float*>(a.data()), d, 1,
                          const_cast<float*>(b.data()), d, 1, &zero, c.data(), d, 1);
            };
#else
            return state.SkipWithError(blis_lib::get().error.c_str());
#endif
        }
        else
        {
#if defined(JOULE_BENCH_EIGEN)
            using rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
            run = [&] {
                Eigen::Map<const rm> A(a.data(), in, in), B(b.data(), in, in);
                Eigen::Map<rm> C(c.data(), in, in);
                C.noalias() = A * B;
            };
            state.SetLabel(eigen_isa());
#else
            return state.SkipWithError("Eigen was not found when joule-bench was configured");
#endif
        }
        run(); // warm: pools, scratch, peers' first-call setup
        const double nn = double(n);
        time_and_report(state, run, c.data(), {2 * nn * nn * nn, 3 * nn * nn * 4, joule_bench::bound::compute_f32});
    }

    // ---- LLM-shaped linear layers ------------------------------------------------------------------
    /// The weights of one shape, built once and kept for every benchmark of that shape
    /// (building them costs more than the benchmark, and random interleaving revisits shapes).
    template <class T>
    struct weights
    {
        std::vector<float> w;           // N x K row-major, float weights only (the peers' input)
        joule::packed_matrix<T> packed; // pack(W^T)

        static const weights& get(std::size_t n, std::size_t k)
        {
            static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<weights>> cache;
            auto& slot = cache[{n, k}];
            if (!slot)
            {
                slot = std::make_unique<weights>();
                auto f = random_floats(n * k, 3);
                std::vector<T> wt(n * k);
                for (std::size_t i = 0; i < f.size(); ++i)
                    wt[i] = T(f[i] * 0.05f);
                slot->packed = joule::pack(joule::matrix_view<const T>(wt.data(), n, k).t());
                if constexpr (std::is_same<T, float>::value)
                    slot->w = std::move(wt);
            }
            return *slot;
        }
    };

    template <class T>
    void bm_linear(benchmark::State& state, impl who, std::size_t M, std::size_t N, std::size_t K, int threads)
    {
        const auto x = random_floats(M * K, 4);
        std::vector<float> y(M * N, 0.0f);
        std::function<void()> run;
        if (who == impl::joule)
        {
            const auto& wt = weights<T>::get(N, K);
            joule::linear_options opt;
            opt.executor = pool_of(threads);
            run = [&, opt] {
                joule::linear(joule::matrix_view<const float>(x.data(), M, K), wt.packed,
                              joule::matrix_view<float>(y.data(), M, N), opt);
            };
        }
        else
        {
            const auto& lib = openblas_lib::get();
            if (!lib.sgemm)
                return state.SkipWithError(lib.error.c_str());
            lib.set_threads(threads);
            const auto& wt = weights<float>::get(N, K);
            const int m = int(M), n = int(N), k = int(K);
            if (M == 1) // y = W x: CblasRowMajor, CblasNoTrans
                run = [&, n, k] { lib.sgemv(101, 111, n, k, 1.0f, wt.w.data(), k, x.data(), 1, 0.0f, y.data(), 1); };
            else // Y = X W^T: CblasRowMajor, CblasNoTrans, CblasTrans
                run = [&, m, n, k] {
                    lib.sgemm(101, 111, 112, m, n, k, 1.0f, x.data(), k, wt.w.data(), k, 0.0f, y.data(), n);
                };
        }
        run();
        const double flops = 2.0 * double(M) * double(N) * double(K);
        const double bytes = double(N) * double(K) * sizeof(T) + double(M) * double(K + N) * 4;
        time_and_report(state, run, y.data(),
                        {flops, bytes, M == 1 ? joule_bench::bound::memory_read : joule_bench::bound::compute_f32});
    }

    const char* impl_name(impl who)
    {
        switch (who)
        {
        case impl::joule: return "joule";
        case impl::openblas: return "openblas";
        case impl::blis: return "blis";
        default: return "eigen";
        }
    }

    void add_sgemm(impl who, std::size_t n, int threads)
    {
        const std::string name = std::string("sgemm/") + impl_name(who) + "/" + std::to_string(n) + "x" +
                                 std::to_string(n) + "x" + std::to_string(n) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { bm_sgemm(s, who, n, threads); })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }

    template <class T>
    void add_linear(const char* kernel, impl who, std::size_t M, std::size_t N, std::size_t K, int threads)
    {
        const std::string name = std::string(kernel) + "/" + impl_name(who) + "/M" + std::to_string(M) + "_N" +
                                 std::to_string(N) + "_K" + std::to_string(K) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { bm_linear<T>(s, who, M, N, K, threads); })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }

    int register_matmul_benchmarks()
    {
        const char* env = std::getenv("JOULE_BENCH_FULL");
        const bool full = env && std::string(env) == "1";

        std::vector<std::size_t> sizes = {64, 128, 256, 512, 1024};
        if (full)
            sizes.push_back(2048);
        for (std::size_t n : sizes)
            for (impl who : {impl::joule, impl::openblas, impl::blis, impl::eigen})
                add_sgemm(who, n, 1);
        for (std::size_t n : sizes)
            if (full || n == 1024)
                for (int threads : multi_thread_counts(true))
                    for (impl who : {impl::joule, impl::openblas, impl::blis})
                        add_sgemm(who, n, threads);

        const std::size_t K = 4096;
        for (std::size_t N : {std::size_t(4096), std::size_t(14336)})
        {
            for (std::size_t M : {1, 4, 16, 64, 512})
            {
                if (!full && N == 14336 && M > 16)
                    continue;
                for (impl who : {impl::joule, impl::openblas})
                {
                    add_linear<float>("linear_f32", who, M, N, K, 1);
                    for (int threads : multi_thread_counts(false)) // all cores
                        add_linear<float>("linear_f32", who, M, N, K, threads);
                }
            }
            for (std::size_t M : {1, 4, 16, 64, 512})
                if (full || M == 1)
                {
                    add_linear<joule::f16>("linear_f16", impl::joule, M, N, K, 1);
                    add_linear<joule::bf16>("linear_bf16", impl::joule, M, N, K, 1);
                }
        }
        return 0;
    }

    const int registered = register_matmul_benchmarks();
} // namespace

JOULE_BENCH_SHORT("^sgemm/[a-z]+/(128x128x128|1024x1024x1024)/threads:1$");
JOULE_BENCH_SHORT("^sgemm/(joule|openblas)/1024x1024x1024/threads:2$");
JOULE_BENCH_SHORT("^linear_f32/[a-z]+/M(1|16)_N4096_K4096/threads:1$");
JOULE_BENCH_SHORT("^linear_b?f16/joule/M1_N4096_K4096/threads:1$");
