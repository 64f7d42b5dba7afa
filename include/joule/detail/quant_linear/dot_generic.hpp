// The int8 dot kernel of the quantized linear layer, on the plain operand layout of unpack.hpp:
// one activation row against up to four weight rows, so the activations are loaded once per
// four rows. int8_dot<A, ...> is a trait so that dot_x86.hpp and dot_neon.hpp can replace it;
// the generic version below is the scalar reference (exact integer sums per 16 values, then
// one float multiply-add per sub-block).
#pragma once

#include <cstddef>
#include <cstdint>

#include "joule/detail/config.hpp"
#include "joule/detail/simd/simd.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// An activation row in the plain layout (unpack.hpp).
        struct activation_row
        {
            const std::int8_t* q;
            const float* d;   ///< per 32 values
            const float* sum; ///< per 16 values: d * sum of the quants
        };
        /// A weight row in the plain layout (unpack.hpp).
        struct weight_row
        {
            const std::int8_t* q;
            const float* scale;  ///< per 4 values (each 16-value scale four times)
            const float* offset; ///< per 16 values, or null
        };

        /// Most weight rows one int8_dot call handles.
        constexpr int dot_rows = 4;

        /// out[r] = sum over k < K (a multiple of 32) of the scaled products of x and w[r], for
        /// r < R, without the offsets. `WeightsMayHoldMin`: w may hold -128 and x may not
        /// (else the reverse); the integer products are exact either way.
        template <class A, bool WeightsMayHoldMin, class Enable = void>
        struct int8_dot
        {
            template <int R>
            static void run(const activation_row& x, const weight_row* w, std::size_t K, float* out) noexcept
            {
                for (int r = 0; r < R; ++r)
                {
                    float acc = 0;
                    for (std::size_t c = 0; c < K / 32; ++c)
                        for (std::size_t g = 0; g < 2; ++g)
                        {
                            const std::size_t k0 = 32 * c + 16 * g;
                            std::int32_t s = 0;
                            for (std::size_t k = k0; k < k0 + 16; ++k)
                                s += std::int32_t(w[r].q[k]) * std::int32_t(x.q[k]);
                            acc += static_cast<float>(s) * (w[r].scale[k0 / 4] * x.d[c]);
                        }
                    out[r] = acc;
                }
            }
        };

        /// sum over g < groups of offset[g] * sum[g] (the minimums' share of a dot product), in
        /// SIMD registers of arch A: a sixteenth of the dot's length, but in float.
        template <class A>
        float offset_dot(const float* offset, const float* sum, std::size_t groups) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            auto acc0 = simd::splat<A>(0.0f), acc1 = acc0;
            std::size_t g = 0;
            for (; g + 2 * w <= groups; g += 2 * w)
            {
                acc0 = simd::fma(simd::load<A>(offset + g), simd::load<A>(sum + g), acc0);
                acc1 = simd::fma(simd::load<A>(offset + g + w), simd::load<A>(sum + g + w), acc1);
            }
            for (; g + w <= groups; g += w)
                acc0 = simd::fma(simd::load<A>(offset + g), simd::load<A>(sum + g), acc0);
            float s = simd::reduce_add(acc0 + acc1);
            for (; g < groups; ++g)
                s += offset[g] * sum[g];
            return s;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
