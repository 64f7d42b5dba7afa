// The activation-panel kernel (panels.hpp) on AVX-512 VNNI: panels of 16 rows, 16 outputs per
// instruction.
//
// vpdpbusd multiplies 64 unsigned by 64 signed bytes and adds each group of four products into
// an int32 lane, exactly (no int16 step, no saturation). Against a panel register (four values
// of each of 16 rows of X) and four weight quants broadcast to every lane, one vpdpbusd adds
// those four products for 16 rows at once; eight of them cover a 32-value block.
//
// The unsigned operand is the activation quant + 128 (activations may hold -128 only for q8_K,
// whose +128 is then 0), so every lane holds  sum (x + 128) * w = x . w + 128 * sum w.  Each
// block's int32 sums therefore start at -128 * sum w (block_corrections), and the exact integer
// dot is then scaled by the weight's block scale times the row's activation scale and
// accumulated in float, one multiply-add per 16 rows and 32 values: the same arithmetic as the
// plain kernel (dot_x86.hpp), summed in a different order.
#pragma once

#include "joule/detail/quant_linear/panels.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/x86_common.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Weight rows the micro-kernel keeps in registers at once (16 float accumulators, 8
        /// activation registers and the temporaries fit in 32 zmm; 16 measured 10% faster than 8).
        constexpr int panel_weight_rows = 16;
        /// Rows of X per panel: the int32 lanes of a zmm register.
        constexpr std::size_t vnni512_panel_rows = 16;

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
                const __m512 dv = _mm512_loadu_ps(xd + b * vnni512_panel_rows);
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
                _mm512_storeu_ps(out + (n0 + n) * vnni512_panel_rows, acc[n]);
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

        template <class A>
        struct panel_kernel<A, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            static constexpr std::size_t rows = vnni512_panel_rows;
            static constexpr std::size_t min_rows = 6; // measured: below, most lanes are empty and the plain kernel wins
            static constexpr bool flip = true;

            static void block_corrections(const weight_quants& w, std::size_t weight_rows, std::size_t nb,
                                          std::int32_t* corr) noexcept
            {
                weight_block_corrections(w, weight_rows, nb, corr);
            }
            static void multiply(const std::uint8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                 std::size_t weight_rows, const float* scale, const std::int32_t* corr, float* out) noexcept
            {
                multiply_panel(xq, xd, nb, w, weight_rows, scale, corr, out);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
