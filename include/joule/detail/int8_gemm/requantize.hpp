// Requantization of int32 accumulators to int8 / uint8 (joule/int8_gemm.hpp): a float
// multiplier (ONNX QLinearMatMul's float steps) or a gemmlowp fixed-point multiplier. Scalar
// code: one pass over M * N values after a GEMM of M * N * K; the compiler vectorizes the float
// version.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "joule/error.hpp"

namespace joule
{
    struct fixed_point_multiplier;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class T>
        void check_output_zero_point(const char* fn, std::int32_t zero_point)
        {
            constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
            if (JOULE_UNLIKELY(zero_point < lo || zero_point > hi))
                fail(fn, "zero_point (", zero_point, ") is outside the output's range [", lo, ", ", hi, "]");
        }

        template <class T>
        JOULE_ALWAYS_INLINE T saturate_to(std::int64_t v) noexcept
        {
            constexpr std::int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
            return static_cast<T>(v < lo ? lo : v > hi ? hi : v);
        }

        template <class T>
        void requantize_float_entry(const std::int32_t* acc, T* y, std::size_t n, float multiplier, std::int32_t zero_point)
        {
            constexpr const char* fn = "requantize";
            check_pointer(fn, "acc", acc, "n", n);
            check_pointer(fn, "y", y, "n", n);
            if (JOULE_UNLIKELY(!(multiplier > 0.0f) || !std::isfinite(multiplier)))
                fail(fn, "multiplier (", multiplier, ") must be positive and finite");
            check_output_zero_point<T>(fn, zero_point);
            check_disjoint(fn, "acc", acc, n * sizeof(std::int32_t), "y", y, n * sizeof(T));
            const float lo = float(std::numeric_limits<T>::min() - zero_point);
            const float hi = float(std::numeric_limits<T>::max() - zero_point);
            for (std::size_t i = 0; i < n; ++i)
            {
                // Clamped before the conversion (|r| may exceed int32), after rounding (half to
                // even with the default rounding mode).
                const float r = std::nearbyint(static_cast<float>(acc[i]) * multiplier);
                const float c = r < lo ? lo : r > hi ? hi : r;
                y[i] = static_cast<T>(static_cast<std::int32_t>(c) + zero_point);
            }
        }

        /// floor((a * b + 2^30) / 2^31), i.e. round half up; INT32_MIN * INT32_MIN saturates
        /// (gemmlowp's SaturatingRoundingDoublingHighMul: its negative nudge with truncation
        /// toward zero is the same floor).
        JOULE_ALWAYS_INLINE std::int32_t rounding_high_mul(std::int32_t a, std::int32_t b) noexcept
        {
            if (a == std::numeric_limits<std::int32_t>::min() && b == a)
                return std::numeric_limits<std::int32_t>::max();
            const std::int64_t ab = std::int64_t(a) * std::int64_t(b);
            const std::int64_t nudge = ab >= 0 ? (std::int64_t(1) << 30) : 1 - (std::int64_t(1) << 30);
            return static_cast<std::int32_t>((ab + nudge) / (std::int64_t(1) << 31));
        }
        /// x / 2^shift rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT).
        JOULE_ALWAYS_INLINE std::int32_t rounding_shift_right(std::int32_t x, int shift) noexcept
        {
            const std::int32_t mask = static_cast<std::int32_t>((std::int64_t(1) << shift) - 1);
            const std::int32_t remainder = x & mask;
            const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
            return (x >> shift) + (remainder > threshold ? 1 : 0);
        }

        inline fixed_point_multiplier fixed_point_multiplier_of(double real)
        {
            constexpr const char* fn = "fixed_point_multiplier_of";
            if (JOULE_UNLIKELY(!(real > 0.0 && real < 1.0)))
                fail(fn, "real (", real, ") must be in (0, 1)");
            int exponent = 0;
            const double q = std::frexp(real, &exponent); // real = q * 2^exponent, q in [0.5, 1)
            std::int64_t q_fixed = std::llround(q * double(std::int64_t(1) << 31));
            if (q_fixed == (std::int64_t(1) << 31))
            {
                q_fixed /= 2;
                ++exponent;
            }
            if (JOULE_UNLIKELY(-exponent > 31))
                fail(fn, "real (", real, ") is too small: it needs a shift of ", -exponent, " (at most 31)");
            fixed_point_multiplier m;
            m.multiplier = static_cast<std::int32_t>(q_fixed);
            m.shift = -exponent;
            return m;
        }

        template <class T>
        void requantize_fixed_entry(const std::int32_t* acc, T* y, std::size_t n, fixed_point_multiplier m,
                                    std::int32_t zero_point)
        {
            constexpr const char* fn = "requantize";
            check_pointer(fn, "acc", acc, "n", n);
            check_pointer(fn, "y", y, "n", n);
            if (JOULE_UNLIKELY(m.multiplier < (std::int32_t(1) << 30)))
                fail(fn, "multiplier (", m.multiplier, ") is outside [2^30, 2^31)");
            if (JOULE_UNLIKELY(m.shift < 0 || m.shift > 31))
                fail(fn, "shift (", m.shift, ") is outside [0, 31]");
            check_output_zero_point<T>(fn, zero_point);
            check_disjoint(fn, "acc", acc, n * sizeof(std::int32_t), "y", y, n * sizeof(T));
            for (std::size_t i = 0; i < n; ++i)
                y[i] = saturate_to<T>(std::int64_t(rounding_shift_right(rounding_high_mul(acc[i], m.multiplier), m.shift)) +
                                      zero_point);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
