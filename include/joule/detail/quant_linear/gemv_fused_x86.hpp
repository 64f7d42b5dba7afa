// AVX2 fused M == 1 kernels (see gemv_fused.hpp): q4_0 x q8_0, q8_0 x q8_0 and q4_K x q8_K, the
// blocks decoded in registers as they stream in. Products are exact in every vpmaddubsw:
//   q4_0:  |q - 8| <= 8 unsigned, q8_0 activations in [-127, 127] with the weight's sign;
//   q8_0:  |w| <= 128 unsigned, activations in [-127, 127] (q8_0 never holds -128) with w's sign;
//   q4_K:  q in [0, 15] unsigned against q8_K in [-128, 127]: pair sums <= 2 * 15 * 128.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/kquant_ref.hpp"
#include "joule/detail/quant_linear/dot_x86.hpp"
#include "joule/detail/quant_linear/gemv_fused.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        JOULE_ALWAYS_INLINE float f16_scale(f16 h) noexcept { return _cvtsh_ss(h.bits); }

        /// 32 nibbles of q4_0 / q4_K order: element j low nibble of qs[j], j + 16 high nibble.
        JOULE_ALWAYS_INLINE __m256i nibbles_32(const std::uint8_t* qs) noexcept
        {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
            const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
            return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
        }

        /// The dot of one 32-value block pair, given the weight's signed int8 values.
        JOULE_ALWAYS_INLINE __m256 block_dot_ps(__m256i w, const std::int8_t* xq) noexcept
        {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
            return _mm256_cvtepi32_ps(dot_lanes_epi8(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w)));
        }

        /// Shared loop of the 32-value formats: two blocks per step into two accumulators.
        template <class Block, class Decode>
        JOULE_ALWAYS_INLINE float gemv_row_32(const Block* w, const block_q8_0* x, std::size_t nb, Decode decode) noexcept
        {
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            std::size_t i = 0;
            for (; i + 2 <= nb; i += 2)
            {
                const __m256 p0 = block_dot_ps(decode(w[i]), x[i].qs);
                const __m256 p1 = block_dot_ps(decode(w[i + 1]), x[i + 1].qs);
                acc0 = fmadd_ps(p0, _mm256_set1_ps(f16_scale(w[i].d) * f16_scale(x[i].d)), acc0);
                acc1 = fmadd_ps(p1, _mm256_set1_ps(f16_scale(w[i + 1].d) * f16_scale(x[i + 1].d)), acc1);
            }
            if (i < nb)
                acc0 = fmadd_ps(block_dot_ps(decode(w[i]), x[i].qs), _mm256_set1_ps(f16_scale(w[i].d) * f16_scale(x[i].d)),
                                acc0);
            return hsum_ps(_mm256_add_ps(acc0, acc1));
        }

        template <class A>
        struct gemv_fused<A, block_q4_0, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            static void run(const block_q4_0* w, std::size_t w_stride, std::size_t rows, const block_q8_0* x,
                            std::size_t nb, float* y, std::size_t y_stride, const float* bias) noexcept
            {
                const auto decode = [](const block_q4_0& b) {
                    return _mm256_sub_epi8(nibbles_32(b.qs), _mm256_set1_epi8(8));
                };
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_32(w + j * w_stride, x, nb, decode) + (bias ? bias[j] : 0.0f);
            }
        };

        template <class A>
        struct gemv_fused<A, block_q8_0, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            static void run(const block_q8_0* w, std::size_t w_stride, std::size_t rows, const block_q8_0* x,
                            std::size_t nb, float* y, std::size_t y_stride, const float* bias) noexcept
            {
                const auto decode = [](const block_q8_0& b) {
                    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
                };
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_32(w + j * w_stride, x, nb, decode) + (bias ? bias[j] : 0.0f);
            }
        };

        /// q4_K's twelve scale bytes as eight 6-bit scales (bytes 0..7) and eight 6-bit minimums
        /// (bytes 8..15), all at once (the bit layout of scale_min_k4).
        JOULE_ALWAYS_INLINE void scales_mins_q4_K(const std::uint8_t* scales, std::uint32_t out[4]) noexcept
        {
            std::uint32_t u[3];
            std::memcpy(u, scales, 12);
            out[0] = u[0] & 0x3f3f3f3fu;
            out[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
            out[2] = u[1] & 0x3f3f3f3fu;
            out[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
        }

        /// q4_K . q8_K over nb super-blocks: per super-block an exact int32 sum of
        /// sc_j * sum(q * x) over its eight sub-blocks (madd of the int16 pair sums by sc_j: at
        /// most 2 * 3840 * 63 per lane), and the minimums through q8_K's bsums.
        JOULE_ALWAYS_INLINE float gemv_row_q4_K(const block_q4_K* w, const block_q8_K* x, std::size_t nb) noexcept
        {
            __m256 acc = _mm256_setzero_ps();
            __m128 acc_min = _mm_setzero_ps();
            const __m256i low4 = _mm256_set1_epi8(0x0f);
            for (std::size_t i = 0; i < nb; ++i)
            {
                const block_q4_K& b = w[i];
                alignas(16) std::uint32_t sm[4];
                scales_mins_q4_K(b.scales, sm);
                const __m128i sm16_lo = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm)));
                const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 2)));
                const __m128i bsums = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].bsums)),
                                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].bsums + 8)));
                const __m128i prod_min = _mm_madd_epi16(mins16, bsums);
                const __m256i scales = _mm256_broadcastsi128_si256(sm16_lo);
                __m256i sumi = _mm256_setzero_si256();
                for (int j = 0; j < 4; ++j)
                {
                    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * j));
                    const __m256i lo = _mm256_and_si256(q, low4);
                    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
                    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * j));
                    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * j + 32));
                    const __m256i sc0 = _mm256_shuffle_epi8(scales, _mm256_set1_epi16(short(0x0100 + 0x0202 * (2 * j))));
                    const __m256i sc1 = _mm256_shuffle_epi8(scales, _mm256_set1_epi16(short(0x0100 + 0x0202 * (2 * j + 1))));
                    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x0), sc0);
                    const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x1), sc1);
                    sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
                }
                acc = fmadd_ps(_mm256_set1_ps(x[i].d * f16_scale(b.d)), _mm256_cvtepi32_ps(sumi), acc);
                acc_min = _mm_add_ps(_mm_mul_ps(_mm_set1_ps(x[i].d * f16_scale(b.dmin)), _mm_cvtepi32_ps(prod_min)), acc_min);
            }
            __m128 m = _mm_add_ps(acc_min, _mm_movehl_ps(acc_min, acc_min));
            m = _mm_add_ss(m, _mm_movehdup_ps(m));
            return hsum_ps(acc) - _mm_cvtss_f32(m);
        }

        template <class A>
        struct gemv_fused<A, block_q4_K, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            static void run(const block_q4_K* w, std::size_t w_stride, std::size_t rows, const block_q8_K* x,
                            std::size_t nb, float* y, std::size_t y_stride, const float* bias) noexcept
            {
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_q4_K(w + j * w_stride, x, nb) + (bias ? bias[j] : 0.0f);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
