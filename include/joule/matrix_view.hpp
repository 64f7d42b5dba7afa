// joule/matrix_view.hpp: the non-owning 2-D view every kernel family takes.
//
//     joule::matrix_view<const float> A(a, M, K, lda);   // row-major, rows lda elements apart
//     auto At = A.t();                                    // K x M view of the same memory
//     float x = A(i, k);                                  // = a[i * lda + k]
//
// Element (r, c) is at data[r * row_stride + c * col_stride] (strides in elements, not bytes).
// A row-major view has col_stride 1; its transpose has row_stride 1. A view never owns or
// copies memory. `matrix_view<const T>` converts implicitly from `matrix_view<T>`.
//
// Layout rules, checked by the functions that take views (joule::error otherwise):
// - one dimension is the inner one: col_stride >= 1 and row_stride >= cols * col_stride, or
//   row_stride >= 1 and col_stride >= rows * row_stride (for a single row or column the other
//   stride is free). So rows never overlap each other, and "stride smaller than a row" is an
//   error;
// - data is not null unless the view is empty, and the highest element address fits in size_t.
// Output views must also not overlap input views (each function says which).
#pragma once

#include <cstddef>
#include <limits>
#include <type_traits>

#include "joule/detail/config.hpp"
#include "joule/error.hpp"

namespace joule
{
    template <class T>
    struct matrix_view
    {
        using value_type = std::remove_cv_t<T>;

        T* data = nullptr;
        std::size_t rows = 0;
        std::size_t cols = 0;
        std::size_t row_stride = 0; ///< elements between (r, c) and (r + 1, c)
        std::size_t col_stride = 1; ///< elements between (r, c) and (r, c + 1)

        matrix_view() = default;

        /// Row-major view: rows `row_stride` elements apart, columns adjacent.
        JOULE_ARCH_TAG matrix_view(T* data_, std::size_t rows_, std::size_t cols_, std::size_t row_stride_) noexcept
            : data(data_)
            , rows(rows_)
            , cols(cols_)
            , row_stride(row_stride_)
            , col_stride(1)
        {
        }

        /// Row-major view of a dense rows x cols array (row_stride = cols).
        JOULE_ARCH_TAG matrix_view(T* data_, std::size_t rows_, std::size_t cols_) noexcept
            : matrix_view(data_, rows_, cols_, cols_)
        {
        }

        /// Fully strided view.
        JOULE_ARCH_TAG matrix_view(T* data_, std::size_t rows_, std::size_t cols_, std::size_t row_stride_,
                                   std::size_t col_stride_) noexcept
            : data(data_)
            , rows(rows_)
            , cols(cols_)
            , row_stride(row_stride_)
            , col_stride(col_stride_)
        {
        }

        /// matrix_view<const T> from matrix_view<T>.
        template <class U, class = std::enable_if_t<std::is_same<T, const U>::value>>
        JOULE_ARCH_TAG matrix_view(const matrix_view<U>& other) noexcept // NOLINT: implicit on purpose
            : data(other.data)
            , rows(other.rows)
            , cols(other.cols)
            , row_stride(other.row_stride)
            , col_stride(other.col_stride)
        {
        }

        /// The transpose: a cols x rows view of the same memory.
        JOULE_ARCH_TAG matrix_view t() const noexcept { return matrix_view(data, cols, rows, col_stride, row_stride); }

        JOULE_ARCH_TAG T& operator()(std::size_t r, std::size_t c) const noexcept
        {
            return data[r * row_stride + c * col_stride];
        }
        /// Pointer to element (r, 0).
        JOULE_ARCH_TAG T* row(std::size_t r) const noexcept { return data + r * row_stride; }

        JOULE_ARCH_TAG bool empty() const noexcept { return rows == 0 || cols == 0; }
        /// Columns adjacent in memory (col_stride == 1, or a single column).
        JOULE_ARCH_TAG bool row_major() const noexcept { return col_stride == 1 || cols <= 1; }
        /// Rows adjacent in memory (row_stride == 1, or a single row).
        JOULE_ARCH_TAG bool col_major() const noexcept { return row_stride == 1 || rows <= 1; }
    };

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Offset one past the last element of a non-empty view, or 0 for an empty one; fails on
        /// size_t overflow.
        template <class T>
        std::size_t view_extent(const char* function, const char* name, const matrix_view<T>& v)
        {
            if (v.empty())
                return 0;
            constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
            const std::size_t r = v.rows - 1, c = v.cols - 1;
            const bool overflow = (v.row_stride != 0 && r > max / v.row_stride) ||
                                  (v.col_stride != 0 && c > max / v.col_stride) ||
                                  r * v.row_stride > max - c * v.col_stride ||
                                  r * v.row_stride + c * v.col_stride >= max / sizeof(T);
            if (JOULE_UNLIKELY(overflow))
                fail(function, name, " (", v.rows, " x ", v.cols, ", strides ", v.row_stride, ", ", v.col_stride,
                     ") spans more memory than size_t can address");
            return r * v.row_stride + c * v.col_stride + 1;
        }

        /// Checks a view's layout rules (see the top of this header); returns its extent in elements.
        template <class T>
        std::size_t check_view(const char* function, const char* name, const matrix_view<T>& v)
        {
            if (v.empty())
                return 0;
            if (JOULE_UNLIKELY(v.data == nullptr))
                fail(function, name, ".data is null but ", name, " is ", v.rows, " x ", v.cols);
            const std::size_t extent = view_extent(function, name, v);
            const bool single_row = v.rows == 1, single_col = v.cols == 1;
            // Row-major-like: columns step by col_stride, rows clear a whole row.
            const bool rows_outer = (single_col || v.col_stride >= 1) &&
                                    (single_row || v.row_stride >= (single_col ? 1 : v.cols * v.col_stride));
            const bool cols_outer = (single_row || v.row_stride >= 1) &&
                                    (single_col || v.col_stride >= (single_row ? 1 : v.rows * v.row_stride));
            if (JOULE_UNLIKELY(!rows_outer && !cols_outer))
                fail(function, name, " (", v.rows, " x ", v.cols, ") has row_stride ", v.row_stride,
                     " and col_stride ", v.col_stride, ": rows or columns would overlap (row_stride must be >= ",
                     v.cols * (v.col_stride ? v.col_stride : 1), ", or col_stride >= ",
                     v.rows * (v.row_stride ? v.row_stride : 1), ")");
            return extent;
        }

        /// Fails when two views' memory ranges overlap (output vs input).
        template <class T, class U>
        void check_no_overlap(const char* function, const char* a_name, const matrix_view<T>& a,
                              std::size_t a_extent, const char* b_name, const matrix_view<U>& b, std::size_t b_extent)
        {
            check_disjoint(function, a_name, a.data, a_extent * sizeof(T), b_name, b.data, b_extent * sizeof(U));
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
