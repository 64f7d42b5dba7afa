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

        /// max|x| bits of one block of 32, in 8 lanes (the block's maximum is their maximum).
        JOULE_ALWAYS_INLINE __m256i absmax_bits_lanes(const float* x) noexcept
        {
            // (vrangeps would do this in 3 operations on AVX-512, but it drops quiet NaNs: it
            // returns the other operand.)
            const __m256i mask = _mm256_set1_epi32(0x7fffffff);
            const __m256i a0 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x)), mask);
            const __m256i a1 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + 8)), mask);
            const __m256i a2 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + 16)), mask);
            const __m256i a3 = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + 24)), mask);
            return _mm256_max_epu32(_mm256_max_epu32(a0, a1), _mm256_max_epu32(a2, a3));
        }

#if defined(__AVX512BW__) && defined(__AVX512VL__)
        /// max|x| bits of each of 8 blocks of 32 (256 floats at x), one block per lane.
        /// AVX-512: a block is two registers, and the reduction folds two blocks per register
        /// (6 instructions per block instead of 8.5).
        JOULE_ALWAYS_INLINE __m256i absmax_bits_x8(const float* x) noexcept
        {
            const __m512i mask = _mm512_set1_epi32(0x7fffffff);
            __m512i z[8];
            for (int b = 0; b < 8; ++b)
                z[b] = _mm512_max_epu32(_mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + 32 * b)), mask),
                                        _mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + 32 * b + 16)), mask));
            // P[k]: block k folded to 8 lanes in the low half, block k + 4 in the high half; the
            // rest is the AVX2 transposition below, on both halves at once.
            __m512i P[4];
            for (int k = 0; k < 4; ++k)
                P[k] = _mm512_max_epu32(_mm512_shuffle_i32x4(z[k], z[k + 4], 0x44),
                                        _mm512_shuffle_i32x4(z[k], z[k + 4], 0xee));
            const __m512i p0 = _mm512_max_epu32(_mm512_unpacklo_epi32(P[0], P[1]), _mm512_unpackhi_epi32(P[0], P[1]));
            const __m512i p1 = _mm512_max_epu32(_mm512_unpacklo_epi32(P[2], P[3]), _mm512_unpackhi_epi32(P[2], P[3]));
            // Q's low half: per 128-bit lane, the partial maxima of blocks 0..3; high half: 4..7.
            const __m512i Q = _mm512_max_epu32(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
            const __m512i S = _mm512_shuffle_i32x4(Q, Q, 0xd8); // 128-bit lanes 0, 2, 1, 3
            return _mm256_max_epu32(_mm512_castsi512_si256(S), _mm512_extracti64x4_epi64(S, 1));
        }
