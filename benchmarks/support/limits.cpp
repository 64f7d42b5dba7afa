// Measures the machine limits (see limits.hpp): short, self-checking loops run on one core and
// on every core at once. Each figure is the best of a few windows, since the limit is what the
// machine can do, not what it did on average while something else ran.
#include "support/limits.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <sstream>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <benchmark/benchmark.h>

#include <joule/arch.hpp>
#include <joule/detail/huge_pages.hpp>
#include <joule/detail/simd/simd.hpp>

#include "support/json.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace joule_bench
{
    namespace
    {
        namespace simd = joule::simd;
        using A = simd::native_arch;
        using clock_type = std::chrono::steady_clock;

        double seconds_since(clock_type::time_point t0)
        {
            return std::chrono::duration<double>(clock_type::now() - t0).count();
        }

        /// Runs `body(iterations)` (which returns the operations it did) with enough iterations
        /// to last `window` seconds; returns the best rate of `tries` windows.
        double best_rate(const std::function<double(std::uint64_t)>& body, double window, int tries)
        {
            std::uint64_t n = 1024;
            for (;;) // calibrate
            {
                const auto t0 = clock_type::now();
                body(n);
                const double t = seconds_since(t0);
                if (t > window / 4 || n > (std::uint64_t(1) << 40))
                {
                    n = static_cast<std::uint64_t>(static_cast<double>(n) * window / std::max(t, 1e-9)) + 1;
                    break;
                }
                n *= 4;
            }
            double best = 0;
            for (int i = 0; i < tries; ++i)
            {
                const auto t0 = clock_type::now();
                const double ops = body(n);
                best = std::max(best, ops / seconds_since(t0));
            }
            return best;
        }

        /// Runs `body` on `threads` threads started together; rate = sum of operations / slowest time.
        double best_rate_all(const std::function<double(std::uint64_t, int)>& body, int threads, double window,
                             int tries)
        {
            // Calibrate on one thread, then run the same count on every thread.
            std::uint64_t n = 1024;
            for (;;)
            {
                const auto t0 = clock_type::now();
                body(n, 0);
                const double t = seconds_since(t0);
                if (t > window / 4 || n > (std::uint64_t(1) << 40))
                {
                    n = static_cast<std::uint64_t>(static_cast<double>(n) * window / std::max(t, 1e-9)) + 1;
                    break;
                }
                n *= 4;
            }
            double best = 0;
            for (int attempt = 0; attempt < tries; ++attempt)
            {
                std::atomic<int> ready{0};
                std::atomic<bool> go{false};
                std::vector<double> ops(static_cast<std::size_t>(threads)), secs(static_cast<std::size_t>(threads));
                std::vector<std::thread> pool;
                for (int t = 0; t < threads; ++t)
                    pool.emplace_back([&, t] {
                        ready.fetch_add(1);
                        while (!go.load())
                        {
                        }
                        const auto t0 = clock_type::now();
                        ops[static_cast<std::size_t>(t)] = body(n, t);
                        secs[static_cast<std::size_t>(t)] = seconds_since(t0);
                    });
                while (ready.load() < threads)
                {
                }
                go.store(true);
                for (auto& th : pool)
                    th.join();
                double total = 0, slowest = 0;
                for (int t = 0; t < threads; ++t)
                {
                    total += ops[static_cast<std::size_t>(t)];
                    slowest = std::max(slowest, secs[static_cast<std::size_t>(t)]);
                }
                best = std::max(best, total / slowest);
            }
            return best;
        }

        // ---- fp32 FMA peak: independent FMA chains, enough to cover latency x throughput ----
        // Written with intrinsics: the peak is the hardware's, whatever the SIMD layer maps fma to
        // (Debian's xsimd 8.1 has no AVX-512 fma and emits a multiply and an add).
        // Every start value is a fixed point of x*m + a in float (1.0f*0.9999999f + 1e-7f rounds
        // back to 1.0f), so with constants the compiler may run the loop at compile time and drop
        // it (GCC 12 does for the portable loop). The constants come through volatile reads.
        volatile float fma_m = 0.9999999f, fma_a = 1e-7f, fma_start = 1.0f;
#if defined(__AVX512F__)
        const char* const fma_method = "avx512 vfmadd (zmm) x 16 chains";
        double fma_loop(std::uint64_t iterations)
        {
            __m512 acc[16];
            for (int k = 0; k < 16; ++k)
                acc[k] = _mm512_set1_ps(fma_start + 0.001f * float(k));
            const __m512 m = _mm512_set1_ps(fma_m), a = _mm512_set1_ps(fma_a);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = _mm512_fmadd_ps(x, m, a);
            __m512 s = acc[0];
            for (int k = 1; k < 16; ++k)
                s = _mm512_add_ps(s, acc[k]);
            float r = _mm512_reduce_add_ps(s);
            benchmark::DoNotOptimize(r);
            return 2.0 * 16 * 16 * double(iterations);
        }
#elif defined(__FMA__) && defined(__AVX__)
        const char* const fma_method = "fma3 vfmadd (ymm) x 12 chains";
        double fma_loop(std::uint64_t iterations)
        {
            __m256 acc[12];
            for (int k = 0; k < 12; ++k)
                acc[k] = _mm256_set1_ps(fma_start + 0.001f * float(k));
            const __m256 m = _mm256_set1_ps(fma_m), a = _mm256_set1_ps(fma_a);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = _mm256_fmadd_ps(x, m, a);
            __m256 s = acc[0];
            for (int k = 1; k < 12; ++k)
                s = _mm256_add_ps(s, acc[k]);
            alignas(32) float lanes[8];
            _mm256_store_ps(lanes, s);
            benchmark::DoNotOptimize(lanes);
            return 2.0 * 8 * 12 * double(iterations);
        }
#elif defined(__aarch64__) && defined(__ARM_NEON)
        const char* const fma_method = "neon fmla (q) x 16 chains";
        double fma_loop(std::uint64_t iterations)
        {
            float32x4_t acc[16];
            for (int k = 0; k < 16; ++k)
                acc[k] = vdupq_n_f32(fma_start + 0.001f * float(k));
            const float32x4_t m = vdupq_n_f32(fma_m), a = vdupq_n_f32(fma_a);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = vfmaq_f32(a, x, m);
            float32x4_t s = acc[0];
            for (int k = 1; k < 16; ++k)
                s = vaddq_f32(s, acc[k]);
            float r = vaddvq_f32(s);
            benchmark::DoNotOptimize(r);
            return 2.0 * 4 * 16 * double(iterations);
        }
#else
        const char* const fma_method = "portable multiply-add x 8 chains (no FMA instruction assumed)";
        double fma_loop(std::uint64_t iterations)
        {
            using B = simd::batch<float>;
            B acc[8];
            for (std::size_t k = 0; k < 8; ++k)
                acc[k] = simd::splat<A>(fma_start + 0.001f * static_cast<float>(k));
            const B m = simd::splat<A>(fma_m), a = simd::splat<A>(fma_a);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (std::size_t k = 0; k < 8; ++k)
                    acc[k] = acc[k] * m + a;
            alignas(64) float lanes[simd::width<float>];
            B s = acc[0];
            for (std::size_t k = 1; k < 8; ++k)
                s = s + acc[k];
            simd::store_aligned(lanes, s);
            benchmark::DoNotOptimize(lanes);
            return 2.0 * double(simd::width<float>) * 8 * double(iterations);
        }
#endif

        // ---- int8 dot-product peak: the widest int8 multiply-accumulate the compiler targets ----
        template <class V>
        inline void opaque(V& v)
        {
#if defined(__GNUC__) && defined(__x86_64__)
            asm volatile("" : "+x"(v));
#elif defined(__GNUC__) && defined(__aarch64__)
            asm volatile("" : "+w"(v));
#else
            benchmark::DoNotOptimize(v);
#endif
        }

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
        const char* const int8_method = "avx512_vnni vpdpbusd (zmm)";
        double int8_loop(std::uint64_t iterations)
        {
            __m512i acc[16];
            for (auto& x : acc)
                x = _mm512_setzero_si512();
            const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = _mm512_dpbusd_epi32(x, a, b);
            __m512i s = acc[0];
            for (int k = 1; k < 16; ++k)
                s = _mm512_add_epi32(s, acc[k]);
            int r = _mm512_reduce_add_epi32(s);
            benchmark::DoNotOptimize(r);
            return 2.0 * 64 * 16 * double(iterations);
        }
#elif defined(__AVXVNNI__)
        const char* const int8_method = "avx_vnni vpdpbusd (ymm)";
        double int8_loop(std::uint64_t iterations)
        {
            __m256i acc[12];
            for (auto& x : acc)
                x = _mm256_setzero_si256();
            const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = _mm256_dpbusd_avx_epi32(x, a, b);
            __m256i s = acc[0];
            for (int k = 1; k < 12; ++k)
                s = _mm256_add_epi32(s, acc[k]);
            int r = _mm256_extract_epi32(s, 0);
            benchmark::DoNotOptimize(r);
            return 2.0 * 32 * 12 * double(iterations);
        }
#elif defined(__AVX2__)
        const char* const int8_method = "avx2 vpmaddubsw+vpmaddwd+vpaddd (ymm)";
        double int8_loop(std::uint64_t iterations)
        {
            __m256i acc[8];
            for (auto& x : acc)
                x = _mm256_setzero_si256();
            __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
            const __m256i ones = _mm256_set1_epi16(1);
            for (std::uint64_t i = 0; i < iterations; ++i)
            {
                opaque(a); // keeps the products inside the loop
                for (auto& x : acc)
                    x = _mm256_add_epi32(x, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
            }
            __m256i s = acc[0];
            for (int k = 1; k < 8; ++k)
                s = _mm256_add_epi32(s, acc[k]);
            int r = _mm256_extract_epi32(s, 0);
            benchmark::DoNotOptimize(r);
            return 2.0 * 32 * 8 * double(iterations);
        }
#elif defined(__ARM_FEATURE_DOTPROD)
        const char* const int8_method = "neon sdot";
        double int8_loop(std::uint64_t iterations)
        {
            int32x4_t acc[16];
            for (auto& x : acc)
                x = vdupq_n_s32(0);
            const int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(-2);
            for (std::uint64_t i = 0; i < iterations; ++i)
                for (auto& x : acc)
                    x = vdotq_s32(x, a, b);
            int32x4_t s = acc[0];
            for (int k = 1; k < 16; ++k)
                s = vaddq_s32(s, acc[k]);
            int r = vaddvq_s32(s);
            benchmark::DoNotOptimize(r);
            return 2.0 * 16 * 16 * double(iterations);
        }
#else
        const char* const int8_method = "portable int8 loop (compiler-vectorized)";
        double int8_loop(std::uint64_t iterations)
        {
            alignas(64) std::int8_t a[64], b[64];
            std::int32_t acc[64] = {};
            for (int k = 0; k < 64; ++k)
                a[k] = static_cast<std::int8_t>(k % 7 - 3), b[k] = static_cast<std::int8_t>(k % 5 - 2);
            for (std::uint64_t i = 0; i < iterations; ++i)
            {
                benchmark::DoNotOptimize(a);
                for (int k = 0; k < 64; ++k)
                    acc[k] += a[k] * b[k];
            }
            benchmark::DoNotOptimize(acc);
            return 2.0 * 64 * double(iterations);
        }
#endif

        // ---- memory bandwidth ----
        /// n floats in the storage joule gives packed weights (2 MiB aligned, advised for huge
        /// pages): the limit a weight-streaming kernel is held to must be measured on the same
        /// kind of pages, or its "% of bandwidth" would credit the pages, not the kernel.
        struct float_array
        {
            explicit float_array(std::size_t n, float value)
                : bytes_(std::max<std::size_t>(n, 1) * sizeof(float))
                , p_(static_cast<float*>(joule::detail::allocate_large_buffer(bytes_)))
            {
                std::fill(p_, p_ + n, value);
            }
            float_array(const float_array&) = delete;
            float_array& operator=(const float_array&) = delete;
            ~float_array() { joule::detail::free_large_buffer(p_, bytes_); }
            float* data() const noexcept { return p_; }

        private:
            std::size_t bytes_; // declared before p_: the constructor allocates from it
            float* p_;
        };

        struct arrays
        {
            explicit arrays(std::size_t n)
                : a(n, 1.0f)
                , b(n, 2.0f)
                , c(n, 0.5f)
            {
            }
            float_array a, b, c;
        };

        double read_pass(const float* p, std::size_t n)
        {
            using B = simd::batch<float>;
            constexpr std::size_t w = simd::width<float>;
            B s0 = simd::splat<A>(0.0f), s1 = s0, s2 = s0, s3 = s0;
            std::size_t i = 0;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                s0 = s0 + simd::load<A>(p + i);
                s1 = s1 + simd::load<A>(p + i + w);
                s2 = s2 + simd::load<A>(p + i + 2 * w);
                s3 = s3 + simd::load<A>(p + i + 3 * w);
            }
            float r = simd::reduce_add((s0 + s1) + (s2 + s3));
            for (; i < n; ++i)
                r += p[i];
            benchmark::DoNotOptimize(r);
            return 4.0 * double(n);
        }

        /// Reads n floats as 8 contiguous segments walked side by side, as a GEMV reads 8 weight
        /// rows: more streams in flight than one sequential walk. On the development VM (Zen 4)
        /// one stream reads 19-21 GB/s and eight 26-27, which matrix-vector kernels do reach.
        double read_pass_8_streams(const float* p, std::size_t n)
        {
            using B = simd::batch<float>;
            constexpr std::size_t w = simd::width<float>;
            const std::size_t seg = n / 8 / w * w;
            B s[8];
            for (auto& v : s)
                v = simd::splat<A>(0.0f);
            for (std::size_t i = 0; i < seg; i += w)
                for (std::size_t k = 0; k < 8; ++k)
                    s[k] = s[k] + simd::load<A>(p + k * seg + i);
            float r = simd::reduce_add(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
            for (std::size_t i = 8 * seg; i < n; ++i)
                r += p[i];
            benchmark::DoNotOptimize(r);
            return 4.0 * double(n);
        }

        double triad_pass(float* a, const float* b, const float* c, std::size_t n)
        {
            using B = simd::batch<float>;
            constexpr std::size_t w = simd::width<float>;
            const B s = simd::splat<A>(1.5f);
            std::size_t i = 0;
            for (; i + w <= n; i += w)
                simd::store(a + i, simd::fma(s, simd::load<A>(c + i), simd::load<A>(b + i)));
            for (; i < n; ++i)
                a[i] = b[i] + 1.5f * c[i];
            benchmark::ClobberMemory();
            return 12.0 * double(n);
        }

        /// The same triad with non-temporal stores, which skip the read-for-ownership of `a`: what
        /// streaming kernels (memcpy, conversions) can reach. Regular stores where there are none.
        double triad_pass_streaming(float* a, const float* b, const float* c, std::size_t n)
        {
#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#if defined(__AVX512F__)
            constexpr std::size_t w = 16;
            const __m512 s = _mm512_set1_ps(1.5f);
#elif defined(__AVX__)
            constexpr std::size_t w = 8;
            const __m256 s = _mm256_set1_ps(1.5f);
#else
            constexpr std::size_t w = 4;
            const __m128 s = _mm_set1_ps(1.5f);
#endif
            std::size_t i = 0;
            for (; i < n && reinterpret_cast<std::uintptr_t>(a + i) % (w * sizeof(float)) != 0; ++i)
                a[i] = b[i] + 1.5f * c[i];
            for (; i + w <= n; i += w)
            {
#if defined(__AVX512F__)
                _mm512_stream_ps(a + i, _mm512_add_ps(_mm512_loadu_ps(b + i), _mm512_mul_ps(s, _mm512_loadu_ps(c + i))));
#elif defined(__AVX__)
                _mm256_stream_ps(a + i, _mm256_add_ps(_mm256_loadu_ps(b + i), _mm256_mul_ps(s, _mm256_loadu_ps(c + i))));
#else
                _mm_stream_ps(a + i, _mm_add_ps(_mm_loadu_ps(b + i), _mm_mul_ps(s, _mm_loadu_ps(c + i))));
#endif
            }
            for (; i < n; ++i)
                a[i] = b[i] + 1.5f * c[i];
            _mm_sfence();
            benchmark::ClobberMemory();
            return 12.0 * double(n);
#else
            return triad_pass(a, b, c, n);
#endif
        }

        double clock_loop_ghz(double window)
        {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
            auto body = [](std::uint64_t iterations) {
                std::uint64_t x = 0;
                for (std::uint64_t i = 0; i < iterations; ++i)
                {
#if defined(__x86_64__)
                    asm volatile(".rept 100\n\taddq $1, %0\n\t.endr" : "+r"(x));
#else
                    asm volatile(".rept 100\n\tadd %0, %0, #1\n\t.endr" : "+r"(x));
#endif
                }
                benchmark::DoNotOptimize(x);
                return 100.0 * double(iterations); // one dependent add per cycle
            };
            return best_rate(body, window, 3) * 1e-9;
#else
            (void)window;
            return 0; // no portable dependent-add chain: unknown
#endif
        }

        std::string read_first_line(const std::string& path)
        {
            std::ifstream in(path);
            std::string line;
            std::getline(in, line);
            return line;
        }

        std::string cpu_model_name()
        {
            std::ifstream in("/proc/cpuinfo");
            std::string line;
            while (std::getline(in, line))
                for (const char* key : {"model name", "Model", "cpu model", "uarch"})
                    if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos)
                    {
                        std::string v = line.substr(line.find(':') + 1);
                        v.erase(0, v.find_first_not_of(' '));
                        return v;
                    }
            return "unknown CPU";
        }

        std::string utc_now()
        {
            const std::time_t t = std::time(nullptr);
            char buf[32];
            std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
            return buf;
        }

        std::string default_cache_dir()
        {
            if (const char* d = std::getenv("JOULE_CACHE_DIR"); d && *d)
                return d;
            if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
                return std::string(x) + "/joule";
            if (const char* h = std::getenv("HOME"); h && *h)
                return std::string(h) + "/.cache/joule";
            return "";
        }

        bool make_dirs(const std::string& path)
        {
            std::string partial;
            std::stringstream in(path);
            std::string part;
            if (!path.empty() && path[0] == '/')
                partial = "";
            while (std::getline(in, part, '/'))
            {
                if (part.empty())
                    continue;
                partial += "/" + part;
                if (path[0] != '/' && partial[0] == '/')
                    partial.erase(0, 1);
                ::mkdir(partial.c_str(), 0755);
            }
            struct stat st;
            return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }

        /// The share of every CPU's time that others used over `seconds` while this process slept
        /// (from /proc/stat; 0 where it cannot be read).
        double others_busy_fraction(double seconds)
        {
            auto snapshot = [](double& busy, double& total) {
                std::ifstream in("/proc/stat");
                std::string cpu;
                in >> cpu;
                double v[10] = {};
                busy = total = 0;
                for (int k = 0; k < 10 && (in >> v[k]); ++k)
                    total += v[k];
                busy = total - v[3] - v[4]; // idle, iowait
                return cpu == "cpu" && total > 0;
            };
            double b0, t0, b1, t1;
            if (!snapshot(b0, t0))
                return 0;
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
            if (!snapshot(b1, t1) || t1 <= t0)
                return 0;
            return std::max(0.0, (b1 - b0) / (t1 - t0));
        }

        machine_limits measure(bool quick)
        {
            machine_limits L;
            // On a shared machine, wait a little for a quiet moment: others' work lowers every limit.
            L.others_busy = quick ? 0 : others_busy_fraction(0.3);
            for (int waited = 0; !quick && L.others_busy >= 0.2 && waited < 20; ++waited)
            {
                if (waited == 0)
                    std::fprintf(stderr, "  other programs use %.0f%% of the CPUs: waiting up to 20 s for a quiet moment...\n",
                                 100 * L.others_busy);
                L.others_busy = others_busy_fraction(1.0);
            }
            const double window = quick ? 0.005 : 0.15;
            const int tries = quick ? 1 : 3;
            L.cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
            auto step = [](const char* what) { std::fprintf(stderr, "  measuring %s...\n", what); };

            step("the clock");
            L.clock_ghz = clock_loop_ghz(window);
            step("the fp32 FMA peak (1 core, all cores)");
            L.fma_method = fma_method;
            L.fma_gflops_1 = best_rate(fma_loop, window, tries) * 1e-9;
            L.fma_gflops_all =
                best_rate_all([](std::uint64_t n, int) { return fma_loop(n); }, L.cpus, window, tries) * 1e-9;
            step("the int8 dot peak (1 core, all cores)");
            L.int8_method = int8_method;
            L.int8_gops_1 = best_rate(int8_loop, window, tries) * 1e-9;
            L.int8_gops_all =
                best_rate_all([](std::uint64_t n, int) { return int8_loop(n); }, L.cpus, window, tries) * 1e-9;

            std::string cache_source;
            L.caches = read_caches("", cache_source);
            L.cache_source = cache_source;
            // Arrays well beyond the last-level cache (4x, at least 64 MiB each).
            const double llc = L.last_level_cache_bytes();
            std::size_t bytes = quick ? (std::size_t(4) << 20)
                                      : std::max<std::size_t>(std::size_t(64) << 20, static_cast<std::size_t>(4 * llc));
            bytes = std::min<std::size_t>(bytes, std::size_t(1) << 30);
            const std::size_t n = bytes / sizeof(float);
            L.memory_test_bytes = double(n * sizeof(float));
            step("the memory read and triad bandwidth (1 core, all cores)");
            const arrays m(n);
            // Each window is a whole number of passes; passes = iterations.
            auto gbs_of_passes = [&](const auto& one_pass) {
                return best_rate(
                           [&](std::uint64_t passes) {
                               double b = 0;
                               for (std::uint64_t p = 0; p < passes; ++p)
                                   b += one_pass();
                               return b;
                           },
                           quick ? 0.005 : 0.3, tries) *
                       1e-9;
            };
            // Read: the better of one sequential stream and eight side by side.
            auto read_one = [&](double (*pass)(const float*, std::size_t)) {
                return gbs_of_passes([&] { return pass(m.a.data(), n); });
            };
            const double read_1_stream = read_one(read_pass), read_8_streams = read_one(read_pass_8_streams);
            L.read_gbs_1 = std::max(read_1_stream, read_8_streams);
            L.read_method = read_8_streams > read_1_stream ? "8 streams" : "1 stream";
            // Triad: the better of regular and streaming stores (STREAM counts 12 bytes either way).
            auto triad_one = [&](double (*pass)(float*, const float*, const float*, std::size_t)) {
                return gbs_of_passes([&] { return pass(m.a.data(), m.b.data(), m.c.data(), n); });
            };
            const double triad_regular = triad_one(triad_pass), triad_streaming = triad_one(triad_pass_streaming);
            L.triad_gbs_1 = std::max(triad_regular, triad_streaming);
            L.triad_method = triad_streaming > triad_regular ? "streaming stores" : "regular stores";
            const std::size_t chunk = n / static_cast<std::size_t>(L.cpus);
            L.read_gbs_all = best_rate_all(
                                 [&](std::uint64_t passes, int t) {
                                     double b = 0;
                                     for (std::uint64_t p = 0; p < passes; ++p)
                                         b += (read_8_streams > read_1_stream ? read_pass_8_streams : read_pass)(
                                             m.a.data() + chunk * static_cast<std::size_t>(t), chunk);
                                     return b;
                                 },
                                 L.cpus, quick ? 0.005 : 0.3, tries) *
                             1e-9;
            auto triad_all = [&](double (*pass)(float*, const float*, const float*, std::size_t)) {
                return best_rate_all(
                           [&](std::uint64_t passes, int t) {
                               const std::size_t off = chunk * static_cast<std::size_t>(t);
                               double b = 0;
                               for (std::uint64_t p = 0; p < passes; ++p)
                                   b += pass(m.a.data() + off, m.b.data() + off, m.c.data() + off, chunk);
                               return b;
                           },
                           L.cpus, quick ? 0.005 : 0.3, tries) *
                       1e-9;
            };
            L.triad_gbs_all = std::max(triad_all(triad_pass), triad_all(triad_pass_streaming));
            L.measured_at = utc_now();
            return L;
        }
    } // namespace

    std::vector<cache_level> read_caches(const std::string& sysfs_root, std::string& source)
    {
        std::vector<cache_level> caches;
        const std::string base = sysfs_root + "/sys/devices/system/cpu/cpu0/cache/index";
        for (int i = 0; i < 16; ++i)
        {
            const std::string dir = base + std::to_string(i) + "/";
            const std::string level = read_first_line(dir + "level");
            if (level.empty())
                continue;
            cache_level c;
            c.level = std::atoi(level.c_str());
            c.type = read_first_line(dir + "type");
            const std::string size = read_first_line(dir + "size");
            char* end = nullptr;
            c.bytes = std::strtod(size.c_str(), &end);
            if (end && (*end == 'K' || *end == 'k'))
                c.bytes *= 1024;
            else if (end && *end == 'M')
                c.bytes *= 1024 * 1024;
            // shared_cpu_list: "0-1", "0,2"
            const std::string shared = read_first_line(dir + "shared_cpu_list");
            int count = 0;
            std::stringstream in(shared);
            std::string item;
            while (std::getline(in, item, ','))
            {
                const auto dash = item.find('-');
                count += dash == std::string::npos ? 1
                                                   : std::atoi(item.substr(dash + 1).c_str()) -
                                                         std::atoi(item.substr(0, dash).c_str()) + 1;
            }
            c.shared_by = std::max(1, count);
            caches.push_back(c);
        }
        if (!caches.empty())
        {
            source = "sysfs";
            return caches;
        }
        for (const auto& ci : benchmark::CPUInfo::Get().caches)
        {
            cache_level c;
            c.level = ci.level;
            c.type = ci.type;
            c.bytes = double(ci.size);
            c.shared_by = ci.num_sharing;
            caches.push_back(c);
        }
        source = caches.empty() ? "unknown" : "Google Benchmark CPU info";
        return caches;
    }

    double machine_limits::last_level_cache_bytes() const
    {
        int top = 0;
        double bytes = 0;
        for (const cache_level& c : caches)
            if (c.type != "Instruction" && c.level >= top)
            {
                bytes = c.level > top ? 0 : bytes;
                top = c.level;
                // A cache shared by k CPUs appears once per group: count the groups.
                const int groups = std::max(1, cpus / std::max(1, c.shared_by));
                bytes += c.bytes * groups;
            }
        return bytes;
    }

    std::string machine_limits::to_json() const
    {
        std::ostringstream o;
        o.precision(6);
        o << "{\n"
          << "  \"format\": \"joule-bench machine limits 3\",\n"
          << "  \"key\": " << json::quote(key) << ",\n"
          << "  \"cpu_model\": " << json::quote(cpu_model) << ",\n"
          << "  \"isa\": " << json::quote(isa) << ",\n"
          << "  \"measured_at\": " << json::quote(measured_at) << ",\n"
          << "  \"cpus\": " << cpus << ",\n"
          << "  \"clock_ghz\": " << clock_ghz << ",\n"
          << "  \"fma_gflops_1\": " << fma_gflops_1 << ",\n"
          << "  \"fma_gflops_all\": " << fma_gflops_all << ",\n"
          << "  \"fma_method\": " << json::quote(fma_method) << ",\n"
          << "  \"int8_gops_1\": " << int8_gops_1 << ",\n"
          << "  \"int8_gops_all\": " << int8_gops_all << ",\n"
          << "  \"int8_method\": " << json::quote(int8_method) << ",\n"
          << "  \"read_gbs_1\": " << read_gbs_1 << ",\n"
          << "  \"read_gbs_all\": " << read_gbs_all << ",\n"
          << "  \"triad_gbs_1\": " << triad_gbs_1 << ",\n"
          << "  \"triad_gbs_all\": " << triad_gbs_all << ",\n"
          << "  \"memory_test_bytes\": " << memory_test_bytes << ",\n"
          << "  \"cache_source\": " << json::quote(cache_source) << ",\n"
          << "  \"others_busy\": " << others_busy << ",\n"
          << "  \"read_method\": " << json::quote(read_method) << ",\n"
          << "  \"triad_method\": " << json::quote(triad_method) << ",\n"
          << "  \"caches\": [";
        for (std::size_t i = 0; i < caches.size(); ++i)
            o << (i ? ", " : "") << "{\"level\": " << caches[i].level << ", \"type\": " << json::quote(caches[i].type)
              << ", \"bytes\": " << caches[i].bytes << ", \"shared_by\": " << caches[i].shared_by << "}";
        o << "]\n}\n";
        return o.str();
    }

    bool machine_limits::from_json(const std::string& text, machine_limits& L)
    {
        try
        {
            const json::value v = json::parse(text);
            // Format 3: bandwidths measured on 2 MiB pages. Older caches are measured again.
            if (v.string_or("format", "") != "joule-bench machine limits 3")
                return false;
            L.key = v.string_or("key", "");
            L.cpu_model = v.string_or("cpu_model", "");
            L.isa = v.string_or("isa", "");
            L.measured_at = v.string_or("measured_at", "");
            L.cpus = static_cast<int>(v.number_or("cpus", 1));
            L.clock_ghz = v.number_or("clock_ghz", 0);
            L.fma_gflops_1 = v.number_or("fma_gflops_1", 0);
            L.fma_gflops_all = v.number_or("fma_gflops_all", 0);
            L.fma_method = v.string_or("fma_method", "");
            L.int8_gops_1 = v.number_or("int8_gops_1", 0);
            L.int8_gops_all = v.number_or("int8_gops_all", 0);
            L.int8_method = v.string_or("int8_method", "");
            L.read_gbs_1 = v.number_or("read_gbs_1", 0);
            L.read_gbs_all = v.number_or("read_gbs_all", 0);
            L.triad_gbs_1 = v.number_or("triad_gbs_1", 0);
            L.triad_gbs_all = v.number_or("triad_gbs_all", 0);
            L.memory_test_bytes = v.number_or("memory_test_bytes", 0);
            L.cache_source = v.string_or("cache_source", "");
            L.others_busy = v.number_or("others_busy", 0);
            L.read_method = v.string_or("read_method", "");
            L.triad_method = v.string_or("triad_method", "");
            L.caches.clear();
            if (const json::value* cs = v.find("caches"))
                for (const json::value& c : cs->items)
                {
                    cache_level l;
                    l.level = static_cast<int>(c.number_or("level", 0));
                    l.type = c.string_or("type", "");
                    l.bytes = c.number_or("bytes", 0);
                    l.shared_by = static_cast<int>(c.number_or("shared_by", 1));
                    L.caches.push_back(l);
                }
            // No core makes 100 TFLOP/s: such a figure is from a folded FMA loop (before f5f6dc6)
            // and is measured again rather than reused.
            return L.fma_gflops_1 > 0 && L.fma_gflops_1 < 1e5 && L.read_gbs_1 > 0;
        }
        catch (const std::exception&)
        {
            return false;
        }
    }

    machine_limits machine_limits_for_this_machine(const limits_options& o, bool& from_cache, std::string& cache_path)
    {
        const joule::arch_info arch = joule::compiled_arch();
        const std::string model = cpu_model_name();
        const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        const std::string key = model + " | " + std::to_string(cpus) + " cpus | " + arch.isa;
        char hash[32];
        std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(std::hash<std::string>{}(key)));
        const std::string dir = o.cache_dir.empty() ? default_cache_dir() : o.cache_dir;
        cache_path = dir.empty() ? "" : dir + "/limits-" + hash + (o.quick ? "-quick" : "") + ".json";

        from_cache = false;
        machine_limits L;
        if (!o.remeasure && !cache_path.empty())
        {
            std::ifstream in(cache_path);
            std::stringstream text;
            text << in.rdbuf();
            if (in && machine_limits::from_json(text.str(), L) && L.key == key)
            {
                from_cache = true;
                return L;
            }
        }
        std::fprintf(stderr, "joule-bench: measuring this machine's limits (%s; cached in %s)\n", key.c_str(),
                     cache_path.empty() ? "nowhere: no HOME" : cache_path.c_str());
        L = measure(o.quick);
        if (L.others_busy >= 0.2)
            std::fprintf(stderr,
                         "joule-bench: warning: other programs used %.0f%% of the %d CPUs while the limits were measured: "
                         "they may be low; measure again on a quiet machine with --remeasure-limits\n",
                         100 * L.others_busy, L.cpus);
        L.key = key;
        L.cpu_model = model;
        L.isa = arch.isa;
        if (!cache_path.empty())
        {
            if (!make_dirs(dir))
                std::fprintf(stderr, "joule-bench: warning: cannot create %s: limits not cached\n", dir.c_str());
            else
            {
                const std::string tmp = cache_path + ".tmp";
                std::ofstream out(tmp);
                out << L.to_json();
                out.close();
                if (!out || std::rename(tmp.c_str(), cache_path.c_str()) != 0)
                {
                    std::remove(tmp.c_str());
                    std::fprintf(stderr, "joule-bench: warning: cannot write %s: limits not cached\n", cache_path.c_str());
                }
            }
        }
        return L;
    }
} // namespace joule_bench
