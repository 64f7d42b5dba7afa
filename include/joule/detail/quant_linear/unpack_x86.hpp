// AVX2 weight unpacking (unpack.hpp's layout) for the formats that decode in a few register
// operations: q4_0, q4_1, q8_0, iq4_nl (a 16-entry table lookup with vpshufb) and q4_K. For
// M > 1 the unpacking is paid once per weight row; done one value at a time it cost as much as
// sixteen rows of dot products.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "joule/detail/quant_linear/gemv_fused_x86.hpp"
#include "joule/detail/quant_linear/unpack.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        JOULE_ALWAYS_INLINE void store_q32(std::int8_t* q, __m256i v) noexcept
        {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), v);
        }

        /// The 32-value formats: decode(block) gives the int8 values; scale d, offset m or none.
        template <class Block, class Decode>
        JOULE_ALWAYS_INLINE void unpack_row_32(const Block* w, std::size_t blocks, std::int8_t* q, float* scale,
                                               float* offset, Decode decode) noexcept
        {
            for (std::size_t i = 0; i < blocks; ++i)
            {
                store_q32(q + 32 * i, decode(w[i]));
                _mm256_storeu_ps(scale + 8 * i, _mm256_set1_ps(f16_scale(w[i].d)));
                if constexpr (has_weight_offset<Block>)
                    offset[2 * i] = offset[2 * i + 1] = f16_scale(w[i].m);
            }
        }

        template <class A>
        struct unpack_weight_row<A, block_q4_0, if_x86_avx2<A>>
        {
            static void run(const block_q4_0* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                unpack_row_32(w, blocks, q, scale, offset, [](const block_q4_0& b) {
                    return _mm256_sub_epi8(nibbles_32(b.qs), _mm256_set1_epi8(8));
                });
            }
        };
        template <class A>
        struct unpack_weight_row<A, block_q4_1, if_x86_avx2<A>>
        {
            static void run(const block_q4_1* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                unpack_row_32(w, blocks, q, scale, offset, [](const block_q4_1& b) { return nibbles_32(b.qs); });
            }
        };
        template <class A>
        struct unpack_weight_row<A, block_q8_0, if_x86_avx2<A>>
        {
            static void run(const block_q8_0* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                unpack_row_32(w, blocks, q, scale, offset, [](const block_q8_0& b) {
                    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
                });
            }
        };
        template <class A>
        struct unpack_weight_row<A, block_iq4_nl, if_x86_avx2<A>>
        {
            static void run(const block_iq4_nl* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kvalues_iq4nl)));
                unpack_row_32(w, blocks, q, scale, offset,
                              [table](const block_iq4_nl& b) { return _mm256_shuffle_epi8(table, nibbles_32(b.qs)); });
            }
        };
        template <class A>
        struct unpack_weight_row<A, block_q4_K, if_x86_avx2<A>>
        {
            static void run(const block_q4_K* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                const __m256i low4 = _mm256_set1_epi8(0x0f);
                for (std::size_t i = 0; i < blocks; ++i)
                {
                    const block_q4_K& b = w[i];
                    alignas(16) std::uint32_t sm[4];
                    scales_mins_q4_K(b.scales, sm);
                    const auto* sc = reinterpret_cast<const std::uint8_t*>(sm); // sc[0..7], then m[0..7]
                    const float d = f16_scale(b.d), dmin = f16_scale(b.dmin);
                    for (int j = 0; j < 4; ++j)
                    {
                        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * j));
                        store_q32(q + 256 * i + 64 * j, _mm256_and_si256(v, low4));
                        store_q32(q + 256 * i + 64 * j + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
                    }
                    for (int s = 0; s < 8; ++s)
                    {
                        _mm256_storeu_ps(scale + 64 * i + 8 * s, _mm256_set1_ps(d * static_cast<float>(sc[s])));
                        offset[16 * i + 2 * s] = offset[16 * i + 2 * s + 1] = -mul(dmin, static_cast<float>(sc[8 + s]));
                    }
                }
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
