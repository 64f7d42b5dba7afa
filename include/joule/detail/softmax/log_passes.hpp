// The passes of log_softmax, in double precision.
//
// log_softmax(x)_i = d_i - L, d = (x - max) / T, L = log(sum_j exp(d_j)) >= 0. Every |y_i| >= L,
// so an absolute error e in L costs at most e / (L 2^-24) ULP of any y_i:
// - when the sum S is at least log_sum_float_min = 128 (L >= 4.85), the float pass is used. Its
//   relative error in S, and so e, is at most the exp kernel's 2.2e-7 + 2.8e-9 E_w|d| (w_i =
//   exp(d_i) / S; E_w|d| = H(w) - L <= ln(n / S) < 18 for n < 2^32) plus the two roundings of the
//   float tree that adds four registers (1.2e-7; each step's sum, and each single register's,
//   then moves to double: log_sum_flush_steps): at most 3.9e-7, which costs at most
//   3.9e-7 / (4.85 * 2^-24) = 1.35 ULP,
//   and with the final rounding log_softmax stays within 1.85 ULP (d is exact in double). The
//   threshold was 256, with the sums kept in float for 8 steps; at 128, rows of 4096 logits
//   spread over [-12, 12] (S ~ 170, joule-bench's input) take the float pass, three times faster;
// - below, L can be arbitrarily small (S = 1 + rest with rest tiny near a dominant element), and
//   L is only as accurate as rest: the sum is redone in double (log_sum_parts), keeping the
//   maxima apart (count) and accumulating exp(d) of the other elements from exact double d.
// The final pass computes d - L in double and rounds once. Measured: within 0.5 ULP with the
// double sum, 0.55 ULP with the float one (rows of 4096 N(0, 0.5), sums ~860).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "joule/detail/softmax/row_passes.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Sums of exp at least this large make log_softmax use the float sum (see above).
        constexpr double log_sum_float_min = 128.0;

        /// Each register: exp(d) in double for d <= 0 (relative error < 1e-10; exp(d) = 0 below
        /// -700; NaN kept), the steps interleaved across registers as in exp_generic.hpp.
        template <class A, std::size_t N>
        JOULE_ALWAYS_INLINE void exp_double(std::array<simd::batch<double, A>, N>& d) noexcept
        {
            using dbatch = simd::batch<double, A>;
            const dbatch lowest = simd::splat<A>(-700.0);
            const dbatch magic = simd::splat<A>(0x1.8p52 + 1023.0); // low bits of t: n + 1023
            std::array<dbatch, N> t, r, s;
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) t[k] =
              simd::fma(simd::clamp_low(d[k], lowest), simd::splat<A>(0x1.71547652b82fep+0), magic);
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) r[k] =
              simd::fma(t[k] - magic, simd::splat<A>(-0x1.62e42fefa39efp-1), simd::clamp_low(d[k], lowest));
            // exp(r) ~ 1 + r + r^2 s(r): relative minimax of degree 7 on [-ln2/2, ln2/2] (5.2e-11).
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) s[k] =
              simd::fma(simd::splat<A>(0.0001979033052872491839), r[k], simd::splat<A>(0.00139446706073310481719));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) s[k] =
              simd::fma(s[k], r[k], simd::splat<A>(0.00833349714157149341919));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) s[k] =
              simd::fma(s[k], r[k], simd::splat<A>(0.0416662948017486311392));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) s[k] =
              simd::fma(s[k], r[k], simd::splat<A>(0.166666658684530994618));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) s[k] =
              simd::fma(s[k], r[k], simd::splat<A>(0.500000006772144243875));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k)
            {
                const dbatch p = simd::fma(r[k] * r[k], s[k], r[k]) + simd::splat<A>(1.0);
                const dbatch scale = simd::bitcast<double>(simd::shift_left<52>(simd::bitcast<std::uint64_t>(t[k])));
                d[k] = simd::select(d[k] < lowest, simd::splat<A>(0.0), p * scale);
            }
        }

        /// The float registers of a group widened to doubles, in lane order.
        template <class A, std::size_t G>
        JOULE_ALWAYS_INLINE std::array<simd::batch<double, A>, G * simd::widened_parts<A>> widen_group(
          const float_group<A, G>& v) noexcept
        {
            constexpr std::size_t parts = simd::widened_parts<A>;
            std::array<simd::batch<double, A>, G * parts> d;
            JOULE_UNROLLED for (std::size_t g = 0; g < G; ++g)
            {
                const auto w = simd::widen<A>(v[g]);
                JOULE_UNROLLED for (std::size_t p = 0; p < parts; ++p) d[g * parts + p] = w[p];
            }
            return d;
        }

        /// d = (x - m) / T in double, T applied as an exact-enough double reciprocal.
        template <class A, bool Scaled>
        struct shifted_argument_double
        {
            simd::batch<double, A> m, inverse_t;
            shifted_argument_double(float m_, float temperature) noexcept
                : m(simd::splat<A>(double(m_)))
                , inverse_t(simd::splat<A>(1.0 / double(temperature)))
            {
            }
            JOULE_ALWAYS_INLINE simd::batch<double, A> operator()(const simd::batch<double, A>& x) const noexcept
            {
                if constexpr (Scaled)
                    return (x - m) * inverse_t;
                else
                    return x - m;
            }
        };

        /// {sum of exp(d) over the elements with d != 0, count of elements with d == 0}, in double.
        template <class A, class T, bool Scaled>
        std::array<double, 2> log_sum_parts(const T* x,
                                            std::size_t n,
                                            float m,
                                            float temperature,
                                            std::size_t prefetch_ahead = 0) noexcept
        {
            using dbatch = simd::batch<double, A>;
            constexpr std::size_t parts = simd::widened_parts<A>;
            const shifted_argument_double<A, Scaled> arg(m, temperature);
            return accumulate_row<A, 2, dbatch>(
              x,
              n,
              minus_infinity,
              x,
              [&](auto& v, std::size_t i, std::size_t, auto& acc) JOULE_INLINE_LAMBDA
              {
                  constexpr std::size_t g = group_size<decltype(v)>;
                  if (g == 4 && prefetch_ahead != 0)
                      prefetch_group<A>(x + i + prefetch_ahead);
                  auto d = widen_group<A>(v);
                  JOULE_UNROLLED for (std::size_t k = 0; k < g * parts; ++k) d[k] = arg(d[k]);
                  auto e = d, ones = d;
                  exp_double<A>(e);
                  JOULE_UNROLLED for (std::size_t k = 0; k < g * parts; ++k)
                  {
                      const auto is_max = d[k] == simd::splat<A>(0.0);
                      e[k] = simd::select(is_max, simd::splat<A>(0.0), e[k]);
                      ones[k] = simd::select(is_max, simd::splat<A>(1.0), simd::splat<A>(0.0));
                  }
                  acc[0] += group_sum(e);
                  acc[1] += group_sum(ones);
              });
        }

        /// y = d - log_sum, computed in double and rounded once.
        template <class A, class T, bool Scaled>
        void log_store(const T* x, float* y, std::size_t n, float m, float temperature, double log_sum) noexcept
        {
            using dbatch = simd::batch<double, A>;
            constexpr std::size_t w = simd::width<float, A>;
            const shifted_argument_double<A, Scaled> arg(m, temperature);
            const dbatch l = simd::splat<A>(log_sum);
            accumulate_row<A, 0>(x,
                                 n,
                                 0.0f,
                                 y,
                                 [&](auto& v, std::size_t i, std::size_t count, auto&) JOULE_INLINE_LAMBDA
                                 {
                                     constexpr std::size_t g = group_size<decltype(v)>;
                                     JOULE_UNROLLED for (std::size_t k = 0; k < g; ++k)
                                     {
                                         auto parts = simd::widen<A>(v[k]);
                                         for (dbatch& part : parts)
                                             part = arg(part) - l;
                                         store_lanes<A>(y + i + k * w, simd::narrow<A>(parts), count);
                                     }
                                 });
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
