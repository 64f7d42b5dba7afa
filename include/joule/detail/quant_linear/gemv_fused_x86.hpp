// AVX2 fused M == 1 kernels (see gemv_fused.hpp): q4_0 x q8_0, q8_0 x q8_0 and q4_K x q8_K, the
// blocks decoded in registers as they stream in. Products are exact in every instruction:
//   q4_0:  the unsigned nibbles (0..15) against q8_0 activations in [-127, 127], the offset 8
//          taken off once per block through the activations' sums (activations_32);
//   q8_0:  with VNNI, w + 128 (0..255) in vpdpbusd's int32 sums and the offset 128 the same
//          way; without, |w| <= 128 unsigned against the activations with w's sign (q8_0
//          activations never hold -128): pair sums <= 2 * 128 * 127;
//   q4_K:  q in [0, 15] unsigned against q8_K in [-128, 127]: pair sums <= 2 * 15 * 128.
// The 32-value formats take eight blocks per step: their exact int32 dots land one per lane of
// a register, so the scales are multiplied in once per eight blocks, not once per block.
#pragma once

#if defined(__AVX2__) && defined(__F16C__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "joule/detail/quant/kquant_ref.hpp"
#include "joule/detail/quant_linear/dot_x86.hpp"
#include "joule/detail/quant_linear/gemv_fused.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        JOULE_ALWAYS_INLINE float f16_scale(f16 h) noexcept { return _cvtsh_ss(h.bits); }

        /// 32 nibbles of q4_0 / q4_K order: element j low nibble of qs[j], j + 16 high nibble.
        JOULE_ALWAYS_INLINE __m256i nibbles_32(const std::uint8_t* qs) noexcept
        {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
            const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
            return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
        }

        /// The dot of one 32-value block pair, given the weight's signed int8 values (tail blocks).
        JOULE_ALWAYS_INLINE __m256 block_dot_ps(__m256i w, const std::int8_t* xq) noexcept
        {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
            return _mm256_cvtepi32_ps(dot_lanes_epi8(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w)));
        }

        /// Blocks per step of the 32-value kernels.
        constexpr std::size_t fused_group = 8;

        /// How far ahead of the blocks in use the kernels ask for weight bytes. The weights are one
        /// sequential stream, which Zen 3's hardware prefetcher alone does not keep far enough
        /// ahead while the core also decodes: on one thread at 14336 x 4096 (out of L3), 2 KiB
        /// ahead read q4_0 / q8_0 / q4_K at 17.7 / 19.8 / 17.0 GB/s against 14.2 / 15.5 / 13.8
        /// without (medians of 9 interleaved rounds; 1 to 4 KiB all helped, 2 KiB the most).
        constexpr std::size_t weight_prefetch_bytes = 2048;

        /// Asks for the cache lines weight_prefetch_bytes past [p, p + bytes): past the end of a row
        /// they are the next row's (rows are usually contiguous); past the matrix, a prefetch of
        /// an unmapped address does nothing.
        JOULE_ALWAYS_INLINE void prefetch_weights_ahead(const void* p, std::size_t bytes) noexcept
        {
            const char* q = static_cast<const char*>(p) + weight_prefetch_bytes;
            for (std::size_t o = 0; o < bytes; o += 64)
                _mm_prefetch(q + o, _MM_HINT_T0);
        }

        /// Writes eight 32-byte groups of quants (src(i), i < 8) as 256 bytes: for j < 4, the
        /// first 16 bytes of groups j and j + 4, then their last 16 bytes (the layout that
        /// pair_dot_* and reduce_4x4 read).
        template <class Src>
        void pair_layout_8x32(Src src, std::int8_t* dst)
        {
            for (std::size_t j = 0; j < 4; ++j, dst += 64)
            {
                std::memcpy(dst, src(j), 16);
                std::memcpy(dst + 16, src(j + 4), 16);
                std::memcpy(dst + 32, src(j) + 16, 16);
                std::memcpy(dst + 48, src(j + 4) + 16, 16);
            }
        }

        /// A q8_0 activation row laid out for the 32-value kernels. Per group of eight blocks,
        /// 256 bytes: for j < 4, the first halves (values 0..15) of blocks j and j + 4, then their
        /// second halves, so that one 256-bit load meets the two blocks a weight step holds.
        /// d: each block's scale as float; corr: the offset (8 for q4_0's unsigned nibbles, 128
        /// for q8_0 biased to unsigned) times the sum of the block's quants, subtracted once per
        /// block from the unsigned dot. Blocks past the last whole group are read from x itself.
        struct activations_32
        {
            const block_q8_0* x = nullptr;
            std::size_t nb = 0;
            std::vector<std::int8_t> q;
            std::vector<float> d;
            std::vector<std::int32_t> corr;

            void prepare(const block_q8_0* x_, std::size_t nb_, std::int32_t offset)
            {
                x = x_;
                nb = nb_;
                const std::size_t full = nb / fused_group * fused_group;
                q.resize(full * 32);
                d.resize(full);
                corr.resize(full);
                for (std::size_t g = 0; g < full; g += fused_group)
                    pair_layout_8x32([&](std::size_t i) { return x[g + i].qs; }, q.data() + 32 * g);
                for (std::size_t i = 0; i < full; ++i)
                {
                    std::int32_t s = 0;
                    for (int k = 0; k < 32; ++k)
                        s += x[i].qs[k];
                    d[i] = f16_scale(x[i].d);
                    corr[i] = offset * s;
                }
            }
        };

        /// 16 bytes at a and 16 at b as one register [a, b].
        JOULE_ALWAYS_INLINE __m256i load_pair_16(const void* a, const void* b) noexcept
        {
            return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(static_cast<const __m128i*>(a))),
                                           _mm_loadu_si128(static_cast<const __m128i*>(b)), 1);
        }

        /// Eight f16 scales, sizeof(Block) apart, as floats.
        template <class Block>
        JOULE_ALWAYS_INLINE __m256 scales_8(const Block* w) noexcept
        {
            __m128i h = _mm_cvtsi32_si128(w[0].d.bits);
            h = _mm_insert_epi16(h, w[1].d.bits, 1);
            h = _mm_insert_epi16(h, w[2].d.bits, 2);
            h = _mm_insert_epi16(h, w[3].d.bits, 3);
            h = _mm_insert_epi16(h, w[4].d.bits, 4);
            h = _mm_insert_epi16(h, w[5].d.bits, 5);
            h = _mm_insert_epi16(h, w[6].d.bits, 6);
            h = _mm_insert_epi16(h, w[7].d.bits, 7);
            return _mm256_cvtph_ps(h);
        }

        /// Lane 4k + j = sum of the four lanes of a_j's 128-bit half k.
        JOULE_ALWAYS_INLINE __m256i reduce_4x4(__m256i a0, __m256i a1, __m256i a2, __m256i a3) noexcept
        {
            const __m256i t0 = _mm256_add_epi32(_mm256_unpacklo_epi32(a0, a1), _mm256_unpackhi_epi32(a0, a1));
            const __m256i t1 = _mm256_add_epi32(_mm256_unpacklo_epi32(a2, a3), _mm256_unpackhi_epi32(a2, a3));
            return _mm256_add_epi32(_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1));
        }

        /// Unsigned bytes u times signed bytes s, exact int32 sums of four: dpbusd where there is
        /// VNNI. Only for operands whose int16 pair sums fit (the callers say why they do).
        JOULE_ALWAYS_INLINE __m256i dpbusd_small(__m256i acc, __m256i u, __m256i s) noexcept
        {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
            return _mm256_dpbusd_epi32(acc, u, s);
#elif defined(__AVXVNNI__)
            return _mm256_dpbusd_avx_epi32(acc, u, s);
#else
            return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
        }

        /// int32 lane sums of n0 * x0 + n1 * x1 for nibbles n (0..15) and int8 x: without VNNI,
        /// pair sums of at most 2 * 15 * 128 per vpmaddubsw, and two of them added in int16 stay
        /// below 2^13.
        JOULE_ALWAYS_INLINE __m256i nibble_pair_dot(__m256i n0, __m256i n1, __m256i x0, __m256i x1) noexcept
        {
#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
            return dpbusd_small(dpbusd_small(_mm256_setzero_si256(), n0, x0), n1, x1);
#else
            const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(n0, x0), _mm256_maddubs_epi16(n1, x1));
            return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
