// Row conversion kernels between float and 16-bit floats, written once over the codecs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/detail/convert/convert_generic.hpp"
#include "joule/detail/convert/convert_neon.hpp"
#include "joule/detail/convert/convert_x86.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// y[i] = Codec::narrow(x[i]) for i < n. Four registers per step keep both load ports busy.
        template <class A, class Codec, std::uint16_t (*narrow_one)(float)>
        void narrow_row(const float* JOULE_RESTRICT x, std::uint16_t* JOULE_RESTRICT y, std::size_t n) noexcept
        {
            std::size_t i = 0;
            if constexpr (Codec::native)
            {
                constexpr std::size_t w = Codec::lanes;
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    const auto a = simd::load<A>(x + i);
                    const auto b = simd::load<A>(x + i + w);
                    const auto c = simd::load<A>(x + i + 2 * w);
                    const auto d = simd::load<A>(x + i + 3 * w);
                    Codec::store(y + i, a);
                    Codec::store(y + i + w, b);
                    Codec::store(y + i + 2 * w, c);
                    Codec::store(y + i + 3 * w, d);
                }
                for (; i + w <= n; i += w)
                    Codec::store(y + i, simd::load<A>(x + i));
            }
            for (; i < n; ++i)
                y[i] = narrow_one(x[i]);
        }

        /// y[i] = Codec::widen(x[i]) for i < n.
        template <class A, class Codec, float (*widen_one)(std::uint16_t)>
        void widen_row(const std::uint16_t* JOULE_RESTRICT x, float* JOULE_RESTRICT y, std::size_t n) noexcept
        {
            std::size_t i = 0;
            if constexpr (Codec::native)
            {
                constexpr std::size_t w = Codec::lanes;
                for (; i + 4 * w <= n; i += 4 * w)
                {
                    const auto a = Codec::load(x + i);
                    const auto b = Codec::load(x + i + w);
                    const auto c = Codec::load(x + i + 2 * w);
                    const auto d = Codec::load(x + i + 3 * w);
                    simd::store(y + i, a);
                    simd::store(y + i + w, b);
                    simd::store(y + i + 2 * w, c);
                    simd::store(y + i + 3 * w, d);
                }
                for (; i + w <= n; i += w)
                    simd::store(y + i, Codec::load(x + i));
            }
            for (; i < n; ++i)
                y[i] = widen_one(x[i]);
        }

        template <class A>
        void f32_to_f16_row(const float* x, std::uint16_t* y, std::size_t n) noexcept
        {
            narrow_row<A, f16_codec<A>, f32_to_f16_bits>(x, y, n);
        }
        template <class A>
        void f16_to_f32_row(const std::uint16_t* x, float* y, std::size_t n) noexcept
        {
            widen_row<A, f16_codec<A>, f16_bits_to_f32>(x, y, n);
        }
        template <class A>
        void f32_to_bf16_row(const float* x, std::uint16_t* y, std::size_t n) noexcept
        {
            narrow_row<A, bf16_codec<A>, f32_to_bf16_bits>(x, y, n);
        }
        template <class A>
        void bf16_to_f32_row(const std::uint16_t* x, float* y, std::size_t n) noexcept
        {
            widen_row<A, bf16_codec<A>, bf16_bits_to_f32>(x, y, n);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
