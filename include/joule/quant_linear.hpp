// joule/quant_linear.hpp: the linear layer Y = X * W^T + bias with GGUF-quantized weights.
//
//     std::vector<joule::block_q4_0> w(N * K / 32);           // N rows of K / 32 blocks (GGUF)
//     joule::quantize(w_float, w.data(), N * K);               // or the tensor's bytes as they are
//     joule::qmatrix_view<const joule::block_q4_0> W(w.data(), N, K);
//     joule::linear(joule::matrix_view<const float>(x, M, K), W, joule::matrix_view<float>(y, M, N));
//
// Shapes: X is M x K floats (any matrix_view layout), W is N rows of K values (K / block_size
// blocks each, rows `row_stride` blocks apart), Y is M x N floats (any layout), bias N floats
// or null. Y is written, never read.
//
// Formats: every weight format of joule/quant.hpp: q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl (32
// values a block) and q2_K, q3_K, q4_K, q5_K, q6_K, iq4_xs (256). (q8_1 and q8_K are
// activation formats.)
//
// Arithmetic (default): each row of X is quantized once to W's dot format as ggml does (q8_0 for
// q4_0, q5_0, q8_0, iq4_nl; q8_1 for q4_1, q5_1; q8_K for the K-quants and iq4_xs; ggml's
// reference rounding), then multiplied with W by exact integer dot products per 16 or 32
// values, scaled in float per sub-block and summed in float. The result is the exact product of
// the two quantized operands up to float summation error (O(K / 32 * eps) relative to
// sum |w * x|); against the float X it also carries X's quantization error (about 1/254 of each
// block's largest |x|), as ggml's does. Results may differ in the last bits between instruction
// sets (summation order) but never with the executor: work is split over rows of W only.
// With opts.dequantize_weights, W is dequantized to float (N * K * 4 bytes of scratch) and
// joule::linear's float kernels multiply it with X unquantized: slower, no activation error.
//
// NaN / Inf: a block of X holding NaN or Inf quantizes to NaN scales (see quant.hpp), so every
// element of Y that depends on it is NaN; NaN scales in W reach Y likewise.
//
// Speed: M == 1 (decoding) streams the weights once; q4_0, q8_0 and q4_K have fused kernels on
// AVX2 that read the blocks in place (the activation row is rearranged once per call so that the
// exact integer dots of eight blocks or sub-blocks land in one register and their scales are
// applied together), other formats are unpacked 16 rows at a time. For M > 1
// every weight row is unpacked to int8 once and reused for all M rows of X; with VNNI (AVX-512
// VNNI, AVX-VNNI) or AArch64 SDOT and M >= 4, X is regrouped 16, 8 or 4 rows at a time so that
// one instruction computes an output for each of them (detail/quant_linear/panels.hpp; q8_0 weights
// are then read in place, and formats with a scale per 16 values, q2_K, q3_K and q6_K, keep the
// plain kernel).
// W is the caller's memory: at M == 1, weights in 2 MiB pages stream faster than in 4 KiB ones
// (no TLB miss per page; 3-7% for q4_0 / q8_0 / q4_K at 14336 x 4096 on Zen 3). On Linux, align
// the buffer to 2 MiB and madvise(MADV_HUGEPAGE) it before writing the blocks; joule::pack does
// this for the float / f16 / bf16 packings it owns (detail/huge_pages.hpp).
// x86 never depends on vpmaddubsw's saturation (see detail/quant_linear/dot_x86.hpp); AArch64
// uses SDOT when built with the dot-product extension, exact widening multiplies otherwise.
//
// Threads: opts.executor splits the rows of W (columns of Y) into tasks. Calls are reentrant.
//
// Errors (joule::error, nothing written): W.cols != X.cols, K not a multiple of the block
// size, Y not M x N, W.row_stride shorter than a row, null data in a non-empty view, a view
// whose extent overflows size_t, Y overlapping X, W or the bias.
#pragma once

#include <cstddef>
#include <type_traits>

#include "joule/matmul.hpp"
#include "joule/quant.hpp"

namespace joule
{
    /// N rows of quantized weights: row r holds `cols` values in cols / Block::block_size blocks
    /// starting at data + r * row_stride (row_stride in blocks). Non-owning.
    template <class Block>
    struct qmatrix_view
    {
        using block_type = std::remove_cv_t<Block>;

        Block* data = nullptr;
        std::size_t rows = 0;       ///< N
        std::size_t cols = 0;       ///< K, in values (a multiple of the block size)
        std::size_t row_stride = 0; ///< blocks between the starts of consecutive rows

        qmatrix_view() = default;
        /// Dense rows: row_stride = cols / block_size.
        JOULE_ARCH_TAG qmatrix_view(Block* data_, std::size_t rows_, std::size_t cols_) noexcept
            : data(data_)
            , rows(rows_)
            , cols(cols_)
            , row_stride(cols_ / block_type::block_size)
        {
        }
        JOULE_ARCH_TAG qmatrix_view(Block* data_, std::size_t rows_, std::size_t cols_, std::size_t row_stride_) noexcept
            : data(data_)
            , rows(rows_)
            , cols(cols_)
            , row_stride(row_stride_)
        {
        }
        /// qmatrix_view<const B> from qmatrix_view<B>.
        template <class U, class = std::enable_if_t<std::is_same<Block, const U>::value>>
        JOULE_ARCH_TAG qmatrix_view(const qmatrix_view<U>& other) noexcept // NOLINT: implicit on purpose
            : data(other.data)
            , rows(other.rows)
            , cols(other.cols)
            , row_stride(other.row_stride)
        {
        }

        /// Pointer to the first block of row r.
        JOULE_ARCH_TAG Block* row(std::size_t r) const noexcept { return data + r * row_stride; }
        JOULE_ARCH_TAG bool empty() const noexcept { return rows == 0 || cols == 0; }
    };
} // namespace joule

#include "joule/detail/quant_linear/linear_driver.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    /// Y = X * W^T + bias with quantized W (see the top of this file).
    template <class Block>
    void linear(matrix_view<const float> X, qmatrix_view<Block> W, matrix_view<float> Y, const linear_options& opts = {})
    {
        detail::qlinear_entry<simd::native_arch>(X, qmatrix_view<const std::remove_cv_t<Block>>(W), Y, opts);
    }
    JOULE_END_ARCH_NS
} // namespace joule
