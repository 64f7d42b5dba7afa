// Softmax of every row of a matrix_view: rows are independent, the executor splits them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "joule/detail/softmax/softmax_row.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Rows [first, last) of contiguous rows shorter than the two-pass threshold, pipelined:
        /// each row's pass 1 runs inside the previous row's three_pass_row (see there).
        template <class A, class T, bool Scaled, bool Log>
        void three_pass_rows(const matrix_view<const T>& x,
                             const matrix_view<float>& y,
                             std::size_t first,
                             std::size_t last,
                             const row_options& o) noexcept
        {
            const std::size_t n = x.cols;
            float m = row_max<A>(x.row(first), n);
            for (std::size_t r = first; r < last; ++r)
                m =
                  three_pass_row<A, T, Scaled, Log>(x.row(r), y.row(r), n, o, m, r + 1 < last ? x.row(r + 1) : nullptr);
        }

        /// Rows [first, last) of x into y. Rows with a column stride other than 1 go through a
        /// contiguous copy (scratch kept for the whole range).
        template <class A, class T, bool Log>
        void softmax_row_range(const matrix_view<const T>& x,
                               const matrix_view<float>& y,
                               std::size_t first,
                               std::size_t last,
                               const row_options& o,
                               const executor_ref& executor)
        {
            const std::size_t n = x.cols;
            if (x.row_major() && y.row_major() && n < softmax_long_row)
            {
                if (o.temperature != 1.0f)
                    three_pass_rows<A, T, true, Log>(x, y, first, last, o);
                else
                    three_pass_rows<A, T, false, Log>(x, y, first, last, o);
                return;
            }
            std::vector<T> x_copy(x.row_major() ? 0 : n);
            std::vector<float> y_copy(y.row_major() ? 0 : n);
            for (std::size_t r = first; r < last; ++r)
            {
                const T* xr = x.row(r);
                if (!x.row_major())
                {
                    for (std::size_t c = 0; c < n; ++c)
                        x_copy[c] = x(r, c);
                    xr = x_copy.data();
                }
                float* yr = y.row_major() ? y.row(r) : y_copy.data();
                softmax_row<A, T, Log>(xr, yr, n, o, executor);
                if (!y.row_major())
                    for (std::size_t c = 0; c < n; ++c)
                        y(r, c) = y_copy[c];
            }
        }

        template <class A, class T, bool Log>
        void softmax_rows(const matrix_view<const T>& x,
                          const matrix_view<float>& y,
                          const row_options& o,
                          const executor_ref& executor)
        {
            if (x.empty())
                return;
            const std::size_t threads = executor.concurrency();
            // Few long rows: one row at a time, each split in chunks. Otherwise whole rows per task
            // (a row never calls the executor from inside one of its tasks).
            if (x.rows == 1 || threads <= 1 || (x.cols >= softmax_long_row && x.rows < threads))
            {
                softmax_row_range<A, T, Log>(x, y, 0, x.rows, o, executor);
                return;
            }
            const std::size_t tasks = std::min(x.rows, 4 * threads);
            auto task = [&](std::size_t t)
            { softmax_row_range<A, T, Log>(x, y, x.rows * t / tasks, x.rows * (t + 1) / tasks, o, executor_ref()); };
            executor.run(tasks, task);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
