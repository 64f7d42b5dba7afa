// Softmax and log-softmax of one row, and the choice of algorithm by length.
//
// Three passes (the row in cache): max; y = exp(x - max) and its sum; y *= 1 / sum. One exp
// per element; the row is read three times and written twice.
//
// Two passes (Dukhan and Ablavatski's memory traffic, 12 bytes per float element: the input is
// read twice and the output written once): pass 1 takes the row in blocks small enough for L1,
// finds each block's maximum and its sum of exp(x - block max) (the block is re-read from L1
// while the next one is prefetched), and merges the blocks' statistics online (Milakov and
// Gimelshein); pass 2 writes y = exp(x - max) / sum with streaming stores. Dukhan and
// Ablavatski accumulate the sum as (mantissa, exponent) pairs instead of block maxima; the block
// form needs fewer operations per element, and its exp arguments x - max are always <= 0, so
// huge inputs and a temperature lose nothing. Two exps per element instead of one: it wins only
// where memory traffic is the limit.
//
// Choice (measured on the development VM, AMD EPYC Zen 4, 32 MiB L3, one thread; the
// softmax_2pass / softmax_3pass rows of joule-bench and benchmarks/README.md):
// - softmax: three passes up to 6 Mi elements, two beyond (at 4 Mi three passes are 15% faster,
//   at 8 Mi two passes 8%, at 16 Mi 25%: the crossover is where x and y leave the L3);
// - log_softmax: its second pass has no exp, so two passes win from the chunked size on.
// Rows of 2^17 elements or more are processed in chunks whose boundaries depend only on n; the
// chunks run on the executor and combine in order, so results are bit-identical whatever the
// executor (sequential included).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "joule/detail/softmax/row_stats.hpp"
#include "joule/executor.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Rows at least this long are split into chunks (and run on the executor).
        constexpr std::size_t softmax_long_row = std::size_t(1) << 17;
        /// softmax rows at least this long use two passes (see the top of this file).
        constexpr std::size_t softmax_two_pass_min = std::size_t(6) << 20;
        /// Pass 1 of the two-pass kernel reads a row in blocks of this many elements (16 KiB of
        /// floats: the block is still in L1 when it is read the second time).
        constexpr std::size_t softmax_block = 4096;
        /// Long rows split into at most this many chunks (statistics kept on the stack).
        constexpr std::size_t softmax_max_chunks = 256;
        /// ... of at least this many elements.
        constexpr std::size_t softmax_min_chunk = softmax_long_row;

        struct row_options
        {
            float temperature = 1.0f;
            bool masked_zeros = false;
        };

        /// Passes 2 and 3 of the three-pass kernel for a row whose maximum m is pass 1's result.
        /// Between them it computes and returns the maximum of `next` (the next row of a matrix,
        /// n elements; nullptr for none): that independent work fills the time the sum needs to
        /// come out of pass 2, which short rows otherwise spend waiting.
        template <class A, class T, bool Scaled, bool Log>
        float three_pass_row(const T* x,
                             float* y,
                             std::size_t n,
                             const row_options& o,
                             float m,
                             const T* next = nullptr) noexcept
        {
            float next_max = 0.0f;
            if (JOULE_UNLIKELY(!std::isfinite(m)))
            {
                const row_stats s = scan_nonfinite(x, n, m);
                write_special_row(kind_of(s), s, x, y, n, o.masked_zeros, Log);
                return next ? row_max<A>(next, n) : next_max;
            }
            if constexpr (Log)
            {
                // The float sum when it is large enough (log_passes.hpp), else the double one. A row
                // of fewer elements than log_sum_float_min cannot have such a sum (each term <= 1),
                // and one of fewer than twice as many rarely does (half of its elements would have
                // to lie within ln 2 of the maximum): those go straight to the double sum rather
                // than pay for a float pass that is almost always redone.
                double log_sum = 0.0;
                if (double(n) >= 2 * log_sum_float_min)
                    log_sum = std::log(std::ldexp(exp_sum<A, T, Scaled, log_sum_flush_steps>(x, n, m, o.temperature),
                                                  -exp_kernel<A>::bias));
                if (!(log_sum >= std::log(log_sum_float_min)))
                {
                    const auto parts = log_sum_parts<A, T, Scaled>(x, n, m, o.temperature);
                    row_stats s;
                    s.max = m;
                    s.rest = parts[0];
                    s.count = parts[1];
                    log_sum = log_of_sum(s); // a NaN element makes rest NaN, and d - NaN is NaN
                }
                if (next)
                    next_max = row_max<A>(next, n);
                log_store<A, T, Scaled>(x, y, n, m, o.temperature, log_sum);
            }
            else
            {
                const double sum = exp_store_sum<A, T, Scaled>(x, y, n, m, o.temperature);
                if (next)
                    next_max = row_max<A>(next, n);
                // A NaN element makes the sum NaN, and every y * NaN is NaN.
                scale_in_place<A>(y, n, static_cast<float>(1.0 / sum));
            }
            return next_max;
        }

        /// Chunks of a long row: boundaries depend only on n.
        struct row_chunks
        {
            std::size_t size, count;
            explicit row_chunks(std::size_t n) noexcept
            {
                const std::size_t even = (n + softmax_max_chunks - 1) / softmax_max_chunks;
                size = std::max(softmax_min_chunk, (even + softmax_block - 1) / softmax_block * softmax_block);
                count = (n + size - 1) / size;
            }
            std::size_t begin(std::size_t c) const noexcept { return c * size; }
            std::size_t length(std::size_t c, std::size_t n) const noexcept { return std::min(size, n - c * size); }
        };

        template <class A, class T, bool Scaled, bool Accurate, std::size_t FlushSteps>
        row_stats chunk_stats(const T* x, std::size_t n, float temperature) noexcept
        {
            row_stats s;
            for (std::size_t b = 0; b < n; b += softmax_block)
                merge_stats(s,
                            block_stats<A, T, Scaled, Accurate, FlushSteps>(
                              x + b, std::min(softmax_block, n - b), temperature, softmax_block),
                            temperature);
            return s;
        }

        /// Three passes over a long row, chunk by chunk on the executor (softmax only): every chunk
        /// uses the row's maximum, so the chunks' sums simply add, in chunk order.
        template <class A, class T, bool Scaled>
        void three_pass_chunked_row(const T* x,
                                    float* y,
                                    std::size_t n,
                                    const row_options& o,
                                    const executor_ref& executor)
        {
            const row_chunks chunks(n);
            float maxima[softmax_max_chunks];
            auto pass1 = [&](std::size_t c) { maxima[c] = row_max<A>(x + chunks.begin(c), chunks.length(c, n)); };
            executor.run(chunks.count, pass1);
            // A chunk of -inf only is fine (its elements give 0); NaN or +inf anywhere, or a row of
            // -inf only, take the scalar path.
            float m = maxima[0];
            bool any_nan = false;
            for (std::size_t c = 0; c < chunks.count; ++c)
            {
                any_nan = any_nan || std::isnan(maxima[c]);
                m = std::max(m, maxima[c]);
            }
            if (JOULE_UNLIKELY(any_nan || !std::isfinite(m)))
            {
                const row_stats s = scan_nonfinite(x, n, any_nan ? std::numeric_limits<float>::quiet_NaN() : m);
                write_special_row(kind_of(s), s, x, y, n, o.masked_zeros, false);
                return;
            }
            double sums[softmax_max_chunks];
            auto pass2 = [&](std::size_t c)
            {
                const std::size_t b = chunks.begin(c);
                sums[c] = exp_store_sum<A, T, Scaled>(x + b, y + b, chunks.length(c, n), m, o.temperature);
            };
            executor.run(chunks.count, pass2);
            double sum = 0;
            for (std::size_t c = 0; c < chunks.count; ++c)
                sum += sums[c];
            const auto scale = static_cast<float>(1.0 / sum); // a NaN element: NaN everywhere
            auto pass3 = [&](std::size_t c) { scale_in_place<A>(y + chunks.begin(c), chunks.length(c, n), scale); };
            executor.run(chunks.count, pass3);
        }

        template <class A, class T, bool Scaled, bool Log>
        void two_pass_row(const T* x, float* y, std::size_t n, const row_options& o, const executor_ref& executor)
        {
            const row_chunks chunks(n);
            constexpr std::size_t flush = Log ? log_sum_flush_steps : softmax_flush_steps;
            row_stats parts[softmax_max_chunks];
            auto pass1 = [&](std::size_t c) {
                parts[c] = chunk_stats<A, T, Scaled, false, flush>(x + chunks.begin(c), chunks.length(c, n), o.temperature);
            };
            auto pass1_accurate = [&](std::size_t c) {
                parts[c] = chunk_stats<A, T, Scaled, true, flush>(x + chunks.begin(c), chunks.length(c, n), o.temperature);
            };
            auto merged = [&]
            {
                row_stats s = parts[0];
                for (std::size_t c = 1; c < chunks.count; ++c)
                    merge_stats(s, parts[c], o.temperature);
                return s;
            };
            executor.run(chunks.count, pass1);
            row_stats s = merged();
            // log_softmax: the float sums unless they are too small to bound log(sum)'s error
            // (log_passes.hpp); then the statistics again, in double.
            if (Log && kind_of(s) == row_kind::normal && !(s.sum() >= log_sum_float_min))
            {
                executor.run(chunks.count, pass1_accurate);
                s = merged();
            }

            const row_kind kind = kind_of(s);
            if (JOULE_UNLIKELY(kind != row_kind::normal))
            {
                write_special_row(kind, s, x, y, n, o.masked_zeros, Log);
                return;
            }
            const double log_sum = Log ? log_of_sum(s) : 0.0;
            const float scale = Log ? 0.0f : static_cast<float>(1.0 / std::ldexp(s.sum(), exp_kernel<A>::bias));
            auto pass2 = [&](std::size_t c)
            {
                const std::size_t b = chunks.begin(c), len = chunks.length(c, n);
                if constexpr (Log)
                    log_store<A, T, Scaled>(x + b, y + b, len, s.max, o.temperature, log_sum);
                else
                    exp_scale_store<A, T, Scaled, true>(x + b, y + b, len, s.max, o.temperature, scale);
            };
            executor.run(chunks.count, pass2);
        }

        template <class A, class T, bool Scaled, bool Log>
        void softmax_row_of_length(const T* x,
                                   float* y,
                                   std::size_t n,
                                   const row_options& o,
                                   const executor_ref& executor)
        {
            if (n < softmax_long_row)
                three_pass_row<A, T, Scaled, Log>(x, y, n, o, row_max<A>(x, n));
            else if (!Log && n < softmax_two_pass_min)
                three_pass_chunked_row<A, T, Scaled>(x, y, n, o, executor);
            else
                two_pass_row<A, T, Scaled, Log>(x, y, n, o, executor);
        }

        /// softmax (Log = false) or log_softmax of one row, n >= 1.
        template <class A, class T, bool Log>
        void softmax_row(const T* x, float* y, std::size_t n, const row_options& o, const executor_ref& executor)
        {
            if (o.temperature != 1.0f)
                softmax_row_of_length<A, T, true, Log>(x, y, n, o, executor);
            else
                softmax_row_of_length<A, T, false, Log>(x, y, n, o, executor);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
