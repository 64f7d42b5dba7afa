// The scale searches behind ggml's K-quant reference quantizers (ggml-quants.c: make_qx_quants,
// make_q3_quants, make_qkx2_quants). They try a few candidate scales per sub-block and keep the
// one with the least weighted error; their floating-point steps are ggml's, in ggml's order, so
// the chosen quants and scales are ggml's bit for bit. Every product that feeds a sum goes
// through mul() (see float_rules.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/float_rules.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Smallest magnitude ggml treats as non-zero for a sub-block (GROUP_MAX_EPS).
        constexpr float group_max_eps = 1e-15f;

        JOULE_ALWAYS_INLINE int clamp_int(int v, int lo, int hi) noexcept { return std::max(lo, std::min(hi, v)); }

        /// Weighted fit of x ~ scale * l with integer l in [-nmax, nmax - 1] and weights x^2
        /// (ggml's make_qx_quants with rmse_type 1): tries 19 scales around -nmax / max and
        /// returns the best least-squares scale; L gets l + nmax. Used by q6_K.
        inline float fit_signed_scale(int n, int nmax, const float* x, std::int8_t* L) noexcept
        {
            float max = 0, amax = 0;
            for (int i = 0; i < n; ++i)
            {
                const float ax = std::fabs(x[i]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[i];
                }
            }
            if (amax < group_max_eps)
            {
                std::memset(L, 0, static_cast<std::size_t>(n));
                return 0.0f;
            }
            // The sums for candidate inverse scale `iscale`; L is written when `store` is set.
            auto fit = [&](float iscale, float& sumlx, float& suml2, bool store) {
                sumlx = 0;
                suml2 = 0;
                for (int i = 0; i < n; ++i)
                {
                    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
                    if (store)
                        L[i] = static_cast<std::int8_t>(l + nmax);
                    const float w = x[i] * x[i];
                    sumlx += mul(w * x[i], static_cast<float>(l));
                    suml2 += mul(w * static_cast<float>(l), static_cast<float>(l));
                }
            };
            float sumlx, suml2;
            fit(static_cast<float>(-nmax) / max, sumlx, suml2, true);
            float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
            float best = scale * sumlx;
            for (int is = -9; is <= 9; ++is)
            {
                if (is == 0)
                    continue;
                const float iscale = -(static_cast<float>(nmax) + mul(0.1f, static_cast<float>(is))) / max;
                fit(iscale, sumlx, suml2, false);
                if (suml2 > 0 && sumlx * sumlx > best * suml2)
                {
                    fit(iscale, sumlx, suml2, true);
                    scale = sumlx / suml2;
                    best = scale * sumlx;
                }
            }
            return scale;
        }

        /// Fit of x ~ scale * l with l in [-nmax, nmax - 1], refined one element at a time to
        /// minimize the x^2-weighted error (ggml's make_q3_quants with do_rmse). Used by q3_K.
        inline float fit_signed_scale_refined(int n, int nmax, const float* x, std::int8_t* L) noexcept
        {
            float max = 0, amax = 0;
            for (int i = 0; i < n; ++i)
            {
                const float ax = std::fabs(x[i]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[i];
                }
            }
            if (amax < group_max_eps)
            {
                std::memset(L, 0, static_cast<std::size_t>(n));
                return 0.0f;
            }
            const float iscale = static_cast<float>(-nmax) / max;
            float sumlx = 0, suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
                L[i] = static_cast<std::int8_t>(l);
                const float w = x[i] * x[i];
                sumlx += mul(w * x[i], static_cast<float>(l));
                suml2 += mul(w * static_cast<float>(l), static_cast<float>(l));
            }
            for (int itry = 0; itry < 5; ++itry)
            {
                int n_changed = 0;
                for (int i = 0; i < n; ++i)
                {
                    const float w = x[i] * x[i];
                    const float li = L[i];
                    float slx = sumlx - mul(w * x[i], li);
                    if (slx > 0)
                    {
                        float sl2 = suml2 - mul(w * li, li);
                        const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                        if (new_l != L[i])
                        {
                            const float nl = static_cast<float>(new_l);
                            slx += mul(w * x[i], nl);
                            sl2 += mul(w * nl, nl);
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                            {
                                L[i] = static_cast<std::int8_t>(new_l);
                                sumlx = slx;
                                suml2 = sl2;
                                ++n_changed;
                            }
                        }
                    }
                }
                if (n_changed == 0)
                    break;
            }
            for (int i = 0; i < n; ++i)
                L[i] = static_cast<std::int8_t>(L[i] + nmax);
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }

        /// Weighted fit of x ~ scale * l - the_min with l in [0, nmax] and the_min >= 0 (ggml's
        /// make_qkx2_quants): tries nstep + 1 scales from (nmax + rmin) / range in rdelta steps,
        /// solving for scale and min by least squares each time, and keeps the smallest weighted
        /// error (absolute when use_mad, squared otherwise). Used by q2_K, q4_K and q5_K.
        inline float fit_scale_and_min(int n, int nmax, const float* x, const float* weights, std::uint8_t* L,
                                       float* the_min, std::uint8_t* Laux, float rmin, float rdelta, int nstep,
                                       bool use_mad) noexcept
        {
            float min = x[0], max = x[0];
            float sum_w = weights[0];
            float sum_x = sum_w * x[0];
            for (int i = 1; i < n; ++i)
            {
                if (x[i] < min)
                    min = x[i];
                if (x[i] > max)
                    max = x[i];
                const float w = weights[i];
                sum_w += w;
                sum_x += mul(w, x[i]);
            }
            if (min > 0)
                min = 0;
            if (max == min)
            {
                std::memset(L, 0, static_cast<std::size_t>(n));
                *the_min = -min;
                return 0.0f;
            }
            auto error_of = [&](float diff) { return use_mad ? std::fabs(diff) : diff * diff; };
            float iscale = static_cast<float>(nmax) / (max - min);
            float scale = 1 / iscale;
            float best_error = 0;
            for (int i = 0; i < n; ++i)
            {
                const int l = nearest_int(iscale * (x[i] - min));
                L[i] = static_cast<std::uint8_t>(clamp_int(l, 0, nmax));
                const float diff = mul(scale, static_cast<float>(L[i])) + min - x[i];
                best_error += mul(weights[i], error_of(diff));
            }
            if (nstep < 1)
            {
                *the_min = -min;
                return scale;
            }
            for (int is = 0; is <= nstep; ++is)
            {
                iscale = (rmin + mul(rdelta, static_cast<float>(is)) + static_cast<float>(nmax)) / (max - min);
                float sum_l = 0, sum_l2 = 0, sum_xl = 0;
                for (int i = 0; i < n; ++i)
                {
                    const int l = clamp_int(nearest_int(iscale * (x[i] - min)), 0, nmax);
                    Laux[i] = static_cast<std::uint8_t>(l);
                    const float w = weights[i], fl = static_cast<float>(l);
                    sum_l += mul(w, fl);
                    sum_l2 += mul(w * fl, fl);
                    sum_xl += mul(w * fl, x[i]);
                }
                const float D = mul(sum_w, sum_l2) - mul(sum_l, sum_l);
                if (D > 0)
                {
                    float this_scale = (mul(sum_w, sum_xl) - mul(sum_x, sum_l)) / D;
                    float this_min = (mul(sum_l2, sum_x) - mul(sum_l, sum_xl)) / D;
                    if (this_min > 0)
                    {
                        this_min = 0;
                        this_scale = sum_xl / sum_l2;
                    }
                    float cur_error = 0;
                    for (int i = 0; i < n; ++i)
                    {
                        const float diff = mul(this_scale, static_cast<float>(Laux[i])) + this_min - x[i];
                        cur_error += mul(weights[i], error_of(diff));
                    }
                    if (cur_error < best_error)
                    {
                        std::memcpy(L, Laux, static_cast<std::size_t>(n));
                        best_error = cur_error;
                        scale = this_scale;
                        min = this_min;
                    }
                }
            }
            *the_min = -min;
            return scale;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
