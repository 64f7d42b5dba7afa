// The activation-panel kernel (panels.hpp) on AArch64 with the dot-product extension: panels of
// 4 rows, SDOT by lane.
//
// vdotq_laneq_s32(acc, a, b, j) adds to int32 lane i the dot product of bytes 4i .. 4i + 3 of a
// with bytes 4j .. 4j + 3 of b. With a = a panel register (four values of each of 4 rows of X)
// and b = 16 quants of one weight row, lane j = the panel's group of four values, one SDOT adds
// those four products for 4 rows at once; eight of them cover a 32-value block. Both operands
// are signed, so the panel holds x as it is and no correction is needed. Each block's exact
// int32 sums are then scaled by the weight's block scale times the row's activation scale and
// accumulated in float, as the plain kernel (dot_neon.hpp) does in another order.
#pragma once

#include "joule/detail/quant_linear/panels.hpp"

#if defined(__aarch64__) && defined(__ARM_NEON) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "joule/detail/quant/quant_neon.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Rows of X per panel: the int32 lanes of a NEON register.
        constexpr std::size_t sdot_panel_rows = 4;
        /// Weight rows the micro-kernel keeps in registers at once (8 accumulators, 8 panel
        /// registers and the temporaries in 32 vector registers).
        constexpr int sdot_panel_weight_rows = 8;

        /// out[n][lane] = sum over blocks b of  int_dot(x[lane], w[n], b) * scale[n][b] * xd[b][lane]
        /// for NT weight rows and the 4 rows of one activation panel.
        template <int NT>
        void microkernel_sdot_4xNT(const std::int8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                   std::size_t n0, const float* scale, float* out) noexcept
        {
            float32x4_t acc[NT];
            for (int n = 0; n < NT; ++n)
                acc[n] = vdupq_n_f32(0.0f);
            for (std::size_t b = 0; b < nb; ++b)
            {
                int8x16_t xv[8];
                for (int g = 0; g < 8; ++g)
                    xv[g] = vld1q_s8(xq + b * 128 + 16 * g);
                const float32x4_t dv = vld1q_f32(xd + b * sdot_panel_rows);
                for (int n = 0; n < NT; ++n)
                {
                    const std::int8_t* wq = w.at(n0 + n, b);
                    const int8x16_t w0 = vld1q_s8(wq), w1 = vld1q_s8(wq + 16);
                    int32x4_t s = vdupq_n_s32(0);
                    s = vdotq_laneq_s32(s, xv[0], w0, 0);
                    s = vdotq_laneq_s32(s, xv[1], w0, 1);
                    s = vdotq_laneq_s32(s, xv[2], w0, 2);
                    s = vdotq_laneq_s32(s, xv[3], w0, 3);
                    s = vdotq_laneq_s32(s, xv[4], w1, 0);
                    s = vdotq_laneq_s32(s, xv[5], w1, 1);
                    s = vdotq_laneq_s32(s, xv[6], w1, 2);
                    s = vdotq_laneq_s32(s, xv[7], w1, 3);
                    acc[n] = vfmaq_f32(acc[n], vcvtq_f32_s32(s), vmulq_n_f32(dv, scale[(n0 + n) * nb + b]));
                }
            }
            for (int n = 0; n < NT; ++n)
                vst1q_f32(out + (n0 + n) * sdot_panel_rows, acc[n]);
        }

        template <class A>
        struct panel_kernel<A, if_neon64<A>>
        {
            static constexpr bool available = true;
            static constexpr std::size_t min_rows = 4; // a full panel (not measured: no AArch64 hardware here)
            static constexpr std::size_t max_rows = sdot_panel_rows;
            static constexpr bool flip = false;

            static std::size_t panel_rows(std::size_t) noexcept { return sdot_panel_rows; }
            static void block_corrections(const weight_quants&, std::size_t, std::size_t, std::int32_t*) noexcept {}
            static void multiply(std::size_t, const std::uint8_t* xq_bytes, const float* xd, std::size_t nb,
                                 const weight_quants& w, std::size_t weight_rows, const float* scale, const std::int32_t*,
                                 float* out) noexcept
            {
                const auto* xq = reinterpret_cast<const std::int8_t*>(xq_bytes);
                std::size_t n = 0;
                for (; n + sdot_panel_weight_rows <= weight_rows; n += sdot_panel_weight_rows)
                    microkernel_sdot_4xNT<sdot_panel_weight_rows>(xq, xd, nb, w, n, scale, out);
                switch (weight_rows - n)
                {
                case 7: microkernel_sdot_4xNT<7>(xq, xd, nb, w, n, scale, out); break;
                case 6: microkernel_sdot_4xNT<6>(xq, xd, nb, w, n, scale, out); break;
                case 5: microkernel_sdot_4xNT<5>(xq, xd, nb, w, n, scale, out); break;
                case 4: microkernel_sdot_4xNT<4>(xq, xd, nb, w, n, scale, out); break;
                case 3: microkernel_sdot_4xNT<3>(xq, xd, nb, w, n, scale, out); break;
                case 2: microkernel_sdot_4xNT<2>(xq, xd, nb, w, n, scale, out); break;
                case 1: microkernel_sdot_4xNT<1>(xq, xd, nb, w, n, scale, out); break;
                default: break;
                }
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