#else
        /// max|x| bits of each of 8 blocks of 32 (256 floats at x), one block per lane.
        JOULE_ALWAYS_INLINE __m256i absmax_bits_x8(const float* x) noexcept
        {
            __m256i m[8];
            for (int b = 0; b < 8; ++b)
                m[b] = absmax_bits_lanes(x + 32 * b);
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
#endif

        /// Scales of 8 q8 blocks: d[b], 2 / d[b] (see quantize_q8_with) and their f16 d bits;
        /// returns a bit per block that needs the scalar path (NaN / inf input, or 2 / d
        /// overflowing: that includes every block whose 1 / d overflows).
        JOULE_ALWAYS_INLINE unsigned q8_scales_x8(const float* x, float* d, float* id2, std::uint16_t* d16) noexcept
        {
            const __m256i amax = absmax_bits_x8(x);
            const __m256 vd = _mm256_div_ps(_mm256_castsi256_ps(amax), _mm256_set1_ps(127.0f));
            const __m256 nonzero = _mm256_cmp_ps(vd, _mm256_setzero_ps(), _CMP_NEQ_OQ);
            const __m256 vid = _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), vd), nonzero);
            const __m256 vid2 = _mm256_add_ps(vid, vid); // exact unless it overflows
            const __m256i inf = _mm256_set1_epi32(0x7f800000);
            const __m256i abs_id2 = _mm256_and_si256(_mm256_castps_si256(vid2), _mm256_set1_epi32(0x7fffffff));
            const __m256i bad = _mm256_or_si256(_mm256_cmpgt_epi32(amax, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))),
                                                _mm256_cmpeq_epi32(abs_id2, inf));
            _mm256_storeu_ps(d, vd);
            _mm256_storeu_ps(id2, vid2);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(d16), _mm256_cvtps_ph(vd, _MM_FROUND_TO_NEAREST_INT));
            return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(bad)));
        }

        /// quantize_q8_bytes's constants. Made once per group and kept in registers: left as
        /// constants, GCC reloads them in every block (two instructions of ~38 per block).
        struct q8_constants
        {
            __m256i order, zero;
            static JOULE_ALWAYS_INLINE q8_constants pinned() noexcept
            {
                q8_constants c{_mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7), _mm256_setzero_si256()};
                __asm__("" : "+x"(c.order), "+x"(c.zero)); // opaque: no rematerialization
                return c;
            }
        };

        /// The 32 quants roundf(x * id) of one block, in element order, from id2 = 2 * id.
        ///
        /// roundf rounds ties away from zero, which no x86 conversion does. With t = x * id
        /// (rounded to float, as ggml computes it) and v = trunc(2t):
        ///   roundf(t) = sign(t) * ((|v| + 1) >> 1)
        /// (for t >= 0, floor(t + 1/2) = floor((floor(2t) + 1) / 2)), and 2t = x * id2 exactly:
        /// doubling is exact for normal floats, and where x * id is subnormal both give v = 0.
        /// |v| <= 254, so |v| fits a byte: the rounding is done on 32 bytes at once (pavgb adds
        /// one and halves, psignb puts the sign back) instead of a blend and an add per 8 floats.
        JOULE_ALWAYS_INLINE __m256i quantize_q8_bytes(const float* x, float id2, const q8_constants& c) noexcept
        {
            const __m256 vid2 = _mm256_set1_ps(id2);
            const __m256i v0 = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), vid2));
            const __m256i v1 = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), vid2));
            const __m256i v2 = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), vid2));
            const __m256i v3 = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), vid2));
            const __m256i w01 = _mm256_packs_epi32(v0, v1), w23 = _mm256_packs_epi32(v2, v3); // exact: |v| <= 254
            const __m256i magnitude = _mm256_packus_epi16(_mm256_abs_epi16(w01), _mm256_abs_epi16(w23));
            const __m256i half_up = _mm256_avg_epu8(magnitude, c.zero); // (|v| + 1) >> 1
            // v's sign (and zero where v = 0, whose quant is 0 anyway), in the same byte order
            const __m256i sign = _mm256_packs_epi16(w01, w23);
            const __m256i q = _mm256_sign_epi8(half_up, sign);
            return _mm256_permutevar8x32_epi32(q, c.order);
        }

        /// Sum of 32 int8 quants.
        JOULE_ALWAYS_INLINE int sum_i8x32(__m256i q) noexcept
        {
            const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80))),
                                                _mm256_setzero_si256());
            __m128i h = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
            h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
            return _mm_cvtsi128_si32(h) - 32 * 128;
        }

        template <class Block, bool WithSum>
        JOULE_ALWAYS_INLINE void quantize_q8_fast(const float* x, float d, float id2, std::uint16_t d16, Block& out,
                                                  const q8_constants& c) noexcept
        {
            const __m256i q = quantize_q8_bytes(x, id2, c);
            out.d = f16::from_bits(d16);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.qs), q);
            if constexpr (WithSum)
                out.s = f16::from_bits(to_f16(static_cast<float>(sum_i8x32(q)) * d));
        }

        /// The scales of eight q8 blocks (q8_scales_x8's results).
        struct q8_scales8
        {
            alignas(32) float d[8], id2[8];
            alignas(16) std::uint16_t d16[8];
            unsigned scalar;
        };

