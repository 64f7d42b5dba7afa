// AVX2 int8 dot kernel for the quantized linear layer (also used on AVX-512 machines).
//
// vpmaddubsw multiplies unsigned by signed bytes and adds adjacent pairs into int16 with
// saturation. The kernel feeds it |a| and b * sign(a), where a is the operand that may hold
// -128 (so |a| <= 128 fits as unsigned) and b the one that never does (so b * sign(a) stays in
// [-127, 127]): every pair sum is at most 2 * 128 * 127 = 32512 < 32767, so it never saturates
// and the products are exact. vpmaddwd with ones then adds pairs into int32 lanes (lane j of a
// 32-value chunk holds elements 4j .. 4j + 3), converted to float and scaled per lane.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "joule/detail/quant/x86_common.hpp"
#include "joule/detail/quant_linear/dot_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        JOULE_ALWAYS_INLINE __m256 fmadd_ps(__m256 a, __m256 b, __m256 c) noexcept
        {
#if defined(__FMA__)
            return _mm256_fmadd_ps(a, b, c);
#else
            return _mm256_add_ps(_mm256_mul_ps(a, b), c);
#endif
        }
        JOULE_ALWAYS_INLINE float hsum_ps(__m256 v) noexcept
        {
            __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            return _mm_cvtss_f32(s);
        }
        /// Exact int32 lane sums of a * b over 32 int8 pairs, given |a| and b * sign(a).
        /// With VNNI, one vpdpbusd does both steps (no int16 intermediate at all): the EVEX form
        /// of AVX-512 VNNI, or the VEX form of AVX-VNNI (same operation; the avxvnni dispatch
        /// level, which no machine here has, runs that one).
        JOULE_ALWAYS_INLINE __m256i dot_lanes_epi8(__m256i abs_a, __m256i b_signed) noexcept
        {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
            return _mm256_dpbusd_epi32(_mm256_setzero_si256(), abs_a, b_signed);
#elif defined(__AVXVNNI__)
            return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), abs_a, b_signed);
#else
            return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, b_signed), _mm256_set1_epi16(1));
#endif
        }

        template <class A, bool WeightsMayHoldMin>
        struct int8_dot<A, WeightsMayHoldMin, if_x86_avx2<A>>
        {
            template <int R>
            static void run(const activation_row& x, const weight_row* w, std::size_t K, float* out) noexcept
            {
                __m256 acc[R];
                for (int r = 0; r < R; ++r)
                    acc[r] = _mm256_setzero_ps();
                for (std::size_t c = 0; c < K / 32; ++c)
                {
                    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + 32 * c));
                    const __m256 xd = _mm256_set1_ps(x.d[c]);
                    const __m256i xabs = _mm256_abs_epi8(xv);
                    for (int r = 0; r < R; ++r)
                    {
                        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r].q + 32 * c));
                        const __m256i lanes = WeightsMayHoldMin ? dot_lanes_epi8(_mm256_abs_epi8(wv), _mm256_sign_epi8(xv, wv))
                                                                : dot_lanes_epi8(xabs, _mm256_sign_epi8(wv, xv));
                        const __m256 s = _mm256_mul_ps(_mm256_loadu_ps(w[r].scale + 8 * c), xd);
                        acc[r] = fmadd_ps(_mm256_cvtepi32_ps(lanes), s, acc[r]);
                    }
                }
                for (int r = 0; r < R; ++r)
                    out[r] = hsum_ps(acc[r]);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
