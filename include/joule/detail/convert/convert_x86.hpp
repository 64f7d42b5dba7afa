// x86 f16 / bf16 codecs. f16 uses F16C (VCVTPH2PS / VCVTPS2PH with round-to-nearest-even
// encoded in the instruction, so MXCSR's rounding mode does not matter) and its AVX-512 form.
// bf16 is integer work: a shift to widen, and round-to-nearest-even by adding 0x7fff plus the
// kept LSB, with NaN lanes made quiet instead (convert_scalar.hpp states the rule).
// The width of batch<float, A> identifies the register file: 4 = SSE, 8 = AVX, 16 = AVX-512.
#pragma once

#if defined(__SSE2__) || defined(_M_X64)

#include <immintrin.h>

#include "joule/detail/convert/convert_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A, std::size_t N>
        using if_float_lanes = std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == N>;

        // bf16 rounding on 32-bit lanes: returns lanes whose high 16 bits are the bf16 result.
        JOULE_ALWAYS_INLINE __m128i bf16_round_hi_sse2(__m128i x) noexcept
        {
            const __m128i abs = _mm_and_si128(x, _mm_set1_epi32(0x7fffffff));
            const __m128i is_nan = _mm_cmpgt_epi32(abs, _mm_set1_epi32(0x7f800000));
            const __m128i lsb = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(1));
            const __m128i rounded = _mm_add_epi32(_mm_add_epi32(x, _mm_set1_epi32(0x7fff)), lsb);
            const __m128i quiet = _mm_or_si128(x, _mm_set1_epi32(0x00400000));
            return _mm_or_si128(_mm_and_si128(is_nan, quiet), _mm_andnot_si128(is_nan, rounded));
        }

        template <class A>
        struct bf16_codec<A, if_float_lanes<A, 4>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 4;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
                return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                const __m128i hi = bf16_round_hi_sse2(_mm_castps_si128(v));
                // Arithmetic shift keeps each result within int16, so the signed pack is exact.
                const __m128i packed = _mm_packs_epi32(_mm_srai_epi32(hi, 16), _mm_setzero_si128());
                _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
            }
        };

#if defined(__AVX2__)
        template <class A>
        struct bf16_codec<A, if_float_lanes<A, 8>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 8;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
                return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                const __m256i x = _mm256_castps_si256(v);
                const __m256i abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff));
                const __m256i is_nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
                const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
                const __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb);
                const __m256i quiet = _mm256_or_si256(x, _mm256_set1_epi32(0x00400000));
                const __m256i hi = _mm256_srli_epi32(_mm256_blendv_epi8(rounded, quiet, is_nan), 16);
                const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(p), packed);
            }
        };
#endif

#if defined(__AVX512F__)
        template <class A>
        struct bf16_codec<A, if_float_lanes<A, 16>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 16;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
                return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                const __m512i x = _mm512_castps_si512(v);
                const __m512i abs = _mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff));
                const __mmask16 is_nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7f800000));
                const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
                const __m512i rounded = _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), lsb);
                const __m512i quiet = _mm512_or_si512(x, _mm512_set1_epi32(0x00400000));
                const __m512i hi = _mm512_srli_epi32(_mm512_mask_blend_epi32(is_nan, rounded, quiet), 16);
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(hi));
            }
        };
#endif

#if defined(__F16C__)
        template <class A>
        struct f16_codec<A, if_float_lanes<A, 4>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 4;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                return _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
            }
        };

        template <class A>
        struct f16_codec<A, if_float_lanes<A, 8>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 8;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
            }
        };
#endif

#if defined(__AVX512F__)
        template <class A>
        struct f16_codec<A, if_float_lanes<A, 16>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 16;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
            }
        };
#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
