// AArch64 micro-kernels of the integer GEMM (see microkernel.hpp for the packed layouts):
// - i8mm: usmmla, 8 x 8 tile, KG = 8. One USMMLA multiplies a 2 x 8 block of A' (uint8, two
//   rows) by an 8 x 2 block of B (int8, two columns) into a 2 x 2 block of int32: 32 MACs per
//   instruction, twice usdot's 16. The B panel layout with KG = 8 already holds a column pair
//   as the 2 x 8 operand (16 consecutive bytes); an A row pair is two 8-byte loads joined by one
//   INS. 16 accumulators, four A pairs and four B pairs: no spills (GCC 12). Per group of 8 k
//   (512 MACs) the loop is 16 USMMLA + 4 INS + 10 loads; the usdot 5 x 16 form below needs 20
//   USDOT + 10 broadcasts (LDR + DUP) + 2 load pairs per 320 MACs, i.e. about 1.7 times the
//   instructions per MAC. That instruction count is the whole argument for usmmla: timings under
//   qemu say nothing about hardware, and no AArch64 hardware was available to measure the
//   throughput of (us)mmla against (us)dot. Larger usmmla tiles (8 x 12, 12 x 8) spilled
//   accumulators with GCC 12, since it hoists every operand load of a k step.
// - int8_kernel_dot_5x16<T>: the outer-product form of the x86 VNNI kernels, KG = 4, each A
//   group broadcast to a q register, 20 accumulators (6 rows spilled one with GCC 12). With
//   uint8 A' (T = uint8_t) it is usdot (i8mm; vusdotq_s32 has vpdpbusd's semantics), kept as a
//   tested alternative. With T = int8_t it is sdot, the kernel of dotprod without i8mm: sdot has
//   no u8 x s8 form and uint8 A' does not fit int8, so A is packed as A' - 128 (a_offset = 128)
//   and the driver adds 128 * colsum(B) back, in wrapping uint32 arithmetic like its other
//   corrections (int8_gemm_driver.hpp): exact modulo 2^32.
// Every product (at most 255 * 128 or 128 * 128 in magnitude) and each sum of four or eight is
// exact in int32; the accumulating adds wrap modulo 2^32 like the scalar reference's uint32.
#pragma once

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__)) &&                                        \
    (defined(__ARM_FEATURE_DOTPROD) || defined(__ARM_FEATURE_MATMUL_INT8))

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/matmul/microkernel_generic.hpp" // JOULE_UNROLL
#include "joule/detail/simd/simd.hpp"

#define JOULE_DETAIL_INT8_NEON_DOT 1

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Four copies of the 4 bytes at p (an A' group), as a q register of T.
        template <class T>
        JOULE_ALWAYS_INLINE auto broadcast_group4(const T* p) noexcept
        {
            std::uint32_t v;
            std::memcpy(&v, p, sizeof v);
            if constexpr (std::is_same<T, std::uint8_t>::value)
                return vreinterpretq_u8_u32(vdupq_n_u32(v));
            else
                return vreinterpretq_s8_u32(vdupq_n_u32(v));
        }

#if defined(__ARM_FEATURE_DOTPROD)
        /// acc + the sums of four s8 x s8 products per int32 lane (sdot).
        JOULE_ALWAYS_INLINE int32x4_t dot4(int32x4_t acc, int8x16_t a, int8x16_t b) noexcept
        {
            return vdotq_s32(acc, a, b);
        }
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
        /// acc + the sums of four u8 x s8 products per int32 lane (usdot).
        JOULE_ALWAYS_INLINE int32x4_t dot4(int32x4_t acc, uint8x16_t a, int8x16_t b) noexcept
        {
            return vusdotq_s32(acc, a, b);
        }
#endif

        /// 5 x 16 tile, KG = 4: A' groups (T = uint8_t, usdot) or A' - 128 (T = int8_t, sdot).
        template <class T>
        struct int8_kernel_dot_5x16
        {
            static constexpr std::size_t mr = 5, nr = 16, kg = 4;
            static constexpr std::uint32_t a_offset = std::is_same<T, std::int8_t>::value ? 128u : 0u;
            using a_type = T;
            using b_type = std::int8_t;
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                int32x4_t acc[mr][4];
                JOULE_UNROLL
                for (std::size_t r = 0; r < mr; ++r)
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < 4; ++v)
                        acc[r][v] = vdupq_n_s32(0);
                for (std::size_t g = 0; g < kp / kg; ++g)
                {
                    int8x16_t bv[4];
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < 4; ++v)
                        bv[v] = vld1q_s8(b + g * nr * kg + 16 * v);
                    JOULE_UNROLL
                    for (std::size_t r = 0; r < mr; ++r)
                    {
                        const auto av = broadcast_group4(a + r * lda + g * kg);
                        JOULE_UNROLL
                        for (std::size_t v = 0; v < 4; ++v)
                            acc[r][v] = dot4(acc[r][v], av, bv[v]);
                    }
                }
                JOULE_UNROLL
                for (std::size_t r = 0; r < mr; ++r)
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < 4; ++v)
                        vst1q_s32(c + r * nr + 4 * v, acc[r][v]);
            }
        };

