// The activation-panel kernel (panels.hpp) on x86 with VNNI: panels of 16 rows in zmm registers
// (AVX-512 VNNI) or 8 rows in ymm registers (AVX-512 VNNI for M <= 8, and AVX-VNNI machines,
// which have no zmm), one output per row of the panel per instruction.
//
// vpdpbusd multiplies unsigned by signed bytes and adds each group of four products into an
// int32 lane, exactly (no int16 step, no saturation). Against a panel register (four values of
// each row of X per lane) and four weight quants broadcast to every lane, one vpdpbusd adds
// those four products for every row of the panel; eight of them cover a 32-value block.
//
// The unsigned operand is the activation quant + 128 (activations may hold -128 only for q8_K,
// whose +128 is then 0), so every lane holds  sum (x + 128) * w = x . w + 128 * sum w.  Each
// block's int32 sums therefore start at -128 * sum w (block_corrections), and the exact integer
// dot is then scaled by the weight's block scale times the row's activation scale and
// accumulated in float, one multiply-add per panel and 32 values: the same arithmetic as the
// plain kernel (dot_x86.hpp), summed in a different order.
#pragma once

#include "joule/detail/quant_linear/panels.hpp"

#if (defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)) ||              \
    defined(__AVXVNNI__)
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/detail/quant/x86_common.hpp"

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define JOULE_DETAIL_PANELS_ZMM 1
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
#if defined(JOULE_DETAIL_PANELS_ZMM)
        /// 16-row panels in zmm registers.
        struct vnni_zmm
        {
            static constexpr std::size_t rows = 16;
            /// Weight rows the micro-kernel keeps in registers: 16 float accumulators, 8 panel
            /// registers and the temporaries fit in 32 zmm (16 measured 10% faster than 8).
            static constexpr int weight_rows = 16;
            using vi = __m512i;
            using vf = __m512;
            static vi load(const std::uint8_t* p) noexcept { return _mm512_loadu_si512(p); }
            static vf load(const float* p) noexcept { return _mm512_loadu_ps(p); }
            static void store(float* p, vf v) noexcept { _mm512_storeu_ps(p, v); }
            static vi splat(std::int32_t v) noexcept { return _mm512_set1_epi32(v); }
            static vf splat(float v) noexcept { return _mm512_set1_ps(v); }
            static vi dpbusd(vi acc, vi u, vi s) noexcept { return _mm512_dpbusd_epi32(acc, u, s); }
            static vf scale_add(vi dot, vf scale, vf acc) noexcept { return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc); }
            static vf mul(vf a, vf b) noexcept { return _mm512_mul_ps(a, b); }
        };
