// Fused M == 1 kernels: one activation row (already in W's dot format) against weight rows read
// straight from their blocks, without unpacking them first. gemv_fused<A, Block> is a trait;
// the generic version has none (available == false) and the driver unpacks instead. The per-ISA
// files specialize it for the formats that decode cheaply in registers.
//
// A specialization has an `activations` type that prepare() fills once per call of linear from
// the quantized row (a layout of the row that suits the kernel), shared read-only by every task.
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
            struct activations
            {
            };
            /// Fills `xa` from the nb blocks of the quantized activation row x.
            template <class Dot>
            static void prepare(const Dot*, std::size_t, activations&)
            {
            }
            /// y[j * y_stride] = w_j . x (+ bias[j]) for rows j < rows, w_j at w + j * w_stride.
            static void run(const Block*, std::size_t, std::size_t, const activations&, float*, std::size_t,
                            const float*) noexcept
            {
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