#if defined(__ARM_FEATURE_MATMUL_INT8)
#define JOULE_DETAIL_INT8_NEON_USMMLA 1
        /// 8 x 8 tile of 2 x 2 usmmla blocks, KG = 8 (see the top of this file).
        struct int8_kernel_usmmla_8x8
        {
            static constexpr std::size_t mr = 8, nr = 8, kg = 8;
            static constexpr std::uint32_t a_offset = 0;
            using a_type = std::uint8_t;
            using b_type = std::int8_t;
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                // acc[i][j] = [C(2i, 2j), C(2i, 2j + 1), C(2i + 1, 2j), C(2i + 1, 2j + 1)].
                int32x4_t acc[mr / 2][nr / 2];
                JOULE_UNROLL
                for (std::size_t i = 0; i < mr / 2; ++i)
                    JOULE_UNROLL
                    for (std::size_t j = 0; j < nr / 2; ++j)
                        acc[i][j] = vdupq_n_s32(0);
                for (std::size_t g = 0; g < kp / kg; ++g)
                {
                    uint8x16_t ap[mr / 2]; // rows 2i and 2i + 1, k = 8g .. 8g + 7
                    JOULE_UNROLL
                    for (std::size_t i = 0; i < mr / 2; ++i)
                        ap[i] = vcombine_u8(vld1_u8(a + 2 * i * lda + g * kg), vld1_u8(a + (2 * i + 1) * lda + g * kg));
                    JOULE_UNROLL
                    for (std::size_t j = 0; j < nr / 2; ++j)
                    {
                        const int8x16_t bp = vld1q_s8(b + g * nr * kg + 16 * j); // columns 2j, 2j + 1
                        JOULE_UNROLL
                        for (std::size_t i = 0; i < mr / 2; ++i)
                            acc[i][j] = vusmmlaq_s32(acc[i][j], ap[i], bp);
                    }
                }
                JOULE_UNROLL
                for (std::size_t i = 0; i < mr / 2; ++i)
                    JOULE_UNROLL
                    for (std::size_t j = 0; j < nr / 2; j += 2)
                    {
                        const int64x2_t lo = vreinterpretq_s64_s32(acc[i][j]), hi = vreinterpretq_s64_s32(acc[i][j + 1]);
                        vst1q_s32(c + 2 * i * nr + 2 * j, vreinterpretq_s32_s64(vzip1q_s64(lo, hi)));
                        vst1q_s32(c + (2 * i + 1) * nr + 2 * j, vreinterpretq_s32_s64(vzip2q_s64(lo, hi)));
                    }
            }
        };
#endif

        template <class A>
        struct int8_kernel<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> == 4)>>
#if defined(__ARM_FEATURE_MATMUL_INT8)
            : int8_kernel_usmmla_8x8
#else
            : int8_kernel_dot_5x16<std::int8_t>
#endif
        {
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
