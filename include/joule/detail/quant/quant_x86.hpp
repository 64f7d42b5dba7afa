// x86 kernels for the 32-value formats and q8_K: AVX2 (+F16C). AVX-512 builds use the same
// quantizers (measured on Zen 4: 512-bit registers did not make them faster) and 512-bit
// conversions where dequantization widens int8 to float.
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

#include "joule/detail/quant/rows_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        using if_x86_avx2 = std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> >= 8)>;

#if defined(__AVX512F__)
        // GCC 12's unmasked AVX-512 conversions fill an "undefined" register that -Wuninitialized
        // reports (GCC bug 105593); the zero-masked forms with a full mask are the same instruction.
        JOULE_ALWAYS_INLINE __m512 i8x16_to_f32(__m128i q) noexcept
        {
            return _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, q));
        }
#endif

        // ---- int8 -> float lanes for the generic dequantizer ----------------------------------------
        template <class A>
        struct int8_codec<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 8>>
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
            }
        };
#if defined(__AVX512F__)
        template <class A>
        struct int8_codec<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 16>>
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                return i8x16_to_f32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
            }
        };
#endif

        // ---- helpers on one 32-value block held in four registers ---------------------------------
        struct f32x32
        {
            __m256 v[4];
        };
        JOULE_ALWAYS_INLINE f32x32 load_block32(const float* x) noexcept
        {
            return {{_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8), _mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)}};
        }
        JOULE_ALWAYS_INLINE std::uint32_t hmax_epu32(__m256i m) noexcept
        {
            __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
            h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4e));
            h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xb1));
            return static_cast<std::uint32_t>(_mm_cvtsi128_si32(h));
        }
        /// max |x| as float bits: >= 0x7f800000 when the block holds NaN or inf.
        JOULE_ALWAYS_INLINE std::uint32_t absmax_bits(const f32x32& b) noexcept
        {
            const __m256i mask = _mm256_set1_epi32(0x7fffffff);
            const __m256i a0 = _mm256_and_si256(_mm256_castps_si256(b.v[0]), mask);
            const __m256i a1 = _mm256_and_si256(_mm256_castps_si256(b.v[1]), mask);
            const __m256i a2 = _mm256_and_si256(_mm256_castps_si256(b.v[2]), mask);
            const __m256i a3 = _mm256_and_si256(_mm256_castps_si256(b.v[3]), mask);
            return hmax_epu32(_mm256_max_epu32(_mm256_max_epu32(a0, a1), _mm256_max_epu32(a2, a3)));
        }
        /// Bit i set where element i's float bits, masked by `mask`, equal `bits`.
        JOULE_ALWAYS_INLINE std::uint32_t match_mask(const f32x32& b, std::uint32_t mask, std::uint32_t bits) noexcept
        {
            const __m256i m = _mm256_set1_epi32(static_cast<int>(mask)), want = _mm256_set1_epi32(static_cast<int>(bits));
            std::uint32_t out = 0;
            for (int k = 0; k < 4; ++k)
            {
                const __m256i eq = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(b.v[k]), m), want);
                out |= static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(eq))) << (8 * k);
            }
            return out;
        }
        /// ggml's signed maximum: the first value whose magnitude is the largest.
        JOULE_ALWAYS_INLINE float first_with_abs_bits(const float* x, const f32x32& b, std::uint32_t abs) noexcept
        {
            return x[__builtin_ctz(match_mask(b, 0x7fffffffu, abs))];
        }
        JOULE_ALWAYS_INLINE float hmin_ps(__m256 v) noexcept
        {
            __m128 h = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            h = _mm_min_ps(h, _mm_shuffle_ps(h, h, 0x4e));
            h = _mm_min_ps(h, _mm_shuffle_ps(h, h, 0xb1));
            return _mm_cvtss_f32(h);
        }
        JOULE_ALWAYS_INLINE float hmax_ps(__m256 v) noexcept
        {
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            h = _mm_max_ps(h, _mm_shuffle_ps(h, h, 0x4e));
            h = _mm_max_ps(h, _mm_shuffle_ps(h, h, 0xb1));
            return _mm_cvtss_f32(h);
        }
        /// ggml's min / max of a finite block: values exact; a zero result gets the sign of the
        /// first zero, as ggml's strict-comparison scan from +-FLT_MAX does.
        JOULE_ALWAYS_INLINE void min_max(const float* x, const f32x32& b, float& min, float& max) noexcept
        {
            min = hmin_ps(_mm256_min_ps(_mm256_min_ps(b.v[0], b.v[1]), _mm256_min_ps(b.v[2], b.v[3])));
            max = hmax_ps(_mm256_max_ps(_mm256_max_ps(b.v[0], b.v[1]), _mm256_max_ps(b.v[2], b.v[3])));
            if (min == 0 || max == 0)
            {
                const float first_zero = x[__builtin_ctz(match_mask(b, 0x7fffffffu, 0))];
                min = min == 0 ? first_zero : min;
                max = max == 0 ? first_zero : max;
            }
        }
        /// 32 int32 (four registers, element order) -> 32 int8 in element order, saturating.
        JOULE_ALWAYS_INLINE __m256i pack_i32_i8(__m256i a, __m256i b, __m256i c, __m256i d) noexcept
        {
            const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
            return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        }
        /// 32 values < 16 in element order -> 16 bytes: element j low nibble, j + 16 high nibble.
        JOULE_ALWAYS_INLINE __m128i pack_nibbles(__m256i q) noexcept
        {
            return _mm_or_si128(_mm256_castsi256_si128(q), _mm_slli_epi16(_mm256_extracti128_si256(q, 1), 4));
        }
        JOULE_ALWAYS_INLINE void store_f16(f16& h, float v) noexcept { h = f16::from_bits(to_f16(v)); }

        JOULE_ALWAYS_INLINE int hsum_epi32(__m256i v) noexcept
        {
            __m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
            return _mm_cvtsi128_si32(h);
        }

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
            const __m256 vid = _mm256_set1_ps(id), vmin = _mm256_set1_ps(min), half = _mm256_set1_ps(0.49999997f);
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

        template <class Block, bool WithSum>
        void quantize_q8_rows_avx2(const float* x, Block* y, std::size_t blocks) noexcept
        {
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

        // ---- dequantization of the 32-value formats ------------------------------------------------
        /// y[0..16) = q * d (- m / + m) for 16 int8 values.
        template <std::size_t Lanes, offset_kind K>
        JOULE_ALWAYS_INLINE void store_scaled_16(__m128i q, float d, float m, float* y) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (Lanes == 16)
            {
                __m512 v = _mm512_mul_ps(i8x16_to_f32(q), _mm512_set1_ps(d));
                if (K == offset_kind::plus)
                    v = _mm512_add_ps(rounded(v), _mm512_set1_ps(m));
                else if (K == offset_kind::minus)
                    v = _mm512_sub_ps(rounded(v), _mm512_set1_ps(m));
                _mm512_storeu_ps(y, v);
                return;
            }
#endif
            const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
            const __m128i half[2] = {q, _mm_srli_si128(q, 8)};
            for (int k = 0; k < 2; ++k)
            {
                __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(half[k])), vd);
                if (K == offset_kind::plus)
                    v = _mm256_add_ps(rounded(v), vm);
                else if (K == offset_kind::minus)
                    v = _mm256_sub_ps(rounded(v), vm);
                _mm256_storeu_ps(y + 8 * k, v);
            }
        }
        /// y[0..32) = q * d (+ m), q given as 16 int8 for elements 0..15 and 16 for 16..31.
        template <std::size_t Lanes, offset_kind K>
        JOULE_ALWAYS_INLINE void store_scaled_32(__m128i lo, __m128i hi, float d, float m, float* y) noexcept
        {
            store_scaled_16<Lanes, K>(lo, d, m, y);
            store_scaled_16<Lanes, K>(hi, d, m, y + 16);
        }
        JOULE_ALWAYS_INLINE void split_nibbles(const std::uint8_t* qs, __m128i& lo, __m128i& hi) noexcept
        {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
            const __m128i low4 = _mm_set1_epi8(0x0f);
            lo = _mm_and_si128(b, low4);
            hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4);
        }
        /// 16 bits -> 16 bytes, 0x10 where the bit is set.
        JOULE_ALWAYS_INLINE __m128i fifth_bits(std::uint32_t bits16) noexcept
        {
            const __m128i spread = _mm_shuffle_epi8(_mm_cvtsi32_si128(static_cast<int>(bits16)),
                                                    _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
            const __m128i bit = _mm_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
            return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(spread, bit), bit), _mm_set1_epi8(0x10));
        }
        JOULE_ALWAYS_INLINE std::uint32_t load_u32_le(const std::uint8_t* p) noexcept
        {
            return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
        }

        template <class A>
        struct dequantize_rows<A, block_q4_0, if_x86_avx2<A>>
        {
            static void run(const block_q4_0* x, float* y, std::size_t blocks) noexcept
            {
                const __m128i eight = _mm_set1_epi8(8);
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(
                        _mm_sub_epi8(lo, eight), _mm_sub_epi8(hi, eight), from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q4_1, if_x86_avx2<A>>
        {
            static void run(const block_q4_1* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    store_scaled_32<simd::width<float, A>, offset_kind::plus>(lo, hi, from_f16(x[i].d.bits),
                                                                              from_f16(x[i].m.bits), y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_0, if_x86_avx2<A>>
        {
            static void run(const block_q5_0* x, float* y, std::size_t blocks) noexcept
            {
                const __m128i sixteen = _mm_set1_epi8(16);
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    const std::uint32_t qh = load_u32_le(x[i].qh);
                    lo = _mm_sub_epi8(_mm_or_si128(lo, fifth_bits(qh & 0xffff)), sixteen);
                    hi = _mm_sub_epi8(_mm_or_si128(hi, fifth_bits(qh >> 16)), sixteen);
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(lo, hi, from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_1, if_x86_avx2<A>>
        {
            static void run(const block_q5_1* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    __m128i lo, hi;
                    split_nibbles(x[i].qs, lo, hi);
                    const std::uint32_t qh = load_u32_le(x[i].qh);
                    lo = _mm_or_si128(lo, fifth_bits(qh & 0xffff));
                    hi = _mm_or_si128(hi, fifth_bits(qh >> 16));
                    store_scaled_32<simd::width<float, A>, offset_kind::plus>(lo, hi, from_f16(x[i].d.bits),
                                                                              from_f16(x[i].m.bits), y);
                }
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q8_0, if_x86_avx2<A>>
        {
            static void run(const block_q8_0* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 32)
                {
                    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
                    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs + 16));
                    store_scaled_32<simd::width<float, A>, offset_kind::none>(lo, hi, from_f16(x[i].d.bits), 0, y);
                }
            }
        };
        // ---- dequantization of q4_K, q5_K and q6_K --------------------------------------------------
        // The element layouts are described in dequant_generic.hpp; the float steps are the same.
        JOULE_ALWAYS_INLINE __m128i low_half(__m256i v) noexcept { return _mm256_castsi256_si128(v); }
        JOULE_ALWAYS_INLINE __m128i high_half(__m256i v) noexcept { return _mm256_extracti128_si256(v, 1); }
        JOULE_ALWAYS_INLINE __m256i load32(const std::uint8_t* p) noexcept
        {
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        }

        /// q4_K (Bits = 4) and q5_K (Bits = 5): y = (d * sc) * q - dmin * m per 32 values.
        template <std::size_t Lanes, int Bits, class Block>
        JOULE_ALWAYS_INLINE void dequantize_k4_block(const Block& b, float* y) noexcept
        {
            const float d = from_f16(b.d.bits), dmin = from_f16(b.dmin.bits);
            const __m256i low4 = _mm256_set1_epi8(0x0f);
            __m256i qh = _mm256_setzero_si256();
            if constexpr (Bits == 5)
                qh = load32(b.qh);
            for (int j = 0; j < 4; ++j) // 64 values: sub-blocks 2j (low nibbles) and 2j + 1 (high)
            {
                const __m256i bytes = load32(b.qs + 32 * j);
                __m256i q[2] = {_mm256_and_si256(bytes, low4), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low4)};
                for (int h = 0; h < 2; ++h)
                {
                    const int s = 2 * j + h;
                    if constexpr (Bits == 5) // fifth bit of element e: bit e / 32 of qh[e % 32]
                    {
                        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << s));
                        q[h] = _mm256_or_si256(q[h], _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit),
                                                                      _mm256_set1_epi8(0x10)));
                    }
                    std::uint8_t sc, m;
                    scale_min_k4(s, b.scales, sc, m);
                    const float ds = d * static_cast<float>(sc), ms = mul(dmin, static_cast<float>(m));
                    store_scaled_32<Lanes, offset_kind::minus>(low_half(q[h]), high_half(q[h]), ds, ms, y + 32 * s);
                }
            }
        }

        template <class A>
        struct dequantize_rows<A, block_q4_K, if_x86_avx2<A>>
        {
            static void run(const block_q4_K* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                    dequantize_k4_block<simd::width<float, A>, 4>(x[i], y);
            }
        };
        template <class A>
        struct dequantize_rows<A, block_q5_K, if_x86_avx2<A>>
        {
            static void run(const block_q5_K* x, float* y, std::size_t blocks) noexcept
            {
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                    dequantize_k4_block<simd::width<float, A>, 5>(x[i], y);
            }
        };

        /// q6_K: y = (d * sc) * (q - 32), one int8 scale per 16 values.
        template <class A>
        struct dequantize_rows<A, block_q6_K, if_x86_avx2<A>>
        {
            static void run(const block_q6_K* x, float* y, std::size_t blocks) noexcept
            {
                constexpr std::size_t lanes = simd::width<float, A>;
                const __m256i low4 = _mm256_set1_epi8(0x0f), two = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
                for (std::size_t i = 0; i < blocks; ++i, y += 256)
                {
                    const block_q6_K& b = x[i];
                    const float d = from_f16(b.d.bits);
                    for (int half = 0; half < 2; ++half) // 128 values from 64 ql and 32 qh bytes
                    {
                        const __m256i A0 = load32(b.ql + 64 * half), A1 = load32(b.ql + 64 * half + 32);
                        const __m256i H = load32(b.qh + 32 * half);
                        // Quarter k holds values 32k .. 32k + 31 of this half: low nibbles of ql[0..32)
                        // and ql[32..64), then their high nibbles; the top two bits come from H >> 2k.
                        const __m256i lows[4] = {_mm256_and_si256(A0, low4), _mm256_and_si256(A1, low4),
                                                 _mm256_and_si256(_mm256_srli_epi16(A0, 4), low4),
                                                 _mm256_and_si256(_mm256_srli_epi16(A1, 4), low4)};
                        for (int k = 0; k < 4; ++k)
                        {
                            const __m256i top = _mm256_and_si256(_mm256_srli_epi16(H, 2 * k), two);
                            const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lows[k], _mm256_slli_epi16(top, 4)), bias);
                            const int s = 8 * half + 2 * k; // scale of values 16 s .. 16 s + 15
                            float* out = y + 128 * half + 32 * k;
                            store_scaled_16<lanes, offset_kind::none>(low_half(q), d * static_cast<float>(b.scales[s]), 0, out);
                            store_scaled_16<lanes, offset_kind::none>(high_half(q), d * static_cast<float>(b.scales[s + 1]), 0,
                                                                      out + 16);
                        }
                    }
                }
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