#endif
        /// 8-row panels in ymm registers: the EVEX form of vpdpbusd where AVX-512 VL is there,
        /// the VEX form of AVX-VNNI otherwise (same operation; only 16 registers then).
        struct vnni_ymm
        {
            static constexpr std::size_t rows = 8;
#if defined(JOULE_DETAIL_PANELS_ZMM)
            static constexpr int weight_rows = 16;
#else
            static constexpr int weight_rows = 4; // 8 panel registers + 4 accumulators + temporaries in 16 ymm
#endif
            using vi = __m256i;
            using vf = __m256;
            static vi load(const std::uint8_t* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
            static vf load(const float* p) noexcept { return _mm256_loadu_ps(p); }
            static void store(float* p, vf v) noexcept { _mm256_storeu_ps(p, v); }
            static vi splat(std::int32_t v) noexcept { return _mm256_set1_epi32(v); }
            static vf splat(float v) noexcept { return _mm256_set1_ps(v); }
            static vi dpbusd(vi acc, vi u, vi s) noexcept
            {
#if defined(JOULE_DETAIL_PANELS_ZMM)
                return _mm256_dpbusd_epi32(acc, u, s);
#else
                return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
            }
            static vf scale_add(vi dot, vf scale, vf acc) noexcept { return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc); }
            static vf mul(vf a, vf b) noexcept { return _mm256_mul_ps(a, b); }
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
        /// for weight rows n0 .. n0 + NT - 1 and the V::rows rows of one activation panel.
        template <class V, int NT>
        void microkernel_vnni_panel(const std::uint8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                    std::size_t n0, const float* scale, const std::int32_t* corr, float* out) noexcept
        {
            constexpr std::size_t R = V::rows;
            typename V::vf acc[NT];
            for (int n = 0; n < NT; ++n)
                acc[n] = V::splat(0.0f);
            for (std::size_t b = 0; b < nb; ++b)
            {
                typename V::vi xv[8];
                for (int g = 0; g < 8; ++g)
                    xv[g] = V::load(xq + b * 32 * R + 4 * R * g);
                const typename V::vf dv = V::load(xd + b * R);
                for (int n = 0; n < NT; ++n)
                {
                    const std::int8_t* wq = w.at(n0 + n, b);
                    typename V::vi s = V::splat(corr[(n0 + n) * nb + b]);
                    for (int g = 0; g < 8; ++g)
                    {
                        std::int32_t four;
                        std::memcpy(&four, wq + 4 * g, 4);
                        s = V::dpbusd(s, xv[g], V::splat(four));
                    }
                    acc[n] = V::scale_add(s, V::mul(dv, V::splat(scale[(n0 + n) * nb + b])), acc[n]);
                }
            }
            for (int n = 0; n < NT; ++n)
                V::store(out + (n0 + n) * R, acc[n]);
        }

        /// The micro-kernel for the last `left` (< NT) weight rows from n0.
        template <class V, int NT>
        void microkernel_vnni_tail(std::size_t left, const std::uint8_t* xq, const float* xd, std::size_t nb,
                                   const weight_quants& w, std::size_t n0, const float* scale, const std::int32_t* corr,
                                   float* out) noexcept
        {
            if constexpr (NT > 0)
            {
                if (left == std::size_t(NT))
                    microkernel_vnni_panel<V, NT>(xq, xd, nb, w, n0, scale, corr, out);
                else
                    microkernel_vnni_tail<V, NT - 1>(left, xq, xd, nb, w, n0, scale, corr, out);
            }
        }

        /// out[n][lane] for the `rows` weight rows of a tile (row n of out V::rows floats apart).
        template <class V>
        void multiply_vnni_panel(const std::uint8_t* xq, const float* xd, std::size_t nb, const weight_quants& w,
                                 std::size_t rows, const float* scale, const std::int32_t* corr, float* out) noexcept
        {
            constexpr int NT = V::weight_rows;
            std::size_t n = 0;
            for (; n + NT <= rows; n += NT)
                microkernel_vnni_panel<V, NT>(xq, xd, nb, w, n, scale, corr, out);
            microkernel_vnni_tail<V, NT - 1>(rows - n, xq, xd, nb, w, n, scale, corr, out);
        }

        template <class A>
        struct panel_kernel<A, if_x86_avx2<A>>
        {
            static constexpr bool available = true;
            /// From M = 4 the panels beat the plain kernel (EVEX ymm form on Zen 4, M = 4, N = 1536,
            /// K = 384: 68 against 83 us; M = 6: 71 against 133). Below, most lanes would be empty;
            /// not measured there.
            static constexpr std::size_t min_rows = 4;
            static constexpr std::size_t max_rows = 16;
            static constexpr bool flip = true;

            /// Rows per panel for M rows of X: zmm panels from 9 rows where there are zmm registers.
            static std::size_t panel_rows(std::size_t M) noexcept
            {
#if defined(JOULE_DETAIL_PANELS_ZMM)
                return M > vnni_ymm::rows ? vnni_zmm::rows : vnni_ymm::rows;
#else
                (void)M;
                return vnni_ymm::rows;
#endif
            }
            static void block_corrections(const weight_quants& w, std::size_t weight_rows, std::size_t nb,
                                          std::int32_t* corr) noexcept
            {
                weight_block_corrections(w, weight_rows, nb, corr);
            }
            static void multiply(std::size_t panel, const std::uint8_t* xq, const float* xd, std::size_t nb,
                                 const weight_quants& w, std::size_t weight_rows, const float* scale,
                                 const std::int32_t* corr, float* out) noexcept
            {
#if defined(JOULE_DETAIL_PANELS_ZMM)
                if (panel == vnni_zmm::rows)
                    return multiply_vnni_panel<vnni_zmm>(xq, xd, nb, w, weight_rows, scale, corr, out);
#endif
                (void)panel;
                multiply_vnni_panel<vnni_ymm>(xq, xd, nb, w, weight_rows, scale, corr, out);
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
