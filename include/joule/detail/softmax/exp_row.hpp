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
            using fbatch = simd::batch<float, A>;
            constexpr std::size_t w = simd::width<float, A>;
            std::size_t i = 0;
            for (; n - i >= 4 * w; i += 4 * w)
            {
                const fbatch a = simd::load<A>(x + i), b = simd::load<A>(x + i + w);
                const fbatch c = simd::load<A>(x + i + 2 * w), d = simd::load<A>(x + i + 3 * w);
                simd::store(y + i, exp_kernel<A>::full(a));
                simd::store(y + i + w, exp_kernel<A>::full(b));
                simd::store(y + i + 2 * w, exp_kernel<A>::full(c));
                simd::store(y + i + 3 * w, exp_kernel<A>::full(d));
            }
            for (; n - i >= w; i += w)
                simd::store(y + i, exp_kernel<A>::full(simd::load<A>(x + i)));
            if (i < n)
                store_partial<A>(y + i, exp_kernel<A>::full(load_partial<A>(x + i, n - i, 0.0f)), n - i);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
