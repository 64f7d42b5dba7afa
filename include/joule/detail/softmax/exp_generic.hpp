// The vectorized exp every softmax kernel is built on, written once against joule::simd.
//
// exp(x) = 2^n * p(r) with n = round(x / ln 2) and r = x - n ln 2 in [-ln2/2, ln2/2]:
// - n comes from one FMA with a "magic" constant 1.5 * 2^23 (+ a bias): the addition rounds
//   x * log2(e) to an integer and leaves it in the low significand bits, where one shift turns it
//   into the exponent field of 2^n;
// - r = x - n ln2 in two steps (Cody and Waite): ln2_hi has 24 bits and n * ln2_hi is exact in
//   the FMA, so only the ln2_lo step rounds;
// - p(r) = 1 + r (1 + r s(r)), s of degree 4: a minimax fit of the relative error of exp on
//   [-ln2/2, ln2/2] with the first two coefficients fixed at 1 (fit error 3.1e-9, 0.05 ULP),
//   evaluated by Horner in FMAs so that the last step rounds once.
// Measured over every float (tests/softmax_exp_test.cpp, exhaustive case): at most 0.89 ULP
// over [-87.3, 88.7] and 0.88 ULP over [-16.7, 0] against a double reference.
//
// Two kernels:
// - exp_kernel<A>::biased(d), for softmax, where d = x - max <= 0: returns 2^bias * exp(d). With
//   bias = 32, 2^(n + bias) is a normal float for every d >= -104 (below it exp(d) < 2^-150 and
//   the result is 0 after normalization), so one multiply applies it; the bias cancels when the
//   kernels divide by a sum of the same biased values. It trades accuracy that softmax cannot
//   use for two FMAs of eleven (~8% of the in-cache softmax): its reduction uses ln2_hi alone
//   (the missing n * 1.9e-9, a relative error <= |d| * 2.8e-9, is far below the |d| * 6e-8 that
//   rounding x - max to float already costs), and its polynomial has degree 5 (relative fit
//   error 9.2e-8). Its relative error is <= 2.2e-7 + |d| * 2.8e-9 (softmax_exp_test.cpp), which
//   keeps softmax within 5e-7 + |d| * 1.2e-7: the fit error of y_i and of the sum it is divided
//   by are at most 1.8e-7 apart, and the rest is three roundings.
// - exp_kernel<A>::full(x), for joule::exp: the exact result over the whole float range, with
//   subnormal results rounded once and overflow to +inf. A vector whose lanes are all in
//   [-87, 87] takes the one-multiply path; others split 2^n into two normal factors.
// Both take a group of registers and run each step on all of them before the next: an exp is a
// chain of ~12 dependent operations (~45 cycles), and the out-of-order window only holds enough
// independent work to keep both FMA pipes busy when the chains of several registers are
// interleaved in the instruction stream (+15% over one register at a time on Zen 4, AVX2).
// exp_x86.hpp specializes exp_kernel where an instruction does better (AVX-512 VSCALEFPS, the
// AVX2 table lookup VPERMPS) or where FMA is missing (x86-64 baseline, v2).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "joule/detail/simd/simd.hpp"

