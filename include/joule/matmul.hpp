// joule/matmul.hpp: dense matrix multiplication for float, f16 and bf16 inputs, prepacked
// weights, and the inference-shaped layer Y = X * W^T + bias.
//
//     joule::matrix_view<const float> A(a, M, K);        // M x K, row-major
//     joule::matrix_view<const joule::f16> B(b, K, N);   // K x N
//     joule::matrix_view<float> C(c, M, N);
//     joule::matmul(A, B, C);                            // C = A * B
//
//     auto Bp = joule::pack(B);                          // once, e.g. at model load
//     joule::gemm_options opt; opt.alpha = 0.5f; opt.beta = 1.0f; opt.executor = pool;
//     joule::matmul(A, Bp, C, opt);                      // C = 0.5 * A * B + C
//
//     joule::linear(X, W, Y);                            // Y = X * W^T, W is N x K (nn.Linear)
//
// Shapes: A is M x K, B is K x N, C is M x N (for linear: X is M x K, W is N x K, Y is M x N).
// Element types: A and B (X and W) are each float, joule::f16 or joule::bf16; C (Y) is float.
// 16-bit inputs are widened to float exactly and every product is accumulated in float with
// multiply-adds (fused where the instruction set has FMA); the result differs from the exact
// one by the usual O(K * eps) bound.
//
// Layouts: any matrix_view (row-major, column-major, i.e. a transposed view `.t()`, or
// strided, see matrix_view.hpp). Row-major A, B and C are the fastest; other layouts are
// repacked into the kernel's layout on the fly (C costs a scattered write per element).
//
// alpha, beta: C = alpha * A * B + beta * C. With beta == 0, C is write-only: whatever it
// held (NaN, Inf, uninitialized memory) never reaches the result. K == 0 gives C = beta * C
// (C = 0 for beta == 0). NaN and Inf in A or B propagate as IEEE arithmetic says.
//
// Threads: the executor in the options runs the work (joule::sequential by default; see
// executor.hpp). Work is split over tiles of C, never over K, so every element of C is summed
// in the same order whatever the executor: results are bit-identical for 1, 2 or 64 threads.
// They may differ in the last bits between instruction sets, and between matmul with B and
// with pack(B) for some shapes (different summation orders). Calls are reentrant: concurrent
// calls on disjoint outputs are safe. Scratch memory is kept per thread and reused.
//
// Memory: joule::pack's storage of 2 MiB and more is 2 MiB aligned and, on Linux, advised for
// transparent huge pages, which small-M products (they stream the weights) read faster.
//
// Errors (joule::error, thrown before any output is written): inner dimensions that differ,
// C whose shape is not M x N, null data in a non-empty view, views whose strides make rows or
// columns overlap, views whose extent overflows size_t, C overlapping A or B (or Y
// overlapping X, W or the bias), and a packed matrix packed for a different panel width
// (packed by code compiled for another instruction set).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <new>

#include "joule/convert.hpp"
#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/matrix_view.hpp"
#include "joule/detail/huge_pages.hpp"

namespace joule
{
    /// Options of joule::matmul.
    struct gemm_options
    {
        /// Not an aggregate on purpose: the constructor (it builds the default executor) must
        /// carry the instruction-set tag like every inline member of a vocabulary type.
        JOULE_ARCH_TAG gemm_options() noexcept {}

        float alpha = 1; ///< scales A * B
        float beta = 0;  ///< scales the old C; 0 means C is not read
        executor_ref executor; ///< who runs the tiles (sequential by default)
    };

    /// Options of joule::linear (dense and, from joule/quant.hpp, quantized weights).
    struct linear_options
    {
        JOULE_ARCH_TAG linear_options() noexcept {} ///< tagged, as gemm_options'

