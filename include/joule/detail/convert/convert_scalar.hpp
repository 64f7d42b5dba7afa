// Exact scalar float <-> f16 / bf16 conversions: the semantics every SIMD path reproduces
// bit for bit. Integer-only, so the result does not depend on the FP environment (rounding
// mode, flush-to-zero).
//
// float -> f16: round to nearest, ties to even; overflow (|x| >= 65520) gives +-inf;
//   results below f16's normal range become f16 subnormals (or +-0); a NaN stays NaN, is made
//   quiet and keeps the top 9 bits of its payload, as x86 F16C and ARM FCVT do.
// f16 -> float: exact; NaN payloads are kept and signalling NaNs are made quiet, as F16C does.
// float -> bf16: round to nearest, ties to even (overflow to +-inf); subnormals are kept; a NaN
//   keeps its top payload bits and is made quiet (ggml_compute_fp32_to_bf16's rule).
// bf16 -> float: exact (the bits shifted up), NaN payloads kept as they are.
#pragma once

#include <cstdint>
#include <cstring>

#include "joule/detail/config.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        JOULE_ALWAYS_INLINE std::uint32_t float_bits(float f) noexcept
        {
            std::uint32_t u;
            std::memcpy(&u, &f, sizeof u);
            return u;
        }
        JOULE_ALWAYS_INLINE float bits_float(std::uint32_t u) noexcept
        {
            float f;
            std::memcpy(&f, &u, sizeof f);
            return f;
        }

        inline std::uint16_t f32_to_f16_bits(float f) noexcept
        {
            const std::uint32_t x = float_bits(f);
            const std::uint32_t sign = (x >> 16) & 0x8000u;
            const std::uint32_t a = x & 0x7fffffffu;
            if (a > 0x7f800000u) // NaN: quiet it, keep the top payload bits
                return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
            if (a >= 0x477ff000u) // >= 65520 rounds past the largest f16 (65504)
                return static_cast<std::uint16_t>(sign | 0x7c00u);
            if (a >= 0x38800000u) // f16 normal range: rebias the exponent, round the 13 dropped bits
            {
                const std::uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);
                return static_cast<std::uint16_t>(sign | ((rounded - (112u << 23)) >> 13));
            }
            // f16 subnormal (unit 2^-24) or zero: shift the full significand into place.
            const std::uint32_t exponent = a >> 23;
            if (exponent < 102) // below 2^-25: rounds to zero
                return static_cast<std::uint16_t>(sign);
            const std::uint32_t significand = (a & 0x7fffffu) | 0x800000u;
            const std::uint32_t shift = 126u - exponent; // 14 .. 24
            std::uint32_t m = significand >> shift;
            const std::uint32_t rest = significand & ((1u << shift) - 1u);
            const std::uint32_t half = 1u << (shift - 1u);
            if (rest > half || (rest == half && (m & 1u)))
                ++m;
            return static_cast<std::uint16_t>(sign | m);
        }

        inline float f16_bits_to_f32(std::uint16_t h) noexcept
        {
            const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
            const std::uint32_t exponent = (h >> 10) & 0x1fu;
            const std::uint32_t m = h & 0x3ffu;
            if (exponent == 0x1f) // inf, or NaN made quiet
                return bits_float(sign | 0x7f800000u | (m << 13) | (m != 0 ? 0x400000u : 0u));
            if (exponent != 0)
                return bits_float(sign | ((exponent + 112u) << 23) | (m << 13));
            if (m == 0)
                return bits_float(sign);
            // Subnormal: normalise the significand (m < 2^10, so at most 10 shifts).
            std::uint32_t e = 113;
            std::uint32_t s = m;
            while ((s & 0x400u) == 0)
            {
                s <<= 1;
                --e;
            }
            return bits_float(sign | (e << 23) | ((s & 0x3ffu) << 13));
        }

        inline std::uint16_t f32_to_bf16_bits(float f) noexcept
        {
            const std::uint32_t x = float_bits(f);
            if ((x & 0x7fffffffu) > 0x7f800000u)
                return static_cast<std::uint16_t>((x >> 16) | 0x40u);
            return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
        }

        JOULE_ALWAYS_INLINE float bf16_bits_to_f32(std::uint16_t h) noexcept
        {
            return bits_float(static_cast<std::uint32_t>(h) << 16);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
