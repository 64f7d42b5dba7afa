// The Goto / BLIS loop nest around the micro-kernel, for one rectangle of C:
//
//   for jc in N step NC:                 B block KC x NC (L3)
//     for pc in K step KC:               prepare B: pack, widen, or point into place
//       for ic in M step MC:             prepare A: pack MC x KC (L2), or point into place
//         for jr in NC step NR:          B micro-panel KC x NR (L1)
//           for ir in MC step MR:        micro-kernel: MR x NR tile of C in registers
//
// Where A and B come from is a policy ("source") so one loop nest serves every path:
// packed A (large M) or A read in place (small M); B packed from a view, taken from a
// joule::pack'ed matrix, or read in place. The first KC slice applies beta and the bias; the
// following ones add to C. K is never split between tasks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <new>

#include "joule/detail/matmul/blocking.hpp"
#include "joule/detail/matmul/microkernel_generic.hpp"
#include "joule/detail/matmul/pack.hpp"
#include "joule/detail/matmul/pack_x86.hpp"
#include "joule/detail/matmul/microkernel_neon.hpp"
#include "joule/detail/matmul/tile_neon.hpp"
#include "joule/detail/matmul/tile_x86.hpp"

namespace joule
{
    template <class T>
    class packed_matrix;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Per-thread scratch, grown on demand and kept for the next call (no allocation on
        /// the hot path once warm). Slots: 0 packed A (or GEMV accumulators), 1 packed B, 2 B
        /// edge panel / B packing row, 3 A packing rows, 4 joule::pack's row. A task uses them
        /// only while it runs (tasks never wait), so tasks that share a thread cannot clash.
        inline float* thread_scratch(std::size_t slot, std::size_t floats)
        {
            struct buffer
            {
                float* data = nullptr;
                std::size_t capacity = 0;
                ~buffer()
                {
                    if (data)
                        ::operator delete(data, std::align_val_t(64));
                }
            };
            static thread_local buffer buffers[5];
            buffer& b = buffers[slot];
            if (b.capacity < floats)
            {
                if (b.data)
                    ::operator delete(b.data, std::align_val_t(64));
                b.data = nullptr;
                b.capacity = 0;
                const std::size_t n = (floats + 1023) / 1024 * 1024;
                b.data = static_cast<float*>(::operator new(n * sizeof(float), std::align_val_t(64)));
                b.capacity = n;
            }
            return b.data;
        }

        /// The blocks in use for arch A. Mutable only so the tests can shrink them and reach
        /// every loop edge with small matrices; nothing else writes it.
        template <class A>
        gemm_blocking& blocking_for() noexcept
        {
            static gemm_blocking b = make_blocking(machine_caches(), tile_shape<A>::mr, tile_shape<A>::nr);
            return b;
        }

        /// C and the scalars of one call: C = alpha * A * B + beta * C + bias.
        struct gemm_output
        {
            float* c;
            std::size_t rsc, csc;
            float alpha, beta;
            const float* bias; ///< N floats or null
        };

        // ---- A sources ----------------------------------------------------------------------
        /// A packed per MC x KC block into this thread's scratch.
        template <class A, class TA>
        struct a_packed
        {
            static constexpr std::size_t pack_stride = tile_shape<A>::mr;
            matrix_view<const TA> a;
            float* buf = nullptr;
            std::size_t kc = 0;

            void prepare(std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kc_)
            {
                constexpr std::size_t mr = tile_shape<A>::mr;
                kc = kc_;
                buf = thread_scratch(0, (mc + mr - 1) / mr * mr * kc);
                float* rows = thread_scratch(3, mr * kc);
                pack_a_block<A>(a, i0, k0, mc, kc, mr, buf, rows);
            }
            const float* panel(std::size_t ir) const noexcept { return buf + ir * kc; } // ir: multiple of mr
            std::size_t lda() const noexcept { return 0; }
        };

        /// Row-major float A read in place (small M).
        struct a_rows
        {
            static constexpr std::size_t pack_stride = 0;
            const float* a;
            std::size_t ld;
            const float* block = nullptr;

            void prepare(std::size_t i0, std::size_t, std::size_t k0, std::size_t) noexcept { block = a + i0 * ld + k0; }
            const float* panel(std::size_t ir) const noexcept { return block + ir * ld; }
            std::size_t lda() const noexcept { return ld; }
        };

        // ---- B sources ----------------------------------------------------------------------
        struct b_panel
        {
            const float* data;
            std::size_t ld;
        };

        /// B packed per KC x NC block from any view, widening 16-bit types.
        template <class A, class TB>
        struct b_from_view
        {
            matrix_view<const TB> b;
            float* buf = nullptr;
            std::size_t kc = 0;

            void prepare(std::size_t k0, std::size_t kc_, std::size_t j0, std::size_t nc)
            {
                constexpr std::size_t nr = tile_shape<A>::nr;
                kc = kc_;
                buf = thread_scratch(1, (nc + nr - 1) / nr * nr * kc);
                float* tmp = thread_scratch(2, std::max(kc, nc));
                pack_b_panels<A, float>(b, k0, j0, kc, nc, nr, buf, kc * nr, tmp);
            }
            b_panel panel(std::size_t p) const noexcept { return {buf + p * kc * tile_shape<A>::nr, tile_shape<A>::nr}; }
        };

        /// B from joule::pack: float panels are used in place, 16-bit ones widened per block.
        template <class A, class TB>
        struct b_from_packed
        {
            const packed_matrix<TB>* b;
            const float* base = nullptr;
            std::size_t panel_stride = 0;

            void prepare(std::size_t k0, std::size_t kc, std::size_t j0, std::size_t nc)
            {
                constexpr std::size_t nr = tile_shape<A>::nr;
                const std::size_t p0 = j0 / nr, np = (nc + nr - 1) / nr;
                if constexpr (std::is_same<TB, float>::value)
                {
                    base = b->panel(p0) + k0 * nr;
                    panel_stride = b->rows() * nr;
                }
                else
                {
                    float* buf = thread_scratch(1, np * nr * kc);
                    widen_packed_block<A>(*b, k0, kc, p0, np, buf);
                    base = buf;
                    panel_stride = kc * nr;
                }
            }
            b_panel panel(std::size_t p) const noexcept { return {base + p * panel_stride, tile_shape<A>::nr}; }
        };

        /// Row-major float B read in place; a last panel narrower than NR is packed (zero-padded)
        /// so the kernel never reads past B's columns.
        template <class A>
        struct b_rows
        {
            matrix_view<const float> b;
            const float* block = nullptr;
            float* edge = nullptr;
            std::size_t full_panels = 0;

            void prepare(std::size_t k0, std::size_t kc, std::size_t j0, std::size_t nc)
            {
                constexpr std::size_t nr = tile_shape<A>::nr;
                block = b.row(k0) + j0;
                full_panels = nc / nr;
                if (nc % nr != 0)
                {
                    edge = thread_scratch(2, kc * nr);
                    float* tmp = thread_scratch(3, std::max(kc, nr));
                    pack_b_panels<A, float>(b, k0, j0 + full_panels * nr, kc, nc % nr, nr, edge, kc * nr, tmp);
                }
            }
            b_panel panel(std::size_t p) const noexcept
            {
                if (p < full_panels)
                    return {block + p * tile_shape<A>::nr, b.row_stride};
                return {edge, tile_shape<A>::nr};
            }
        };

        // ---- the loop nest ------------------------------------------------------------------
        /// Rows [i0, i1) x columns [j0, j1) of C; j0 a multiple of NR (the tile grid never moves).
        template <class A, class ASource, class BSource>
        void gemm_blocked(const gemm_output& out, std::size_t K, std::size_t i0, std::size_t i1, std::size_t j0,
                          std::size_t j1, std::size_t mc_block, std::size_t nc_block, ASource& as, BSource& bs)
        {
            constexpr std::size_t mr = tile_shape<A>::mr, nr = tile_shape<A>::nr;
            using table = microkernel_table<A, ASource::pack_stride>;
            const std::size_t kc_block = blocking_for<A>().kc;
            for (std::size_t jc = j0; jc < j1; jc += nc_block)
            {
                const std::size_t nc = std::min(nc_block, j1 - jc);
                for (std::size_t pc = 0; pc < K; pc += kc_block)
                {
                    const std::size_t kc = std::min(kc_block, K - pc);
                    bs.prepare(pc, kc, jc, nc);
                    const epilogue ep = pc == 0 ? epilogue{out.alpha, out.beta, out.bias}
                                                : epilogue{out.alpha, 1.0f, nullptr};
                    for (std::size_t ic = i0; ic < i1; ic += mc_block)
                    {
                        const std::size_t mc = std::min(mc_block, i1 - ic);
                        as.prepare(ic, mc, pc, kc);
                        for (std::size_t jr = 0; jr < nc; jr += nr)
                        {
                            const std::size_t n = std::min(nr, nc - jr);
                            const b_panel bp = bs.panel(jr / nr);
                            const epilogue ep_tile{ep.alpha, ep.beta, ep.bias ? ep.bias + jc + jr : nullptr};
                            float* c_col = out.c + (jc + jr) * out.csc;
                            for (std::size_t ir = 0; ir < mc; ir += mr)
                            {
                                const std::size_t m = std::min(mr, mc - ir);
                                table::get(m, n)(kc, as.panel(ir), as.lda(), bp.data, bp.ld, c_col + (ic + ir) * out.rsc,
                                                 out.rsc, out.csc, n, ep_tile);
                            }
                        }
                    }
                }
            }
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
