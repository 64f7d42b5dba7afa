// The M > 1 kernel of the quantized linear layer on AVX-512 VNNI: 16 activation rows at a time
// against weight rows read in place, 16 outputs per instruction.
//
// vpdpbusd multiplies 64 unsigned by 64 signed bytes and adds each group of four products into
// an int32 lane, exactly (no int16 step, no saturation). An *activation panel* holds four values
// of each of 16 rows of X per 32-bit lane, so one vpdpbusd against four weight quants broadcast
// to every lane adds those four products for 16 rows at once; eight of them cover a 32-value
// block. The weights stay in their row layout (q8_0 blocks as they are, other formats unpacked
// as for the plain kernel), so nothing about W is repacked per call.
//
// The unsigned operand is the activation quant + 128 (activations may hold -128 only for q8_K,
// whose +128 is then 0), so every lane holds  sum (x + 128) * w = x . w + 128 * sum w.  Each
// block's int32 sums therefore start at -128 * sum w (weight_block_terms), and the exact integer
// dot is then scaled by the weight's block scale times the row's activation scale and
// accumulated in float, one multiply-add per 16 rows and 32 values: the same arithmetic as the
// plain kernel (dot_x86.hpp), summed in a different order.
//
// Only formats whose weight scale is constant over each 32 values qualify (panel_format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/quant_blocks.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define JOULE_QLINEAR_PANELS 1
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "joule/detail/config.hpp"
#include "joule/detail/quant/float_rules.hpp"
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Weight formats whose unpacked scale is one value per 32-value block (the panel kernel
        /// applies one scale per block); the 16-value sub-block K-quants are left to the plain kernel.
        template <class Block>
        constexpr bool panel_format =
            Block::block_size == 32 || std::is_same<Block, block_q4_K>::value ||
            std::is_same<Block, block_q5_K>::value || std::is_same<Block, block_iq4_xs>::value;

#if defined(JOULE_QLINEAR_PANELS)
        /// Rows of X per panel (the int32 lanes of a zmm register).
        constexpr std::size_t panel_rows = 16;
        /// Weight rows the micro-kernel keeps in registers at once (16 float accumulators, 8
        /// activation registers and the temporaries fit in 32 zmm; 16 measured 10% faster than 8).
        constexpr int panel_weight_rows = 16;

        /// X quantized, regrouped 16 rows at a time:
        ///   q[p][b][g][lane][j] = uint8(x[16p + lane][32b + 4g + j] + 128)  (512 bytes per block)
        ///   d[p][b][lane]       = the activation scale of that row's block
        /// Lanes past the last row hold x = 0 and d = 0.
        struct activation_panels
        {
            std::size_t blocks = 0; ///< per row: K / 32
            std::vector<std::uint8_t> q;
            std::vector<float> d;

            const std::uint8_t* q_of(std::size_t p) const noexcept { return q.data() + p * blocks * 512; }
            const float* d_of(std::size_t p) const noexcept { return d.data() + p * blocks * panel_rows; }
        };

        /// Builds the panels from M rows of quants (row m at q + m * K) and scales (d + m * K / 32).
        inline void build_activation_panels(const std::int8_t* q, const float* d, std::size_t M, std::size_t K,
                                            activation_panels& out)
        {
            const std::size_t nb = K / 32, panels = (M + panel_rows - 1) / panel_rows;
            out.blocks = nb;
            out.q.assign(panels * nb * 512, 0x80);
            out.d.assign(panels * nb * panel_rows, 0.0f);
            for (std::size_t m = 0; m < M; ++m)
            {
                std::uint8_t* pq = out.q.data() + (m / panel_rows) * nb * 512 + 4 * (m % panel_rows);
                float* pd = out.d.data() + (m / panel_rows) * nb * panel_rows + m % panel_rows;
                for (std::size_t b = 0; b < nb; ++b)
                {
                    for (std::size_t g = 0; g < 8; ++g)
                    {
                        std::uint32_t v;
                        std::memcpy(&v, q + m * K + 32 * b + 4 * g, 4);
                        v ^= 0x80808080u;
                        std::memcpy(pq + b * 512 + g * 64, &v, 4);
                    }
                    pd[b * panel_rows] = d[m * nb + b];
                }
            }
        }

        /// int8 weight quants of a tile: block b of row n at base + n * row_step + b * block_step.
        struct weight_quants
        {
            const std::int8_t* base;
            std::size_t row_step, block_step;

            const std::int8_t* at(std::size_t n, std::size_t b) const noexcept { return base + n * row_step + b * block_step; }
        };

        /// -128 * (sum of the 32 quants of block b of row n), for every block of `rows` rows.
        inline void weight_block_corrections(const weight_quants& w, std::size_t rows, std::size_t nb,
                                             std::int32_t* corr) noexcept
        {
            const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
            for (std::size_t n = 0; n < rows; ++n)
                for (std::size_t b = 0; b < nb; ++b)
                {
                    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.at(n, b)));
                    // sum of (w + 128) as unsigned bytes, in four 64-bit lanes
                    const __m256i s = _mm256_sad_epu8(_mm256_xor_si256(v, flip), _mm256_setzero_si256());
                    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
                    t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
                    corr[n * nb + b] = -128 * (_mm_cvtsi128_si32(t) - 32 * 128);
                }
        }

        /// out[n][lane] = sum over blocks b of  int_dot(x[lane], w[n], b) * scale[n][b] * xd[b][lane]
        /// for NT weight rows and the 16 rows of one activation panel.
        template <int NT>
        void microkernel_vnni512_16xNT(const std::uint8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                       std::size_t n0, const float* scale, const std::int32_t* corr, float* out) noexcept
        {
            __m512 acc[NT];
            for (int n = 0; n < NT; ++n)
                acc[n] = _mm512_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b)
            {
                __m512i xv[8];
                for (int g = 0; g < 8; ++g)
                    xv[g] = _mm512_loadu_si512(xq + b * 512 + 64 * g);
                const __m512 dv = _mm512_loadu_ps(xd + b * panel_rows);
                for (int n = 0; n < NT; ++n)
                {
                    const std::int8_t* wq = w.at(n0 + n, b);
                    __m512i s = _mm512_set1_epi32(corr[(n0 + n) * nb + b]);
                    for (int g = 0; g < 8; ++g)
                    {
                        std::int32_t four;
                        std::memcpy(&four, wq + 4 * g, 4);
                        s = _mm512_dpbusd_epi32(s, xv[g], _mm512_set1_epi32(four));
                    }
                    const __m512 sv = _mm512_mul_ps(dv, _mm512_set1_ps(scale[(n0 + n) * nb + b]));
                    acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sv, acc[n]);
                }
            }
            for (int n = 0; n < NT; ++n)
                _mm512_storeu_ps(out + (n0 + n) * panel_rows, acc[n]);
        }

        /// out[n][lane] for the `rows` weight rows of a tile (row n of out 16 floats apart).
        inline void multiply_panel(const std::uint8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                   std::size_t rows, const float* scale, const std::int32_t* corr, float* out) noexcept
        {
            std::size_t n = 0;
            for (; n + panel_weight_rows <= rows; n += panel_weight_rows)
                microkernel_vnni512_16xNT<panel_weight_rows>(xq, xd, nb, w, n, scale, corr, out);
            if (rows - n >= 8)
            {
                microkernel_vnni512_16xNT<8>(xq, xd, nb, w, n, scale, corr, out);
                n += 8;
            }
            switch (rows - n)
            {
            case 7: microkernel_vnni512_16xNT<7>(xq, xd, nb, w, n, scale, corr, out); break;
            case 6: microkernel_vnni512_16xNT<6>(xq, xd, nb, w, n, scale, corr, out); break;
            case 5: microkernel_vnni512_16xNT<5>(xq, xd, nb, w, n, scale, corr, out); break;
            case 4: microkernel_vnni512_16xNT<4>(xq, xd, nb, w, n, scale, corr, out); break;
            case 3: microkernel_vnni512_16xNT<3>(xq, xd, nb, w, n, scale, corr, out); break;
            case 2: microkernel_vnni512_16xNT<2>(xq, xd, nb, w, n, scale, corr, out); break;
            case 1: microkernel_vnni512_16xNT<1>(xq, xd, nb, w, n, scale, corr, out); break;
            default: break;
            }
        }
#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