// Loops over the registers of a group, fully unrolled.
#if defined(__clang__)
#define JOULE_UNROLLED _Pragma("unroll")
#elif defined(__GNUC__)
#define JOULE_UNROLLED _Pragma("GCC unroll 16")
#else
#define JOULE_UNROLLED
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// N float registers processed together (see the top of this file).
        template <class A, std::size_t N>
        using float_group = std::array<simd::batch<float, A>, N>;

        struct exp_constants
        {
            static constexpr float log2e = 0x1.715476p+0f;
            static constexpr float ln2_hi = 0x1.62e43p-1f;   // ln 2 rounded to float
            static constexpr float ln2_lo = -0x1.05c61p-29f; // ln 2 - ln2_hi rounded to float
            static constexpr float magic = 0x1.8p23f;        // 1.5 * 2^23: adding it rounds to an integer
            // s(r) ~ (exp(r) - 1 - r) / r^2, relative minimax on [-ln2/2, ln2/2] (see top of file)
            static constexpr float s0 = 0x1.fffffcp-2f;
            static constexpr float s1 = 0x1.555492p-3f;
            static constexpr float s2 = 0x1.5558f2p-5f;
            static constexpr float s3 = 0x1.1239f2p-7f;
            static constexpr float s4 = 0x1.6a241ap-10f;
            // q(r) ~ (exp(r) - 1) / r, degree 4, relative minimax of 1 + r q(r) (fit error 9.2e-8):
            // the softmax kernel's polynomial
            static constexpr float q0 = 0x1.fffff6p-1f;
            static constexpr float q1 = 0x1.fffdc4p-2f;
            static constexpr float q2 = 0x1.555a6cp-3f;
            static constexpr float q3 = 0x1.573a84p-5f;
            static constexpr float q4 = 0x1.0fa80ep-7f;
            /// Below this, exp(x) < 2^-150 rounds to zero (exp(-104) = 6.8e-46).
            static constexpr float x_min = -104.0f;
            /// Above this, exp(x) overflows (ln(FLT_MAX) = 88.72284).
            static constexpr float x_max = 89.0f;
            /// |x| <= this: 2^n stays a normal float and exp(x) neither under- nor overflows.
            static constexpr float fast_abs_max = 87.0f;
        };

        /// r = x - n ln2 for each register; nf holds n. Two constants (Cody and Waite), or ln2_hi
        /// alone when `Short` (see the top of this file).
        template <bool Short, class A, std::size_t N>
        JOULE_ALWAYS_INLINE float_group<A, N> exp_reduce(const float_group<A, N>& x,
                                                         const float_group<A, N>& nf) noexcept
        {
            using c = exp_constants;
            float_group<A, N> r;
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) r[k] =
              simd::fma(nf[k], simd::splat<A>(-c::ln2_hi), x[k]);
            if constexpr (!Short)
            {
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) r[k] =
                  simd::fma(nf[k], simd::splat<A>(-c::ln2_lo), r[k]);
            }
            return r;
        }

        /// p(r) ~ exp(r) for r in [-ln2/2, ln2/2], each register.
        template <class A, std::size_t N>
        JOULE_ALWAYS_INLINE float_group<A, N> exp_polynomial(const float_group<A, N>& r) noexcept
        {
            using c = exp_constants;
            float_group<A, N> p;
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] =
              simd::fma(simd::splat<A>(c::s4), r[k], simd::splat<A>(c::s3));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::s2));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::s1));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::s0));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(1.0f));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(1.0f));
            return p;
        }

        /// p(r) ~ exp(r) for r in [-ln2/2, ln2/2] to 9.2e-8 (degree 5), each register.
        template <class A, std::size_t N>
        JOULE_ALWAYS_INLINE float_group<A, N> exp_polynomial_short(const float_group<A, N>& r) noexcept
        {
            using c = exp_constants;
            float_group<A, N> p;
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] =
              simd::fma(simd::splat<A>(c::q4), r[k], simd::splat<A>(c::q3));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::q2));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::q1));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(c::q0));
            JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) p[k] = simd::fma(p[k], r[k], simd::splat<A>(1.0f));
            return p;
        }

        /// The portable exp kernels (see the top of this file).
        template <class A>
        struct exp_kernel_portable
        {
            using fbatch = simd::batch<float, A>;
            using ibatch = simd::batch<std::int32_t, A>;
            using ubatch = simd::batch<std::uint32_t, A>; // shifts on unsigned lanes: no signed overflow

            /// biased(d) = 2^bias * exp(d) for d <= 0 (also -inf -> 0, NaN -> NaN).
            static constexpr int bias = 32;

            /// Each register d[k] replaced by 2^bias exp(d[k]).
            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void biased(float_group<A, N>& d) noexcept
            {
                using c = exp_constants;
                // t's low significand bits hold n + 127 + bias; shifted up they are 2^(n + bias).
                const float magic = c::magic + static_cast<float>(127 + bias);
                float_group<A, N> t, nf;
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) d[k] =
                  simd::clamp_low(d[k], simd::splat<A>(c::x_min));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) t[k] =
                  simd::fma(d[k], simd::splat<A>(c::log2e), simd::splat<A>(magic));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) nf[k] = t[k] - simd::splat<A>(magic);
                const auto p = exp_polynomial_short<A>(exp_reduce<true, A>(d, nf));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) d[k] =
                  p[k] * simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(t[k])));
            }

            /// Each register x[k] replaced by exp(x[k]), any float.
            template <std::size_t N>
            static JOULE_ALWAYS_INLINE void full(float_group<A, N>& x) noexcept
            {
                using c = exp_constants;
                auto in_range = simd::abs(x[0]) <= simd::splat<A>(c::fast_abs_max);
                JOULE_UNROLLED for (std::size_t k = 1; k < N; ++k) in_range =
                  in_range && (simd::abs(x[k]) <= simd::splat<A>(c::fast_abs_max));
                if (JOULE_UNLIKELY(!simd::all(in_range)))
                {
                    for (std::size_t k = 0; k < N; ++k)
                        x[k] = full_any_range(x[k]);
                    return;
                }
                const float magic = c::magic + 127.0f;
                float_group<A, N> t, nf;
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) t[k] =
                  simd::fma(x[k], simd::splat<A>(c::log2e), simd::splat<A>(magic));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) nf[k] = t[k] - simd::splat<A>(magic);
                const auto p = exp_polynomial<A>(exp_reduce<false, A>(x, nf));
                JOULE_UNROLLED for (std::size_t k = 0; k < N; ++k) x[k] =
                  p[k] * simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(t[k])));
            }

            /// Lanes anywhere in the float range: n in [-150, 129] is split into two halves whose
            /// powers of two are normal floats, so p * 2^n1 is exact and * 2^n2 rounds once (to a
            /// subnormal, or to +inf on overflow).
            static JOULE_NOINLINE fbatch full_any_range(fbatch x) noexcept
            {
                using c = exp_constants;
                float_group<A, 1> xs = {
                  simd::clamp_high(simd::clamp_low(x, simd::splat<A>(c::x_min)), simd::splat<A>(c::x_max))};
                const auto t = simd::fma(xs[0], simd::splat<A>(c::log2e), simd::splat<A>(c::magic));
                const float_group<A, 1> nf = {t - simd::splat<A>(c::magic)};
                const auto p = exp_polynomial<A>(exp_reduce<false, A>(xs, nf))[0];
                const ibatch n = simd::bitcast<std::int32_t>(t) - simd::bitcast<std::int32_t>(simd::splat<A>(c::magic));
                const ibatch n1 = n >> 1;
                const ibatch n2 = n - n1;
                const ubatch one = simd::bitcast<std::uint32_t>(simd::splat<A>(1.0f));
                const auto s1 = simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(n1)) + one);
                const auto s2 = simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(n2)) + one);
                return (p * s1) * s2;
            }
        };
        /// The exp kernels an instruction set uses: the portable ones unless exp_x86.hpp
        /// specializes them.
        template <class A, class Enable = void>
        struct exp_kernel : exp_kernel_portable<A>
        {
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
