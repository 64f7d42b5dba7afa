// joule::linear with quantized weights (joule/quant_linear.hpp): argument checks, the one
// quantization pass over X, and the loop over tiles of weight rows.
//
// Integer path: every row of X is quantized once to W's dot format (q8_0, q8_1 or q8_K, ggml's
// reference quantizer) and expanded into the plain layout of unpack.hpp. Weight rows are
// unpacked tile by tile (weight_tile_rows rows at a time) into the same layout, then every row
// of X is multiplied with the whole tile, four weight rows per kernel call: the unpacking is
// done once per weight row whatever M is. For M == 1, formats with a fused kernel
// (gemv_fused<A, Block>) skip the unpacking and read the blocks directly.
// Where the arch has a panel kernel (AVX-512 VNNI, AVX-VNNI, AArch64 SDOT) and M is large enough,
// qlinear_panels replaces the per-row kernel calls: the activations are regrouped into panels of
// 16, 8 or 4 rows (panels.hpp) and each weight row meets a whole panel per instruction.
// Tasks split the weight rows (columns of Y) only, so every element of Y is computed the same
// way whatever the executor.
//
// Accuracy path (linear_options::dequantize_weights): W is dequantized into an N x K float
// matrix and joule::linear's float kernels multiply it with X as it is.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "joule/detail/matmul/matmul_driver.hpp"
#include "joule/detail/quant/quant_rows.hpp"
#include "joule/detail/quant_linear/dot_generic.hpp"
#include "joule/detail/quant_linear/dot_neon.hpp"
#include "joule/detail/quant_linear/dot_x86.hpp"
#include "joule/detail/quant_linear/gemv_fused.hpp"
#include "joule/detail/quant_linear/gemv_fused_x86.hpp"
#include "joule/detail/quant_linear/panels_neon.hpp"
#include "joule/detail/quant_linear/panels_x86.hpp"
#include "joule/detail/quant_linear/unpack.hpp"
#include "joule/detail/quant_linear/unpack_x86.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    template <class Block>
    struct qmatrix_view;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Weight rows unpacked at a time (a multiple of dot_rows and of the task grain).
        constexpr std::size_t weight_tile_rows = 16;

        /// X quantized to W's dot format, in the plain layout, all M rows.
        struct quantized_activations
        {
            std::size_t k = 0;
            std::vector<std::int8_t> q;
            std::vector<float> d, sum;

            activation_row row(std::size_t m) const noexcept
            {
                return {q.data() + m * k, d.data() + m * (k / 32), sum.data() + m * (k / 16)};
            }
        };

        /// An owned array of trivial T. Not std::vector<T>: for a block type T (a vocabulary type
        /// of plain namespace joule) std::vector's members would be weak symbols shared across
        /// instruction sets (tests/odr); this type's members live in the arch namespace.
        template <class T>
        class arch_array
        {
        public:
            explicit arch_array(std::size_t n)
                : p_(n != 0 ? new T[n] : nullptr)
            {
            }
            arch_array(const arch_array&) = delete;
            arch_array& operator=(const arch_array&) = delete;
            ~arch_array() { delete[] p_; }
            T* data() const noexcept { return p_; }

        private:
            T* p_;
        };

        /// Quantizes every row of x to Dot blocks (M rows of K / block_size, in `blocks`) and,
        /// if `expand`, expands them into `out` (the fused M == 1 kernels read the blocks).
        template <class A, class Dot>
        void quantize_activations(const matrix_view<const float>& x, Dot* blocks, quantized_activations& out, bool expand)
        {
            const std::size_t M = x.rows, K = x.cols, nb = K / Dot::block_size;
            out.k = K;
            if (expand)
            {
                out.q.resize(M * K);
                out.d.resize(M * K / 32);
                out.sum.resize(M * K / 16);
            }
            std::vector<float> gathered(x.col_stride == 1 ? 0 : K);
            for (std::size_t m = 0; m < M; ++m)
            {
                const float* row = x.row(m);
                if (x.col_stride != 1)
                {
                    for (std::size_t k = 0; k < K; ++k)
                        gathered[k] = x(m, k);
                    row = gathered.data();
                }
                Dot* b = blocks + m * nb;
                quantize_blocks<A, Dot>(row, b, nb);
                for (std::size_t i = 0; expand && i < nb; ++i)
                {
                    const std::size_t k0 = m * K + i * Dot::block_size;
                    expand_activation(b[i], out.q.data() + k0, out.d.data() + k0 / 32, out.sum.data() + k0 / 16);
                }
            }
        }

        /// Weight rows [n0, n0 + rows) unpacked (unpack.hpp), rows K values apart.
        struct unpacked_weights
        {
            std::size_t k;
            std::vector<std::int8_t> q;
            std::vector<float> scale, offset;

            explicit unpacked_weights(std::size_t k_, bool offsets)
                : k(k_)
                , q(weight_tile_rows * k_)
                , scale(weight_tile_rows * k_ / 4)
                , offset(offsets ? weight_tile_rows * k_ / 16 : 0)
            {
            }
            weight_row row(std::size_t r) const noexcept
            {
                return {q.data() + r * k, scale.data() + r * (k / 4), offset.empty() ? nullptr : offset.data() + r * (k / 16)};
            }
            /// Unpacks weight rows [0, rows) of w (rows w_stride blocks apart) into tile rows 0 ...
            template <class A, class Block>
            void unpack(const Block* w, std::size_t w_stride, std::size_t rows)
            {
                for (std::size_t r = 0; r < rows; ++r)
                    unpack_weight_row<A, Block>::run(w + r * w_stride, k / Block::block_size, q.data() + r * k,
                                                     scale.data() + r * (k / 4), offset.empty() ? nullptr : offset.data() + r * (k / 16));
            }
        };

        /// Y[m, n] for the tile rows [0, rows) of `w` (weight rows n0 ..) and every m.
        template <class A, bool WeightsMayHoldMin>
        void multiply_tile(const quantized_activations& x, std::size_t M, const unpacked_weights& w, std::size_t rows,
                           std::size_t n0, matrix_view<float> y, const float* bias) noexcept
        {
            const std::size_t K = w.k;
            weight_row wr[weight_tile_rows];
            float extra[weight_tile_rows]; // bias, then + offsets per row of X
            for (std::size_t r = 0; r < rows; ++r)
            {
                wr[r] = w.row(r);
                extra[r] = bias ? bias[n0 + r] : 0.0f;
            }
            using dot = int8_dot<A, WeightsMayHoldMin>;
            for (std::size_t m = 0; m < M; ++m)
            {
                const activation_row xr = x.row(m);
                float out[weight_tile_rows];
                std::size_t r = 0;
                for (; r + dot_rows <= rows; r += dot_rows)
                    dot::template run<dot_rows>(xr, wr + r, K, out + r);
                switch (rows - r)
                {
                case 3: dot::template run<3>(xr, wr + r, K, out + r); break;
                case 2: dot::template run<2>(xr, wr + r, K, out + r); break;
                case 1: dot::template run<1>(xr, wr + r, K, out + r); break;
                default: break;
                }
                for (r = 0; r < rows; ++r)
                {
                    float v = out[r];
                    if (wr[r].offset)
                        v += offset_dot<A>(wr[r].offset, xr.sum, K / 16);
                    y(m, n0 + r) = v + extra[r];
                }
            }
        }

        /// The integer product on activation panels (panels.hpp), for arches with a panel_kernel:
        /// weight rows tile by tile, q8_0 quants read in place, other formats unpacked once per
        /// weight row as in the plain path.
        template <class A, class Block>
        void qlinear_panels(const quantized_activations& x, std::size_t M, const Block* w, std::size_t w_stride,
                            std::size_t N, matrix_view<float> y, const float* bias, executor_ref exec)
        {
            using kernel = panel_kernel<A>;
            constexpr bool in_place = std::is_same<Block, block_q8_0>::value;
            const std::size_t R = kernel::panel_rows(M);
            const std::size_t K = x.k, nb = K / 32, panels = (M + R - 1) / R;
            activation_panels xp;
            build_activation_panels(x.q.data(), x.d.data(), M, K, R, kernel::flip, xp);
            const double ops = 2.0 * double(M) * double(N) * double(K);
            run_columns(N, weight_tile_rows, ops, exec, [&](std::size_t j0, std::size_t j1) {
                std::vector<float> scale(weight_tile_rows * nb), out(weight_tile_rows * kernel::max_rows);
                std::vector<std::int32_t> corr(weight_tile_rows * nb);
                unpacked_weights tile(in_place ? 0 : K, has_weight_offset<Block>);
                float add[weight_tile_rows];
                for (std::size_t n0 = j0; n0 < j1; n0 += weight_tile_rows)
                {
                    const std::size_t rows = std::min(weight_tile_rows, j1 - n0);
                    const Block* wt = w + n0 * w_stride;
                    weight_quants wq{tile.q.data(), K, 32};
                    for (std::size_t r = 0; r < rows; ++r)
                        add[r] = bias ? bias[n0 + r] : 0.0f;
                    if constexpr (in_place)
                    {
                        wq = {wt->qs, w_stride * sizeof(Block), sizeof(Block)};
                        for (std::size_t r = 0; r < rows; ++r)
                            for (std::size_t b = 0; b < nb; ++b)
                                scale[r * nb + b] = float_of(wt[r * w_stride + b].d);
                    }
                    else
                    {
                        tile.unpack<A>(wt, w_stride, rows);
                        for (std::size_t r = 0; r < rows; ++r)
                            for (std::size_t b = 0; b < nb; ++b)
                                scale[r * nb + b] = tile.scale[r * (K / 4) + 8 * b];
                    }
                    kernel::block_corrections(wq, rows, nb, corr.data());
                    for (std::size_t p = 0; p < panels; ++p)
                    {
                        kernel::multiply(R, xp.q_of(p), xp.d_of(p), nb, wq, rows, scale.data(), corr.data(), out.data());
                        const std::size_t m0 = p * R, mrows = std::min(R, M - m0);
                        if (!tile.offset.empty())
                            for (std::size_t r = 0; r < rows; ++r)
                                for (std::size_t i = 0; i < mrows; ++i)
                                    out[r * R + i] += offset_dot<A>(tile.offset.data() + r * (K / 16), x.row(m0 + i).sum, K / 16);
                        // row by row of Y, so that a row-major Y is written contiguously
                        for (std::size_t i = 0; i < mrows; ++i)
                            for (std::size_t r = 0; r < rows; ++r)
                                y(m0 + i, n0 + r) = out[r * R + i] + add[r];
                    }
                }
            });
        }

        template <class A, class Block>
        void qlinear_integer(const matrix_view<const float>& x, const Block* w, std::size_t w_stride, std::size_t N,
                             matrix_view<float> y, const float* bias, executor_ref exec)
        {
            using Dot = typename Block::dot_block;
            const std::size_t M = x.rows, K = x.cols, nb = K / Block::block_size;
            arch_array<Dot> blocks(M * nb);
            quantized_activations xq;
            const double ops = 2.0 * double(M) * double(N) * double(K);
            using fused = gemv_fused<A, Block>;
            if (M == 1 && fused::available)
            {
                quantize_activations<A, Dot>(x, blocks.data(), xq, false);
                typename fused::activations xa;
                fused::prepare(blocks.data(), nb, xa);
                run_columns(N, weight_tile_rows, ops, exec, [&](std::size_t j0, std::size_t j1) {
                    fused::run(w + j0 * w_stride, w_stride, j1 - j0, xa, y.data + j0 * y.col_stride, y.col_stride,
                               bias ? bias + j0 : nullptr);
                });
                return;
            }
            quantize_activations<A, Dot>(x, blocks.data(), xq, true);
            if constexpr (panel_kernel<A>::available && panel_format<Block>)
                if (M >= panel_kernel<A>::min_rows)
                    return qlinear_panels<A, Block>(xq, M, w, w_stride, N, y, bias, exec);
            run_columns(N, weight_tile_rows, ops, exec, [&](std::size_t j0, std::size_t j1) {
                unpacked_weights tile(K, has_weight_offset<Block>);
                for (std::size_t n0 = j0; n0 < j1; n0 += weight_tile_rows)
                {
                    const std::size_t rows = std::min(weight_tile_rows, j1 - n0);
                    tile.unpack<A>(w + n0 * w_stride, w_stride, rows);
                    multiply_tile<A, weights_may_hold_int8_min<Block>>(xq, M, tile, rows, n0, y, bias);
                }
            });
        }

        template <class A, class Block>
        void qlinear_dequantized(const matrix_view<const float>& x, const Block* w, std::size_t w_stride, std::size_t N,
                                 matrix_view<float> y, const linear_options& opts)
        {
            const std::size_t K = x.cols, nb = K / Block::block_size;
            std::vector<float> wf(N * K);
            for_block_ranges(N, K, opts.executor, [&](std::size_t first, std::size_t count) {
                for (std::size_t n = first; n < first + count; ++n)
                    dequantize_blocks<A>(w + n * w_stride, wf.data() + n * K, nb);
            });
            matrix_view<const float> wv(wf.data(), N, K);
            const gemm_output out{y.data, y.row_stride, y.col_stride, 1.0f, 0.0f, opts.bias};
            matmul_checked<A>(x, wv.t(), out, x.rows, N, K, opts.executor);
        }

        /// The product behind the checks (K a non-zero multiple of the block size, M and N > 0).
        template <class A, class Block>
        void qlinear_kernel(const matrix_view<const float>& x, const Block* w, std::size_t w_stride, std::size_t N,
                            const matrix_view<float>& y, const linear_options& opts)
        {
            if (opts.dequantize_weights)
                return qlinear_dequantized<A>(x, w, w_stride, N, y, opts);
            qlinear_integer<A>(x, w, w_stride, N, y, opts.bias, opts.executor);
        }

        /// Elements one past the last block of a non-empty quantized view; fails on overflow.
        template <class Block>
        std::size_t qview_extent(const char* fn, const char* name, std::size_t rows, std::size_t blocks_per_row,
                                 std::size_t row_stride)
        {
            if (rows == 0 || blocks_per_row == 0)
                return 0;
            constexpr std::size_t max = std::numeric_limits<std::size_t>::max() / sizeof(Block);
            if (JOULE_UNLIKELY(row_stride != 0 && rows - 1 > (max - blocks_per_row) / row_stride))
                fail(fn, name, " (", rows, " rows of ", blocks_per_row, " blocks, row_stride ", row_stride,
                     ") spans more memory than size_t can address");
            return (rows - 1) * row_stride + blocks_per_row;
        }

        template <class A, class Block>
        void qlinear_entry(matrix_view<const float> x, const qmatrix_view<const Block>& w, matrix_view<float> y,
                           const linear_options& opts)
        {
            static_assert(is_linear_weight_format<Block>, "joule::linear: W must be a weight block format");
            constexpr const char* fn = "linear";
            constexpr std::size_t bs = Block::block_size;
            check_equal(fn, "W.cols", w.cols, "X.cols", x.cols);
            if (JOULE_UNLIKELY(w.cols % bs != 0))
                fail(fn, "W.cols (", w.cols, ") is not a multiple of the block size (", bs, ")");
            check_equal(fn, "Y.rows", y.rows, "X.rows", x.rows);
            check_equal(fn, "Y.cols", y.cols, "W.rows", w.rows);
            const std::size_t bpr = w.cols / bs;
            if (JOULE_UNLIKELY(w.rows > 1 && w.row_stride < bpr))
                fail(fn, "W.row_stride (", w.row_stride, " blocks) is less than a row (", bpr, " blocks)");
            if (JOULE_UNLIKELY(w.data == nullptr && w.rows != 0 && bpr != 0))
                fail(fn, "W.data is null but W is ", w.rows, " x ", w.cols);
            const std::size_t ew = qview_extent<Block>(fn, "W", w.rows, bpr, w.row_stride);
            const std::size_t ex = check_view(fn, "X", x);
            const std::size_t ey = check_view(fn, "Y", y);
            check_no_overlap(fn, "Y", y, ey, "X", x, ex);
            check_disjoint(fn, "Y", y.data, ey * sizeof(float), "W", w.data, ew * sizeof(Block));
            check_disjoint(fn, "Y", y.data, ey * sizeof(float), "bias", opts.bias, opts.bias ? w.rows * sizeof(float) : 0);
            const std::size_t M = x.rows, N = w.rows;
            if (M == 0 || N == 0)
                return;
            if (bpr == 0)
                return scale_output(gemm_output{y.data, y.row_stride, y.col_stride, 1.0f, 0.0f, opts.bias}, M, N);
            const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::linear_field<Block>::field, qlinear_kernel<A, Block>);
            kernel(x, w.data, w.row_stride, N, y, opts);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
