// The vector passes softmax rows are made of. Each reads a row of T (float, f16, bf16) and
// works in float registers; the last partial register goes through the same code, padded.
//
// d = (x - m) / temperature is the exp argument everywhere (Scaled = false skips the division
// when the temperature is 1). Sums accumulate in float registers for at most 16 values per
// lane and then in double, so a row of any length sums as accurately as a short one.
#pragma once

#include <array>
#include <cstddef>
#include <limits>

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
        /// Registers handled per step of the unrolled loops: enough independent exp chains to
        /// hide the FMA latency.
        constexpr std::size_t softmax_unroll = 4;

        /// d = (x - m) / temperature, or x - m.
        template <class A, bool Scaled>
        struct shifted_argument
        {
            simd::batch<float, A> m, temperature;
            shifted_argument(float m_, float temperature_) noexcept
                : m(simd::splat<A>(m_))
                , temperature(simd::splat<A>(temperature_))
            {
            }
            JOULE_ALWAYS_INLINE simd::batch<float, A> operator()(const simd::batch<float, A>& x) const noexcept
            {
                if constexpr (Scaled)
                    return simd::div(x - m, temperature); // IEEE division (not xsimd's on AArch64)
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

        /// The largest element of x[0, n), n >= 1. Which value a NaN gives is unspecified (callers
        /// detect NaN through the sums instead).
        template <class A, class T>
        float row_max(const T* x, std::size_t n) noexcept
        {
            using fbatch = simd::batch<float, A>;
            constexpr std::size_t w = simd::width<float, A>;
            const fbatch lowest = simd::splat<A>(-std::numeric_limits<float>::infinity());
            fbatch m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
            std::size_t i = 0;
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

        /// The sum of a register's lanes in double, in lane order.
        template <class Acc>
        JOULE_ALWAYS_INLINE double lane_sum(const Acc& v) noexcept
        {
            alignas(64) typename Acc::value_type lanes[Acc::size];
            v.store_aligned(lanes);
            double s = 0;
            for (std::size_t i = 0; i < Acc::size; ++i)
                s += static_cast<double>(lanes[i]);
            return s;
        }

        /// Runs body(v, i, count, acc) on every float register v = x[i, i + count) of the row (the
        /// last one padded with `fill`) and returns the K sums the body accumulates into acc[0..K),
        /// registers of type Acc (float, or double). Each accumulator register takes at most 16
        /// values per lane before it is added in double. Four registers per step, each with its
        /// own accumulators, written out so that everything stays in registers.
        template <class A, std::size_t K, class Acc = simd::batch<float, A>, class T, class Body>
        JOULE_ALWAYS_INLINE std::array<double, K> accumulate_row(const T* x, std::size_t n, float fill,
                                                                 Body&& body) noexcept
        {
            using accumulators = std::array<Acc, K == 0 ? 1 : K>; // no zero-length arrays
            constexpr std::size_t w = simd::width<float, A>;
            constexpr std::size_t step = 4 * w;
            constexpr std::size_t block = 16 * step;
            auto zeros = [] {
                accumulators a;
                for (auto& r : a)
                    r = simd::splat<A>(typename Acc::value_type(0));
                return a;
            };
            std::array<double, K> total{};
            std::size_t i = 0;
            while (n - i >= step)
            {
                accumulators a0 = zeros(), a1 = zeros(), a2 = zeros(), a3 = zeros();
                const std::size_t end = i + (n - i >= block ? block : (n - i) / step * step);
                for (; i < end; i += step)
                {
                    const auto v0 = row_input<T>::template load<A>(x + i);
                    const auto v1 = row_input<T>::template load<A>(x + i + w);
                    const auto v2 = row_input<T>::template load<A>(x + i + 2 * w);
                    const auto v3 = row_input<T>::template load<A>(x + i + 3 * w);
                    body(v0, i, w, a0);
                    body(v1, i + w, w, a1);
                    body(v2, i + 2 * w, w, a2);
                    body(v3, i + 3 * w, w, a3);
                }
                for (std::size_t k = 0; k < K; ++k)
                    total[k] += lane_sum((a0[k] + a1[k]) + (a2[k] + a3[k]));
            }
            accumulators a = zeros();
            for (; n - i >= w; i += w)
                body(row_input<T>::template load<A>(x + i), i, w, a);
            if (i < n)
                body(load_partial<A>(x + i, n - i, fill), i, n - i, a);
            for (std::size_t k = 0; k < K; ++k)
                total[k] += lane_sum(a[k]);
            return total;
        }

        constexpr float minus_infinity = -std::numeric_limits<float>::infinity();

        /// y = 2^bias exp(d) (exp_kernel<A>::bias); returns the sum of y in double.
        template <class A, class T, bool Scaled>
        double exp_store_sum(const T* x, float* y, std::size_t n, float m, float temperature) noexcept
        {
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto sum = accumulate_row<A, 1>(x, n, minus_infinity, [&](const auto& v, std::size_t i, std::size_t count, auto& acc) JOULE_INLINE_LAMBDA {
                const auto e = exp_kernel<A>::biased(arg(v));
                store_lanes<A>(y + i, e, count);
                acc[0] += e;
            });
            return sum[0];
        }

        /// The sum of 2^bias exp(d) in double (nothing stored).
        template <class A, class T, bool Scaled>
        double exp_sum(const T* x, std::size_t n, float m, float temperature) noexcept
        {
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto sum = accumulate_row<A, 1>(x, n, minus_infinity, [&](const auto& v, std::size_t, std::size_t, auto& acc) JOULE_INLINE_LAMBDA {
                acc[0] += exp_kernel<A>::biased(arg(v));
            });
            return sum[0];
        }

        /// y = 2^bias exp(d) * scale.
        template <class A, class T, bool Scaled>
        void exp_scale_store(const T* x, float* y, std::size_t n, float m, float temperature, float scale) noexcept
        {
            const shifted_argument<A, Scaled> arg(m, temperature);
            const auto s = simd::splat<A>(scale);
            accumulate_row<A, 0>(x, n, 0.0f, [&](const auto& v, std::size_t i, std::size_t count, auto&) JOULE_INLINE_LAMBDA {
                store_lanes<A>(y + i, exp_kernel<A>::biased(arg(v)) * s, count);
            });
        }

        /// y *= s.
        template <class A>
        void scale_in_place(float* y, std::size_t n, float s) noexcept
        {
            const auto sv = simd::splat<A>(s);
            accumulate_row<A, 0>(y, n, 0.0f, [&](const auto& v, std::size_t i, std::size_t count, auto&) JOULE_INLINE_LAMBDA {
                store_lanes<A>(y + i, v * sv, count);
            });
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
