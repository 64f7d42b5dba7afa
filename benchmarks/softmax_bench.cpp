// Benchmarks for joule/softmax.hpp, side by side with the peers in one binary:
//   softmax/{joule,onednn,std}/<n>/threads:<T>   n = 128, 1024, 4096 (in cache), 1e6, 1.6e7
//   log_softmax/{joule,onednn}/<n>/threads:1     n = 4096, 1.6e7
//   exp/{joule,xsimd,std}/4096/threads:1
//   softmax_3pass/joule/<n>, softmax_2pass/joule/<n> (--full only): both kernels at every size
//     from 4 Ki to 16 Mi elements, the measurement behind the crossover (detail/softmax/softmax_row.hpp)
//
// Rows of 128 .. 4096 run as a batch of rows totalling 65536 elements (256 KiB in, 256 KiB out:
// in L2 of one core), split across threads by rows; 1e6 and 1.6e7 are single rows (joule splits
// a long row in chunks across threads; oneDNN parallelizes over rows only; the std loop runs
// single-threaded only).
//
// Every benchmark reports 12 bytes per element (read twice, written once) against the triad
// bandwidth the suite measures (bound::memory_triad), and in cache also elem_per_cycle: elements
// per second per thread over the core clock, which this file measures with a chain of dependent
// integer adds (one per cycle) in thread CPU time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <time.h>
#include <vector>

#include <benchmark/benchmark.h>

#include <joule/softmax.hpp>

#include "support/report.hpp"
#include "support/threads.hpp"

#if defined(JOULE_BENCH_HAVE_ONEDNN)
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>
#endif

namespace
{
    constexpr std::size_t in_cache_total = 65536; ///< elements per batch of short rows
    constexpr std::size_t in_cache_max_row = 4096;

    bool in_cache(std::size_t n)
    {
        return n <= in_cache_max_row;
    }
    std::size_t rows_for(std::size_t n)
    {
        return in_cache(n) ? in_cache_total / n : 1;
    }

    using joule_bench::all_cores;
    using joule_bench::pool;

    // ---- machine figures, measured in this run ----------------------------------------------------
    /// Seconds of CPU time this thread has used (the clock measurement must not count time the
    /// thread spent descheduled on a shared machine).
    double thread_cpu_seconds()
    {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    }

    /// The core clock: a chain of 10 dependent adds per loop iteration runs at one add per cycle,
    /// timed in thread CPU time; the median of 9 runs of 40M adds.
    double clock_hz()
    {
        static const double hz = []
        {
#if defined(__x86_64__) || defined(__aarch64__)
            auto chain = [](std::uint64_t iterations)
            {
                std::uint64_t x = 0;
                for (std::uint64_t i = 0; i < iterations; ++i)
                {
#if defined(__x86_64__)
                    asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                                 "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                                 : "+r"(x));
#else
                    asm volatile("add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                                 "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                                 "add %0, %0, #1\n\tadd %0, %0, #1"
                                 : "+r"(x));
#endif
                }
                return x;
            };
            constexpr std::uint64_t iterations = 4000000;
            std::vector<double> rates;
            for (int rep = 0; rep < 9; ++rep)
            {
                const double t0 = thread_cpu_seconds();
                benchmark::DoNotOptimize(chain(iterations));
                rates.push_back(10.0 * double(iterations) / (thread_cpu_seconds() - t0));
            }
            std::sort(rates.begin(), rates.end());
            return rates[rates.size() / 2];
#else
            return 0.0;
#endif
        }();
        return hz;
    }

    // ---- inputs ----------------------------------------------------------------------------------
    /// Logit-like values in [-12, 12], deterministic.
    std::vector<float> logits(std::size_t count)
    {
        std::vector<float> x(count);
        std::uint32_t s = 12345;
        for (float& v : x)
        {
            s = s * 1664525u + 1013904223u;
            v = static_cast<float>(s >> 8) * (24.0f / 16777216.0f) - 12.0f;
        }
        return x;
    }

    struct softmax_data
    {
        std::size_t rows, n;
        std::vector<float> x, y;
        explicit softmax_data(std::size_t n_)
            : rows(rows_for(n_))
            , n(n_)
            , x(logits(rows * n))
            , y(rows * n, 0.0f)
        {
        }
    };

