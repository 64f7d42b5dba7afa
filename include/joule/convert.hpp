// joule/convert.hpp: the 16-bit float types f16 and bf16, and row conversions to and from float.
//
//     std::vector<joule::f16> h(n);
//     joule::convert(x.data(), h.data(), n);     // float -> f16, round to nearest even
//     joule::convert(h.data(), x.data(), n);     // f16 -> float, exact
//
// Semantics (identical on every instruction set, bit for bit):
// - float -> f16 / bf16 rounds to nearest, ties to even. Values past the largest finite
//   16-bit value become +-inf; values below the smallest normal become subnormals or +-0.
// - f16 / bf16 -> float is exact.
// - NaN stays NaN: made quiet, sign and top payload bits kept (f16 keeps 9 of them; bf16 keeps
//   the top 7; bf16 -> float keeps every bit).
// - Memory: x and y may have any alignment; they must not overlap (joule::error otherwise).
// - Thread safety: the functions only read x and write y; concurrent calls on disjoint outputs
//   are safe.
// - Errors: joule::error for a null pointer with n > 0, overlapping x and y, or n so large that
//   its byte size overflows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "joule/detail/convert/convert_rows.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/error.hpp"

namespace joule
{
    /// IEEE 754 binary16: 1 sign, 5 exponent, 10 significand bits. Trivially copyable, 2 bytes.
    struct f16
    {
        std::uint16_t bits;

        f16() = default;
        /// Rounds to nearest, ties to even.
        JOULE_ARCH_TAG explicit f16(float x) noexcept
            : bits(detail::f32_to_f16_bits(x))
        {
        }
        /// Exact.
        JOULE_ARCH_TAG operator float() const noexcept { return detail::f16_bits_to_f32(bits); }
        JOULE_ARCH_TAG static constexpr f16 from_bits(std::uint16_t b) noexcept
        {
            f16 h{};
            h.bits = b;
            return h;
        }
    };

    /// bfloat16: the top half of a float (1 sign, 8 exponent, 7 significand bits). 2 bytes.
    struct bf16
    {
        std::uint16_t bits;

        bf16() = default;
        /// Rounds to nearest, ties to even.
        JOULE_ARCH_TAG explicit bf16(float x) noexcept
            : bits(detail::f32_to_bf16_bits(x))
        {
        }
        /// Exact.
        JOULE_ARCH_TAG operator float() const noexcept { return detail::bf16_bits_to_f32(bits); }
        JOULE_ARCH_TAG static constexpr bf16 from_bits(std::uint16_t b) noexcept
        {
            bf16 h{};
            h.bits = b;
            return h;
        }
    };

    static_assert(sizeof(f16) == 2 && alignof(f16) == 2, "f16 must be 2 bytes");
    static_assert(sizeof(bf16) == 2 && alignof(bf16) == 2, "bf16 must be 2 bytes");

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class From, class To>
        void check_convert_args(const From* x, To* y, std::size_t n)
        {
            constexpr std::size_t max_n = std::numeric_limits<std::size_t>::max() / sizeof(float);
            if (JOULE_UNLIKELY(n > max_n))
                fail("convert", "n (", n, ") is too large: its byte size overflows size_t");
            check_pointer("convert", "x", x, "n", n);
            check_pointer("convert", "y", y, "n", n);
            check_disjoint("convert", "x", x, n * sizeof(From), "y", y, n * sizeof(To));
        }

        // f16 and bf16 are standard-layout with `bits` first, so these casts are the address of
        // `bits` (pointer-interconvertible) and stay valid for null and for arrays.
        template <class Half>
        const std::uint16_t* bits_of(const Half* p) noexcept
        {
            static_assert(std::is_standard_layout<Half>::value && sizeof(Half) == 2, "16-bit storage type");
            return reinterpret_cast<const std::uint16_t*>(p);
        }
        template <class Half>
        std::uint16_t* bits_of(Half* p) noexcept
        {
            static_assert(std::is_standard_layout<Half>::value && sizeof(Half) == 2, "16-bit storage type");
            return reinterpret_cast<std::uint16_t*>(p);
        }
    } // namespace detail

    /// y[i] = f16(x[i]) for i < n.
    inline void convert(const float* x, f16* y, std::size_t n)
    {
        detail::check_convert_args(x, y, n);
        JOULE_DISPATCHED(f32_to_f16_row, detail::f32_to_f16_row<simd::native_arch>)(x, detail::bits_of(y), n);
    }
    /// y[i] = float(x[i]) for i < n.
    inline void convert(const f16* x, float* y, std::size_t n)
    {
        detail::check_convert_args(x, y, n);
        JOULE_DISPATCHED(f16_to_f32_row, detail::f16_to_f32_row<simd::native_arch>)(detail::bits_of(x), y, n);
    }
    /// y[i] = bf16(x[i]) for i < n.
    inline void convert(const float* x, bf16* y, std::size_t n)
    {
        detail::check_convert_args(x, y, n);
        JOULE_DISPATCHED(f32_to_bf16_row, detail::f32_to_bf16_row<simd::native_arch>)(x, detail::bits_of(y), n);
    }
    /// y[i] = float(x[i]) for i < n.
    inline void convert(const bf16* x, float* y, std::size_t n)
    {
        detail::check_convert_args(x, y, n);
        JOULE_DISPATCHED(bf16_to_f32_row, detail::bf16_to_f32_row<simd::native_arch>)(detail::bits_of(x), y, n);
    }
    JOULE_END_ARCH_NS
} // namespace joule
