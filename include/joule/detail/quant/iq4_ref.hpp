// Scalar reference quantizers for the non-linear 4-bit formats iq4_nl (32 values) and iq4_xs
// (256 values, 6-bit sub-block scales): ggml's quantize_row_iq4_nl_impl as ggml_quantize_chunk
// calls it without an importance matrix (weights x^2, 7 scale tries either side), step for step.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/kquant_search.hpp"
#include "joule/detail/quant/legacy_ref.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Index of the table value nearest to x (ties to the upper one), by bisection as ggml.
        inline int nearest_iq4_index(float x) noexcept
        {
            const std::int8_t* val = kvalues_iq4nl;
            if (x <= val[0])
                return 0;
            if (x >= val[15])
                return 15;
            int ml = 0, mu = 15;
            while (mu - ml > 1)
            {
                const int mav = (ml + mu) / 2;
                if (x < val[mav])
                    mu = mav;
                else
                    ml = mav;
            }
            return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
        }

        /// Best scale for one 32-value sub-block: tries 15 scales around max / -127, each with the
        /// x^2-weighted least-squares scale of its table indices, keeps the best. Writes the indices
        /// of the first try into L (the caller requantizes with the final scale).
        inline float fit_iq4_scale(const float* xb, std::uint8_t* L) noexcept
        {
            constexpr int ntry = 7;
            const std::int8_t* values = kvalues_iq4nl;
            float amax = 0, max = 0;
            for (int j = 0; j < 32; ++j)
            {
                const float ax = std::fabs(xb[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = xb[j];
                }
            }
            if (amax < group_max_eps)
                return 0.0f;
            auto sums = [&](float id, float& sumqx, float& sumq2, bool store) {
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < 32; ++j)
                {
                    const int l = nearest_iq4_index(mul(id, xb[j]));
                    if (store)
                        L[j] = static_cast<std::uint8_t>(l);
                    const float q = values[l];
                    const float w = xb[j] * xb[j];
                    sumqx += mul(w * q, xb[j]);
                    sumq2 += mul(w * q, q);
                }
            };
            float sumqx, sumq2;
            sums(1 / (-max / values[0]), sumqx, sumq2, true);
            float d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry)
            {
                sums(static_cast<float>(itry + values[0]) / max, sumqx, sumq2, false);
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
                {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            return d;
        }

        /// Packs 32 4-bit indices: byte j holds element j (low nibble) and j + 16 (high nibble).
        JOULE_ALWAYS_INLINE void pack_nibbles_32(const std::uint8_t* L, std::uint8_t* q4) noexcept
        {
            for (int j = 0; j < 16; ++j)
                q4[j] = static_cast<std::uint8_t>(L[j] | (L[16 + j] << 4));
        }

        inline void quantize_block_ref(const float* x, block_iq4_nl& y) noexcept
        {
            if (has_non_finite(x, 32))
                return set_nan_block(y);
            std::uint8_t L[32];
            const float scale = fit_iq4_scale(x, L);
            y.d = f16_of(scale);
            const float id = scale != 0 ? 1 / scale : 0;
            for (int j = 0; j < 32; ++j)
                L[j] = static_cast<std::uint8_t>(nearest_iq4_index(mul(id, x[j])));
            pack_nibbles_32(L, y.qs);
        }

        inline void quantize_block_ref(const float* x, block_iq4_xs& y) noexcept
        {
            if (has_non_finite(x, 256))
                return set_nan_block(y);
            std::uint8_t L[256] = {};
            float scales[8];
            float max_scale = 0, amax_scale = 0;
            for (int ib = 0; ib < 8; ++ib)
            {
                scales[ib] = fit_iq4_scale(x + 32 * ib, L + 32 * ib);
                const float abs_d = std::fabs(scales[ib]);
                if (abs_d > amax_scale)
                {
                    amax_scale = abs_d;
                    max_scale = scales[ib];
                }
            }
            const float d = -max_scale / 32;
            y.d = f16_of(d);
            y.scales_h = 0;
            const float id = d != 0 ? 1 / d : 0.f;
            for (int ib = 0; ib < 8; ++ib)
            {
                int l = clamp_int(nearest_int(id * scales[ib]), -32, 31);
                const float dl = d * static_cast<float>(l);
                const float idl = dl != 0 ? 1 / dl : 0.f;
                for (int j = 0; j < 32; ++j)
                    L[32 * ib + j] = static_cast<std::uint8_t>(nearest_iq4_index(mul(idl, x[32 * ib + j])));
                l += 32;
                const auto l_l = static_cast<std::uint8_t>(l & 0xf);
                if (ib % 2 == 0)
                    y.scales_l[ib / 2] = l_l;
                else
                    y.scales_l[ib / 2] = static_cast<std::uint8_t>(y.scales_l[ib / 2] | (l_l << 4));
                y.scales_h = static_cast<std::uint16_t>(y.scales_h | ((l >> 4) << (2 * ib)));
            }
            for (int i = 0; i < 8; ++i)
                pack_nibbles_32(L + 32 * i, y.qs + 16 * i);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
