// AArch64 NEON int8 dot kernel for the quantized linear layer: SDOT (vdotq_s32) when the build
// has the dot-product extension (__ARM_FEATURE_DOTPROD), else widening multiplies (SMULL into
// int16, exact since |a * b| <= 128 * 128) with pairwise widening adds into int32. Either way a
// 32-value chunk ends as two int32x4 vectors, the first holding elements 0 .. 15 and the second
// 16 .. 31, so each meets its own 16-value scale.
#pragma once

#if defined(__aarch64__) && defined(__ARM_NEON)

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "joule/detail/quant/quant_neon.hpp"
#include "joule/detail/quant_linear/dot_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// int32 lanes summing a * b over 16 int8 pairs (which elements go to which lane is
        /// unspecified; all 16 share one scale).
        JOULE_ALWAYS_INLINE int32x4_t dot_lanes_s8(int8x16_t a, int8x16_t b) noexcept
        {
#if defined(__ARM_FEATURE_DOTPROD)
            return vdotq_s32(vdupq_n_s32(0), a, b);
#else
            const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
            const int16x8_t hi = vmull_high_s8(a, b);
            return vpadalq_s16(vpaddlq_s16(lo), hi);
#endif
        }

        template <class A, bool WeightsMayHoldMin>
        struct int8_dot<A, WeightsMayHoldMin, if_neon64<A>>
        {
            template <int R>
            static void run(const activation_row& x, const weight_row* w, std::size_t K, float* out) noexcept
            {
                float32x4_t acc[R];
                for (int r = 0; r < R; ++r)
                    acc[r] = vdupq_n_f32(0);
                for (std::size_t c = 0; c < K / 32; ++c)
                {
                    const int8x16_t x0 = vld1q_s8(x.q + 32 * c), x1 = vld1q_s8(x.q + 32 * c + 16);
                    const float xd = x.d[c];
                    for (int r = 0; r < R; ++r)
                    {
                        const int32x4_t p0 = dot_lanes_s8(vld1q_s8(w[r].q + 32 * c), x0);
                        const int32x4_t p1 = dot_lanes_s8(vld1q_s8(w[r].q + 32 * c + 16), x1);
                        const float32x4_t s0 = vmulq_n_f32(vld1q_f32(w[r].scale + 8 * c), xd);
                        const float32x4_t s1 = vmulq_n_f32(vld1q_f32(w[r].scale + 8 * c + 4), xd);
                        acc[r] = vfmaq_f32(acc[r], vcvtq_f32_s32(p0), s0);
                        acc[r] = vfmaq_f32(acc[r], vcvtq_f32_s32(p1), s1);
                    }
                }
                for (int r = 0; r < R; ++r)
                    out[r] = vaddvq_f32(acc[r]);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