    void report_softmax(benchmark::State& state, std::size_t n, std::size_t rows, std::size_t threads)
    {
        const double elements = double(n) * double(rows);
        joule_bench::report(state, {0, 12.0 * elements, joule_bench::bound::memory_triad});
        state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * elements));
        const double iterations = static_cast<double>(state.iterations());
        if (in_cache(n) && clock_hz() > 0)
            state.counters["elem_per_cycle"] =
              benchmark::Counter(elements * iterations / (clock_hz() * double(threads)), benchmark::Counter::kIsRate);
    }

    // ---- joule -------------------------------------------------------------------------------------
    void bm_joule(benchmark::State& state, std::size_t n, std::size_t threads, bool log)
    {
        softmax_data d(n);
        joule::softmax_options o;
        if (threads > 1)
            o.executor = pool(threads);
        const joule::matrix_view<const float> X(d.x.data(), d.rows, n);
        const joule::matrix_view<float> Y(d.y.data(), d.rows, n);
        for (auto _ : state)
        {
            if (log)
                joule::log_softmax(X, Y, o);
            else
                joule::softmax(X, Y, o);
            benchmark::DoNotOptimize(d.y.data());
            benchmark::ClobberMemory();
        }
        report_softmax(state, n, d.rows, threads);
    }

    // ---- a plain three-pass loop calling std::exp ----------------------------------------------
    void std_softmax_row(const float* x, float* y, std::size_t n)
    {
        float m = x[0];
        for (std::size_t i = 1; i < n; ++i)
            m = std::max(m, x[i]);
        float sum = 0;
        for (std::size_t i = 0; i < n; ++i)
        {
            y[i] = std::exp(x[i] - m);
            sum += y[i];
        }
        const float inverse = 1.0f / sum;
        for (std::size_t i = 0; i < n; ++i)
            y[i] *= inverse;
    }

    void bm_std(benchmark::State& state, std::size_t n, std::size_t threads)
    {
        softmax_data d(n);
        const std::size_t tasks = std::min(d.rows, threads);
        auto task = [&](std::size_t t)
        {
            for (std::size_t r = d.rows * t / tasks; r < d.rows * (t + 1) / tasks; ++r)
                std_softmax_row(d.x.data() + r * n, d.y.data() + r * n, n);
        };
        for (auto _ : state)
        {
            pool(threads).run(tasks, task);
            benchmark::DoNotOptimize(d.y.data());
            benchmark::ClobberMemory();
        }
        report_softmax(state, n, d.rows, threads);
    }

#if defined(JOULE_BENCH_HAVE_ONEDNN)
    // ---- oneDNN ------------------------------------------------------------------------------------
    void bm_onednn(benchmark::State& state, std::size_t n, std::size_t threads, bool log)
    {
        softmax_data d(n);
        omp_set_num_threads(static_cast<int>(threads));
        dnnl::engine engine(dnnl::engine::kind::cpu, 0);
        dnnl::stream stream(engine);
        const dnnl::memory::desc md({static_cast<dnnl::memory::dim>(d.rows), static_cast<dnnl::memory::dim>(n)},
                                    dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::ab);
        dnnl::memory src(md, engine, d.x.data()), dst(md, engine, d.y.data());
        dnnl::primitive prim;
        std::string impl;
        if (log)
        {
            const dnnl::logsoftmax_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, md, 1}, engine);
            prim = dnnl::logsoftmax_forward(pd);
            impl = pd.impl_info_str();
        }
        else
        {
            const dnnl::softmax_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, md, 1}, engine);
            prim = dnnl::softmax_forward(pd);
            impl = pd.impl_info_str();
        }
        for (auto _ : state)
        {
            prim.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
            stream.wait();
            benchmark::DoNotOptimize(d.y.data());
            benchmark::ClobberMemory();
        }
        state.SetLabel(impl);
        report_softmax(state, n, d.rows, threads);
        omp_set_num_threads(static_cast<int>(all_cores()));
    }
