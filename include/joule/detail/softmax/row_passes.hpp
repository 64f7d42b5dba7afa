// The vector passes softmax rows are made of. Each reads a row of T (float, f16, bf16) and
// works in float registers; the last partial register goes through the same code, padded.
//
// d = (x - m) / temperature is the exp argument everywhere (Scaled = false skips the division
// when the temperature is 1). Sums accumulate in float registers for at most 16 values per
// lane and then in double, so a row of any length sums as accurately as a short one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>

#include "joule/detail/softmax/exp_generic.hpp"
#include "joule/detail/softmax/exp_x86.hpp"
#include "joule/detail/softmax/row_io.hpp"

// Kernel bodies are lambdas handed to accumulate_row; they must inline into its loop.
#if defined(__GNUC__) || defined(__clang__)
#define JOULE_INLINE_LAMBDA __attribute__((always_inline))
#else
#define JOULE_INLINE_LAMBDA
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// d = (x - m) / temperature, or x - m.
        ///
        /// With a temperature, x - m can overflow where d does not: x = -FLT_MAX, m = FLT_MAX,
        /// T = 1e38 has d = -3.4, but x - m = -inf would give exp(d) = 0. So the difference is
        /// taken halved, (x - m) / 2 = fma(x, 1/2, -m/2) (rounded once, never overflows), divided
        /// by T and doubled: scaling by 2 is exact, so d is bit-identical to (x - m) / T whenever
        /// x - m is finite and normal. Without a temperature an overflowing x - m is right as is
        /// (-inf: exp(d) = 0).
        template <class A, bool Scaled>
        struct shifted_argument
        {
            simd::batch<float, A> half_m, temperature;
            simd::batch<float, A> m;
            shifted_argument(float m_, float temperature_) noexcept
                : half_m(simd::splat<A>(-0.5f * m_))
                , temperature(simd::splat<A>(temperature_))
                , m(simd::splat<A>(m_))
            {
            }
            JOULE_ALWAYS_INLINE simd::batch<float, A> operator()(const simd::batch<float, A>& x) const noexcept
            {
                if constexpr (Scaled)
                {
                    // IEEE division (not xsimd's on AArch64)
                    const auto half_d = simd::div(simd::fma(x, simd::splat<A>(0.5f), half_m), temperature);
                    return half_d + half_d;
                }
                else
                    return x - m;
            }
        };

        template <class A>
        JOULE_ALWAYS_INLINE void store_lanes(float* p, const simd::batch<float, A>& v, std::size_t count) noexcept
        {
            if (count == simd::width<float, A>)
                simd::store(p, v);
            else
                store_partial<A>(p, v, count);
        }

        /// How many elements of p (< width) precede the first one at an address that is a multiple
        /// of a register's size, in rows long enough to gain from processing them apart: it keeps
        /// the loads and stores of the main loops from straddling cache lines (up to 2x faster on
        /// Zen 4 for data in L1 and L2), but costs two partial registers per pass, more than it
        /// saves below ~32 registers.
        template <class A, class U>
        JOULE_ALWAYS_INLINE std::size_t misaligned_head(const U* p, std::size_t n) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            constexpr std::size_t bytes = w * sizeof(U);
            const auto address = reinterpret_cast<std::uintptr_t>(p);
            if (w == 1 || n < 32 * w || address % sizeof(U) != 0)
                return 0;
            return ((bytes - address % bytes) % bytes) / sizeof(U);
        }

        /// The largest element of x[0, n), n >= 1. Which value a NaN gives is unspecified (callers
        /// detect NaN through the sums instead).
        template <class A, class T>
        float row_max(const T* x, std::size_t n) noexcept
        {
            using fbatch = simd::batch<float, A>;
            constexpr std::size_t w = simd::width<float, A>;
            const fbatch lowest = simd::splat<A>(-std::numeric_limits<float>::infinity());
            fbatch m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
            std::size_t i = misaligned_head<A>(x, n);
            if (i != 0)
                m0 = load_partial<A>(x, i, -std::numeric_limits<float>::infinity());
            for (; n - i >= 4 * w; i += 4 * w)
            {
                m0 = simd::max(m0, row_input<T>::template load<A>(x + i));
                m1 = simd::max(m1, row_input<T>::template load<A>(x + i + w));
                m2 = simd::max(m2, row_input<T>::template load<A>(x + i + 2 * w));
                m3 = simd::max(m3, row_input<T>::template load<A>(x + i + 3 * w));
            }
            for (; n - i >= w; i += w)
                m0 = simd::max(m0, row_input<T>::template load<A>(x + i));
            if (i < n)
                m1 = simd::max(m1, load_partial<A>(x + i, n - i, -std::numeric_limits<float>::infinity()));
            return simd::reduce_max(simd::max(simd::max(m0, m1), simd::max(m2, m3)));
        }

        /// The number of registers in a group type.
        template <class Group>
        constexpr std::size_t group_size = std::tuple_size<std::remove_cv_t<std::remove_reference_t<Group>>>::value;

        /// The sum of a group's registers, as a tree (short dependency chains).
        template <class Batch, std::size_t N>
        JOULE_ALWAYS_INLINE Batch group_sum(const std::array<Batch, N>& v) noexcept
        {
            if constexpr (N == 1)
                return v[0];
            else if constexpr (N == 2)
                return v[0] + v[1];
            else if constexpr (N == 4)
                return (v[0] + v[1]) + (v[2] + v[3]);
            else
            {
                static_assert(N == 8, "groups of 1, 2, 4 or 8 registers");
                return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
            }
        }

        /// K sums kept in registers of type Acc (float or double lanes) for a few steps, then added
        /// into double registers, and finally across lanes.
        template <class A, std::size_t K, class Acc>
        struct row_sums
        {
            using dbatch = simd::batch<double, A>;
            static constexpr std::size_t parts =
              std::is_same<typename Acc::value_type, float>::value ? simd::widened_parts<A> : 1;

            std::array<Acc, K == 0 ? 1 : K> acc; // no zero-length arrays
            std::array<std::array<dbatch, parts>, K == 0 ? 1 : K> total;

            JOULE_ALWAYS_INLINE row_sums() noexcept
            {
                for (std::size_t k = 0; k < K; ++k)
                {
                    acc[k] = simd::splat<A>(typename Acc::value_type(0));
                    for (auto& t : total[k])
                        t = simd::splat<A>(0.0);
                }
            }
            /// Moves the register sums into the double totals.
            JOULE_ALWAYS_INLINE void flush() noexcept
            {
                for (std::size_t k = 0; k < K; ++k)
                {
                    if constexpr (parts == 1 && !std::is_same<typename Acc::value_type, float>::value)
                        total[k][0] += acc[k];
                    else
                    {
                        const auto wide = simd::widen<A>(acc[k]);
                        for (std::size_t p = 0; p < parts; ++p)
                            total[k][p] += wide[p];
                    }
                    acc[k] = simd::splat<A>(typename Acc::value_type(0));
                }
            }
            std::array<double, K> result() noexcept
            {
                flush();
                std::array<double, K> r{};
                for (std::size_t k = 0; k < K; ++k)
                {
                    dbatch t = total[k][0];
                    for (std::size_t p = 1; p < parts; ++p)
                        t += total[k][p];
                    r[k] = simd::reduce_add(t);
                }
                return r;
            }
        };

        /// Runs body(v, i, count, acc) over the row x[0, n): v is a group of float registers holding
        /// x[i, ...) (four full registers per step, single ones around them: the first ones up to
        /// where `aligned` (x, or the output the body writes) reaches a register boundary, the last
        /// ones at the end; partial ones padded with `fill`, `count` < width); the body adds its
        /// contributions to the K sums acc[k], registers of type Acc (float or double). Every
        /// FlushSteps steps the sums move to double, so long rows sum as accurately as short ones
        /// (with FlushSteps = 1 a float register never holds more than one step's sum, or one single
        /// register's). Returns the
        /// K sums. (Which elements share a lane, and so the sums' last bits, depends on `aligned`'s
        /// address modulo the register size.)
        template <class A,
                  std::size_t K,
                  class Acc = simd::batch<float, A>,
                  std::size_t FlushSteps = 8,
                  class T,
                  class U,
                  class Body>
        JOULE_ALWAYS_INLINE std::array<double, K> accumulate_row(const T* x,
                                                                 std::size_t n,
                                                                 float fill,
                                                                 const U* aligned,
                                                                 Body&& body) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            constexpr std::size_t group = 4;
            constexpr std::size_t step = group * w;
            constexpr std::size_t block = FlushSteps * step;
            row_sums<A, K, Acc> sums;
            // With FlushSteps = 1, the single registers around the steps move to double one by one
            // too: no float sum ever takes more than one step's roundings.
            auto flush_single = [&]() JOULE_INLINE_LAMBDA
            {
                if constexpr (K != 0 && FlushSteps == 1)
                    sums.flush();
            };
            std::size_t i = misaligned_head<A>(aligned, n);
            if (i != 0)
            {
                float_group<A, 1> v = {load_partial<A>(x, i, fill)};
                body(v, 0, i, sums.acc);
                flush_single();
            }
            while (n - i >= step)
            {
                const std::size_t end = i + (n - i >= block ? block : (n - i) / step * step);
                for (; i < end; i += step)
                {
                    float_group<A, group> v;
                    JOULE_UNROLLED for (std::size_t g = 0; g < group; ++g) v[g] =
                      row_input<T>::template load<A>(x + i + g * w);
                    body(v, i, w, sums.acc);
                }
                if constexpr (K != 0)
                    sums.flush();
            }
            for (; n - i >= w; i += w)
            {
                float_group<A, 1> v = {row_input<T>::template load<A>(x + i)};
                body(v, i, w, sums.acc);
                flush_single();
            }
            if (i < n)
            {
                float_group<A, 1> v = {load_partial<A>(x + i, n - i, fill)};
                body(v, i, n - i, sums.acc);
            }
            return sums.result();
        }

        constexpr float minus_infinity = -std::numeric_limits<float>::infinity();

        /// y = 2^bias exp(d) (exp_kernel<A>::bias); returns the sum of y in double.
        template <class A, class T, bool Scaled>
        double exp_store_sum(const T* x, float* y, std::size_t n, float m, float temperature) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto sum = accumulate_row<A, 1>(
              x,
              n,
              minus_infinity,
              y,
              [&](auto& v, std::size_t i, std::size_t count, auto& acc) JOULE_INLINE_LAMBDA
              {
                  constexpr std::size_t g = group_size<decltype(v)>;
                  JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k) v[k] = arg(v[k]);
                  exp_kernel<A>::biased(v);
                  JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k) store_lanes<A>(y + i + k * w, v[k], count);
                  acc[0] += group_sum(v);
              });
            return sum[0];
        }

        /// Asks for the cache lines at p (one group of registers) ahead of their use.
        template <class A, class T>
        JOULE_ALWAYS_INLINE void prefetch_group(const T* p) noexcept
        {
#if defined(__GNUC__) || defined(__clang__)
            constexpr std::size_t bytes = 4 * simd::width<float, A> * sizeof(T);
            for (std::size_t b = 0; b < bytes; b += 64)
                __builtin_prefetch(reinterpret_cast<const char*>(p) + b, 0, 3);
#else
            (void)p;
#endif
        }

        /// How many steps of four registers exp_sum adds in float before moving the sum to double:
        /// 8 for softmax (whose 5e-7 bound has room), 1 where log_softmax takes its log (see
        /// log_passes.hpp: the float part of the error is then at most two roundings).
        constexpr std::size_t softmax_flush_steps = 8;
        constexpr std::size_t log_sum_flush_steps = 1;

        /// The sum of 2^bias exp(d) in double (nothing stored). With prefetch_ahead != 0 the loop
        /// also asks for x[i + prefetch_ahead] as it reads x[i]: the two-pass kernel computes on
        /// one L1-sized block while the next one arrives from memory.
        template <class A, class T, bool Scaled, std::size_t FlushSteps = softmax_flush_steps>
        double exp_sum(const T* x, std::size_t n, float m, float temperature, std::size_t prefetch_ahead = 0) noexcept
        {
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto sum =
              accumulate_row<A, 1, simd::batch<float, A>, FlushSteps>(x,
                                   n,
                                   minus_infinity,
                                   x,
                                   [&](auto& v, std::size_t i, std::size_t, auto& acc) JOULE_INLINE_LAMBDA
                                   {
                                       constexpr std::size_t g = group_size<decltype(v)>;
                                       if (g == 4 && prefetch_ahead != 0)
                                           prefetch_group<A>(x + i + prefetch_ahead);
                                       JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k) v[k] = arg(v[k]);
                                       exp_kernel<A>::biased(v);
                                       acc[0] += group_sum(v);
                                   });
            return sum[0];
        }

        /// y = 2^bias exp(d) * scale. Stream: full registers go around the caches (y aligned to
        /// the register size by the peeling; rows far larger than the last-level cache).
        template <class A, class T, bool Scaled, bool Stream = false>
        void exp_scale_store(const T* x, float* y, std::size_t n, float m, float temperature, float scale) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto s = simd::splat<A>(scale);
            const bool stream =
              Stream && reinterpret_cast<std::uintptr_t>(y + misaligned_head<A>(y, n)) % (w * sizeof(float)) == 0;
            accumulate_row<A, 0>(x,
                                 n,
                                 0.0f,
                                 y,
                                 [&](auto& v, std::size_t i, std::size_t count, auto&) JOULE_INLINE_LAMBDA
                                 {
                                     constexpr std::size_t g = group_size<decltype(v)>;
                                     JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k) v[k] = arg(v[k]);
                                     exp_kernel<A>::biased(v);
                                     JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k)
                                     {
                                         if (Stream && stream && count == w)
                                             simd::store_stream(y + i + k * w, v[k] * s);
                                         else
                                             store_lanes<A>(y + i + k * w, v[k] * s, count);
                                     }
                                 });
            if (Stream)
                simd::stream_fence();
        }

        /// y *= s.
        template <class A>
        void scale_in_place(float* y, std::size_t n, float s) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            const auto sv = simd::splat<A>(s);
            accumulate_row<A, 0>(y,
                                 n,
                                 0.0f,
                                 y,
                                 [&](auto& v, std::size_t i, std::size_t count, auto&) JOULE_INLINE_LAMBDA
                                 {
                                     constexpr std::size_t g = group_size<decltype(v)>;
                                     JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k)
                                       store_lanes<A>(y + i + k * w, v[k] * sv, count);
                                 });
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
