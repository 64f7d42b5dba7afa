// Scalar references for the tests, written independently of joule's kernels and computed in
// double precision where arithmetic is involved.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace joule_test
{
    inline std::uint32_t bits_of(float f)
    {
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        return u;
    }
    inline float float_of(std::uint32_t u)
    {
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }

    /// Value of a finite binary16 bit pattern, from its fields.
    inline double f16_value(std::uint16_t h)
    {
        const int sign = (h & 0x8000) ? -1 : 1;
        const int exponent = (h >> 10) & 0x1f;
        const int m = h & 0x3ff;
        if (exponent == 0)
            return sign * std::ldexp(double(m), -24);
        return sign * std::ldexp(double(1024 + m), exponent - 25);
    }

    /// Value of a finite bfloat16 bit pattern, from its fields.
    inline double bf16_value(std::uint16_t h)
    {
        const int sign = (h & 0x8000) ? -1 : 1;
        const int exponent = (h >> 7) & 0xff;
        const int m = h & 0x7f;
        if (exponent == 0)
            return sign * std::ldexp(double(m), -133);
        return sign * std::ldexp(double(128 + m), exponent - 134);
    }

    /// Round |x| to the nearest of the ascending magnitudes `table` (indexed by bit pattern),
    /// ties to the even pattern. The last entry is the first pattern past the largest finite
    /// value (infinity), given the value the exponent would continue with, so overflow rounds
    /// exactly as IEEE 754 says.
    inline std::uint16_t round_to_table(double ax, const std::vector<double>& table)
    {
        const auto last = static_cast<std::uint16_t>(table.size() - 1);
        if (ax >= table[last])
            return last;
        const auto upper = std::upper_bound(table.begin(), table.end(), ax);
        const auto hi = static_cast<std::uint16_t>(upper - table.begin());
        const auto lo = static_cast<std::uint16_t>(hi - 1);
        const double dlo = ax - table[lo], dhi = table[hi] - ax;
        if (dlo < dhi)
            return lo;
        if (dhi < dlo)
            return hi;
        return (lo & 1) ? hi : lo;
    }

    inline const std::vector<double>& f16_magnitudes()
    {
        static const std::vector<double> table = [] {
            std::vector<double> t(0x7c01);
            for (std::uint32_t b = 0; b < 0x7c00; ++b)
                t[b] = f16_value(static_cast<std::uint16_t>(b));
            t[0x7c00] = 65536.0; // where 2^16 would be: ties at 65520 go to the even pattern 0x7c00
            return t;
        }();
        return table;
    }

    inline const std::vector<double>& bf16_magnitudes()
    {
        static const std::vector<double> table = [] {
            std::vector<double> t(0x7f81);
            for (std::uint32_t b = 0; b < 0x7f80; ++b)
                t[b] = bf16_value(static_cast<std::uint16_t>(b));
            t[0x7f80] = std::ldexp(1.0, 128);
            return t;
        }();
        return table;
    }

    /// float -> f16 by the IEEE rules: nearest, ties to even; NaN quiet with top payload bits.
    inline std::uint16_t ref_f32_to_f16(float x)
    {
        const std::uint32_t u = bits_of(x);
        const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
        if (std::isnan(x))
            return static_cast<std::uint16_t>(sign | 0x7e00 | ((u >> 13) & 0x3ff));
        return static_cast<std::uint16_t>(sign | round_to_table(std::fabs(double(x)), f16_magnitudes()));
    }

    /// float -> bf16 by the IEEE rules; NaN quiet with top payload bits.
    inline std::uint16_t ref_f32_to_bf16(float x)
    {
        const std::uint32_t u = bits_of(x);
        const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
        if (std::isnan(x))
            return static_cast<std::uint16_t>((u >> 16) | 0x40);
        return static_cast<std::uint16_t>(sign | round_to_table(std::fabs(double(x)), bf16_magnitudes()));
    }

    /// f16 -> float bits: exact value; inf; NaN made quiet with its payload.
    inline std::uint32_t ref_f16_to_f32_bits(std::uint16_t h)
    {
        const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
        if ((h & 0x7c00) == 0x7c00)
        {
            const std::uint32_t m = h & 0x3ff;
            return sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u);
        }
        return bits_of(static_cast<float>(f16_value(h)));
    }
} // namespace joule_test
