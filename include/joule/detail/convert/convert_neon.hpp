// ARM NEON f16 / bf16 codecs. f16 uses FCVTL / FCVTN (AArch64, and 32-bit ARM built with the
// NEON half-precision extension); Linux runs with FPCR's default round-to-nearest-even and
// NaN propagation, which gives the bits convert_scalar.hpp specifies. bf16 is integer work:
// a widening shift, and a narrowing shift after round-to-nearest-even.
#pragma once

#if defined(__ARM_NEON) || defined(__ARM_NEON__)

#include <arm_neon.h>

#include "joule/detail/convert/convert_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        using if_neon_lanes = std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 4>;

        template <class A>
        struct bf16_codec<A, if_neon_lanes<A>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 4;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                const uint32x4_t x = vreinterpretq_u32_f32(v);
                const uint32x4_t is_nan = vcgtq_u32(vandq_u32(x, vdupq_n_u32(0x7fffffffu)), vdupq_n_u32(0x7f800000u));
                const uint32x4_t lsb = vandq_u32(vshrq_n_u32(x, 16), vdupq_n_u32(1));
                const uint32x4_t rounded = vaddq_u32(vaddq_u32(x, vdupq_n_u32(0x7fffu)), lsb);
                const uint32x4_t quiet = vorrq_u32(x, vdupq_n_u32(0x00400000u));
                vst1_u16(p, vshrn_n_u32(vbslq_u32(is_nan, quiet, rounded), 16));
            }
        };

#if defined(__aarch64__) || (defined(__ARM_FP16_FORMAT_IEEE) && (__ARM_NEON_FP & 2))
        template <class A>
        struct f16_codec<A, if_neon_lanes<A>>
        {
            static constexpr bool native = true;
            static constexpr std::size_t lanes = 4;
            static simd::batch<float, A> load(const std::uint16_t* p) noexcept
            {
                return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
            }
            static void store(std::uint16_t* p, const simd::batch<float, A>& v) noexcept
            {
                vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v)));
            }
        };
#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
