// Reading softmax rows of float, f16 or bf16 as float registers, and the partial loads and
// stores that let the last few elements of a row go through the same vector code as the rest
// (so a row's tail gets exactly the arithmetic of its body).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "joule/convert.hpp"
#include "joule/detail/simd/simd.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// How a row of T becomes floats: one register (width<float, A> elements) or one element.
        template <class T>
        struct row_input;

        template <>
        struct row_input<float>
        {
            template <class A>
            static JOULE_ALWAYS_INLINE simd::batch<float, A> load(const float* p) noexcept
            {
                return simd::load<A>(p);
            }
            static JOULE_ALWAYS_INLINE float one(const float* p) noexcept { return *p; }
        };

        template <>
        struct row_input<f16>
        {
            template <class A>
            static JOULE_ALWAYS_INLINE simd::batch<float, A> load(const f16* p) noexcept
            {
                return f16_codec<A>::load(bits_of(p));
            }
            static JOULE_ALWAYS_INLINE float one(const f16* p) noexcept { return f16_bits_to_f32(p->bits); }
        };

        template <>
        struct row_input<bf16>
        {
            template <class A>
            static JOULE_ALWAYS_INLINE simd::batch<float, A> load(const bf16* p) noexcept
            {
                return bf16_codec<A>::load(bits_of(p));
            }
            static JOULE_ALWAYS_INLINE float one(const bf16* p) noexcept { return bf16_bits_to_f32(p->bits); }
        };

        /// The first `count` (< width) elements of p, the other lanes set to `fill`. Float rows on
        /// AVX2 and AVX-512 use masked loads (memory past `count` is never touched either way).
        template <class A, class T>
        JOULE_ALWAYS_INLINE simd::batch<float, A> load_partial(const T* p, std::size_t count, float fill) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            if constexpr (std::is_same<T, float>::value && !std::is_same<A, simd::scalar_arch>::value)
            {
#if defined(__AVX512F__)
                if constexpr (w == 16)
                    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), __mmask16((1u << count) - 1u), p);
#endif
#if defined(__AVX2__)
                if constexpr (w == 8)
                {
                    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                    return _mm256_blendv_ps(
                      _mm256_set1_ps(fill), _mm256_maskload_ps(p, lanes), _mm256_castsi256_ps(lanes));
                }
#endif
            }
            alignas(64) float lanes[w];
            for (std::size_t i = 0; i < w; ++i)
                lanes[i] = i < count ? row_input<T>::one(p + i) : fill;
            return simd::load_aligned<A>(lanes);
        }

        /// Stores the first `count` (< width) lanes of v to p.
        template <class A>
        JOULE_ALWAYS_INLINE void store_partial(float* p, const simd::batch<float, A>& v, std::size_t count) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            if constexpr (!std::is_same<A, simd::scalar_arch>::value)
            {
#if defined(__AVX512F__)
                if constexpr (w == 16)
                    return _mm512_mask_storeu_ps(p, __mmask16((1u << count) - 1u), v);
#endif
#if defined(__AVX2__)
                if constexpr (w == 8)
                {
                    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                    return _mm256_maskstore_ps(p, lanes, v);
                }
#endif
            }
            alignas(64) float lanes[w];
            simd::store_aligned(lanes, v);
            std::memcpy(p, lanes, count * sizeof(float));
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