#endif

    // ---- exp -----------------------------------------------------------------------------------------
    enum class exp_impl
    {
        joule,
        xsimd,
        std_loop
    };

    void bm_exp(benchmark::State& state, exp_impl impl)
    {
        constexpr std::size_t n = 4096;
        auto x = logits(n);
        for (float& v : x)
            v *= 7.0f; // [-84, 84]
        std::vector<float> y(n);
        for (auto _ : state)
        {
            if (impl == exp_impl::joule)
                joule::exp(x.data(), y.data(), n);
#if !JOULE_SIMD_SCALAR_ONLY
            else if (impl == exp_impl::xsimd)
            {
                using batch = xsimd::batch<float>;
                for (std::size_t i = 0; i < n; i += batch::size)
                    xsimd::exp(batch::load_unaligned(x.data() + i)).store_unaligned(y.data() + i);
            }
#endif
            else
                for (std::size_t i = 0; i < n; ++i)
                    y[i] = std::exp(x[i]);
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
        joule_bench::report(state, {0, 8.0 * n, joule_bench::bound::none});
        if (clock_hz() > 0)
            state.counters["elem_per_cycle"] =
              benchmark::Counter(double(n) * double(state.iterations()) / clock_hz(), benchmark::Counter::kIsRate);
    }

    // ---- the three-pass / two-pass crossover -----------------------------------------------------
    void bm_kernel(benchmark::State& state, std::size_t n, bool two_pass)
    {
        using A = joule::simd::native_arch;
        const auto x = logits(n);
        std::vector<float> y(n);
        const joule::detail::row_options o;
        const joule::executor_ref sequential;
        for (auto _ : state)
        {
            if (two_pass)
                joule::detail::two_pass_row<A, float, false, false>(x.data(), y.data(), n, o, sequential);
            else
                joule::detail::three_pass_row<A, float, false, false>(
                  x.data(), y.data(), n, o, joule::detail::row_max<A>(x.data(), n));
            benchmark::DoNotOptimize(y.data());
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
        joule_bench::report(state, {0, 12.0 * double(n), joule_bench::bound::memory_triad});
    }

    std::string size_name(std::size_t n)
    {
        return n == 1000000 ? "1000000" : n == 16000000 ? "16000000" : std::to_string(n);
    }

    int register_softmax_benchmarks()
    {
        const std::size_t many = all_cores();
        std::vector<std::size_t> thread_counts = {1};
        if (many > 1)
            thread_counts.push_back(many);
        for (std::size_t n :
             {std::size_t(128), std::size_t(1024), std::size_t(4096), std::size_t(1000000), std::size_t(16000000)})
        {
            for (std::size_t threads : thread_counts)
            {
                const std::string shape = size_name(n) + "/threads:" + std::to_string(threads);
                benchmark::RegisterBenchmark(("softmax/joule/" + shape).c_str(), bm_joule, n, threads, false)
                  ->UseRealTime();
#if defined(JOULE_BENCH_HAVE_ONEDNN)
                benchmark::RegisterBenchmark(("softmax/onednn/" + shape).c_str(), bm_onednn, n, threads, false)
                  ->UseRealTime();
#endif
                if (threads == 1 || in_cache(n))
                    benchmark::RegisterBenchmark(("softmax/std/" + shape).c_str(), bm_std, n, threads)->UseRealTime();
            }
        }
        for (std::size_t n : {std::size_t(4096), std::size_t(16000000)})
        {
            const std::string shape = size_name(n) + "/threads:1";
            benchmark::RegisterBenchmark(("log_softmax/joule/" + shape).c_str(), bm_joule, n, std::size_t(1), true)
              ->UseRealTime();
#if defined(JOULE_BENCH_HAVE_ONEDNN)
            benchmark::RegisterBenchmark(("log_softmax/onednn/" + shape).c_str(), bm_onednn, n, std::size_t(1), true)
              ->UseRealTime();
#endif
        }
        benchmark::RegisterBenchmark("exp/joule/4096/threads:1", bm_exp, exp_impl::joule)->UseRealTime();
#if !JOULE_SIMD_SCALAR_ONLY
        benchmark::RegisterBenchmark("exp/xsimd/4096/threads:1", bm_exp, exp_impl::xsimd)->UseRealTime();
#endif
        benchmark::RegisterBenchmark("exp/std/4096/threads:1", bm_exp, exp_impl::std_loop)->UseRealTime();
        const char* full = std::getenv("JOULE_BENCH_FULL");
        for (std::size_t n = std::size_t(1) << 12; full && full[0] == '1' && n <= (std::size_t(1) << 24); n *= 2)
        {
            for (bool two : {false, true})
                benchmark::RegisterBenchmark(
                  ((two ? "softmax_2pass/joule/" : "softmax_3pass/joule/") + std::to_string(n) + "/threads:1").c_str(),
                  bm_kernel,
                  n,
                  two)
                  ->UseRealTime();
        }
        return 0;
    }

    const int registered = register_softmax_benchmarks();
} // namespace

JOULE_BENCH_SHORT("^softmax/(joule|onednn|std)/(128|4096|16000000)/threads:1$");
JOULE_BENCH_SHORT("^exp/");