#endif
        }

        /// Integer dots of q4_0 blocks j and j + 4 of a group with the activations at xq (the
        /// layout of activations_32): 4 int32 lanes per block, each 128-bit half one block, of
        /// the unsigned nibbles (0..15) times x; the nibble offset 8 is activations_32::corr.
        JOULE_ALWAYS_INLINE __m256i pair_dot_q4_0(const block_q4_0& a, const block_q4_0& b, const std::int8_t* xq) noexcept
        {
            const __m256i low4 = _mm256_set1_epi8(0x0f);
            const __m256i p = load_pair_16(a.qs, b.qs);
            const __m256i lo = _mm256_and_si256(p, low4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(p, 4), low4);
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
            const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 32));
            return nibble_pair_dot(lo, hi, x0, x1);
        }

        /// q8_0's offset in activations_32::corr: with VNNI the weights are biased to unsigned
        /// (w + 128 in 0..255, exact in vpdpbusd's int32 sums); without, they are multiplied as
        /// |w| times x * sign(w) (pair sums <= 2 * 128 * 127) and need no offset.
#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
        constexpr std::int32_t q8_0_offset = 128;
#else
        constexpr std::int32_t q8_0_offset = 0;
#endif

        /// As pair_dot_q4_0 for q8_0 weights.
        JOULE_ALWAYS_INLINE __m256i pair_dot_q8_0(const block_q8_0& a, const block_q8_0& b, const std::int8_t* xq) noexcept
        {
            const __m256i w0 = load_pair_16(a.qs, b.qs);
            const __m256i w1 = load_pair_16(a.qs + 16, b.qs + 16);
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
            const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 32));