        /// N floats added to every row of Y, or null for none. Must not overlap Y.
        const float* bias = nullptr;
        executor_ref executor; ///< who runs the tiles (sequential by default)
        /// Quantized W only (joule/quant_linear.hpp), the accuracy mode: dequantize W to float
        /// and use the float kernels with X unquantized, instead of quantizing X and taking
        /// integer dot products. Slower, and needs N * K floats of scratch.
        bool dequantize_weights = false;
    };

    /// B (K x N) in the micro-kernel's layout, built once by joule::pack and reused by every
    /// joule::matmul(A, packed, C). It owns its memory (64-byte aligned; from 2 MiB up, 2 MiB
    /// aligned and advised for transparent huge pages on Linux) and keeps the element type T, so
    /// f16 / bf16 weights stay 2 bytes per element.
    ///
    /// Layout: columns in panels of panel_width(); panel p holds columns p*w .. p*w+w-1 as K
    /// rows of w consecutive elements (zero-padded past N). The panel width is the micro-
    /// kernel's tile width, which depends on the instruction set: a packed_matrix must be used
    /// by code compiled for an instruction set with the same width (joule::error otherwise).
    template <class T>
    class packed_matrix
    {
    public:
        using value_type = T;

        // Every member with code is written out and tagged, and the storage is a plain pointer:
        // a std::unique_ptr would instantiate std templates on this type, inline code shared by
        // translation units built for different instruction sets (tests/odr checks this).
        JOULE_ARCH_TAG packed_matrix() noexcept {}
        JOULE_ARCH_TAG packed_matrix(std::size_t rows, std::size_t cols, std::size_t panel_width)
            : rows_(rows)
            , cols_(cols)
            , panel_width_(panel_width)
            , size_(panel_count() * panel_width * rows)
            , data_(allocate(size_))
        {
        }
        JOULE_ARCH_TAG packed_matrix(const packed_matrix& other)
            : packed_matrix(other.rows_, other.cols_, other.panel_width_)
        {
            if (size_ != 0)
                std::memcpy(data_, other.data_, size_ * sizeof(T));
        }
        JOULE_ARCH_TAG packed_matrix(packed_matrix&& other) noexcept
            : rows_(other.rows_)
            , cols_(other.cols_)
            , panel_width_(other.panel_width_)
            , size_(other.size_)
            , data_(other.data_)
        {
            other.release();
        }
        JOULE_ARCH_TAG packed_matrix& operator=(packed_matrix other) noexcept
        {
            swap(other);
            return *this;
        }
        JOULE_ARCH_TAG ~packed_matrix() { deallocate(data_, size_); }

        JOULE_ARCH_TAG std::size_t rows() const noexcept { return rows_; }  ///< K
        JOULE_ARCH_TAG std::size_t cols() const noexcept { return cols_; }  ///< N
        JOULE_ARCH_TAG bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }
        /// Columns per panel (the micro-kernel's NR when it was packed).
        JOULE_ARCH_TAG std::size_t panel_width() const noexcept { return panel_width_; }
        JOULE_ARCH_TAG std::size_t panel_count() const noexcept
        {
            return panel_width_ == 0 ? 0 : (cols_ + panel_width_ - 1) / panel_width_;
        }
        /// Panel p: rows() x panel_width() elements, row-major.
        JOULE_ARCH_TAG const T* panel(std::size_t p) const noexcept { return data_ + p * panel_width_ * rows_; }
        JOULE_ARCH_TAG T* panel(std::size_t p) noexcept { return data_ + p * panel_width_ * rows_; }
        /// Bytes of packed storage (what a GEMV streams once per call).
        JOULE_ARCH_TAG std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }

    private:
        // Large packings (2 MiB and up) start on a huge page and ask for huge pages: see
        // detail/huge_pages.hpp for why and what it gains.
        JOULE_ARCH_TAG static T* allocate(std::size_t n)
        {
            return n == 0 ? nullptr : static_cast<T*>(detail::allocate_large_buffer(n * sizeof(T)));
        }
        JOULE_ARCH_TAG static void deallocate(T* p, std::size_t n) noexcept
        {
            if (p != nullptr)
                detail::free_large_buffer(p, n * sizeof(T));
        }
        JOULE_ARCH_TAG void release() noexcept
        {
            rows_ = cols_ = panel_width_ = size_ = 0;
            data_ = nullptr;
        }
        JOULE_ARCH_TAG void swap(packed_matrix& other) noexcept
        {
            std::swap(rows_, other.rows_);
            std::swap(cols_, other.cols_);
            std::swap(panel_width_, other.panel_width_);
            std::swap(size_, other.size_);
            std::swap(data_, other.data_);
        }

        std::size_t rows_ = 0, cols_ = 0, panel_width_ = 0, size_ = 0;
        T* data_ = nullptr;
    };
} // namespace joule

