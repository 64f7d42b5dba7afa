// joule/int8_gemm.hpp: integer matrix multiplication (ONNX MatMulInteger) and requantization
// (the output stage of ONNX QLinearMatMul / gemmlowp).
//
//     joule::matrix_view<const std::uint8_t> A(a, M, K);   // or std::int8_t
//     joule::matrix_view<const std::int8_t> B(b, K, N);
//     joule::matrix_view<std::int32_t> C(c, M, N);
//     joule::int8_gemm_options opt; opt.a_zero_point = 128; opt.b_zero_point = -3;
//     joule::matmul(A, B, C, opt);                           // C = (A - za) * (B - zb), exact
//     joule::requantize(c, y, M * N, 0.0123f, 5);            // y = sat(round(c * 0.0123) + 5)
//
// matmul: C[m][n] = sum over k of (A[m][k] - a_zero_point) * (B[k][n] - zb[n]), zb[n] being
// b_zero_points[n] when given (per column, i.e. per output channel) or b_zero_point. A is uint8 or
// int8, B int8, C int32. The result is exact: the true sum whenever it fits in int32, and
// otherwise the true sum modulo 2^32 (two's complement wrap-around, as ONNX runtimes give it;
// |sum| < 2^31 holds for any data when K <= 33025). Zero points are kept out of the inner loop
// (gemmlowp): the kernel multiplies the raw bytes and the row / column sums correct the result.
// Layouts: any matrix_view (row-major, transposed, strided); B is repacked on each call.
// Threads: opts.executor splits the columns of C; results are identical for any executor.
// K == 0 gives C = 0.
//
// requantize: y[i] = saturate(round_half_to_even(float(acc[i]) * multiplier) + zero_point) with a
// float multiplier (float(acc) and the product rounded to float, as ONNX QLinearMatMul computes
// it), or with a fixed-point multiplier (gemmlowp / TFLite):
//     y = saturate(rounding_shift_right(high_mul(acc, m.multiplier), m.shift) + zero_point)
// where high_mul(a, b) = floor((a * b + 2^30) / 2^31) (round half up, as ARM's SQRDMULH and
// gemmlowp's SaturatingRoundingDoublingHighMul) and rounding_shift_right rounds ties away from
// zero (gemmlowp's RoundingDivideByPOT). fixed_point_multiplier_of(real)
// gives the multiplier for a real factor in (0, 1).
//
// Errors (joule::error, nothing written): shapes that do not match, null data in a non-empty
// view or array, views whose strides overlap or whose extent overflows, C overlapping A or B,
// zero points outside A's, B's or the output's type range, a float multiplier <= 0, NaN or
// infinite, a fixed-point multiplier outside [2^30, 2^31) or a shift outside [0, 31].
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    /// Options of joule::matmul on integers.
    struct int8_gemm_options
    {
        /// Not an aggregate on purpose (set fields by assignment): the constructor builds the
        /// default executor and must carry the instruction-set tag, as gemm_options'.
        JOULE_ARCH_TAG int8_gemm_options() noexcept {}

        std::int32_t a_zero_point = 0; ///< in A's range ([0, 255] for uint8, [-128, 127] for int8)
        std::int32_t b_zero_point = 0; ///< in [-128, 127]; used when b_zero_points is null
        /// N per-column zero points of B, or null for the per-tensor b_zero_point.
        const std::int8_t* b_zero_points = nullptr;
        executor_ref executor; ///< who runs the column blocks (sequential by default)
    };

    /// A real factor in (0, 1) as multiplier * 2^-31 * 2^-shift (gemmlowp's Q31 representation).
    struct fixed_point_multiplier
    {
        JOULE_ARCH_TAG fixed_point_multiplier() noexcept {} ///< tagged, as every options struct's

        std::int32_t multiplier = 0; ///< in [2^30, 2^31)
        int shift = 0;               ///< right shift, in [0, 31]
    };
} // namespace joule

#include "joule/detail/int8_gemm/int8_gemm_driver.hpp"
#include "joule/detail/int8_gemm/requantize.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    /// C = (A - a_zero_point) * (B - b_zero_point(s)), A: M x K uint8, B: K x N int8, C: M x N int32.
    inline void matmul(matrix_view<const std::uint8_t> A, matrix_view<const std::int8_t> B,
                       matrix_view<std::int32_t> C, const int8_gemm_options& opts = {})
    {
        detail::int8_matmul_entry<simd::native_arch>(A, B, C, opts);
    }
    /// The same with int8 A.
    inline void matmul(matrix_view<const std::int8_t> A, matrix_view<const std::int8_t> B,
                       matrix_view<std::int32_t> C, const int8_gemm_options& opts = {})
    {
        detail::int8_matmul_entry<simd::native_arch>(A, B, C, opts);
    }

    /// The multiplier and shift for a real factor in (0, 1) (error otherwise, or when it is
    /// below 2^-32 and the shift would exceed 31).
    inline fixed_point_multiplier fixed_point_multiplier_of(double real) { return detail::fixed_point_multiplier_of(real); }

    /// y[i] = saturate(round_half_to_even(float(acc[i]) * multiplier) + zero_point), i < n.
    inline void requantize(const std::int32_t* acc, std::int8_t* y, std::size_t n, float multiplier, std::int32_t zero_point)
    {
        detail::requantize_float_entry(acc, y, n, multiplier, zero_point);
    }
    inline void requantize(const std::int32_t* acc, std::uint8_t* y, std::size_t n, float multiplier, std::int32_t zero_point)
    {
        detail::requantize_float_entry(acc, y, n, multiplier, zero_point);
    }
    /// y[i] = saturate(rounding_shift_right(high_mul(acc[i], m.multiplier), m.shift) + zero_point).
    inline void requantize(const std::int32_t* acc, std::int8_t* y, std::size_t n, fixed_point_multiplier m,
                           std::int32_t zero_point)
    {
        detail::requantize_fixed_entry(acc, y, n, m, zero_point);
    }
    inline void requantize(const std::int32_t* acc, std::uint8_t* y, std::size_t n, fixed_point_multiplier m,
                           std::int32_t zero_point)
    {
        detail::requantize_fixed_entry(acc, y, n, m, zero_point);
    }
    JOULE_END_ARCH_NS
} // namespace joule
