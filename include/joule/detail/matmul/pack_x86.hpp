// x86 A-panel packing (pack.hpp's pack_a_panel) with AVX: eight k of the panel's rows at a time,
// transposed in registers (an 8 x 8 float transpose: unpack, shuffle, 128-bit permute), then
// stored as eight runs of mr floats. For the 6 x 16 (AVX2) and 8 x 32 (AVX-512) tiles.
//
// Why: the scalar copy stored one float per instruction and read one row at a time; at 1024^3 on
// Zen 3 its first load of each cache line waited on L3, and packing A took 5.5% of the GEMM
// (perf, cpu-clock samples). Reading the mr rows side by side keeps mr lines in flight.
#pragma once

#if defined(__AVX__)

#include <immintrin.h>

#include <cstddef>
#include <type_traits>

#include "joule/detail/matmul/pack.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// out[k] = (r[0][k], ..., r[7][k]) for k < 8.
        JOULE_ALWAYS_INLINE void transpose_8x8(const __m256 (&r)[8], __m256 (&out)[8]) noexcept
        {
            __m256 t[8], u[8];
            for (int i = 0; i < 4; ++i)
            {
                t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]); // k 0, 1 | 4, 5 of rows 2i, 2i + 1
                t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]); // k 2, 3 | 6, 7
            }
            for (int h = 0; h < 2; ++h) // rows 0..3, then 4..7
            {
                u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(1, 0, 1, 0));     // k 0 | 4
                u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(3, 2, 3, 2));     // k 1 | 5
                u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(1, 0, 1, 0)); // k 2 | 6
                u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(3, 2, 3, 2)); // k 3 | 7
            }
            for (int k = 0; k < 4; ++k)
            {
                out[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
                out[k + 4] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
            }
        }

        /// Full panels of 6 or 8 rows; anything else (edge panels, other tiles) goes to the
        /// generic loop.
        template <class A>
        struct pack_a_panel<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> >= 8)>>
        {
            static void run(const float* const* rows, std::size_t mp, std::size_t kc, std::size_t mr,
                            float* JOULE_RESTRICT panel) noexcept
            {
                if (mp != mr || (mr != 6 && mr != 8))
                    return pack_a_panel<simd::scalar_arch>::run(rows, mp, kc, mr, panel);
                std::size_t k = 0;
                for (; k + 8 <= kc; k += 8)
                {
                    __m256 r[8], out[8];
                    for (std::size_t i = 0; i < 8; ++i) // a 6-row panel repeats row 5; those lanes are not stored
                        r[i] = _mm256_loadu_ps(rows[i < mr ? i : mr - 1] + k);
                    transpose_8x8(r, out);
                    float* dst = panel + k * mr;
                    for (std::size_t j = 0; j < 8; ++j, dst += mr)
                    {
                        if (mr == 8)
                            _mm256_storeu_ps(dst, out[j]);
                        else
                        {
                            _mm_storeu_ps(dst, _mm256_castps256_ps128(out[j]));
                            _mm_storel_pi(reinterpret_cast<__m64*>(dst + 4), _mm256_extractf128_ps(out[j], 1));
                        }
                    }
                }
                for (; k < kc; ++k)
                    for (std::size_t i = 0; i < mr; ++i)
                        panel[k * mr + i] = rows[i][k];
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
