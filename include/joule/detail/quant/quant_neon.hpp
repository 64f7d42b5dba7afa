// AArch64 NEON kernels: quantize q8_0, q8_1, q8_K (the activation formats) and q4_0, dequantize
// q4_0 and q8_0 (the int8 -> float codec is in int8_codec.hpp). Same float steps as the scalar
// references; AArch64's conversions give ggml's roundings directly:
//   roundf(t)       = FCVTAS (vcvtaq_s32_f32): nearest, ties away from zero      (q8_0, q8_1)
//   nearest_int(t)  = FCVTNS (vcvtnq_s32_f32): nearest, ties to even            (q8_K)
//   (int)(t + 8.5f) = FCVTZS (vcvtq_s32_f32):  toward zero                       (q4_0)
// Blocks with NaN / inf or an overflowing 1/d go to the scalar reference.
#pragma once

#if defined(__aarch64__) && defined(__ARM_NEON)

#include <arm_neon.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/quant/rows_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        using if_neon64 = std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 4>;

        /// Maximum of |x| over n floats (a multiple of 16) as float bits.
        JOULE_ALWAYS_INLINE std::uint32_t absmax_bits_neon(const float* x, int n) noexcept
        {
            const uint32x4_t mask = vdupq_n_u32(0x7fffffffu);
            uint32x4_t m0 = vdupq_n_u32(0), m1 = m0, m2 = m0, m3 = m0;
            for (int j = 0; j < n; j += 16)
            {
                m0 = vmaxq_u32(m0, vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + j)), mask));
                m1 = vmaxq_u32(m1, vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + j + 4)), mask));
                m2 = vmaxq_u32(m2, vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + j + 8)), mask));
                m3 = vmaxq_u32(m3, vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + j + 12)), mask));
            }
            return vmaxvq_u32(vmaxq_u32(vmaxq_u32(m0, m1), vmaxq_u32(m2, m3)));
        }

        /// ggml's signed maximum: the first value whose magnitude bits are `abs`.
        JOULE_ALWAYS_INLINE float first_with_abs_bits_neon(const float* x, int n, std::uint32_t abs) noexcept
        {
            const uint32x4_t mask = vdupq_n_u32(0x7fffffffu), want = vdupq_n_u32(abs);
            int j = 0;
            while (j + 4 < n &&
                   vmaxvq_u32(vceqq_u32(vandq_u32(vreinterpretq_u32_f32(vld1q_f32(x + j)), mask), want)) == 0)
                j += 4;
            while (abs_bits(x[j]) != abs)
                ++j;
            return x[j];
        }

        /// Narrows 4 x int32x4 (element order) to 16 int8, saturating.
        JOULE_ALWAYS_INLINE int8x16_t narrow_i32_i8(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) noexcept
        {
            const int16x8_t ab = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
            const int16x8_t cd = vcombine_s16(vqmovn_s32(c), vqmovn_s32(d));
            return vcombine_s8(vqmovn_s16(ab), vqmovn_s16(cd));
        }

        // ---- q8_0 / q8_1 ----------------------------------------------------------------------------
        template <class Block, bool WithSum>
        void quantize_q8_rows_neon(const float* x, Block* y, std::size_t blocks) noexcept
        {
            for (std::size_t i = 0; i < blocks; ++i, x += 32)
            {
                const std::uint32_t amax = absmax_bits_neon(x, 32);
                const float d = bits_float(amax) / 127;
                const float id = d != 0 ? 1.0f / d : 0.0f;
                if (amax >= 0x7f800000u || not_finite(id))
                {
                    quantize_block_ref(x, y[i]);
                    continue;
                }
                const float32x4_t vid = vdupq_n_f32(id);
                int32x4_t q[8];
                for (int k = 0; k < 8; ++k)
                    q[k] = vcvtaq_s32_f32(vmulq_f32(vld1q_f32(x + 4 * k), vid));
                vst1q_s8(y[i].qs, narrow_i32_i8(q[0], q[1], q[2], q[3]));
                vst1q_s8(y[i].qs + 16, narrow_i32_i8(q[4], q[5], q[6], q[7]));
                y[i].d = f16::from_bits(to_f16(d));
                if constexpr (WithSum)
                {
                    const int32x4_t s = vaddq_s32(vaddq_s32(vaddq_s32(q[0], q[1]), vaddq_s32(q[2], q[3])),
                                                  vaddq_s32(vaddq_s32(q[4], q[5]), vaddq_s32(q[6], q[7])));
                    y[i].s = f16::from_bits(to_f16(static_cast<float>(vaddvq_s32(s)) * d));
                }
            }
        }
        template <class A>
        struct quantize_rows<A, block_q8_0, if_neon64<A>>
        {
            static void run(const float* x, block_q8_0* y, std::size_t blocks) noexcept
            {
                quantize_q8_rows_neon<block_q8_0, false>(x, y, blocks);
            }
        };
        template <class A>
        struct quantize_rows<A, block_q8_1, if_neon64<A>>
        {
            static void run(const float* x, block_q8_1* y, std::size_t blocks) noexcept
            {
                quantize_q8_rows_neon<block_q8_1, true>(x, y, blocks);
            }
        };

        // ---- q8_K -------------------------------------------------------------------------------------
        template <class A>
        struct quantize_rows<A, block_q8_K, if_neon64<A>>
        {
            static void run(const float* x, block_q8_K* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 256)
                {
                    const std::uint32_t amax = absmax_bits_neon(x, 256);
                    if (amax >= 0x7f800000u || amax == 0)
                    {
                        quantize_block_ref(x, y[i]);
                        continue;
                    }
                    const float iscale = -127.f / first_with_abs_bits_neon(x, 256, amax);
                    if (not_finite(iscale))
                    {
                        quantize_block_ref(x, y[i]);
                        continue;
                    }
                    const float32x4_t vs = vdupq_n_f32(iscale);
                    const int32x4_t top = vdupq_n_s32(127);
                    for (int c = 0; c < 16; ++c) // 16 values per step
                    {
                        const float* xc = x + 16 * c;
                        int32x4_t q[4];
                        for (int k = 0; k < 4; ++k)
                            q[k] = vminq_s32(vcvtnq_s32_f32(vmulq_f32(vld1q_f32(xc + 4 * k), vs)), top);
                        const int8x16_t bytes = narrow_i32_i8(q[0], q[1], q[2], q[3]);
                        vst1q_s8(y[i].qs + 16 * c, bytes);
                        y[i].bsums[c] = vaddlvq_s8(bytes);
                    }
                    y[i].d = 1 / iscale;
                }
            }
        };

        // ---- q4_0 -------------------------------------------------------------------------------------
        template <class A>
        struct quantize_rows<A, block_q4_0, if_neon64<A>>
        {
            static void run(const float* x, block_q4_0* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 32)
                {
                    const std::uint32_t amax = absmax_bits_neon(x, 32);
                    if (amax >= 0x7f800000u)
                    {
                        quantize_block_ref(x, y[i]);
                        continue;
                    }
                    const float d = first_with_abs_bits_neon(x, 32, amax) / -8;
                    const float id = d != 0 ? 1.0f / d : 0.0f;
                    if (not_finite(id))
                    {
                        quantize_block_ref(x, y[i]);
                        continue;
                    }
                    const float32x4_t vid = vdupq_n_f32(id), bias = vdupq_n_f32(8.5f);
                    const int32x4_t top = vdupq_n_s32(15);
                    int32x4_t q[8];
                    for (int k = 0; k < 8; ++k)
                        q[k] = vminq_s32(vcvtq_s32_f32(vaddq_f32(rounded(vmulq_f32(vld1q_f32(x + 4 * k), vid)), bias)), top);
                    const uint8x16_t lo = vreinterpretq_u8_s8(narrow_i32_i8(q[0], q[1], q[2], q[3]));
                    const uint8x16_t hi = vreinterpretq_u8_s8(narrow_i32_i8(q[4], q[5], q[6], q[7]));
                    vst1q_u8(y[i].qs, vorrq_u8(lo, vshlq_n_u8(hi, 4)));
                    y[i].d = f16::from_bits(to_f16(d));
                }
            }
        };

        // ---- dequantize q4_0 and q8_0 -----------------------------------------------------------------
        /// y[0..16) = float(q) * d for 16 int8.
        JOULE_ALWAYS_INLINE void store_scaled_16(int8x16_t q, float32x4_t d, float* y) noexcept
        {
            const int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_s8(vget_high_s8(q));
            vst1q_f32(y, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), d));
            vst1q_f32(y + 4, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo))), d));
            vst1q_f32(y + 8, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), d));
            vst1q_f32(y + 12, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi))), d));
        }
        template <class A>
        struct dequantize_rows<A, block_q4_0, if_neon64<A>>
        {
            static void run(const block_q4_0* x, float* y, std::size_t blocks) noexcept
            {
                const int8x16_t eight = vdupq_n_s8(8);
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    const uint8x16_t b = vld1q_u8(x[i].qs);
                    const float32x4_t d = vdupq_n_f32(from_f16(x[i].d.bits));
                    store_scaled_16(vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(0x0f))), eight), d, y);
                    store_scaled_16(vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b, 4)), eight), d, y + 16);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q8_0, if_neon64<A>>
        {
            static void run(const block_q8_0* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    const float32x4_t d = vdupq_n_f32(from_f16(x[i].d.bits));
                    store_scaled_16(vld1q_s8(x[i].qs), d, y);
                    store_scaled_16(vld1q_s8(x[i].qs + 16), d, y + 16);
                }
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