#include "joule/detail/matmul/matmul_driver.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS

    /// C = alpha * A * B + beta * C. A: M x K, B: K x N, C: M x N (see the top of this file).
    template <class TA, class TB>
    void matmul(matrix_view<const TA> A, matrix_view<const TB> B, matrix_view<float> C, const gemm_options& opts = {})
    {
        detail::matmul_entry<simd::native_arch>(A, B, C, opts);
    }

    /// B in the micro-kernel's layout, for repeated joule::matmul(A, packed, C) calls.
    /// Errors: B's layout (as for matmul).
    template <class TB>
    packed_matrix<TB> pack(matrix_view<const TB> B)
    {
        return detail::pack_entry<simd::native_arch>(B);
    }

    /// C = alpha * A * B + beta * C with B packed by joule::pack.
    template <class TA, class TB>
    void matmul(matrix_view<const TA> A, const packed_matrix<TB>& B, matrix_view<float> C,
                const gemm_options& opts = {})
    {
        detail::matmul_packed_entry<simd::native_arch>(A, B, C, opts);
    }

    /// Y = X * W^T + bias. X: M x K, W: N x K (row-major, as nn.Linear / GGUF store weights),
    /// Y: M x N, bias: N floats or null. Y is written, never read.
    template <class TX, class TW>
    void linear(matrix_view<const TX> X, matrix_view<const TW> W, matrix_view<float> Y, const linear_options& opts = {})
    {
        detail::linear_entry<simd::native_arch>(X, W, Y, opts);
    }

    /// Y = X * W^T + bias with the weights packed once: `Wp = joule::pack(W.t())` (K x N).
    template <class TX, class TW>
    void linear(matrix_view<const TX> X, const packed_matrix<TW>& Wp, matrix_view<float> Y,
                const linear_options& opts = {})
    {
        detail::linear_packed_entry<simd::native_arch>(X, Wp, Y, opts);
    }

    // Overloads for non-const views, so `joule::matmul(A, B, C)` works with matrix_view<float>
    // arguments without spelling the const.
    template <class TA, class TB>
    void matmul(matrix_view<TA> A, matrix_view<TB> B, matrix_view<float> C, const gemm_options& opts = {})
    {
        matmul(matrix_view<const TA>(A), matrix_view<const TB>(B), C, opts);
    }
    template <class TA, class TB>
    void matmul(matrix_view<TA> A, const packed_matrix<TB>& B, matrix_view<float> C, const gemm_options& opts = {})
    {
        matmul(matrix_view<const TA>(A), B, C, opts);
    }
    template <class TB>
    packed_matrix<TB> pack(matrix_view<TB> B)
    {
        return pack(matrix_view<const TB>(B));
    }
    template <class TX, class TW>
    void linear(matrix_view<TX> X, matrix_view<TW> W, matrix_view<float> Y, const linear_options& opts = {})
    {
        linear(matrix_view<const TX>(X), matrix_view<const TW>(W), Y, opts);
    }
    template <class TX, class TW>
    void linear(matrix_view<TX> X, const packed_matrix<TW>& Wp, matrix_view<float> Y, const linear_options& opts = {})
    {
        linear(matrix_view<const TX>(X), Wp, Y, opts);
    }

    JOULE_END_ARCH_NS
} // namespace joule
