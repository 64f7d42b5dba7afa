// joule/quant.hpp: GGUF / ggml block-quantization formats, byte-compatible with ggml.
//
//     std::vector<joule::block_q4_0> q(n / joule::block_q4_0::block_size);
//     joule::quantize(x, q.data(), n);      // n floats -> n / 32 blocks, ggml's exact bytes
//     joule::dequantize(q.data(), y, n);    // back to floats, ggml's exact floats
//
// Formats. The block types are declared in joule/quant_blocks.hpp: PODs with ggml's field names
// and `sizeof` equal to GGUF's type size, so a GGUF tensor's bytes can be used as an array of
// blocks in place. `block_size` is the number of values one block holds; `dot_block` names the
// activation format the block pairs with for integer dot products (q8_0, q8_1 or q8_K, as ggml).
//
//   type         values  bytes  value of element j
//   block_q4_0     32     18    d * (q - 8),            q 4-bit
//   block_q4_1     32     20    d * q + m,              q 4-bit
//   block_q5_0     32     22    d * (q - 16),           q 5-bit
//   block_q5_1     32     24    d * q + m,              q 5-bit
//   block_q8_0     32     34    d * q,                  q int8
//   block_q8_1     32     36    d * q (s = d * sum q),  q int8
//   block_q2_K    256     84    d*sc * q - dmin*m,      q 2-bit, 16 sub-blocks of 16, 4-bit sc / m
//   block_q3_K    256    110    d*(sc - 32) * (q - 4),  q 3-bit, 16 sub-blocks of 16, 6-bit sc
//   block_q4_K    256    144    d*sc * q - dmin*m,      q 4-bit, 8 sub-blocks of 32, 6-bit sc / m
//   block_q5_K    256    176    d*sc * q - dmin*m,      q 5-bit, 8 sub-blocks of 32, 6-bit sc / m
//   block_q6_K    256    210    d*sc * (q - 32),        q 6-bit, 16 sub-blocks of 16, int8 sc
//   block_q8_K    256    292    d * q (fp32 d),         q int8, bsums = sums of 16 q
//   block_iq4_nl   32     18    d * kvalues[q],         q 4-bit index into a non-linear table
//   block_iq4_xs  256    136    d*(ls - 32) * kvalues[q], 8 sub-blocks of 32, 6-bit ls
// 4-bit formats keep element j in the low nibble of qs[j] and element j + 16 in its high nibble
// (per 32 values); the K-quants interleave as ggml does (see detail/quant/*_ref.hpp).
//
// Semantics:
// - quantize reproduces ggml's reference quantizer byte for byte, rounding ties included, for
//   every format, on every instruction set: what ggml_quantize_chunk writes without an
//   importance matrix (ggml d99724f; quantize_row_*_ref, and for iq4_nl / iq4_xs the 7-try
//   search of quantize_iq4_nl / quantize_iq4_xs). q8_0 and q8_1 round ties away from zero
//   (ggml's reference; ggml's own SIMD activation quantizer rounds them to even). The searches
//   of q2_K, q3_K and iq4_xs are reproduced too, so their error equals ggml's.
// - dequantize reproduces ggml's floats bit for bit (dequantize_row_*). ggml has no q8_1
//   dequantizer; joule's is q8_0's, d * q.
// - NaN and +-inf cannot be represented. A block whose input holds any NaN or infinity gets NaN
//   scales (and zero quants), so dequantize returns NaN for all of its values: the problem stays
//   visible instead of spreading garbage or being dropped (ggml lets NaN reach the scale with
//   results that depend on the element order and the instruction set). Other blocks are not
//   affected.
// - Finite inputs behave as in ggml, extremes included: values too large for an f16 scale
//   (|x| above about 8.3e6 for q8_0, 5.2e5 for q4_0) give an infinite scale, and blocks of tiny
//   values (below f16's range) dequantize to zeros.
// - Floating-point environment: the default one (round to nearest, no flush-to-zero). Builds
//   with -ffast-math are not byte-compatible. Fused multiply-adds are never used where they
//   would change a result (see detail/quant/float_rules.hpp).
// - q8_K blocks whose values are all zero get d = 0 and zero bsums (ggml leaves bsums unset).
// - Memory: x and y may have any alignment and must not overlap. On x86, q8_0 / q8_1 quantize
//   of more than 16 MiB of floats (per call, or per executor task) writes y with non-temporal
//   stores, which bypass the caches: y is in memory, not in cache, when it returns.
// - Threads: by default the calling thread does the work. Pass an executor (joule/executor.hpp)
//   to split large inputs into tasks of whole blocks; the output is identical either way. The
//   functions read x and write y only; calls on disjoint outputs may run concurrently.
// - Errors (joule::error, nothing written): n not a multiple of the block size, a null pointer
//   with n > 0, overlapping x and y, n whose byte size overflows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/detail/quant/quant_rows.hpp"
#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class Block>
        void check_quant_args(const char* function, const void* x, const void* y, std::size_t n, bool to_blocks)
        {
            constexpr std::size_t bs = Block::block_size;
            constexpr std::size_t max_n = ~std::size_t(0) / sizeof(float);
            if (JOULE_UNLIKELY(n > max_n))
                fail(function, "n (", n, ") is too large: its byte size overflows size_t");
            if (JOULE_UNLIKELY(n % bs != 0))
                fail(function, "n (", n, ") is not a multiple of the block size (", bs, ")");
            check_pointer(function, "x", x, "n", n);
            check_pointer(function, "y", y, "n", n);
            const std::size_t float_bytes = n * sizeof(float), block_bytes = n / bs * sizeof(Block);
            check_disjoint(function, "x", x, to_blocks ? float_bytes : block_bytes, "y", y,
                           to_blocks ? block_bytes : float_bytes);
        }

        /// Calls f(first_block, block_count) over [0, blocks): once on the calling thread for the
        /// sequential executor or small inputs, else in tasks of whole 8-block groups (at least
        /// 64 Ki values each). Blocks are independent, so the bytes never depend on the split.
        template <class F>
        void for_block_ranges(std::size_t blocks, std::size_t block_size, executor_ref executor, F&& f)
        {
            constexpr std::size_t min_values_per_task = std::size_t(1) << 16;
            const std::size_t by_size = blocks * block_size / min_values_per_task;
            const std::size_t tasks = std::min(executor.concurrency() * 4, by_size);
            if (executor.concurrency() <= 1 || tasks <= 1)
                return f(std::size_t(0), blocks);
            const std::size_t per_task = ((blocks + tasks - 1) / tasks + 7) / 8 * 8;
            auto task = [&](std::size_t t) {
                const std::size_t first = t * per_task;
                f(first, std::min(per_task, blocks - first));
            };
            executor.run((blocks + per_task - 1) / per_task, task);
        }

        template <class Block>
        void quantize_checked(const float* x, Block* y, std::size_t n, executor_ref executor)
        {
            check_quant_args<Block>("quantize", x, y, n, true);
            const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::block_fields<Block>::quantize,
                                                        quantize_blocks<simd::native_arch, Block>);
            for_block_ranges(n / Block::block_size, Block::block_size, executor, [&](std::size_t first, std::size_t count) {
                kernel(x + first * Block::block_size, y + first, count);
            });
        }
        template <class Block>
        void dequantize_checked(const Block* x, float* y, std::size_t n, executor_ref executor)
        {
            check_quant_args<Block>("dequantize", x, y, n, false);
            const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::block_fields<Block>::dequantize,
                                                        dequantize_blocks<simd::native_arch, Block>);
            for_block_ranges(n / Block::block_size, Block::block_size, executor, [&](std::size_t first, std::size_t count) {
                kernel(x + first, y + first * Block::block_size, count);
            });
        }
    } // namespace detail

    // clang-format off
    /// Quantizes n floats (a multiple of the block size) into n / block_size blocks; `executor`
    /// may split the work across threads (the bytes are the same).
    inline void quantize(const float* x, block_q4_0* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q4_1* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q5_0* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q5_1* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q8_0* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q8_1* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q2_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q3_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q4_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q5_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q6_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_q8_K* y, std::size_t n, executor_ref executor = {})   { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_iq4_nl* y, std::size_t n, executor_ref executor = {}) { detail::quantize_checked(x, y, n, executor); }
    inline void quantize(const float* x, block_iq4_xs* y, std::size_t n, executor_ref executor = {}) { detail::quantize_checked(x, y, n, executor); }

    /// Dequantizes n / block_size blocks into n floats.
    inline void dequantize(const block_q4_0* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q4_1* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q5_0* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q5_1* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q8_0* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q8_1* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q2_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q3_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q4_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q5_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q6_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_q8_K* x, float* y, std::size_t n, executor_ref executor = {})   { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_iq4_nl* x, float* y, std::size_t n, executor_ref executor = {}) { detail::dequantize_checked(x, y, n, executor); }
    inline void dequantize(const block_iq4_xs* x, float* y, std::size_t n, executor_ref executor = {}) { detail::dequantize_checked(x, y, n, executor); }
    // clang-format on
    JOULE_END_ARCH_NS
} // namespace joule