#if defined(__AVX512BW__) && defined(__AVX512VL__)
        /// Blocks b and b + 1 of a group (x at block b), quantize_q8_bytes's rounding on two
        /// blocks per register: 14 instructions per block instead of 24. No psignb on 512 bits:
        /// the sign goes back by a masked subtraction from zero.
        template <class Block, bool WithSum>
        JOULE_ALWAYS_INLINE void quantize_q8_pair_avx512(const float* x, const q8_scales8& s, int b, Block* y) noexcept
        {
            const __m512 va = _mm512_set1_ps(s.id2[b]), vb = _mm512_set1_ps(s.id2[b + 1]);
            const __m512i a0 = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x), va));
            const __m512i a1 = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16), va));
            const __m512i b0 = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 32), vb));
            const __m512i b1 = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 48), vb));
            const __m512i wa = _mm512_packs_epi32(a0, a1), wb = _mm512_packs_epi32(b0, b1);
            const __m512i magnitude = _mm512_packus_epi16(_mm512_abs_epi16(wa), _mm512_abs_epi16(wb));
            const __m512i zero = _mm512_setzero_si512();
            const __m512i half_up = _mm512_avg_epu8(magnitude, zero);
            const __mmask64 negative = _mm512_movepi8_mask(_mm512_packs_epi16(wa, wb));
            const __m512i q = _mm512_mask_sub_epi8(half_up, negative, zero, half_up);
            // 128-bit lane k holds dwords [a0, a1, b0, b1] of elements 4k .. 4k + 3 (+16): gather
            // block b's 8 dwords, then block b + 1's.
            const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            const __m512i both = _mm512_permutexvar_epi32(order, q);
            const __m256i qa = _mm512_castsi512_si256(both), qb = _mm512_extracti64x4_epi64(both, 1);
            y[0].d = f16::from_bits(s.d16[b]);
            y[1].d = f16::from_bits(s.d16[b + 1]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[0].qs), qa);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[1].qs), qb);
            if constexpr (WithSum)
            {
                y[0].s = f16::from_bits(to_f16(static_cast<float>(sum_i8x32(qa)) * s.d[b]));
                y[1].s = f16::from_bits(to_f16(static_cast<float>(sum_i8x32(qb)) * s.d[b + 1]));
            }
        }

        /// The eight blocks of a group, unrolled (straight-line code, no per-block branch).
        template <class Block, bool WithSum, std::size_t... P>
        JOULE_ALWAYS_INLINE void quantize_q8_x8(const float* x, const q8_scales8& s, Block* y, std::index_sequence<P...>) noexcept
        {
            static_assert(sizeof...(P) == 8, "");
            ((P % 2 == 0 ? quantize_q8_pair_avx512<Block, WithSum>(x + 32 * P, s, int(P), y + P) : void()), ...);
        }
#else
        /// The eight blocks of a group, unrolled (straight-line code, no per-block branch).
        template <class Block, bool WithSum, std::size_t... B>
        JOULE_ALWAYS_INLINE void quantize_q8_x8(const float* x, const q8_scales8& s, Block* y,
                                                std::index_sequence<B...>) noexcept
        {
            const q8_constants c = q8_constants::pinned();
            (quantize_q8_fast<Block, WithSum>(x + 32 * B, s.d[B], s.id2[B], s.d16[B], y[B], c), ...);
        }
