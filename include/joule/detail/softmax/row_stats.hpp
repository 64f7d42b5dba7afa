// What a pass over (part of) a row learns: its maximum and the sum of exp((x - max) / T),
// kept so that two parts merge exactly like one (Milakov and Gimelshein's online softmax). The
// two-pass kernel and joule::online_softmax are built on it.
//
// Rows whose maximum is not finite are described exactly too (a scalar scan, rare):
// NaN anywhere -> `nan`; +inf maximum -> count = number of +inf elements (the limit of softmax
// gives each of them 1/count); all -inf -> an empty sum (a fully masked row).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "joule/detail/softmax/log_passes.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        struct row_stats
        {
            float max = -std::numeric_limits<float>::infinity();
            double count = 0; ///< elements equal to max (when counted apart; else 0)
            double rest = 0;  ///< sum of exp((x - max) / T) over the other elements
            bool nan = false;

            double sum() const noexcept { return count + rest; }
        };

        enum class row_kind
        {
            normal,   ///< finite maximum, no NaN
            nan,      ///< a NaN somewhere: every output is NaN
            masked,   ///< every element -inf (or no element)
            infinite, ///< +inf maximum: the +inf elements share the probability
        };

        inline row_kind kind_of(const row_stats& s) noexcept
        {
            if (s.nan || std::isnan(s.rest) || std::isnan(s.max))
                return row_kind::nan;
            if (s.max == -std::numeric_limits<float>::infinity())
                return row_kind::masked;
            if (s.max == std::numeric_limits<float>::infinity())
                return row_kind::infinite;
            return row_kind::normal;
        }

        /// log(count + rest), accurate when the sum is close to 1 (log_softmax of a dominant element).
        inline double log_of_sum(const row_stats& s) noexcept
        {
            if (s.count >= 1)
                return std::log1p((s.count - 1) + s.rest);
            return std::log(s.rest);
        }

        /// Exact description of a row whose maximum is not finite.
        template <class T>
        row_stats scan_nonfinite(const T* x, std::size_t n, float max) noexcept
        {
            row_stats s;
            s.max = max;
            for (std::size_t i = 0; i < n; ++i)
            {
                const float v = row_input<T>::one(x + i);
                if (std::isnan(v))
                {
                    s.nan = true;
                    s.max = std::numeric_limits<float>::quiet_NaN();
                    return s;
                }
                if (v == std::numeric_limits<float>::infinity())
                    s.count += 1;
            }
            return s;
        }

        /// Statistics of x[0, n), n >= 1, relative to its own maximum. Accurate: the maxima counted
        /// apart and the rest summed in double (log_passes.hpp); otherwise one float-kernel sum in
        /// rest. prefetch_ahead: see exp_sum.
        template <class A, class T, bool Scaled, bool Accurate, std::size_t FlushSteps = softmax_flush_steps>
        row_stats block_stats(const T* x, std::size_t n, float temperature, std::size_t prefetch_ahead = 0) noexcept
        {
            const float m = row_max<A>(x, n);
            if (!std::isfinite(m))
                return scan_nonfinite(x, n, m);
            row_stats s;
            s.max = m;
            if constexpr (Accurate)
            {
                const auto parts = log_sum_parts<A, T, Scaled>(x, n, m, temperature, prefetch_ahead);
                s.rest = parts[0];
                s.count = parts[1];
            }
            else
            {
                s.rest = std::ldexp(exp_sum<A, T, Scaled, FlushSteps>(x, n, m, temperature, prefetch_ahead),
                                    -exp_kernel<A>::bias);
            }
            return s;
        }

        /// a = the statistics of a's elements followed by b's.
        inline void merge_stats(row_stats& a, const row_stats& b, double temperature) noexcept
        {
            a.nan = a.nan || b.nan;
            if (b.max == -std::numeric_limits<float>::infinity() && b.count == 0 && b.rest == 0)
                return; // nothing (masked elements only)
            if (a.max == -std::numeric_limits<float>::infinity() && a.count == 0 && a.rest == 0)
            {
                const bool nan = a.nan;
                a = b;
                a.nan = nan;
                return;
            }
            if (b.max > a.max)
            {
                // +inf - finite = -inf: exp gives 0, and a NaN in a.rest still propagates.
                const double f = std::exp((double(a.max) - double(b.max)) / temperature);
                a.rest = a.sum() * f + b.rest;
                a.count = b.count;
                a.max = b.max;
            }
            else if (b.max < a.max)
            {
                a.rest += b.sum() * std::exp((double(b.max) - double(a.max)) / temperature);
            }
            else
            {
                a.count += b.count;
                a.rest += b.rest;
            }
        }

        /// Writes the row of a non-normal kind (scalar; these rows are rare).
        template <class T>
        void write_special_row(row_kind kind,
                               const row_stats& s,
                               const T* x,
                               float* y,
                               std::size_t n,
                               bool masked_zeros,
                               bool log) noexcept
        {
            constexpr float inf = std::numeric_limits<float>::infinity();
            constexpr float nan = std::numeric_limits<float>::quiet_NaN();
            if (kind == row_kind::infinite)
            {
                const float share = log ? static_cast<float>(-std::log(s.count)) : static_cast<float>(1.0 / s.count);
                const float other = log ? -inf : 0.0f;
                for (std::size_t i = 0; i < n; ++i)
                    y[i] = row_input<T>::one(x + i) == inf ? share : other;
                return;
            }
            float fill = nan;
            if (kind == row_kind::masked && masked_zeros)
                fill = log ? -inf : 0.0f;
            for (std::size_t i = 0; i < n; ++i)
                y[i] = fill;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
