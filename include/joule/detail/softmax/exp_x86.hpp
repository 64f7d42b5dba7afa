// x86 exp kernels.
// - AVX-512: VSCALEFPS multiplies by 2^n with one rounding over the whole range (subnormal
//   results and overflow included). It replaces the shift and multiply of the portable kernel
//   and its two-factor path for large |x|, and needs no bias.
// - SSE2 / SSE4 / AVX without FMA (x86-64 baseline and v2): the portable kernel's accuracy rests
//   on fused multiply-adds (exact n * ln2_hi, a Horner chain that rounds once per step), and
//   without them it exceeds 1 ULP. There exp runs in double precision, two lanes at a time:
//   every error but the final rounding to float is below 1e-10, so results are within 0.5 ULP
//   plus a hair, subnormals included.
#pragma once

#if defined(__SSE2__) || defined(_M_X64)

#include <immintrin.h>

#include "joule/detail/softmax/exp_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
#if defined(__AVX512F__)
        template <class A>
        struct exp_kernel<A,
                          std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 16>>
        {
            using fbatch = simd::batch<float, A>;

            static constexpr int bias = 0;

            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void biased(float_group<A, N>& d) noexcept
            {
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) d[k] =
                  simd::clamp_low(d[k], simd::splat<A>(exp_constants::x_min));
                scaled<true>(d);
            }

            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void full(float_group<A, N>& x) noexcept
            {
                using c = exp_constants;
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) x[k] =
                  simd::clamp_high(simd::clamp_low(x[k], simd::splat<A>(c::x_min)), simd::splat<A>(c::x_max));
                scaled<false>(x);
            }

        private:
            /// exp(x) for x in [x_min, x_max] or NaN; Short: the softmax kernel's reduction and
            /// polynomial (exp_generic.hpp).
            template <bool Short, std::size_t N>
            static JOULE_ALWAYS_INLINE void scaled(float_group<A, N>& x) noexcept
            {
                using c = exp_constants;
                float_group<A, N> t, nf;
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) t[k] =
                  simd::fma(x[k], simd::splat<A>(c::log2e), simd::splat<A>(c::magic));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) nf[k] = t[k] - simd::splat<A>(c::magic);
                float_group<A, N> p;
                if constexpr (Short)
                    p = exp_polynomial_short<A>(exp_reduce<true, A>(x, nf));
                else
                    p = exp_polynomial<A>(exp_reduce<false, A>(x, nf));
                // Masked form with every lane: the unmasked intrinsic trips GCC bug 105593.
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) x[k] =
                  _mm512_mask_scalef_ps(p[k], __mmask16(0xffff), p[k], nf[k]);
            }
        };
#endif

#if !defined(__FMA__) && !defined(__AVX512F__)
        /// exp of two doubles in [x_min, x_max] (or NaN), relative error < 1e-10.
        JOULE_ALWAYS_INLINE __m128d exp_pd_sse2(__m128d x) noexcept
        {
            // n = round(x / ln2) by the magic-constant addition; its low bits hold n + 1023.
            const __m128d magic = _mm_set1_pd(0x1.8p52 + 1023.0);
            const __m128d t = _mm_add_pd(_mm_mul_pd(x, _mm_set1_pd(0x1.71547652b82fep+0)), magic);
            const __m128d nf = _mm_sub_pd(t, magic);
            // ln2_hi has 32 significant bits: n * ln2_hi is exact for |n| < 2^21.
            __m128d r = _mm_sub_pd(x, _mm_mul_pd(nf, _mm_set1_pd(0x1.62e42feep-1)));
            r = _mm_sub_pd(r, _mm_mul_pd(nf, _mm_set1_pd(0x1.a39ef35793c76p-33)));
            // exp(r) ~ 1 + r + r^2 s(r): relative minimax of degree 7 on [-ln2/2, ln2/2] (5.2e-11).
            __m128d s = _mm_set1_pd(0.0001979033052872491839);
            s = _mm_add_pd(_mm_mul_pd(s, r), _mm_set1_pd(0.00139446706073310481719));
            s = _mm_add_pd(_mm_mul_pd(s, r), _mm_set1_pd(0.00833349714157149341919));
            s = _mm_add_pd(_mm_mul_pd(s, r), _mm_set1_pd(0.0416662948017486311392));
            s = _mm_add_pd(_mm_mul_pd(s, r), _mm_set1_pd(0.166666658684530994618));
            s = _mm_add_pd(_mm_mul_pd(s, r), _mm_set1_pd(0.500000006772144243875));
            const __m128d p = _mm_add_pd(_mm_add_pd(_mm_mul_pd(_mm_mul_pd(r, r), s), r), _mm_set1_pd(1.0));
            // 2^n: n + 1023 shifted into the exponent field (n in [-150, 129]: a normal double).
            const __m128d scale = _mm_castsi128_pd(_mm_slli_epi64(_mm_castpd_si128(t), 52));
            return _mm_mul_pd(p, scale);
        }

        /// exp of four floats through doubles; the conversion back rounds once (to nearest, to a
        /// subnormal, or to +inf).
        JOULE_ALWAYS_INLINE __m128 exp_ps_via_pd(__m128 x) noexcept
        {
            const __m128 lo = _mm_cvtpd_ps(exp_pd_sse2(_mm_cvtps_pd(x)));
            const __m128 hi = _mm_cvtpd_ps(exp_pd_sse2(_mm_cvtps_pd(_mm_movehl_ps(x, x))));
            return _mm_movelh_ps(lo, hi);
        }

        template <class A>
        struct exp_kernel<A,
                          std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value &&
                                           (simd::width<float, A> == 4 || simd::width<float, A> == 8)>>
        {
            using fbatch = simd::batch<float, A>;

            static constexpr int bias = 0;

            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void biased(float_group<A, N>& d) noexcept
            {
                for (auto& v : d)
                    v = via_double(simd::clamp_low(v, simd::splat<A>(exp_constants::x_min)));
            }

            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void full(float_group<A, N>& x) noexcept
            {
                using c = exp_constants;
                for (auto& v : x)
                    v = via_double(
                      simd::clamp_high(simd::clamp_low(v, simd::splat<A>(c::x_min)), simd::splat<A>(c::x_max)));
            }

        private:
            static JOULE_ALWAYS_INLINE fbatch via_double(const fbatch& x) noexcept
            {
#if defined(__AVX__)
                if constexpr (simd::width<float, A> == 8)
                {
                    const __m256 v = x;
                    const __m128 lo = exp_ps_via_pd(_mm256_castps256_ps128(v));
                    const __m128 hi = exp_ps_via_pd(_mm256_extractf128_ps(v, 1));
                    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
                }
                else
#endif
                {
                    return exp_ps_via_pd(x);
                }
            }
        };
#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
