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
// Measured over every float (tests/softmax_test.cpp, exhaustive case): at most 0.89 ULP over
// [-87.3, 88.7] and 0.88 ULP over [-16.7, 0] against a double reference.
//
// Two ways to apply 2^n:
// - exp_kernel<A>::biased(d), for softmax, where d = x - max <= 0: returns 2^bias * exp(d). With
//   bias = 32, 2^(n + bias) is a normal float for every d >= -104 (below it exp(d) < 2^-150 and
//   the result is 0 after normalization), so one multiply applies it; the bias cancels when the
//   kernels divide by a sum of the same biased values.
// - exp_kernel<A>::full(x), for joule::exp: the exact result over the whole float range, with
//   subnormal results rounded once and overflow to +inf. A vector whose lanes are all in
//   [-87, 87] takes the one-multiply path; others split 2^n into two normal factors.
// exp_x86.hpp specializes exp_kernel where an instruction does better (AVX-512 VSCALEFPS).
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/detail/simd/simd.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
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
            /// Below this, exp(x) < 2^-150 rounds to zero (exp(-104) = 6.8e-46).
            static constexpr float x_min = -104.0f;
            /// Above this, exp(x) overflows (ln(FLT_MAX) = 88.72284).
            static constexpr float x_max = 89.0f;
            /// |x| <= this: 2^n stays a normal float and exp(x) neither under- nor overflows.
            static constexpr float fast_abs_max = 87.0f;
        };

        /// p(r) ~ exp(r) for r in [-ln2/2, ln2/2].
        template <class A>
        JOULE_ALWAYS_INLINE simd::batch<float, A> exp_polynomial(const simd::batch<float, A>& r) noexcept
        {
            using c = exp_constants;
            auto s = simd::fma(simd::splat<A>(c::s4), r, simd::splat<A>(c::s3));
            s = simd::fma(s, r, simd::splat<A>(c::s2));
            s = simd::fma(s, r, simd::splat<A>(c::s1));
            s = simd::fma(s, r, simd::splat<A>(c::s0));
            const auto q = simd::fma(s, r, simd::splat<A>(1.0f));
            return simd::fma(q, r, simd::splat<A>(1.0f));
        }

        /// r = x - n ln 2, where n is the float integer nf.
        template <class A>
        JOULE_ALWAYS_INLINE simd::batch<float, A> exp_reduce(const simd::batch<float, A>& x,
                                                             const simd::batch<float, A>& nf) noexcept
        {
            using c = exp_constants;
            const auto r = simd::fma(nf, simd::splat<A>(-c::ln2_hi), x);
            return simd::fma(nf, simd::splat<A>(-c::ln2_lo), r);
        }

        /// The portable exp kernels (see the top of this file); specialized per instruction set.
        template <class A, class Enable = void>
        struct exp_kernel
        {
            using fbatch = simd::batch<float, A>;
            using ibatch = simd::batch<std::int32_t, A>;
            using ubatch = simd::batch<std::uint32_t, A>; // shifts on unsigned lanes: no signed overflow

            /// biased(d) = 2^bias * exp(d) for d <= 0 (also -inf -> 0, NaN -> NaN).
            static constexpr int bias = 32;

            static JOULE_ALWAYS_INLINE fbatch biased(fbatch d) noexcept
            {
                using c = exp_constants;
                d = simd::clamp_low(d, simd::splat<A>(c::x_min));
                // t's low significand bits hold n + 127 + bias; shifted up they are 2^(n + bias).
                const float magic = c::magic + static_cast<float>(127 + bias);
                const auto t = simd::fma(d, simd::splat<A>(c::log2e), simd::splat<A>(magic));
                const auto nf = t - simd::splat<A>(magic);
                const auto p = exp_polynomial<A>(exp_reduce<A>(d, nf));
                return p * simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(t)));
            }

            /// exp(x) for every float x.
            static JOULE_ALWAYS_INLINE fbatch full(fbatch x) noexcept
            {
                using c = exp_constants;
                if (JOULE_LIKELY(simd::all(simd::abs(x) <= simd::splat<A>(c::fast_abs_max))))
                {
                    const float magic = c::magic + 127.0f;
                    const auto t = simd::fma(x, simd::splat<A>(c::log2e), simd::splat<A>(magic));
                    const auto nf = t - simd::splat<A>(magic);
                    const auto p = exp_polynomial<A>(exp_reduce<A>(x, nf));
                    return p * simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(t)));
                }
                return full_any_range(x);
            }

            /// Lanes anywhere in the float range: n in [-150, 129] is split into two halves whose
            /// powers of two are normal floats, so p * 2^n1 is exact and * 2^n2 rounds once (to a
            /// subnormal, or to +inf on overflow).
            static JOULE_NOINLINE fbatch full_any_range(fbatch x) noexcept
            {
                using c = exp_constants;
                x = simd::clamp_high(simd::clamp_low(x, simd::splat<A>(c::x_min)), simd::splat<A>(c::x_max));
                const auto t = simd::fma(x, simd::splat<A>(c::log2e), simd::splat<A>(c::magic));
                const auto nf = t - simd::splat<A>(c::magic);
                const auto p = exp_polynomial<A>(exp_reduce<A>(x, nf));
                const ibatch n = simd::bitcast<std::int32_t>(t) - simd::bitcast<std::int32_t>(simd::splat<A>(c::magic));
                const ibatch n1 = n >> 1;
                const ibatch n2 = n - n1;
                const ubatch one = simd::bitcast<std::uint32_t>(simd::splat<A>(1.0f));
                const auto s1 = simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(n1)) + one);
                const auto s2 = simd::bitcast<float>(simd::shift_left<23>(simd::bitcast<std::uint32_t>(n2)) + one);
                return (p * s1) * s2;
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
