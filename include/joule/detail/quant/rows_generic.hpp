// The per-format row kernels as traits on the SIMD arch A, so the per-ISA files can replace them
// for one format at a time (as convert's codecs do): quantize_rows<A, Block> and
// dequantize_rows<A, Block>, each with a static run(input, output, number_of_blocks).
// The generic versions below run the scalar reference quantizers and the two-step dequantizer.
#pragma once

#include <cstddef>

#include "joule/detail/quant/dequant_generic.hpp"
#include "joule/detail/quant/iq4_ref.hpp"
#include "joule/detail/quant/kquant_ref.hpp"
#include "joule/detail/quant/legacy_ref.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class Block>
        void quantize_blocks_ref(const float* x, Block* y, std::size_t blocks) noexcept
        {
            for (std::size_t i = 0; i < blocks; ++i)
                quantize_block_ref(x + i * Block::block_size, y[i]);
        }

        template <class A, class Block>
        void dequantize_blocks_generic(const Block* x, float* y, std::size_t blocks) noexcept
        {
            for (std::size_t i = 0; i < blocks; ++i)
                dequantize_block<A>(x[i], y + i * Block::block_size);
        }

        template <class A, class Block, class Enable = void>
        struct quantize_rows
        {
            static void run(const float* x, Block* y, std::size_t blocks) noexcept { quantize_blocks_ref(x, y, blocks); }
        };

        template <class A, class Block, class Enable = void>
        struct dequantize_rows
        {
            static void run(const Block* x, float* y, std::size_t blocks) noexcept
            {
                dequantize_blocks_generic<A>(x, y, blocks);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
