// Entry into the quantization kernels: the generic traits plus every per-ISA specialization.
#pragma once

#include <cstddef>

#include "joule/detail/quant/quant_neon.hpp"
#include "joule/detail/quant/dequantize_x86.hpp"
#include "joule/detail/quant/quantize_x86.hpp"
#include "joule/detail/quant/rows_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// y[0 .. blocks) = quantized x[0 .. blocks * block_size).
        template <class A, class Block>
        void quantize_blocks(const float* x, Block* y, std::size_t blocks) noexcept
        {
            quantize_rows<A, Block>::run(x, y, blocks);
        }

        /// y[0 .. blocks * block_size) = dequantized x[0 .. blocks).
        template <class A, class Block>
        void dequantize_blocks(const Block* x, float* y, std::size_t blocks) noexcept
        {
            dequantize_rows<A, Block>::run(x, y, blocks);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
