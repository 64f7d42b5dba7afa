// Fused M == 1 kernels: one activation row (already in W's dot format) against weight rows read
// straight from their blocks, without unpacking them first. gemv_fused<A, Block> is a trait;
// the generic version has none (available == false) and the driver unpacks instead. The per-ISA
// files specialize it for the formats that decode cheaply in registers.
#pragma once

#include <cstddef>

#include "joule/detail/config.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A, class Block, class Enable = void>
        struct gemv_fused
        {
            static constexpr bool available = false;
            /// y[j * y_stride] = w_j . x (+ bias[j]) for rows j < rows, w_j at w + j * w_stride.
            template <class Dot>
            static void run(const Block*, std::size_t, std::size_t, const Dot*, std::size_t, float*, std::size_t,
                            const float*) noexcept
            {
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