#endif

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
                buffers[cur].scalar = q8_scales_x8(x, buffers[cur].d, buffers[cur].id2, buffers[cur].d16);
            for (; i + 8 <= blocks; i += 8, x += 256, cur ^= 1)
            {
                if (i + 16 <= blocks)
                {
                    if (Prefetch)
                        for (int line = 0; line < 16; ++line)
                            _mm_prefetch(reinterpret_cast<const char*>(x + 512 + 16 * line), _MM_HINT_T0);
                    q8_scales8& next = buffers[cur ^ 1];
                    next.scalar = q8_scales_x8(x + 256, next.d, next.id2, next.d16);
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
                        quantize_q8_fast<Block, WithSum>(x + 32 * b, s.d[b], s.id2[b], s.d16[b], y[i + b],
                                                         q8_constants::pinned());
                }
            }
            return i;
        }

        /// One block at a time, each with its own scale chain (no grouping), prefetching 4 KiB
        /// ahead: for inputs in memory, where this keeps more misses in flight.
        template <class Block, bool WithSum>
        void quantize_q8_blockwise_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            const q8_constants c = q8_constants::pinned();
            for (std::size_t i = 0; i < blocks; ++i, x += 32)
            {
                _mm_prefetch(reinterpret_cast<const char*>(x + 1024), _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(x + 1024 + 16), _MM_HINT_T0);
                const std::uint32_t amax = hmax_epu32(absmax_bits_lanes(x));
                const float d = bits_float(amax) / 127;
                const float id = d != 0 ? 1.0f / d : 0.0f;
                const float id2 = id + id;
                if (JOULE_UNLIKELY(amax >= 0x7f800000u || not_finite(id2)))
                {
                    quantize_block_ref(x, y[i]);
                    continue;
                }
                quantize_q8_fast<Block, WithSum>(x, d, id2, to_f16(d), y[i], c);
            }
        }

        /// Blocks per chunk of the streaming path: a whole number of 32-byte lines of output.
        template <class Block>
        constexpr std::size_t q8_stream_chunk_blocks = 64; // 2176 (q8_0) or 2304 (q8_1) bytes
        static_assert(q8_stream_chunk_blocks<block_q8_0> * sizeof(block_q8_0) % 32 == 0, "");
        static_assert(q8_stream_chunk_blocks<block_q8_1> * sizeof(block_q8_1) % 32 == 0, "");

        /// For inputs far beyond the caches: blockwise into a chunk buffer that stays in L1, then
        /// the chunk to y with non-temporal stores. Ordinary stores read each output line from
        /// memory before writing it (read-for-ownership): 1.06 more bytes read per value on top
        /// of the 4 of the input, on a loop that memory reads bound. Returns the blocks done.
        template <class Block, bool WithSum>
        std::size_t quantize_q8_streaming_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            constexpr std::size_t chunk = q8_stream_chunk_blocks<Block>;
            constexpr std::size_t lines = chunk * sizeof(Block) / 32;
            // Blocks before y + head is 32-byte aligned (block sizes are even, so an address that
            // is a multiple of 2 (or 4 for q8_1) reaches alignment within 16 blocks).
            std::size_t head = 0;
            while (head < 16 && (reinterpret_cast<std::uintptr_t>(y + head) & 31) != 0)
                ++head;
            if (head == 16 || head + chunk > blocks)
                return 0; // y cannot be aligned this way: ordinary stores
            quantize_q8_blockwise_avx2<Block, WithSum>(x, y, head);
            alignas(64) Block buffer[chunk];
            std::size_t i = head;
            for (; i + chunk <= blocks; i += chunk)
            {
                quantize_q8_blockwise_avx2<Block, WithSum>(x + 32 * i, buffer, chunk);
                const auto* from = reinterpret_cast<const __m256i*>(static_cast<const void*>(buffer));
                auto* to = reinterpret_cast<__m256i*>(static_cast<void*>(y + i));
                for (std::size_t k = 0; k < lines; ++k)
                    _mm256_stream_si256(to + k, _mm256_load_si256(from + k));
            }
            _mm_sfence(); // the streaming stores are ordered before anything that follows
            return i;
        }

        template <class Block, bool WithSum>
        void quantize_q8_rows_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
            // Out of cache the loop is bound by memory, and grouping made it slower there (13.2 vs
            // 17.5 GB/s for one block at a time with prefetch, at 262 MB on Zen 4): a group's
            // quantization waits for its slowest line, which keeps fewer misses in flight.
            constexpr std::size_t memory_bound_blocks = (std::size_t(16) << 20) / (32 * sizeof(float));
            if (blocks > memory_bound_blocks)
            {
                const std::size_t done = quantize_q8_streaming_avx2<Block, WithSum>(x, y, blocks);
                return quantize_q8_blockwise_avx2<Block, WithSum>(x + 32 * done, y + done, blocks - done);
            }
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