#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
            const __m256i bias = _mm256_set1_epi8(char(0x80));
            return dpbusd_small(dpbusd_small(_mm256_setzero_si256(), _mm256_xor_si256(w0, bias), x0),
                                _mm256_xor_si256(w1, bias), x1);
#else
            const __m256i ones = _mm256_set1_epi16(1);
            const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w0), _mm256_sign_epi8(x0, w0)), ones);
            const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w1), _mm256_sign_epi8(x1, w1)), ones);
            return _mm256_add_epi32(p0, p1);
#endif
        }

        /// One weight row of a 32-value format against the prepared activations: per group of
        /// eight blocks, the exact int32 dot of each block (reduce_4x4 puts block i in lane i),
        /// less its offset, times the eight products of scales, in one multiply-add. Blocks past
        /// the last whole group one by one with `decode` (the weight's signed values).
        template <class Block, class PairDot, class Decode>
        JOULE_ALWAYS_INLINE float gemv_row_32(const Block* w, const activations_32& xa, PairDot pair_dot,
                                              Decode decode) noexcept
        {
            __m256 acc = _mm256_setzero_ps();
            const std::size_t full = xa.nb / fused_group * fused_group;
            const std::int8_t* xq = xa.q.data();
            for (std::size_t g = 0; g < full; g += fused_group, xq += 256)
            {
                const Block* b = w + g;
                prefetch_weights_ahead(b, sizeof(Block) * fused_group);
                __m256i s = reduce_4x4(pair_dot(b[0], b[4], xq), pair_dot(b[1], b[5], xq + 64),
                                       pair_dot(b[2], b[6], xq + 128), pair_dot(b[3], b[7], xq + 192));
                s = _mm256_sub_epi32(s, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.corr.data() + g)));
                const __m256 sc = _mm256_mul_ps(scales_8(b), _mm256_loadu_ps(xa.d.data() + g));
                acc = fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc);
            }
            __m256 tail = _mm256_setzero_ps();
            for (std::size_t i = full; i < xa.nb; ++i)
                tail = fmadd_ps(block_dot_ps(decode(w[i]), xa.x[i].qs),
                                _mm256_set1_ps(f16_scale(w[i].d) * f16_scale(xa.x[i].d)), tail);
            return hsum_ps(_mm256_add_ps(acc, tail));
        }

        template <class A>
        struct gemv_fused<A, block_q4_0, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            using activations = activations_32;
            static void prepare(const block_q8_0* x, std::size_t nb, activations& xa) { xa.prepare(x, nb, 8); }
            static void run(const block_q4_0* w, std::size_t w_stride, std::size_t rows, const activations& xa, float* y,
                            std::size_t y_stride, const float* bias) noexcept
            {
                const auto decode = [](const block_q4_0& b) {
                    return _mm256_sub_epi8(nibbles_32(b.qs), _mm256_set1_epi8(8));
                };
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_32(w + j * w_stride, xa, pair_dot_q4_0, decode) + (bias ? bias[j] : 0.0f);
            }
        };

        template <class A>
        struct gemv_fused<A, block_q8_0, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            using activations = activations_32;
            static void prepare(const block_q8_0* x, std::size_t nb, activations& xa) { xa.prepare(x, nb, q8_0_offset); }
            static void run(const block_q8_0* w, std::size_t w_stride, std::size_t rows, const activations& xa, float* y,
                            std::size_t y_stride, const float* bias) noexcept
            {
                const auto decode = [](const block_q8_0& b) {
                    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
                };
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_32(w + j * w_stride, xa, pair_dot_q8_0, decode) + (bias ? bias[j] : 0.0f);
            }
        };

        /// q4_K's twelve scale bytes as eight 6-bit scales (bytes 0..7) and eight 6-bit minimums
        /// (bytes 8..15), all at once (the bit layout of scale_min_k4).
        JOULE_ALWAYS_INLINE void scales_mins_q4_K(const std::uint8_t* scales, std::uint32_t out[4]) noexcept
        {
            std::uint32_t u[3];
            std::memcpy(u, scales, 12);
            out[0] = u[0] & 0x3f3f3f3fu;
            out[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
            out[2] = u[1] & 0x3f3f3f3fu;
            out[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
        }

        /// scales_mins_q4_K in a register, from the block itself (its 16 bytes from `scales` on
        /// lie inside the block): 32-bit lanes (u0, u2, u1, u2) and (u0, u0, u1, u1) of the
        /// twelve bytes give the four words of scale_min_k4's layout with one shift each.
        JOULE_ALWAYS_INLINE __m128i scales_mins_q4_K(const block_q4_K& b) noexcept
        {
            const __m128i u = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
            const __m128i a = _mm_shuffle_epi32(u, _MM_SHUFFLE(2, 1, 2, 0));
            const __m128i c = _mm_shuffle_epi32(u, _MM_SHUFFLE(1, 1, 0, 0));
            const __m128i low = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                              _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
            const __m128i high = _mm_and_si128(_mm_srli_epi32(c, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
            return _mm_or_si128(low, high);
        }

        /// A q8_K activation row laid out for the q4_K kernel: per super-block, its eight 32-value
        /// sub-blocks in the layout of pair_layout_8x32 (q, 256 bytes), the sums of its sixteen
        /// 16-value groups added in pairs (bsum, eight per super-block: one per sub-block), and d.
        struct activations_q4_K
        {
            std::size_t nb = 0;
            std::vector<std::int8_t> q;
            std::vector<std::int16_t> bsum;
            std::vector<float> d;

            void prepare(const block_q8_K* x, std::size_t nb_)
            {
                nb = nb_;
                q.resize(nb * 256);
                bsum.resize(nb * 8);
                d.resize(nb);
                for (std::size_t i = 0; i < nb; ++i)
                {
                    pair_layout_8x32([&](std::size_t s) { return x[i].qs + 32 * s; }, q.data() + 256 * i);
                    for (std::size_t s = 0; s < 8; ++s) // |sum| <= 32 * 128
                        bsum[8 * i + s] = static_cast<std::int16_t>(x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
                    d[i] = x[i].d;
                }
            }
        };

        /// q4_K . q8_K over nb super-blocks: per super-block the exact int32 dots of its eight
        /// sub-blocks (the unsigned nibbles as in pair_dot_q4_0, sub-blocks j and j + 4 in one
        /// register: chunk j / 2 and j / 2 + 2, the low nibbles for even j), one per lane after
        /// reduce_4x4, times their 6-bit scales (at most 63 * 32 * 15 * 128 per lane, exact in
        /// float too); the minimums through the paired bsums (madd: at most 2 * 63 * 4096).
        JOULE_ALWAYS_INLINE float gemv_row_q4_K(const block_q4_K* w, const activations_q4_K& xa) noexcept
        {
            __m256 acc = _mm256_setzero_ps();
            __m128 acc_min = _mm_setzero_ps();
            const __m256i low4 = _mm256_set1_epi8(0x0f);
            const std::int8_t* xq = xa.q.data();
            for (std::size_t i = 0; i < xa.nb; ++i, xq += 256)
            {
                const block_q4_K& b = w[i];
                prefetch_weights_ahead(&b, sizeof(block_q4_K));
                const __m128i sm = scales_mins_q4_K(b);
                const __m256i scales = _mm256_cvtepu8_epi32(sm);
                const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
                const __m128i bsum = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xa.bsum.data() + 8 * i));
                const __m128i prod_min = _mm_madd_epi16(mins16, bsum);
                __m256i v[4];
                for (int c = 0; c < 2; ++c)
                {
                    const __m256i p0 = load_pair_16(b.qs + 32 * c, b.qs + 32 * (c + 2));
                    const __m256i p1 = load_pair_16(b.qs + 32 * c + 16, b.qs + 32 * (c + 2) + 16);
                    const std::int8_t* xl = xq + 128 * c; // vector 2c, then 2c + 1 at + 64
                    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xl));
                    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xl + 32));
                    const __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xl + 64));
                    const __m256i x3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xl + 96));
                    v[2 * c] = nibble_pair_dot(_mm256_and_si256(p0, low4), _mm256_and_si256(p1, low4), x0, x1);
                    v[2 * c + 1] = nibble_pair_dot(_mm256_and_si256(_mm256_srli_epi16(p0, 4), low4),
                                                   _mm256_and_si256(_mm256_srli_epi16(p1, 4), low4), x2, x3);
                }
                const __m256i sumi = _mm256_mullo_epi32(reduce_4x4(v[0], v[1], v[2], v[3]), scales);
                acc = fmadd_ps(_mm256_set1_ps(xa.d[i] * f16_scale(b.d)), _mm256_cvtepi32_ps(sumi), acc);
                acc_min = _mm_add_ps(_mm_mul_ps(_mm_set1_ps(xa.d[i] * f16_scale(b.dmin)), _mm_cvtepi32_ps(prod_min)), acc_min);
            }
            __m128 m = _mm_add_ps(acc_min, _mm_movehl_ps(acc_min, acc_min));
            m = _mm_add_ss(m, _mm_movehdup_ps(m));
            return hsum_ps(acc) - _mm_cvtss_f32(m);
        }

        template <class A>
        struct gemv_fused<A, block_q4_K, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            using activations = activations_q4_K;
            static void prepare(const block_q8_K* x, std::size_t nb, activations& xa) { xa.prepare(x, nb); }
            static void run(const block_q4_K* w, std::size_t w_stride, std::size_t rows, const activations& xa, float* y,
                            std::size_t y_stride, const float* bias) noexcept
            {
                for (std::size_t j = 0; j < rows; ++j)
                    y[j * y_stride] = gemv_row_q4_K(w + j * w_stride, xa) + (bias ? bias[j] : 0.0f);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
