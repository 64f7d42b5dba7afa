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

#if defined(__AVX2__) && defined(__FMA__)
        /// AVX2 (x86-64-v3): the softmax kernel looks 2^(j/8) up in a table of eight floats (one
        /// VPERMPS, which reads the low three bits of each index lane), so that its reduced
        /// argument is eight times smaller, |r| <= ln2/16, and a cubic replaces the degree-5
        /// polynomial: six multiply-adds per register instead of eight on the two FMA pipes the
        /// kernel is bound by; the table and exponent work goes to the vector integer pipes.
        /// exp(d) = 2^n * 2^(j/8) * p(r), with k = 8n + j = round(d * 8 / ln2) and
        /// r = d - k ln2/8 (ln2_hi alone, as the portable kernel). p is a relative minimax cubic
        /// with p(0) = 1 and p'(0) = 1 (fit error 2.8e-8 after rounding the coefficients to float),
        /// the table entries are 2^(j/8) rounded to float (<= 0.5 ULP). p is evaluated as
        /// 1 + s, s = r + r^2 (c2 + c3 r) (r^2 and c2 + c3 r side by side), and the scale applied
        /// as fma(scale, s, scale): the 1 + s is never rounded on its own, and the chain is three
        /// operations shorter than Horner followed by a multiply. Relative error of 2^(j/8) p(r),
        /// simulated over every table entry: 1.07e-7 (Horner then multiply: 1.59e-7); the kernel
        /// reaches 74% of the portable kernel's bound, 2.2e-7 + |d| * 2.8e-9, against 81% before
        /// (tests/softmax_exp_test.cpp). Speed on Zen 3: +1-2% in cache. full() is the portable one.
        template <class A>
        struct exp_kernel<A,
                          std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 8>>
            : exp_kernel_portable<A>
        {
            static constexpr int bias = 32;

            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void biased(float_group<A, N>& d) noexcept
            {
                using c = exp_constants;
                // t = 1.5 * 2^23 + k + 8 bias: its bits are 0x4b400000 + k + 8 bias (k + 8 bias may
                // be negative; the sum never is). Adding a multiple of 8 keeps j = k mod 8 in the
                // low three bits, where VPERMPS reads the index, and since 0x4b400000 / 8 << 23
                // wraps to 0, (bits(t) >> 3) << 23 is (n + bias) << 23 modulo 2^32: added to the
                // bits of 2^(j/8) (exponent field 127, n + bias >= -118), it multiplies by 2^(n + bias).
                const __m256 magic = _mm256_set1_ps(c::magic + 8.0f * static_cast<float>(bias));
                const __m256 scale8 = _mm256_set1_ps(8.0f * c::log2e);
                const __m256 ln2_8 = _mm256_set1_ps(-c::ln2_hi / 8.0f);
                const __m256 table = _mm256_setr_ps(0x1p+0f,
                                                    0x1.172b84p+0f,
                                                    0x1.306fep+0f,
                                                    0x1.4bfdaep+0f,
                                                    0x1.6a09e6p+0f,
                                                    0x1.8ace54p+0f,
                                                    0x1.ae89fap+0f,
                                                    0x1.d5818ep+0f);
                __m256 t[N], r[N], p[N];
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) d[k] =
                  simd::clamp_low(d[k], simd::splat<A>(c::x_min));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) t[k] = _mm256_fmadd_ps(d[k], scale8, magic);
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) r[k] =
                  _mm256_fmadd_ps(_mm256_sub_ps(t[k], magic), ln2_8, d[k]);
                // p(r) - 1 = r + r^2 (c2 + c3 r) = s: its two halves side by side, then
                // 2^(n + bias) 2^(j/8) p(r) = fma(scale, s, scale).
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] =
                  _mm256_fmadd_ps(_mm256_set1_ps(0x1.554a8ep-3f), r[k], _mm256_set1_ps(0x1.0008bp-1f));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] =
                  _mm256_fmadd_ps(_mm256_mul_ps(r[k], r[k]), p[k], r[k]);
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k)
                {
                    const __m256i bits = _mm256_castps_si256(t[k]);
                    const __m256i power = _mm256_slli_epi32(_mm256_srli_epi32(bits, 3), 23);
                    const __m256 scale = _mm256_castsi256_ps(
                      _mm256_add_epi32(_mm256_castps_si256(_mm256_permutevar8x32_ps(table, bits)), power));
                    d[k] = _mm256_fmadd_ps(scale, p[k], scale);
                }
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
