// x86 quantizers for the 32-value formats and q8_K: AVX2 (+F16C). AVX-512 builds run the same
// code (measured on Zen 4: 512-bit registers did not make them faster).
// They compute exactly the scalar references' float steps (see legacy_ref.hpp): the same
// divisions for d and 1/d, the same rounded products, the same rounding, so their bytes are
// the references' bytes. Blocks they cannot treat exactly that way (NaN / inf input, a scale
// whose inverse overflows) go to the scalar reference.
//
// Rounding used here, equal to the scalar functions for every value a valid block produces:
//   roundf(t)          = trunc(t + copysign(0.49999997, t))       (q8_0, q8_1; |t| < 2^23)
//   nearest_int(t)     = cvtps2dq(t) under the default MXCSR      (q8_K; |t| <= 4194303)
//   (int8)(t + 8.5f)   = cvttps2dq(t + 8.5f)                      (q4 / q5; 0 <= t + 8.5 < 2^31)
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "joule/detail/quant/x86_common.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        // ---- q8_K: d = max / -127 with the signed maximum, q = min(127, nearest_int(x / d)) --------
        template <class A>
        struct quantize_rows<A, block_q8_K, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q8_K* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 256)
                    if (!quantize_one(x, y[i]))
                        quantize_block_ref(x, y[i]);
            }

            static bool quantize_one(const float* x, block_q8_K& y) noexcept
            {
                const __m256i mask = _mm256_set1_epi32(0x7fffffff);
                __m256i m = _mm256_setzero_si256();
                for (int k = 0; k < 32; ++k)
                    m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + 8 * k)), mask));
                const std::uint32_t amax = hmax_epu32(m);
                if (amax >= 0x7f800000u || amax == 0)
                    return false; // NaN / inf, or all zeros: the reference's special blocks
                const __m256i want = _mm256_set1_epi32(static_cast<int>(amax));
                int first = 0;
                for (int k = 0; k < 32; ++k)
                {
                    const __m256i a = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + 8 * k)), mask);
                    const int hit = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, want)));
                    if (hit != 0)
                    {
                        first = 8 * k + __builtin_ctz(static_cast<unsigned>(hit));
                        break;
                    }
                }
                const float iscale = -127.f / x[first];
                if (not_finite(iscale))
                    return false;
                const __m256 vs = _mm256_set1_ps(iscale);
                const __m256i top = _mm256_set1_epi32(127), bias = _mm256_set1_epi8(static_cast<char>(0x80));
                for (int c = 0; c < 8; ++c) // 32 values per step
                {
                    __m256i q[4];
                    for (int k = 0; k < 4; ++k) // nearest_int of the rounded product = cvtps2dq (ties to even)
                        q[k] = _mm256_min_epi32(
                            _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * k), vs)), top);
                    const __m256i bytes = pack_i32_i8(q[0], q[1], q[2], q[3]);
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y.qs + 32 * c), bytes);
                    // Sums of 16: sum of (q + 128) over 8 bytes by SAD, minus the bias.
                    const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(bytes, bias), _mm256_setzero_si256());
                    const __m256i pair = _mm256_add_epi64(sad, _mm256_srli_si256(sad, 8));
                    y.bsums[2 * c] = static_cast<std::int16_t>(_mm256_extract_epi64(pair, 0) - 16 * 128);
                    y.bsums[2 * c + 1] = static_cast<std::int16_t>(_mm256_extract_epi64(pair, 2) - 16 * 128);
                }
                y.d = 1 / iscale;
                return true;
            }
        };

        // ---- q4_0 / q5_0: d = max / -levels, q = min(top, (int)(x / d + levels + 0.5)) --------------
        /// Returns the 32 quants in element order, or false when the block needs the scalar path.
        template <int Levels>
        JOULE_ALWAYS_INLINE bool quantize_symmetric_avx2(const float* x, f16& d_out, __m256i& q) noexcept
        {
            const f32x32 b = load_block32(x);
            const std::uint32_t amax = absmax_bits(b);
            if (amax >= 0x7f800000u)
                return false;
            const float d = first_with_abs_bits(x, b, amax) / -Levels;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            if (not_finite(id))
                return false;
            store_f16(d_out, d);
            const __m256 vid = _mm256_set1_ps(id), bias = _mm256_set1_ps(Levels + 0.5f);
            const __m256i top = _mm256_set1_epi32(2 * Levels - 1);
            __m256i qi[4];
            for (int k = 0; k < 4; ++k)
                qi[k] = _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_add_ps(rounded(_mm256_mul_ps(b.v[k], vid)), bias)), top);
            q = pack_i32_i8(qi[0], qi[1], qi[2], qi[3]);
            return true;
        }

        // ---- q4_1 / q5_1: d = (max - min) / top, q = (int)((x - min) / d + 0.5) -----------------------
        template <int Top>
        JOULE_ALWAYS_INLINE bool quantize_affine_avx2(const float* x, f16& d_out, f16& m_out, __m256i& q) noexcept
        {
            const f32x32 b = load_block32(x);
            if (absmax_bits(b) >= 0x7f800000u)
                return false;
            float min, max;
            min_max(x, b, min, max);
            const float d = (max - min) / Top;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            if (not_finite(d) || not_finite(id))
                return false;
            store_f16(d_out, d);
            store_f16(m_out, min);
            // ggml adds exactly 0.5 here (unlike roundf's 0.49999997 trick for q8: t = 0.49999997
            // gives 1 this way).
            const __m256 vid = _mm256_set1_ps(id), vmin = _mm256_set1_ps(min), half = _mm256_set1_ps(0.5f);
            const __m256i top = _mm256_set1_epi32(Top);
            __m256i qi[4];
            for (int k = 0; k < 4; ++k)
            {
                const __m256 t = rounded(_mm256_mul_ps(_mm256_sub_ps(b.v[k], vmin), vid));
                qi[k] = _mm256_cvttps_epi32(_mm256_add_ps(t, half));
                if (Top == 15) // q4_1 clamps with MIN(15, ...); q5_1 cannot exceed 31
                    qi[k] = _mm256_min_epi32(qi[k], top);
            }
            q = pack_i32_i8(qi[0], qi[1], qi[2], qi[3]);
            return true;
        }

        /// 5-bit quants in element order -> qs nibbles and the qh bit mask.
        JOULE_ALWAYS_INLINE void store_q5(__m256i q, std::uint8_t* qs, std::uint8_t* qh) noexcept
        {
            const std::uint32_t high = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(q, 3)));
            store_u32_le(qh, high);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), pack_nibbles(_mm256_and_si256(q, _mm256_set1_epi8(0x0f))));
        }

        // ---- q8_0 / q8_1, eight blocks at a time ------------------------------------------------------
        // The scale of a block needs max|x|, then d = max / 127 and 1 / d: done for eight blocks in
        // one register (one division each, one f16 conversion), instead of per block.

        /// max|x| bits of each of 8 blocks of 32 (256 floats at x), one block per lane.
        JOULE_ALWAYS_INLINE __m256i absmax_bits_x8(const float* x) noexcept
        {
            const __m256i mask = _mm256_set1_epi32(0x7fffffff);
            __m256i m[8];
            for (int b = 0; b < 8; ++b)
            {
                const float* xb = x + 32 * b;
                const __m256i a0 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(xb)), mask);
                const __m256i a1 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(xb + 8)), mask);
                const __m256i a2 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(xb + 16)), mask);
                const __m256i a3 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(xb + 24)), mask);
                m[b] = _mm256_max_epu32(_mm256_max_epu32(a0, a1), _mm256_max_epu32(a2, a3));
            }
            // Transposing reduction: after three levels, lane b holds the maximum of m[b].
            __m256i p[4], q[2];
            for (int k = 0; k < 4; ++k)
                p[k] = _mm256_max_epu32(_mm256_unpacklo_epi32(m[2 * k], m[2 * k + 1]),
                                        _mm256_unpackhi_epi32(m[2 * k], m[2 * k + 1]));
            for (int k = 0; k < 2; ++k)
                q[k] = _mm256_max_epu32(_mm256_unpacklo_epi64(p[2 * k], p[2 * k + 1]),
                                        _mm256_unpackhi_epi64(p[2 * k], p[2 * k + 1]));
            return _mm256_max_epu32(_mm256_permute2x128_si256(q[0], q[1], 0x20),
                                    _mm256_permute2x128_si256(q[0], q[1], 0x31));
        }

        /// Scales of 8 q8 blocks: d[b], id[b] and their f16 d bits; returns a bit per block that
        /// needs the scalar path (NaN / inf input, or 1 / d overflowing).
        JOULE_ALWAYS_INLINE unsigned q8_scales_x8(const float* x, float* d, float* id, std::uint16_t* d16) noexcept
        {
            const __m256i amax = absmax_bits_x8(x);
            const __m256 vd = _mm256_div_ps(_mm256_castsi256_ps(amax), _mm256_set1_ps(127.0f));
            const __m256 nonzero = _mm256_cmp_ps(vd, _mm256_setzero_ps(), _CMP_NEQ_OQ);
            const __m256 vid = _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), vd), nonzero);
            const __m256i inf = _mm256_set1_epi32(0x7f800000);
            const __m256i abs_id = _mm256_and_si256(_mm256_castps_si256(vid), _mm256_set1_epi32(0x7fffffff));
            const __m256i bad = _mm256_or_si256(_mm256_cmpgt_epi32(amax, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))),
                                                _mm256_cmpeq_epi32(abs_id, inf));
            _mm256_storeu_ps(d, vd);
            _mm256_storeu_ps(id, vid);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(d16), _mm256_cvtps_ph(vd, _MM_FROUND_TO_NEAREST_INT));
            return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(bad)));
        }

        /// qs = roundf(x * id) for one block of 32; returns the sum of the quants if asked.
        JOULE_ALWAYS_INLINE void quantize_q8_with(const float* x, float id, std::int8_t* qs, int* sum) noexcept
        {
            const __m256 vid = _mm256_set1_ps(id);
            const __m256 half = _mm256_set1_ps(0.49999997f), minus_half = _mm256_set1_ps(-0.49999997f);
            __m256i q[4];
            for (int k = 0; k < 4; ++k)
            {
                const __m256 t = rounded(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid));
                // copysign(0.49999997, t): blendv picks by t's sign bit
                q[k] = _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_blendv_ps(half, minus_half, t)));
            }
            if (sum != nullptr)
                *sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), pack_i32_i8(q[0], q[1], q[2], q[3]));
        }

        template <class Block, bool WithSum>
        JOULE_ALWAYS_INLINE void quantize_q8_fast(const float* x, float d, float id, std::uint16_t d16, Block& out) noexcept
        {
            out.d = f16::from_bits(d16);
            if constexpr (WithSum)
            {
                int sum;
                quantize_q8_with(x, id, out.qs, &sum);
                out.s = f16::from_bits(to_f16(static_cast<float>(sum) * d));
            }
            else
                quantize_q8_with(x, id, out.qs, nullptr);
        }

        /// The scales of eight q8 blocks (q8_scales_x8's results).
        struct q8_scales8
        {
            alignas(32) float d[8], id[8];
            alignas(16) std::uint16_t d16[8];
            unsigned scalar;
        };

        /// The eight blocks of a group, unrolled (straight-line code, no per-block branch).
        template <class Block, bool WithSum, std::size_t... B>
        JOULE_ALWAYS_INLINE void quantize_q8_x8(const float* x, const q8_scales8& s, Block* y,
                                                std::index_sequence<B...>) noexcept
        {
            (quantize_q8_fast<Block, WithSum>(x + 32 * B, s.d[B], s.id[B], s.d16[B], y[B]), ...);
        }

        /// Quantizes whole groups of eight blocks; returns how many blocks it did.
        template <class Block, bool WithSum, bool Prefetch>
        JOULE_ALWAYS_INLINE std::size_t quantize_q8_groups_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            // Software-pipelined: the scales of the next eight blocks (a long chain of reductions
            // and two divisions) are computed before the current eight are quantized, so the
            // chain's latency overlaps with useful work. Inputs beyond L1 are also prefetched one
            // group further ahead (1 KiB), which the hardware prefetcher alone does not keep up with.
            q8_scales8 buffers[2];
            std::size_t i = 0;
            int cur = 0;
            if (blocks >= 8)
                buffers[cur].scalar = q8_scales_x8(x, buffers[cur].d, buffers[cur].id, buffers[cur].d16);
            for (; i + 8 <= blocks; i += 8, x += 256, cur ^= 1)
            {
                if (i + 16 <= blocks)
                {
                    if (Prefetch)
                        for (int line = 0; line < 16; ++line)
                            _mm_prefetch(reinterpret_cast<const char*>(x + 512 + 16 * line), _MM_HINT_T0);
                    q8_scales8& next = buffers[cur ^ 1];
                    next.scalar = q8_scales_x8(x + 256, next.d, next.id, next.d16);
                }
                const q8_scales8& s = buffers[cur];
                if (JOULE_LIKELY(s.scalar == 0))
                {
                    quantize_q8_x8<Block, WithSum>(x, s, y + i, std::make_index_sequence<8>());
                    continue;
                }
                for (int b = 0; b < 8; ++b)
                {
                    if ((s.scalar >> b) & 1u)
                        quantize_block_ref(x + 32 * b, y[i + b]);
                    else
                        quantize_q8_fast<Block, WithSum>(x + 32 * b, s.d[b], s.id[b], s.d16[b], y[i + b]);
                }
            }
            return i;
        }

        /// One block at a time, each with its own scale chain (no grouping), prefetching 4 KiB
        /// ahead: for inputs in memory, where this keeps more misses in flight.
        template <class Block, bool WithSum>
        void quantize_q8_blockwise_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            for (std::size_t i = 0; i < blocks; ++i, x += 32)
            {
                _mm_prefetch(reinterpret_cast<const char*>(x + 1024), _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(x + 1024 + 16), _MM_HINT_T0);
                const f32x32 b = load_block32(x);
                const std::uint32_t amax = absmax_bits(b);
                const float d = bits_float(amax) / 127;
                const float id = d != 0 ? 1.0f / d : 0.0f;
                if (JOULE_UNLIKELY(amax >= 0x7f800000u || not_finite(id)))
                {
                    quantize_block_ref(x, y[i]);
                    continue;
                }
                quantize_q8_fast<Block, WithSum>(x, d, id, to_f16(d), y[i]);
            }
        }

        template <class Block, bool WithSum>
        void quantize_q8_rows_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            // Out of cache the loop is bound by memory, and grouping made it slower there (13.2 vs
            // 17.5 GB/s for one block at a time with prefetch, at 262 MB on Zen 4): a group's
            // quantization waits for its slowest line, which keeps fewer misses in flight.
            constexpr std::size_t memory_bound_blocks = (std::size_t(16) << 20) / (32 * sizeof(float));
            if (blocks > memory_bound_blocks)
                return quantize_q8_blockwise_avx2<Block, WithSum>(x, y, blocks);
            constexpr std::size_t l1_blocks = 256; // 32 KiB of floats
            const std::size_t done = blocks > l1_blocks ? quantize_q8_groups_avx2<Block, WithSum, true>(x, y, blocks)
                                                        : quantize_q8_groups_avx2<Block, WithSum, false>(x, y, blocks);
            for (std::size_t i = done; i < blocks; ++i) // fewer than 8 blocks left
                quantize_block_ref(x + 32 * i, y[i]);
        }

        template <class A>
        struct quantize_rows<A, block_q8_0, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q8_0* y, std::size_t blocks) noexcept
            {
                quantize_q8_rows_avx2<block_q8_0, false>(x, y, blocks);
            }
        };
        template <class A>
        struct quantize_rows<A, block_q8_1, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q8_1* y, std::size_t blocks) noexcept
            {
                quantize_q8_rows_avx2<block_q8_1, true>(x, y, blocks);
            }
        };
        template <class A>
        struct quantize_rows<A, block_q4_0, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q4_0* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 32)
                {
                    __m256i q;
                    if (quantize_symmetric_avx2<8>(x, y[i].d, q))
                        _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs), pack_nibbles(q));
                    else
                        quantize_block_ref(x, y[i]);
                }
            }
        };
        template <class A>
        struct quantize_rows<A, block_q5_0, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q5_0* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 32)
                {
                    __m256i q;
                    if (quantize_symmetric_avx2<16>(x, y[i].d, q))
                        store_q5(q, y[i].qs, y[i].qh);
                    else
                        quantize_block_ref(x, y[i]);
                }
            }
        };
        template <class A>
        struct quantize_rows<A, block_q4_1, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q4_1* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 32)
                {
                    __m256i q;
                    if (quantize_affine_avx2<15>(x, y[i].d, y[i].m, q))
                        _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs), pack_nibbles(q));
                    else
                        quantize_block_ref(x, y[i]);
                }
            }
        };
        template <class A>
        struct quantize_rows<A, block_q5_1, if_x86_avx2<A>>
        {
            static void run(const float* x, block_q5_1* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, x += 32)
                {
                    __m256i q;
                    if (quantize_affine_avx2<31>(x, y[i].d, y[i].m, q))
                        store_q5(q, y[i].qs, y[i].qh);
                    else
                        quantize_block_ref(x, y[i]);
                }
            }
        };

    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
