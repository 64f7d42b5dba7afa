// joule::matmul on integers (joule/int8_gemm.hpp): checks, the zero-point algebra and the loops.
//
// With A' = A + a_shift (a_shift = 128 for int8 A, turning it into uint8; 0 for uint8 A) and
// za' = a_zero_point + a_shift, (A - za) = (A' - za'), so every case is u8 * s8:
//   C[m][n] = sum_k A'[m][k] B[k][n] - zb[n] * rowsum(A')[m] - za' * colsum(B)[n] + K za' zb[n]
// The kernel (dot_u8s8.hpp) computes the first term on raw bytes; the corrections are added per
// element in wrapping (uint32) arithmetic, so the result is the exact sum modulo 2^32.
// B is packed once per call as B^T rows of K bytes (zero-padded to int8_k_pad), A as rows of A'
// (zero-padded too). Tasks split the columns of C into blocks of whole column tiles.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "joule/detail/int8_gemm/dot_u8s8.hpp"
#include "joule/matmul.hpp" // run_columns, the matmul drivers' task split
#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    struct int8_gemm_options;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        constexpr int int8_mr = 2, int8_nr = 4;
        /// Columns of C per block: their B^T rows (int8_block_cols * K bytes) stay in L2 while
        /// every row of A passes over them.
        constexpr std::size_t int8_block_cols = 64;

        inline std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }

        /// One MR x NR tile (MR <= 2, NR <= 4 known at run time) through the kernel.
        template <class A>
        void int8_tile(int mr, int nr, const std::uint8_t* const* a, const std::int8_t* const* b, std::size_t kp,
                       std::int32_t* out) noexcept
        {
            using k = u8s8_dot<A>;
            if (mr == 2)
                switch (nr)
                {
                case 4: return k::template run<2, 4>(a, b, kp, out);
                case 3: return k::template run<2, 3>(a, b, kp, out);
                case 2: return k::template run<2, 2>(a, b, kp, out);
                default: return k::template run<2, 1>(a, b, kp, out);
                }
            switch (nr)
            {
            case 4: return k::template run<1, 4>(a, b, kp, out);
            case 3: return k::template run<1, 3>(a, b, kp, out);
            case 2: return k::template run<1, 2>(a, b, kp, out);
            default: return k::template run<1, 1>(a, b, kp, out);
            }
        }

        template <class A, class TA>
        void int8_matmul_checked(const matrix_view<const TA>& a, const matrix_view<const std::int8_t>& b,
                                 const matrix_view<std::int32_t>& c, std::int32_t za, std::int32_t zb_tensor,
                                 const std::int8_t* zb_cols, executor_ref exec)
        {
            const std::size_t M = a.rows, N = b.cols, K = a.cols, kp = round_up(std::max<std::size_t>(K, 1), int8_k_pad);
            const std::uint32_t a_shift = std::is_same<TA, std::int8_t>::value ? 128u : 0u;
            const std::uint32_t za_u = static_cast<std::uint32_t>(za) + a_shift;
            // A' rows and their sums.
            std::vector<std::uint8_t> ap(M * kp, 0);
            std::vector<std::uint32_t> rowsum(M, 0);
            for (std::size_t m = 0; m < M; ++m)
            {
                std::uint32_t s = 0;
                for (std::size_t k = 0; k < K; ++k)
                {
                    const auto v = static_cast<std::uint8_t>(static_cast<std::uint32_t>(a(m, k)) + a_shift);
                    ap[m * kp + k] = v;
                    s += v;
                }
                rowsum[m] = s;
            }
            // B^T rows and the column sums.
            std::vector<std::int8_t> bt(N * kp, 0);
            std::vector<std::uint32_t> colsum(N, 0);
            for (std::size_t k = 0; k < K; ++k)
                for (std::size_t n = 0; n < N; ++n)
                {
                    const std::int8_t v = b(k, n);
                    bt[n * kp + k] = v;
                    colsum[n] += static_cast<std::uint32_t>(std::int32_t(v));
                }
            const double ops = 2.0 * double(M) * double(N) * double(K);
            run_columns(N, int8_block_cols, ops, exec, [&](std::size_t j0, std::size_t j1) {
                for (std::size_t nb0 = j0; nb0 < j1; nb0 += int8_block_cols)
                {
                    const std::size_t nb1 = std::min(j1, nb0 + int8_block_cols);
                    for (std::size_t m0 = 0; m0 < M; m0 += int8_mr)
                    {
                        const int mr = static_cast<int>(std::min<std::size_t>(int8_mr, M - m0));
                        const std::uint8_t* arows[int8_mr] = {ap.data() + m0 * kp, ap.data() + (m0 + (mr > 1)) * kp};
                        for (std::size_t n0 = nb0; n0 < nb1; n0 += int8_nr)
                        {
                            const int nr = static_cast<int>(std::min<std::size_t>(int8_nr, nb1 - n0));
                            const std::int8_t* brows[int8_nr] = {};
                            for (int q = 0; q < nr; ++q)
                                brows[q] = bt.data() + (n0 + q) * kp;
                            std::int32_t raw[int8_mr * int8_nr];
                            int8_tile<A>(mr, nr, arows, brows, kp, raw);
                            for (int r = 0; r < mr; ++r)
                                for (int q = 0; q < nr; ++q)
                                {
                                    const std::size_t m = m0 + r, n = n0 + q;
                                    const std::uint32_t zb =
                                        static_cast<std::uint32_t>(zb_cols ? std::int32_t(zb_cols[n]) : zb_tensor);
                                    const std::uint32_t v = static_cast<std::uint32_t>(raw[r * nr + q]) - zb * rowsum[m] -
                                                            za_u * colsum[n] + static_cast<std::uint32_t>(K) * za_u * zb;
                                    c(m, n) = static_cast<std::int32_t>(v);
                                }
                        }
                    }
                }
            });
        }

        template <class A, class TA>
        void int8_matmul_entry(matrix_view<const TA> a, matrix_view<const std::int8_t> b, matrix_view<std::int32_t> c,
                               const int8_gemm_options& opts)
        {
            constexpr const char* fn = "matmul";
            check_equal(fn, "A.cols", a.cols, "B.rows", b.rows);
            check_equal(fn, "C.rows", c.rows, "A.rows", a.rows);
            check_equal(fn, "C.cols", c.cols, "B.cols", b.cols);
            const std::size_t ea = check_view(fn, "A", a);
            const std::size_t eb = check_view(fn, "B", b);
            const std::size_t ec = check_view(fn, "C", c);
            check_no_overlap(fn, "C", c, ec, "A", a, ea);
            check_no_overlap(fn, "C", c, ec, "B", b, eb);
            const std::int32_t a_lo = std::is_same<TA, std::int8_t>::value ? -128 : 0;
            const std::int32_t a_hi = std::is_same<TA, std::int8_t>::value ? 127 : 255;
            if (JOULE_UNLIKELY(opts.a_zero_point < a_lo || opts.a_zero_point > a_hi))
                fail(fn, "a_zero_point (", opts.a_zero_point, ") is outside A's range [", a_lo, ", ", a_hi, "]");
            if (JOULE_UNLIKELY(opts.b_zero_points == nullptr && (opts.b_zero_point < -128 || opts.b_zero_point > 127)))
                fail(fn, "b_zero_point (", opts.b_zero_point, ") is outside B's range [-128, 127]");
            check_disjoint(fn, "C", c.data, ec * sizeof(std::int32_t), "b_zero_points", opts.b_zero_points,
                           opts.b_zero_points ? b.cols : 0);
            if (c.empty())
                return;
            int8_matmul_checked<A>(a, b, c, opts.a_zero_point, opts.b_zero_point, opts.b_zero_points, opts.executor);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
