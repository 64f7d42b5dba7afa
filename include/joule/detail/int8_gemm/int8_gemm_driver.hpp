// joule::matmul on integers (joule/int8_gemm.hpp): checks, the zero-point algebra and the loops.
//
// With A' = A + a_shift (a_shift = 128 for int8 A, turning it into uint8; 0 for uint8 A) and
// za' = a_zero_point + a_shift, (A - za) = (A' - za'), so every case is u8 * s8:
//   C[m][n] = sum_k A'[m][k] B[k][n] - zb[n] * rowsum(A')[m] - za' * colsum(B)[n] + K za' zb[n]
// The micro-kernel (microkernel.hpp) computes the first term on the raw values (or, for NEON
// sdot, on A' - 128, with 128 * colsum(B) added back in the column term); the corrections
// are added per element in wrapping (uint32) arithmetic, so the result is the exact sum modulo
// 2^32. A' and B are packed once per call in the kernel's layout (zero-padded to whole tiles);
// each tile runs the whole K in registers. Tasks split the column panels of C.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "joule/detail/int8_gemm/microkernel.hpp"
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
        inline std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }

        template <class A, class TA>
        void int8_matmul_checked(const matrix_view<const TA>& a, const matrix_view<const std::int8_t>& b,
                                 const matrix_view<std::int32_t>& c, std::int32_t za, std::int32_t zb_tensor,
                                 const std::int8_t* zb_cols, executor_ref exec)
        {
            using kernel = int8_kernel<A>;
            using a_type = typename kernel::a_type;
            using b_type = typename kernel::b_type;
            constexpr std::size_t mr = kernel::mr, nr = kernel::nr, kg = kernel::kg;
            // Packed A holds A' - a_offset (128 for sdot's int8 operands, else 0); see below.
            constexpr std::int32_t a_offset = static_cast<std::int32_t>(kernel::a_offset);
            const std::size_t M = a.rows, N = b.cols, K = a.cols, kp = round_up(std::max<std::size_t>(K, 1), kg);
            const std::size_t m_pad = round_up(M, mr), panels = (N + nr - 1) / nr;
            const std::uint32_t a_shift = std::is_same<TA, std::int8_t>::value ? 128u : 0u;
            const std::uint32_t za_u = static_cast<std::uint32_t>(za) + a_shift;
            // A' rows (zero rows pad M to whole tiles) and their sums.
            std::vector<a_type> ap(m_pad * kp, a_type(0));
            std::vector<std::uint32_t> rowsum(M, 0);
            for (std::size_t m = 0; m < M; ++m)
            {
                std::uint32_t s = 0;
                a_type* dst = ap.data() + m * kp;
                if (a.col_stride == 1) // contiguous row: a loop the compiler vectorizes
                {
                    const TA* src = a.row(m);
                    for (std::size_t k = 0; k < K; ++k)
                    {
                        const auto v = static_cast<std::uint8_t>(static_cast<std::uint32_t>(src[k]) + a_shift);
                        dst[k] = static_cast<a_type>(std::int32_t(v) - a_offset);
                        s += v;
                    }
                }
                else
                    for (std::size_t k = 0; k < K; ++k)
                    {
                        const auto v = static_cast<std::uint8_t>(static_cast<std::uint32_t>(a(m, k)) + a_shift);
                        dst[k] = static_cast<a_type>(std::int32_t(v) - a_offset);
                        s += v;
                    }
                rowsum[m] = s;
            }
            // B in panels of nr columns (see microkernel.hpp) and its column sums.
            std::vector<b_type> bp(panels * nr * kp, b_type(0));
            std::vector<std::uint32_t> colsum(N, 0);
            for (std::size_t k = 0; k < K; ++k)
            {
                const std::size_t g = k / kg, j = k % kg;
                for (std::size_t p = 0; p < panels; ++p)
                {
                    b_type* dst = bp.data() + p * nr * kp + g * nr * kg + j;
                    const std::size_t n0 = p * nr, nn = std::min(nr, N - n0);
                    for (std::size_t q = 0; q < nn; ++q)
                    {
                        const std::int8_t v = b(k, n0 + q);
                        dst[q * kg] = static_cast<b_type>(v);
                        colsum[n0 + q] += static_cast<std::uint32_t>(std::int32_t(v));
                    }
                }
            }
            const double ops = 2.0 * double(M) * double(N) * double(K);
            run_columns(panels, 1, ops, exec, [&](std::size_t p0, std::size_t p1) {
                alignas(64) std::int32_t raw[mr * nr];
                for (std::size_t p = p0; p < p1; ++p)
                {
                    const std::size_t n0 = p * nr, nn = std::min(nr, N - n0);
                    // Per column: zb[n] and (za' - a_offset) * colsum[n] - K * za' * zb[n] (wrapping):
                    // the kernel's sum over A' - a_offset lacks a_offset * colsum[n].
                    std::uint32_t col_zb[nr], col_term[nr];
                    for (std::size_t q = 0; q < nn; ++q)
                    {
                        const std::size_t n = n0 + q;
                        col_zb[q] = static_cast<std::uint32_t>(zb_cols ? std::int32_t(zb_cols[n]) : zb_tensor);
                        col_term[q] = (za_u - kernel::a_offset) * colsum[n] -
                                      static_cast<std::uint32_t>(K) * za_u * col_zb[q];
                    }
                    for (std::size_t m0 = 0; m0 < M; m0 += mr)
                    {
                        kernel::run(ap.data() + m0 * kp, kp, bp.data() + p * nr * kp, kp, raw);
                        const std::size_t mm = std::min(mr, M - m0);
                        for (std::size_t r = 0; r < mm; ++r)
                        {
                            const std::uint32_t rs = rowsum[m0 + r];
                            for (std::size_t q = 0; q < nn; ++q)
                                c(m0 + r, n0 + q) = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw[r * nr + q]) -
                                                                             col_zb[q] * rs - col_term[q]);
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
            if (a.cols == 0) // an empty sum: no packing, no kernel
            {
                for (std::size_t m = 0; m < c.rows; ++m)
                    for (std::size_t n = 0; n < c.cols; ++n)
                        c(m, n) = 0;
                return;
            }
            JOULE_DISPATCHED_MEMBER(dispatch::int8_matmul_field<TA>::field, int8_matmul_checked<A, TA>)(
                a, b, c, opts.a_zero_point, opts.b_zero_point, opts.b_zero_points, opts.executor);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
