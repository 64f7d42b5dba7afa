// y = exp(x) over a row: joule::exp.
#pragma once

#include <cstddef>

#include "joule/detail/softmax/row_passes.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        void exp_row(const float* x, float* y, std::size_t n) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            std::size_t i = misaligned_head<A>(y, n);
            if (i != 0)
            {
                float_group<A, 1> v = {load_partial<A>(x, i, 0.0f)};
                exp_kernel<A>::full(v);
                store_partial<A>(y, v[0], i);
            }
            for (; n - i >= 4 * w; i += 4 * w)
            {
                float_group<A, 4> v;
                JOULE_UNROLLED for (std::size_t k = 0; k < 4; ++k) v[k] = simd::load<A>(x + i + k * w);
                exp_kernel<A>::full(v);
                JOULE_UNROLLED for (std::size_t k = 0; k < 4; ++k) simd::store(y + i + k * w, v[k]);
            }
            for (; n - i >= w; i += w)
            {
                float_group<A, 1> v = {simd::load<A>(x + i)};
                exp_kernel<A>::full(v);
                simd::store(y + i, v[0]);
            }
            if (i < n)
            {
                float_group<A, 1> v = {load_partial<A>(x + i, n - i, 0.0f)};
                exp_kernel<A>::full(v);
                store_partial<A>(y + i, v[0], n - i);
            }
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
