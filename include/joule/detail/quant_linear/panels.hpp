// Activation panels for the M > 1 quantized linear layer: X regrouped a few rows at a time so
// that one int8 dot instruction computes an output for every row of the panel (one per 32-bit
// lane) against four weight quants broadcast to all lanes. The weights stay in their row layout
// (q8_0 blocks read in place, other formats unpacked as for the plain kernel), so nothing about
// W is repacked per call.
//
// Layout, for panels of R rows (R = the kernel's int32 lanes):
//   q[p][b][g][lane][j] = x[R p + lane][32 b + 4 g + j]  (optionally + 128 as uint8), 32 R bytes a block
//   d[p][b][lane]       = the activation scale of that row's block
// Lanes past the last row hold x = 0 and d = 0.
//
// The kernels (panel_kernel<A>): panels_x86.hpp (AVX-512 VNNI: 16 rows, or 8 for M <= 8;
// AVX-VNNI: 8 rows; unsigned x + 128) and panels_neon.hpp (AArch64 SDOT by lane, 4 rows, signed x). Only formats whose weight scale
// is constant over each 32 values qualify (panel_format); the others keep the plain kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "joule/detail/config.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Weight formats whose unpacked scale is one value per 32-value block (the panel kernels
        /// apply one scale per block); q2_K, q3_K and q6_K (16-value scales) keep the plain kernel.
        template <class Block>
        constexpr bool panel_format =
            Block::block_size == 32 || std::is_same<Block, block_q4_K>::value ||
            std::is_same<Block, block_q5_K>::value || std::is_same<Block, block_iq4_xs>::value;

        /// The panel kernel of arch A: `available`, and where it is, `min_rows` (the M from which
        /// it beats the plain kernel), `max_rows` (per panel), panel_rows(M) (per panel for M rows
        /// of X), `flip` (x stored + 128), block_corrections(...) and multiply(panel_rows, ...) as
        /// in panels_x86.hpp.
        template <class A, class Enable = void>
        struct panel_kernel
        {
            static constexpr bool available = false;
        };

        /// X quantized and regrouped into panels (see the top of this file).
        struct activation_panels
        {
            std::size_t rows = 0;   ///< per panel
            std::size_t blocks = 0; ///< per row: K / 32
            std::vector<std::uint8_t> q;
            std::vector<float> d;

            const std::uint8_t* q_of(std::size_t p) const noexcept { return q.data() + p * blocks * 32 * rows; }
            const float* d_of(std::size_t p) const noexcept { return d.data() + p * blocks * rows; }
        };

        /// Builds panels of `rows` rows from M rows of quants (row m at q + m * K) and scales
        /// (d + m * K / 32); `flip` stores x + 128 (as uint8) instead of x.
        inline void build_activation_panels(const std::int8_t* q, const float* d, std::size_t M, std::size_t K,
                                            std::size_t rows, bool flip, activation_panels& out)
        {
            const std::size_t nb = K / 32, panels = (M + rows - 1) / rows, block_bytes = 32 * rows;
            const std::uint32_t bias = flip ? 0x80808080u : 0u;
            out.rows = rows;
            out.blocks = nb;
            out.q.assign(panels * nb * block_bytes, flip ? 0x80 : 0);
            out.d.assign(panels * nb * rows, 0.0f);
            for (std::size_t m = 0; m < M; ++m)
            {
                std::uint8_t* pq = out.q.data() + (m / rows) * nb * block_bytes + 4 * (m % rows);
                float* pd = out.d.data() + (m / rows) * nb * rows + m % rows;
                for (std::size_t b = 0; b < nb; ++b)
                {
                    for (std::size_t g = 0; g < 8; ++g)
                    {
                        std::uint32_t v;
                        std::memcpy(&v, q + m * K + 32 * b + 4 * g, 4);
                        v ^= bias;
                        std::memcpy(pq + b * block_bytes + g * 4 * rows, &v, 4);
                    }
                    pd[b * rows] = d[m * nb + b];
                }
            }
        }

        /// int8 weight quants of a tile: block b of row n at base + n * row_step + b * block_step.
        struct weight_quants
        {
            const std::int8_t* base;
            std::size_t row_step, block_step;

            const std::int8_t* at(std::size_t n, std::size_t b) const noexcept { return base + n * row_step + b * block_step; }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
