// Scalar reference quantizers for the 32-value formats q4_0, q4_1, q5_0, q5_1, q8_0 and q8_1:
// ggml's quantize_row_*_ref, operation for operation, so the bytes match ggml's. These are what
// the forced-scalar build runs and what the SIMD kernels are tested against.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/float_rules.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        inline bool has_non_finite(const float* x, std::size_t n) noexcept
        {
            std::uint32_t worst = 0;
            for (std::size_t i = 0; i < n; ++i)
                worst = std::max(worst, abs_bits(x[i]));
            return worst >= 0x7f800000u;
        }

        JOULE_ALWAYS_INLINE f16 f16_of(float x) noexcept { return f16::from_bits(to_f16(x)); }
        JOULE_ALWAYS_INLINE float float_of(f16 h) noexcept { return from_f16(h.bits); }

        /// The block written for input holding NaN or inf: NaN scales, zero quants.
        template <class Block>
        void set_nan_block(Block& y) noexcept
        {
            std::memset(static_cast<void*>(&y), 0, sizeof y);
            y.d = f16::from_bits(f16_nan_bits);
        }

        /// The value of largest magnitude, the first one if several tie (ggml's `amax < |v|` scan).
        inline float signed_absmax(const float* x, std::size_t n) noexcept
        {
            float amax = 0.0f, max = 0.0f;
            for (std::size_t j = 0; j < n; ++j)
            {
                if (amax < std::fabs(x[j]))
                {
                    amax = std::fabs(x[j]);
                    max = x[j];
                }
            }
            return max;
        }

        /// ggml's min / max scan (strict comparisons from +-FLT_MAX: the first of equal values wins).
        inline void min_max(const float* x, std::size_t n, float& min, float& max) noexcept
        {
            min = FLT_MAX;
            max = -FLT_MAX;
            for (std::size_t j = 0; j < n; ++j)
            {
                if (x[j] < min)
                    min = x[j];
                if (x[j] > max)
                    max = x[j];
            }
        }

        JOULE_ALWAYS_INLINE void store_u32_le(std::uint8_t* p, std::uint32_t v) noexcept
        {
            for (int k = 0; k < 4; ++k)
                p[k] = static_cast<std::uint8_t>(v >> (8 * k));
        }

        // ---- q4_0: d = max / -8, q = min(15, (int8)(x / d + 8.5)) --------------------------------
        inline void quantize_block_ref(const float* x, block_q4_0& y) noexcept
        {
            if (has_non_finite(x, 32))
                return set_nan_block(y);
            const float d = signed_absmax(x, 32) / -8;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            y.d = f16_of(d);
            for (int j = 0; j < 16; ++j)
            {
                const auto q0 = static_cast<std::uint8_t>(std::min(15, int(truncate_to_i8(mul(x[j], id) + 8.5f))));
                const auto q1 = static_cast<std::uint8_t>(std::min(15, int(truncate_to_i8(mul(x[j + 16], id) + 8.5f))));
                y.qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
            }
        }

        // ---- q4_1: d = (max - min) / 15, m = min, q = min(15, (int8)((x - min) / d + 0.5)) --------
        inline void quantize_block_ref(const float* x, block_q4_1& y) noexcept
        {
            if (has_non_finite(x, 32))
            {
                set_nan_block(y);
                y.m = f16::from_bits(f16_nan_bits);
                return;
            }
            float min, max;
            min_max(x, 32, min, max);
            const float d = (max - min) / 15;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            y.d = f16_of(d);
            y.m = f16_of(min);
            for (int j = 0; j < 16; ++j)
            {
                const auto q0 = static_cast<std::uint8_t>(std::min(15, int(truncate_to_i8(mul(x[j] - min, id) + 0.5f))));
                const auto q1 =
                    static_cast<std::uint8_t>(std::min(15, int(truncate_to_i8(mul(x[j + 16] - min, id) + 0.5f))));
                y.qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
            }
        }

        // ---- q5_0: d = max / -16, q = min(31, (int8)(x / d + 16.5)), fifth bits in qh ------------
        inline void quantize_block_ref(const float* x, block_q5_0& y) noexcept
        {
            if (has_non_finite(x, 32))
                return set_nan_block(y);
            const float d = signed_absmax(x, 32) / -16;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            y.d = f16_of(d);
            std::uint32_t qh = 0;
            for (int j = 0; j < 16; ++j)
            {
                const auto q0 = static_cast<std::uint8_t>(std::min(31, int(truncate_to_i8(mul(x[j], id) + 16.5f))));
                const auto q1 = static_cast<std::uint8_t>(std::min(31, int(truncate_to_i8(mul(x[j + 16], id) + 16.5f))));
                y.qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
                qh |= ((q0 & 0x10u) >> 4) << j;
                qh |= ((q1 & 0x10u) >> 4) << (j + 16);
            }
            store_u32_le(y.qh, qh);
        }

        // ---- q5_1: d = (max - min) / 31, m = min, q = (uint8)((x - min) / d + 0.5) ---------------
        inline void quantize_block_ref(const float* x, block_q5_1& y) noexcept
        {
            if (has_non_finite(x, 32))
            {
                set_nan_block(y);
                y.m = f16::from_bits(f16_nan_bits);
                return;
            }
            float min, max;
            min_max(x, 32, min, max);
            const float d = (max - min) / 31;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            y.d = f16_of(d);
            y.m = f16_of(min);
            std::uint32_t qh = 0;
            for (int j = 0; j < 16; ++j)
            {
                const std::uint8_t q0 = truncate_to_u8(mul(x[j] - min, id) + 0.5f);
                const std::uint8_t q1 = truncate_to_u8(mul(x[j + 16] - min, id) + 0.5f);
                y.qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
                qh |= ((q0 & 0x10u) >> 4) << j;
                qh |= ((q1 & 0x10u) >> 4) << (j + 16);
            }
            store_u32_le(y.qh, qh);
        }

        // ---- q8_0: d = max|x| / 127, q = roundf(x / d) ---------------------------------------------
        /// Writes qs and returns the float scale d (q8_1 needs it before the f16 rounding).
        inline float quantize_q8_ref(const float* x, std::int8_t* qs) noexcept
        {
            float amax = 0.0f;
            for (int j = 0; j < 32; ++j)
                amax = std::max(amax, std::fabs(x[j]));
            const float d = amax / 127;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            for (int j = 0; j < 32; ++j)
                qs[j] = truncate_to_i8(std::round(mul(x[j], id)));
            return d;
        }
        inline void quantize_block_ref(const float* x, block_q8_0& y) noexcept
        {
            if (has_non_finite(x, 32))
                return set_nan_block(y);
            y.d = f16_of(quantize_q8_ref(x, y.qs));
        }

        // ---- q8_1: q8_0 plus s = d * sum(q) ----------------------------------------------------------
        inline void quantize_block_ref(const float* x, block_q8_1& y) noexcept
        {
            if (has_non_finite(x, 32))
            {
                set_nan_block(y);
                y.s = f16::from_bits(f16_nan_bits);
                return;
            }
            const float d = quantize_q8_ref(x, y.qs);
            int sum = 0;
            for (int j = 0; j < 32; ++j)
                sum += y.qs[j];
            y.d = f16_of(d);
            y.s = f16_of(static_cast<float>(sum) * d);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
