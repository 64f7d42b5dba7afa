// x86 dequantizers for q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K and q6_K: unpack in AVX2
// registers, widen to float (512-bit conversions in AVX-512 builds), one rounding per product
// as in dequant_generic.hpp.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstdint>
#include <type_traits>

#include "joule/detail/quant/x86_common.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        // ---- dequantization of the 32-value formats ------------------------------------------------
        /// y[0..16) = q * d (- m / + m) for 16 int8 values.
        template <std::size_t Lanes, offset_kind K>
        JOULE_ALWAYS_INLINE void store_scaled_16(__m128i q, float d, float m, float* y) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (Lanes == 16)
            {
                __m512 v = _mm512_mul_ps(i8x16_to_f32(q), _mm512_set1_ps(d));
                if (K == offset_kind::plus)
                    v = _mm512_add_ps(rounded(v), _mm512_set1_ps(m));
                else if (K == offset_kind::minus)
                    v = _mm512_sub_ps(rounded(v), _mm512_set1_ps(m));
                _mm512_storeu_ps(y, v);
                return;
            }
#endif
            const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
            const __m128i half[2] = {q, _mm_srli_si128(q, 8)};
            for (int k = 0; k < 2; ++k)
            {
                __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(half[k])), vd);
                if (K == offset_kind::plus)
                    v = _mm256_add_ps(rounded(v), vm);
                else if (K == offset_kind::minus)
                    v = _mm256_sub_ps(rounded(v), vm);
                _mm256_storeu_ps(y + 8 * k, v);
            }
        }
        /// y[0..32) = q * d (+ m), q given as 16 int8 for elements 0..15 and 16 for 16..31.
        template <std::size_t Lanes, offset_kind K>
        JOULE_ALWAYS_INLINE void store_scaled_32(__m128i lo, __m128i hi, float d, float m, float* y) noexcept
        {
            store_scaled_16<Lanes, K>(lo, d, m, y);
            store_scaled_16<Lanes, K>(hi, d, m, y + 16);
        }
        JOULE_ALWAYS_INLINE void split_nibbles(const std::uint8_t* qs, __m128i& lo, __m128i& hi) noexcept
        {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
            const __m128i low4 = _mm_set1_epi8(0x0f);
            lo = _mm_and_si128(b, low4);
            hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4);
        }
        /// 16 bits -> 16 bytes, 0x10 where the bit is set.
        JOULE_ALWAYS_INLINE __m128i fifth_bits(std::uint32_t bits16) noexcept
        {
            const __m128i spread = _mm_shuffle_epi8(_mm_cvtsi32_si128(static_cast<int>(bits16)),
                                                    _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
            const __m128i bit = _mm_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
            return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(spread, bit), bit), _mm_set1_epi8(0x10));
        }
        JOULE_ALWAYS_INLINE std::uint32_t load_u32_le(const std::uint8_t* p) noexcept
        {
            return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
        }

        template <class A>
        struct dequantize_rows<A, block_q4_0, if_x86_avx2<A>>
        {
            static void run(const block_q4_0* x, float* y, std::size_t blocks) noexcept
            {
                const __m128i eight = _mm_set1_epi8(8);
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(
                        _mm_sub_epi8(lo, eight), _mm_sub_epi8(hi, eight), from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q4_1, if_x86_avx2<A>>
        {
            static void run(const block_q4_1* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    store_scaled_32<simd::width<float, A>, offset_kind::plus>(lo, hi, from_f16(x[i].d.bits),
                                                                              from_f16(x[i].m.bits), y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_0, if_x86_avx2<A>>
        {
            static void run(const block_q5_0* x, float* y, std::size_t blocks) noexcept
            {
                const __m128i sixteen = _mm_set1_epi8(16);
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    const std::uint32_t qh = load_u32_le(x[i].qh);
                    lo = _mm_sub_epi8(_mm_or_si128(lo, fifth_bits(qh & 0xffff)), sixteen);
                    hi = _mm_sub_epi8(_mm_or_si128(hi, fifth_bits(qh >> 16)), sixteen);
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(lo, hi, from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_1, if_x86_avx2<A>>
        {
            static void run(const block_q5_1* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    const std::uint32_t qh = load_u32_le(x[i].qh);
                    lo = _mm_or_si128(lo, fifth_bits(qh & 0xffff));
                    hi = _mm_or_si128(hi, fifth_bits(qh >> 16));
                    store_scaled_32<simd::width<float, A>, offset_kind::plus>(lo, hi, from_f16(x[i].d.bits),
                                                                              from_f16(x[i].m.bits), y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q8_0, if_x86_avx2<A>>
        {
            static void run(const block_q8_0* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
                    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs + 16));
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(lo, hi, from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        // ---- dequantization of q4_K, q5_K and q6_K --------------------------------------------------
        // The element layouts are described in dequant_generic.hpp; the float steps are the same.
        JOULE_ALWAYS_INLINE __m128i low_half(__m256i v) noexcept { return _mm256_castsi256_si128(v); }
        JOULE_ALWAYS_INLINE __m128i high_half(__m256i v) noexcept { return _mm256_extracti128_si256(v, 1); }
        JOULE_ALWAYS_INLINE __m256i load32(const std::uint8_t* p) noexcept
        {
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        }

        /// q4_K (Bits = 4) and q5_K (Bits = 5): y = (d * sc) * q - dmin * m per 32 values.
        template <std::size_t Lanes, int Bits, class Block>
        JOULE_ALWAYS_INLINE void dequantize_k4_block(const Block& b, float* y) noexcept
        {
            const float d = from_f16(b.d.bits), dmin = from_f16(b.dmin.bits);
            const __m256i low4 = _mm256_set1_epi8(0x0f);
            __m256i qh = _mm256_setzero_si256();
            if constexpr (Bits == 5)
                qh = load32(b.qh);
            for (int j = 0; j < 4; ++j) // 64 values: sub-blocks 2j (low nibbles) and 2j + 1 (high)
            {
                const __m256i bytes = load32(b.qs + 32 * j);
                __m256i q[2] = {_mm256_and_si256(bytes, low4), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low4)};
                for (int h = 0; h < 2; ++h)
                {
                    const int s = 2 * j + h;
                    if constexpr (Bits == 5) // fifth bit of element e: bit e / 32 of qh[e % 32]
                    {
                        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << s));
                        q[h] = _mm256_or_si256(q[h], _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit),
                                                                      _mm256_set1_epi8(0x10)));
                    }
                    std::uint8_t sc, m;
                    scale_min_k4(s, b.scales, sc, m);
                    const float ds = d * static_cast<float>(sc), ms = mul(dmin, static_cast<float>(m));
                    store_scaled_32<Lanes, offset_kind::minus>(low_half(q[h]), high_half(q[h]), ds, ms, y + 32 * s);
                }
            }
        }

        template <class A>
        struct dequantize_rows<A, block_q4_K, if_x86_avx2<A>>
        {
            static void run(const block_q4_K* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                    dequantize_k4_block<simd::width<float, A>, 4>(x[i], y);
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_K, if_x86_avx2<A>>
        {
            static void run(const block_q5_K* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                    dequantize_k4_block<simd::width<float, A>, 5>(x[i], y);
            }
        };

        /// q6_K: y = (d * sc) * (q - 32), one int8 scale per 16 values.
        template <class A>
        struct dequantize_rows<A, block_q6_K, if_x86_avx2<A>>
        {
            static void run(const block_q6_K* x, float* y, std::size_t blocks) noexcept
            {
                constexpr std::size_t lanes = simd::width<float, A>;
                const __m256i low4 = _mm256_set1_epi8(0x0f), two = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                {
                    const block_q6_K& b = x[i];
                    const float d = from_f16(b.d.bits);
                    for (int half = 0; half < 2; ++half) // 128 values from 64 ql and 32 qh bytes
                    {
                        const __m256i A0 = load32(b.ql + 64 * half), A1 = load32(b.ql + 64 * half + 32);
                        const __m256i H = load32(b.qh + 32 * half);
                        // Quarter k holds values 32k .. 32k + 31 of this half: low nibbles of ql[0..32)
                        // and ql[32..64), then their high nibbles; the top two bits come from H >> 2k.
                        const __m256i lows[4] = {_mm256_and_si256(A0, low4), _mm256_and_si256(A1, low4),
                                                 _mm256_and_si256(_mm256_srli_epi16(A0, 4), low4),
                                                 _mm256_and_si256(_mm256_srli_epi16(A1, 4), low4)};
                        for (int k = 0; k < 4; ++k)
                        {
                            const __m256i top = _mm256_and_si256(_mm256_srli_epi16(H, 2 * k), two);
                            const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lows[k], _mm256_slli_epi16(top, 4)), bias);
                            const int s = 8 * half + 2 * k; // scale of values 16 s .. 16 s + 15
                            float* out = y + 128 * half + 32 * k;
                            store_scaled_16<lanes, offset_kind::none>(low_half(q), d * static_cast<float>(b.scales[s]), 0, out);
                            store_scaled_16<lanes, offset_kind::none>(high_half(q), d * static_cast<float>(b.scales[s + 1]), 0,
                                                                      out + 16);
                        }
                    }
                }
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
