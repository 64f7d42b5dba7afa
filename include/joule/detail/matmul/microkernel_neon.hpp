// AArch64 NEON K loop for full 8-row tiles of packed A: one k step loads the 8 values of A
// as two q registers and multiplies by lane (FMLA v.4s, v.4s, v.s[lane]) instead of eight
// replicating loads (LD1R). That is 2 + NV loads per 8 * NV FMAs instead of 8 + NV, which
// keeps cores with one or two load pipes (Cortex-A53/A72/A76) FMA-bound. Edge tiles and the
// in-place A path (rows of A far apart) keep the generic loop.
#pragma once

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))

#include <arm_neon.h>

#include "joule/detail/matmul/microkernel_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A, std::size_t NV>
        struct microkernel_loop<A, 8, NV, 8,
                                std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 4>>
        {
            using batch = simd::batch<float, A>;
            JOULE_ALWAYS_INLINE static void run(batch (&acc)[8][NV], std::size_t kc, const float* JOULE_RESTRICT a,
                                                std::size_t, const float* JOULE_RESTRICT b, std::size_t ldb) noexcept
            {
                float32x4_t c[8][NV];
                for (std::size_t i = 0; i < 8; ++i)
                    for (std::size_t v = 0; v < NV; ++v)
                        c[i][v] = acc[i][v];
                for (std::size_t k = 0; k < kc; ++k)
                {
                    const float32x4_t a_lo = vld1q_f32(a), a_hi = vld1q_f32(a + 4);
                    float32x4_t bv[NV];
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                        bv[v] = vld1q_f32(b + 4 * v);
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                    {
                        c[0][v] = vfmaq_laneq_f32(c[0][v], bv[v], a_lo, 0);
                        c[1][v] = vfmaq_laneq_f32(c[1][v], bv[v], a_lo, 1);
                        c[2][v] = vfmaq_laneq_f32(c[2][v], bv[v], a_lo, 2);
                        c[3][v] = vfmaq_laneq_f32(c[3][v], bv[v], a_lo, 3);
                        c[4][v] = vfmaq_laneq_f32(c[4][v], bv[v], a_hi, 0);
                        c[5][v] = vfmaq_laneq_f32(c[5][v], bv[v], a_hi, 1);
                        c[6][v] = vfmaq_laneq_f32(c[6][v], bv[v], a_hi, 2);
                        c[7][v] = vfmaq_laneq_f32(c[7][v], bv[v], a_hi, 3);
                    }
                    a += 8;
                    b += ldb;
                }
                for (std::size_t i = 0; i < 8; ++i)
                    for (std::size_t v = 0; v < NV; ++v)
                        acc[i][v] = c[i][v];
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
