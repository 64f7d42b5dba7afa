// Helpers shared by the x86 quantization kernels (quantize_x86.hpp, dequantize_x86.hpp): one
// 32-value block in four AVX2 registers, horizontal reductions, packing, the f16 scale store.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "joule/detail/quant/rows_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        using if_x86_avx2 = std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> >= 8)>;

        // ---- helpers on one 32-value block held in four registers ---------------------------------
        struct f32x32
        {
            __m256 v[4];
        };
        JOULE_ALWAYS_INLINE f32x32 load_block32(const float* x) noexcept
        {
            return {{_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8), _mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)}};
        }
        JOULE_ALWAYS_INLINE std::uint32_t hmax_epu32(__m256i m) noexcept
        {
            __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
            h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4e));
            h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xb1));
            return static_cast<std::uint32_t>(_mm_cvtsi128_si32(h));
        }
        /// max |x| as float bits: >= 0x7f800000 when the block holds NaN or inf.
        JOULE_ALWAYS_INLINE std::uint32_t absmax_bits(const f32x32& b) noexcept
        {
            const __m256i mask = _mm256_set1_epi32(0x7fffffff);
            const __m256i a0 = _mm256_and_si256(_mm256_castps_si256(b.v[0]), mask);
            const __m256i a1 = _mm256_and_si256(_mm256_castps_si256(b.v[1]), mask);
            const __m256i a2 = _mm256_and_si256(_mm256_castps_si256(b.v[2]), mask);
            const __m256i a3 = _mm256_and_si256(_mm256_castps_si256(b.v[3]), mask);
            return hmax_epu32(_mm256_max_epu32(_mm256_max_epu32(a0, a1), _mm256_max_epu32(a2, a3)));
        }
        /// Bit i set where element i's float bits, masked by `mask`, equal `bits`.
        JOULE_ALWAYS_INLINE std::uint32_t match_mask(const f32x32& b, std::uint32_t mask, std::uint32_t bits) noexcept
        {
            const __m256i m = _mm256_set1_epi32(static_cast<int>(mask)), want = _mm256_set1_epi32(static_cast<int>(bits));
            std::uint32_t out = 0;
            for (int k = 0; k < 4; ++k)
            {
                const __m256i eq = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(b.v[k]), m), want);
                out |= static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(eq))) << (8 * k);
            }
            return out;
        }
        /// ggml's signed maximum: the first value whose magnitude is the largest.
        JOULE_ALWAYS_INLINE float first_with_abs_bits(const float* x, const f32x32& b, std::uint32_t abs) noexcept
        {
            return x[__builtin_ctz(match_mask(b, 0x7fffffffu, abs))];
        }
        JOULE_ALWAYS_INLINE float hmin_ps(__m256 v) noexcept
        {
            __m128 h = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            h = _mm_min_ps(h, _mm_shuffle_ps(h, h, 0x4e));
            h = _mm_min_ps(h, _mm_shuffle_ps(h, h, 0xb1));
            return _mm_cvtss_f32(h);
        }
        JOULE_ALWAYS_INLINE float hmax_ps(__m256 v) noexcept
        {
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            h = _mm_max_ps(h, _mm_shuffle_ps(h, h, 0x4e));
            h = _mm_max_ps(h, _mm_shuffle_ps(h, h, 0xb1));
            return _mm_cvtss_f32(h);
        }
        /// ggml's min / max of a finite block: values exact; a zero result gets the sign of the
        /// first zero, as ggml's strict-comparison scan from +-FLT_MAX does.
        JOULE_ALWAYS_INLINE void min_max(const float* x, const f32x32& b, float& min, float& max) noexcept
        {
            min = hmin_ps(_mm256_min_ps(_mm256_min_ps(b.v[0], b.v[1]), _mm256_min_ps(b.v[2], b.v[3])));
            max = hmax_ps(_mm256_max_ps(_mm256_max_ps(b.v[0], b.v[1]), _mm256_max_ps(b.v[2], b.v[3])));
            if (min == 0 || max == 0)
            {
                const float first_zero = x[__builtin_ctz(match_mask(b, 0x7fffffffu, 0))];
                min = min == 0 ? first_zero : min;
                max = max == 0 ? first_zero : max;
            }
        }
        /// 32 int32 (four registers, element order) -> 32 int8 in element order, saturating.
        JOULE_ALWAYS_INLINE __m256i pack_i32_i8(__m256i a, __m256i b, __m256i c, __m256i d) noexcept
        {
            const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
            return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        }
        /// 32 values < 16 in element order -> 16 bytes: element j low nibble, j + 16 high nibble.
        JOULE_ALWAYS_INLINE __m128i pack_nibbles(__m256i q) noexcept
        {
            return _mm_or_si128(_mm256_castsi256_si128(q), _mm_slli_epi16(_mm256_extracti128_si256(q, 1), 4));
        }
        JOULE_ALWAYS_INLINE void store_f16(f16& h, float v) noexcept { h = f16::from_bits(to_f16(v)); }

        JOULE_ALWAYS_INLINE int hsum_epi32(__m256i v) noexcept
        {
            __m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
            return _mm_cvtsi128_si32(h);
        }

    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
