// The kernel of the integer GEMM: exact int32 dot products of uint8 rows of A with int8 rows of
// B^T (both zero-padded to a multiple of 64 bytes), for a tile of up to 2 rows of A by 4 rows of
// B^T, so each loaded row is used two or four times. u8s8_dot<A> is a trait; the generic version
// is the scalar reference (the compiler may vectorize it), x86 replaces it below:
// - AVX-512 VNNI (vpdpbusd): four u8 * s8 products summed into each int32 lane, no int16
//   intermediate, so nothing can saturate;
// - AVX2: both operands widened to int16 (vpmovzxbw / vpmovsxbw) and multiplied with vpmaddwd:
//   a pair sum is at most 2 * 255 * 128, far from int32's limit. vpmaddubsw is not used: its
//   int16 pair sums saturate for u8 * s8 (2 * 255 * 127 > 32767).
// int32 sums wrap modulo 2^32 on overflow (as the scalar reference's unsigned arithmetic does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/detail/simd/simd.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Rows of A and B^T are padded to a multiple of this many bytes.
        constexpr std::size_t int8_k_pad = 64;

        template <class A, class Enable = void>
        struct u8s8_dot
        {
            /// out[r * NR + c] = sum over k < kp of a[r][k] * b[c][k], r < MR, c < NR.
            template <int MR, int NR>
            static void run(const std::uint8_t* const* a, const std::int8_t* const* b, std::size_t kp,
                            std::int32_t* out) noexcept
            {
                for (int r = 0; r < MR; ++r)
                    for (int c = 0; c < NR; ++c)
                    {
                        std::uint32_t s = 0; // wraps like the hardware's int32 lanes
                        for (std::size_t k = 0; k < kp; ++k)
                            s += static_cast<std::uint32_t>(std::int32_t(a[r][k]) * std::int32_t(b[c][k]));
                        out[r * NR + c] = static_cast<std::int32_t>(s);
                    }
            }
        };

#if defined(__AVX2__)
        JOULE_ALWAYS_INLINE std::int32_t hsum_epi32(__m256i v) noexcept
        {
            __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
            return _mm_cvtsi128_si32(s);
        }

        template <class A>
        struct u8s8_dot<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> >= 8)>>
        {
            template <int MR, int NR>
            static void run(const std::uint8_t* const* a, const std::int8_t* const* b, std::size_t kp,
                            std::int32_t* out) noexcept
            {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
                if constexpr (simd::width<float, A> >= 16)
                {
                    __m512i acc[MR][NR];
                    for (int r = 0; r < MR; ++r)
                        for (int c = 0; c < NR; ++c)
                            acc[r][c] = _mm512_setzero_si512();
                    for (std::size_t k = 0; k < kp; k += 64)
                    {
                        __m512i av[MR];
                        for (int r = 0; r < MR; ++r)
                            av[r] = _mm512_loadu_si512(a[r] + k);
                        for (int c = 0; c < NR; ++c)
                        {
                            const __m512i bv = _mm512_loadu_si512(b[c] + k);
                            for (int r = 0; r < MR; ++r)
                                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], av[r], bv);
                        }
                    }
                    for (int r = 0; r < MR; ++r)
                        for (int c = 0; c < NR; ++c)
                        {
                            // Through memory: GCC 12's unmasked 512 -> 256 extracts trip
                            // -Wuninitialized (its bug 105593).
                            alignas(64) std::int32_t lanes[16];
                            _mm512_store_si512(lanes, acc[r][c]);
                            std::uint32_t s = 0;
                            for (int l = 0; l < 16; ++l)
                                s += static_cast<std::uint32_t>(lanes[l]);
                            out[r * NR + c] = static_cast<std::int32_t>(s);
                        }
                    return;
                }
#endif
                __m256i acc[MR][NR];
                for (int r = 0; r < MR; ++r)
                    for (int c = 0; c < NR; ++c)
                        acc[r][c] = _mm256_setzero_si256();
                for (std::size_t k = 0; k < kp; k += 16)
                {
                    __m256i av[MR];
                    for (int r = 0; r < MR; ++r)
                        av[r] = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[r] + k)));
                    for (int c = 0; c < NR; ++c)
                    {
                        const __m256i bv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[c] + k)));
                        for (int r = 0; r < MR; ++r)
                            acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_madd_epi16(av[r], bv));
                    }
                }
                for (int r = 0; r < MR; ++r)
                    for (int c = 0; c < NR; ++c)
                        out[r * NR + c] = hsum_epi32(acc[r][c]);
            }
        };
#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
