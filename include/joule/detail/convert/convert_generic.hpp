// Register-level f16 / bf16 codecs: load `width<float, A>` 16-bit values as one float batch,
// or store one float batch as 16-bit values. This file holds the portable fallback (one lane
// at a time through the exact scalar functions); convert_x86.hpp and convert_neon.hpp
// specialize the codecs where the instruction set converts in registers. Matmul packing, GEMV
// and the row conversions all go through these codecs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/detail/convert/convert_scalar.hpp"
#include "joule/detail/simd/simd.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// f16 codec for arch A. `native` says whether the conversion happens in registers.
        template <class A, class Enable = void>
        struct f16_codec
        {
            static constexpr bool native = false;
            static constexpr std::size_t lanes = simd::width<float, A>;

            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                alignas(64) float lanes_f32[lanes];
                for (std::size_t i = 0; i < lanes; ++i)
                    lanes_f32[i] = f16_bits_to_f32(p[i]);
                return simd::load_aligned<A>(lanes_f32);
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                alignas(64) float lanes_f32[lanes];
                simd::store_aligned(lanes_f32, v);
                for (std::size_t i = 0; i < lanes; ++i)
                    p[i] = f32_to_f16_bits(lanes_f32[i]);
            }
        };

        /// bf16 codec for arch A, same contract as f16_codec.
        template <class A, class Enable = void>
        struct bf16_codec
        {
            static constexpr bool native = false;
            static constexpr std::size_t lanes = simd::width<float, A>;

            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                alignas(64) float lanes_f32[lanes];
                for (std::size_t i = 0; i < lanes; ++i)
                    lanes_f32[i] = bf16_bits_to_f32(p[i]);
                return simd::load_aligned<A>(lanes_f32);
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                alignas(64) float lanes_f32[lanes];
                simd::store_aligned(lanes_f32, v);
                for (std::size_t i = 0; i < lanes; ++i)
                    p[i] = f32_to_bf16_bits(lanes_f32[i]);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
