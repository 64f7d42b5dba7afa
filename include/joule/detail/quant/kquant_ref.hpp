// Scalar reference quantizers for the 256-value K-quant formats q2_K .. q6_K and the activation
// format q8_K: ggml's quantize_row_*_ref (no importance matrix), step for step, including how
// the sub-block scales are packed. Each function quantizes one super-block of 256 floats.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "joule/detail/quant/kquant_search.hpp"
#include "joule/detail/quant/legacy_ref.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// The j-th 6-bit scale and min of q4_K / q5_K (8 of each packed into 12 bytes).
        JOULE_ALWAYS_INLINE void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& d, std::uint8_t& m) noexcept
        {
            if (j < 4)
            {
                d = q[j] & 63;
                m = q[j + 4] & 63;
            }
            else
            {
                d = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
                m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
            }
        }

        /// The j-th 6-bit scale of q3_K, minus 32.
        JOULE_ALWAYS_INLINE int scale_q3_K(int j, const std::uint8_t* scales) noexcept
        {
            const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
            const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
            return (low | (high << 4)) - 32;
        }

        /// Packs 2-bit values (the low two bits of L) four per byte: byte l of each 32-byte group
        /// holds elements l, l + 32, l + 64, l + 96 of its 128 values (q2_K and q3_K).
        template <class T>
        void pack_2bit(const T* L, std::uint8_t* qs) noexcept
        {
            for (int j = 0; j < 256; j += 128)
                for (int l = 0; l < 32; ++l)
                    qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                                              (L[j + l + 96] << 6));
        }

        // ---- q2_K ---------------------------------------------------------------------------------
        inline void quantize_block_ref(const float* x, block_q2_K& y) noexcept
        {
            if (has_non_finite(x, 256))
            {
                set_nan_block(y);
                y.dmin = f16::from_bits(f16_nan_bits);
                return;
            }
            std::uint8_t L[256], Laux[16];
            float weights[16], mins[16], scales[16];
            const float q4scale = 15.f;
            float max_scale = 0, max_min = 0;
            for (int j = 0; j < 16; ++j)
            {
                for (int l = 0; l < 16; ++l)
                    weights[l] = std::fabs(x[16 * j + l]);
                scales[j] = fit_scale_and_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15,
                                              true);
                max_scale = scales[j] > max_scale ? scales[j] : max_scale;
                max_min = mins[j] > max_min ? mins[j] : max_min;
            }
            if (max_scale > 0)
            {
                const float iscale = q4scale / max_scale;
                for (int j = 0; j < 16; ++j)
                    y.scales[j] = static_cast<std::uint8_t>(nearest_int(iscale * scales[j]));
                y.d = f16_of(max_scale / q4scale);
            }
            else
            {
                std::memset(y.scales, 0, sizeof y.scales);
                y.d = f16_of(0.f);
            }
            if (max_min > 0)
            {
                const float iscale = q4scale / max_min;
                for (int j = 0; j < 16; ++j)
                    y.scales[j] = static_cast<std::uint8_t>(y.scales[j] | (unsigned(nearest_int(iscale * mins[j])) << 4));
                y.dmin = f16_of(max_min / q4scale);
            }
            else
            {
                y.dmin = f16_of(0.f);
            }
            for (int j = 0; j < 16; ++j)
            {
                const float d = float_of(y.d) * static_cast<float>(y.scales[j] & 0xF);
                if (d == 0)
                    continue;
                const float dm = float_of(y.dmin) * static_cast<float>(y.scales[j] >> 4);
                for (int ii = 0; ii < 16; ++ii)
                    L[16 * j + ii] = static_cast<std::uint8_t>(clamp_int(nearest_int((x[16 * j + ii] + dm) / d), 0, 3));
            }
            pack_2bit(L, y.qs);
        }

        // ---- q3_K ---------------------------------------------------------------------------------
        inline void quantize_block_ref(const float* x, block_q3_K& y) noexcept
        {
            if (has_non_finite(x, 256))
                return set_nan_block(y);
            std::int8_t L[256];
            float scales[16];
            float max_scale = 0, amax = 0;
            for (int j = 0; j < 16; ++j)
            {
                scales[j] = fit_signed_scale_refined(16, 4, x + 16 * j, L + 16 * j);
                const float scale = std::fabs(scales[j]);
                if (scale > amax)
                {
                    amax = scale;
                    max_scale = scales[j];
                }
            }
            std::memset(y.scales, 0, sizeof y.scales);
            if (max_scale != 0)
            {
                const float iscale = -32.f / max_scale;
                for (int j = 0; j < 16; ++j)
                {
                    const int l = clamp_int(static_cast<std::int8_t>(nearest_int(iscale * scales[j])), -32, 31) + 32;
                    if (j < 8)
                        y.scales[j] = static_cast<std::uint8_t>(l & 0xF);
                    else
                        y.scales[j - 8] = static_cast<std::uint8_t>(y.scales[j - 8] | ((l & 0xF) << 4));
                    y.scales[j % 4 + 8] = static_cast<std::uint8_t>(y.scales[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
                }
                y.d = f16_of(1 / iscale);
            }
            else
            {
                y.d = f16_of(0.f);
            }
            for (int j = 0; j < 16; ++j)
            {
                const float d = float_of(y.d) * static_cast<float>(scale_q3_K(j, y.scales));
                if (d == 0)
                    continue;
                for (int ii = 0; ii < 16; ++ii)
                    L[16 * j + ii] = static_cast<std::int8_t>(clamp_int(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
            }
            // Third bits: element e goes to bit e / 32 of hmask[e % 32].
            std::memset(y.hmask, 0, sizeof y.hmask);
            for (int e = 0; e < 256; ++e)
            {
                if (L[e] > 3)
                {
                    y.hmask[e % 32] = static_cast<std::uint8_t>(y.hmask[e % 32] | (1 << (e / 32)));
                    L[e] = static_cast<std::int8_t>(L[e] - 4);
                }
            }
            pack_2bit(L, y.qs);
        }

        // ---- q4_K and q5_K share their scale search ---------------------------------------------------
        /// Fits the eight 32-value sub-blocks (levels 0..nmax), packs the 6-bit scales and mins,
        /// sets d and dmin, and requantizes each sub-block with the rounded scales into L.
        template <class Block>
        void quantize_k4_scales(const float* x, Block& y, std::uint8_t* L, int nmax, float rmin, int nstep) noexcept
        {
            std::uint8_t Laux[32];
            float weights[32], mins[8], scales[8];
            float max_scale = 0, max_min = 0;
            for (int j = 0; j < 8; ++j)
            {
                const float* xb = x + 32 * j;
                float sum_x2 = 0;
                for (int l = 0; l < 32; ++l)
                    sum_x2 += mul(xb[l], xb[l]);
                const float av_x = std::sqrt(sum_x2 / 32);
                for (int l = 0; l < 32; ++l)
                    weights[l] = av_x + std::fabs(xb[l]);
                scales[j] = fit_scale_and_min(32, nmax, xb, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep, false);
                max_scale = scales[j] > max_scale ? scales[j] : max_scale;
                max_min = mins[j] > max_min ? mins[j] : max_min;
            }
            const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
            const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
            for (int j = 0; j < 8; ++j)
            {
                const auto ls = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j])));
                const auto lm = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_min * mins[j])));
                if (j < 4)
                {
                    y.scales[j] = ls;
                    y.scales[j + 4] = lm;
                }
                else
                {
                    y.scales[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
                    y.scales[j - 4] = static_cast<std::uint8_t>(y.scales[j - 4] | ((ls >> 4) << 6));
                    y.scales[j - 0] = static_cast<std::uint8_t>(y.scales[j - 0] | ((lm >> 4) << 6));
                }
            }
            y.d = f16_of(max_scale / 63.f);
            y.dmin = f16_of(max_min / 63.f);
            for (int j = 0; j < 8; ++j)
            {
                std::uint8_t sc, m;
                scale_min_k4(j, y.scales, sc, m);
                const float d = float_of(y.d) * static_cast<float>(sc);
                if (d == 0)
                    continue;
                const float dm = float_of(y.dmin) * static_cast<float>(m);
                for (int ii = 0; ii < 32; ++ii)
                    L[32 * j + ii] = static_cast<std::uint8_t>(clamp_int(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax));
            }
        }

        inline void quantize_block_ref(const float* x, block_q4_K& y) noexcept
        {
            if (has_non_finite(x, 256))
            {
                set_nan_block(y);
                y.dmin = f16::from_bits(f16_nan_bits);
                return;
            }
            std::uint8_t L[256];
            quantize_k4_scales(x, y, L, 15, -1.f, 20);
            for (int j = 0; j < 4; ++j) // 64 values per 32 bytes: low nibbles first, then high
                for (int l = 0; l < 32; ++l)
                    y.qs[32 * j + l] = static_cast<std::uint8_t>(L[64 * j + l] | (L[64 * j + l + 32] << 4));
        }

        inline void quantize_block_ref(const float* x, block_q5_K& y) noexcept
        {
            if (has_non_finite(x, 256))
            {
                set_nan_block(y);
                y.dmin = f16::from_bits(f16_nan_bits);
                return;
            }
            std::uint8_t L[256];
            quantize_k4_scales(x, y, L, 31, -0.5f, 15);
            std::memset(y.qh, 0, sizeof y.qh);
            for (int j = 0; j < 4; ++j)
            {
                for (int l = 0; l < 32; ++l)
                {
                    const int l1 = L[64 * j + l], l2 = L[64 * j + l + 32];
                    // Fifth bit of element e: bit e / 32 of qh[e % 32].
                    y.qh[l] = static_cast<std::uint8_t>(y.qh[l] | ((l1 >> 4) << (2 * j)) | ((l2 >> 4) << (2 * j + 1)));
                    y.qs[32 * j + l] = static_cast<std::uint8_t>((l1 & 0xF) | ((l2 & 0xF) << 4));
                }
            }
        }

        // ---- q6_K ---------------------------------------------------------------------------------
        inline void quantize_block_ref(const float* x, block_q6_K& y) noexcept
        {
            if (has_non_finite(x, 256))
                return set_nan_block(y);
            std::int8_t L[256];
            float scales[16];
            float max_scale = 0, max_abs_scale = 0;
            for (int ib = 0; ib < 16; ++ib)
            {
                scales[ib] = fit_signed_scale(16, 32, x + 16 * ib, L + 16 * ib);
                const float abs_scale = std::fabs(scales[ib]);
                if (abs_scale > max_abs_scale)
                {
                    max_abs_scale = abs_scale;
                    max_scale = scales[ib];
                }
            }
            if (max_abs_scale < group_max_eps)
            {
                std::memset(static_cast<void*>(&y), 0, sizeof y);
                return;
            }
            const float iscale = -128.f / max_scale;
            y.d = f16_of(1 / iscale);
            for (int ib = 0; ib < 16; ++ib)
                y.scales[ib] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
            for (int j = 0; j < 16; ++j)
            {
                const float d = float_of(y.d) * static_cast<float>(y.scales[j]);
                if (d == 0)
                    continue;
                for (int ii = 0; ii < 16; ++ii)
                    L[16 * j + ii] = static_cast<std::int8_t>(clamp_int(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
            }
            // Per 128 values: ql[l] = e(l) | e(l + 64) << 4, ql[l + 32] = e(l + 32) | e(l + 96) << 4,
            // qh[l] = the four high bit pairs of e(l), e(l + 32), e(l + 64), e(l + 96).
            for (int j = 0; j < 2; ++j)
            {
                const std::int8_t* Lj = L + 128 * j;
                std::uint8_t* ql = y.ql + 64 * j;
                std::uint8_t* qh = y.qh + 32 * j;
                for (int l = 0; l < 32; ++l)
                {
                    ql[l] = static_cast<std::uint8_t>((Lj[l] & 0xF) | ((Lj[l + 64] & 0xF) << 4));
                    ql[l + 32] = static_cast<std::uint8_t>((Lj[l + 32] & 0xF) | ((Lj[l + 96] & 0xF) << 4));
                    qh[l] = static_cast<std::uint8_t>((Lj[l] >> 4) | ((Lj[l + 32] >> 4) << 2) | ((Lj[l + 64] >> 4) << 4) |
                                                      ((Lj[l + 96] >> 4) << 6));
                }
            }
        }

        // ---- q8_K: d = max / -127 (signed), q = min(127, nearest_int(x / d)), 16 block sums -------
        inline void quantize_block_ref(const float* x, block_q8_K& y) noexcept
        {
            if (has_non_finite(x, 256))
            {
                std::memset(static_cast<void*>(&y), 0, sizeof y);
                y.d = std::numeric_limits<float>::quiet_NaN();
                return;
            }
            const float max = signed_absmax(x, 256);
            if (max == 0)
            {
                std::memset(static_cast<void*>(&y), 0, sizeof y);
                return;
            }
            const float iscale = -127.f / max;
            for (int j = 0; j < 256; ++j)
                y.qs[j] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * x[j])));
            for (int j = 0; j < 16; ++j)
            {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii)
                    sum += y.qs[16 * j + ii];
                y.bsums[j] = static_cast<std::int16_t>(sum);
            }
            y.d = 1 / iscale;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
