// Reading softmax rows of float, f16 or bf16 as float registers, and the partial loads and
// stores that let the last few elements of a row go through the same vector code as the rest
// (so a row's tail gets exactly the arithmetic of its body).
#pragma once

#include <cstddef>
#include <cstring>

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

        /// The first `count` (< width) elements of p, the other lanes set to `fill`.
        template <class A, class T>
        JOULE_ALWAYS_INLINE simd::batch<float, A> load_partial(const T* p, std::size_t count, float fill) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            alignas(64) float lanes[w];
            for (std::size_t i = 0; i < w; ++i)
                lanes[i] = i < count ? row_input<T>::one(p + i) : fill;
            return simd::load_aligned<A>(lanes);
        }

        /// Stores the first `count` (< width) lanes of v to p.
        template <class A>
        JOULE_ALWAYS_INLINE void store_partial(float* p, const simd::batch<float, A>& v, std::size_t count) noexcept
        {
            alignas(64) float lanes[simd::width<float, A>];
            simd::store_aligned(lanes, v);
            std::memcpy(p, lanes, count * sizeof(float));
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
