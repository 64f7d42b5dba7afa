// Micro-kernels of the integer GEMM: an MR x NR tile of raw sums C = A' * B (A' uint8 as
// non-negative values, B int8) over the whole K, accumulators in registers, B read from a packed
// panel and A' broadcast a group of KG consecutive k at a time (the outer-product form of the
// float GEMM, so no horizontal reductions). int8_kernel<A> is a trait with the tile shape, the
// element types of the packed operands and run(); the packing (int8_gemm_driver.hpp) follows
// the shape:
//   packed A: rows of kp elements (a_type), kp a multiple of KG, padded with zeros (B's zero
//     padding cancels whatever stands in A's padding);
//   packed B panel: for each group g of KG k's, NR columns of KG consecutive k's (b_type),
//     i.e. element (k, n) at (k / KG) * NR * KG + n * KG + k % KG, zero-padded.
// Versions:
// - generic (the scalar reference; the compiler may vectorize it): int16 operands, KG = 2;
// - AVX2: int16 operands, KG = 2, vpmaddwd (a pair sum is at most 2 * 255 * 128: exact; the
//   saturating vpmaddubsw is not used: 2 * 255 * 127 > 32767), 4 x 16 tile;
// - AVX-512 VNNI: uint8 x int8, KG = 4, vpdpbusd (four products summed into int32 with no
//   int16 intermediate), 6 x 32 tile;
// - AVX-VNNI (VEX vpdpbusd on ymm: Alder Lake, Zen 5): the same with a 6 x 16 tile
//   (int8_kernel_vnni256). No machine here has AVX-VNNI, so the kernel is also built with the
//   EVEX form on AVX-512 VNNI machines, where int8_gemm_test runs it directly: only the
//   instruction encoding differs from what the avxvnni level executes.
// - AArch64 (microkernel_neon.hpp): i8mm, usmmla on 2 x 8 by 8 x 2 blocks, uint8 x int8,
//   KG = 8, 8 x 8 tile; dotprod without i8mm, sdot, int8 x int8, KG = 4, 5 x 16 tile, with A
//   packed as A' - 128 (a_offset; the driver adds a_offset * colsum(B) back); plain NEON, the
//   generic kernel.
// Packed A holds A' - a_offset (a_offset = 0 except for sdot).
// int32 sums wrap modulo 2^32 on overflow, as the scalar reference's uint32 arithmetic does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/simd/simd.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A, class Enable = void>
        struct int8_kernel
        {
            static constexpr std::size_t mr = 4, nr = 8, kg = 2;
            static constexpr std::uint32_t a_offset = 0; // packed A = A' - a_offset
            using a_type = std::int16_t;
            using b_type = std::int16_t;
            /// c[r * nr + n] = sum over k < kp of a[r * lda + k] * B(k, n).
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                for (std::size_t r = 0; r < mr; ++r)
                    for (std::size_t n = 0; n < nr; ++n)
                    {
                        std::uint32_t s = 0; // wraps like the SIMD kernels' int32 lanes
                        for (std::size_t k = 0; k < kp; ++k)
                            s += static_cast<std::uint32_t>(std::int32_t(a[r * lda + k]) *
                                                            std::int32_t(b[(k / kg * nr + n) * kg + k % kg]));
                        c[r * nr + n] = static_cast<std::int32_t>(s);
                    }
            }
        };

#if defined(__AVX2__)
        JOULE_ALWAYS_INLINE std::int32_t load_i32(const void* p) noexcept
        {
            std::int32_t v;
            std::memcpy(&v, p, sizeof v);
            return v;
        }

#if defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
#define JOULE_DETAIL_INT8_VNNI256 1
        /// acc + the sums of four u8 x s8 products per int32 lane.
        JOULE_ALWAYS_INLINE __m256i dpbusd_256(__m256i acc, __m256i a, __m256i b) noexcept
        {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
            return _mm256_dpbusd_epi32(acc, a, b);
#else
            return _mm256_dpbusd_avx_epi32(acc, a, b);
#endif
        }

        /// The 256-bit VNNI kernel: 12 accumulators, two B vectors and the A broadcast fit the 16
        /// ymm registers of AVX-VNNI machines.
        struct int8_kernel_vnni256
        {
            static constexpr std::size_t mr = 6, nr = 16, kg = 4;
            static constexpr std::uint32_t a_offset = 0; // packed A = A' - a_offset
            using a_type = std::uint8_t;
            using b_type = std::int8_t;
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                __m256i acc[mr][2];
                for (std::size_t r = 0; r < mr; ++r)
                    acc[r][0] = acc[r][1] = _mm256_setzero_si256();
                for (std::size_t g = 0; g < kp / kg; ++g)
                {
                    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * nr * kg));
                    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * nr * kg + 32));
                    for (std::size_t r = 0; r < mr; ++r)
                    {
                        const __m256i av = _mm256_set1_epi32(load_i32(a + r * lda + g * kg));
                        acc[r][0] = dpbusd_256(acc[r][0], av, b0);
                        acc[r][1] = dpbusd_256(acc[r][1], av, b1);
                    }
                }
                for (std::size_t r = 0; r < mr; ++r)
                {
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * nr), acc[r][0]);
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * nr + 8), acc[r][1]);
                }
            }
        };
#endif

        template <class A>
        struct int8_kernel<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && (simd::width<float, A> >= 8)>>
#if !(defined(__AVX512VNNI__) && defined(__AVX512BW__)) && defined(__AVXVNNI__)
            : int8_kernel_vnni256
        {
        };
#else
        {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
            static constexpr std::size_t mr = 6, nr = 32, kg = 4;
            static constexpr std::uint32_t a_offset = 0; // packed A = A' - a_offset
            using a_type = std::uint8_t;
            using b_type = std::int8_t;
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                __m512i acc[mr][2];
                for (std::size_t r = 0; r < mr; ++r)
                    acc[r][0] = acc[r][1] = _mm512_setzero_si512();
                for (std::size_t g = 0; g < kp / kg; ++g)
                {
                    const __m512i b0 = _mm512_loadu_si512(b + g * nr * kg);
                    const __m512i b1 = _mm512_loadu_si512(b + g * nr * kg + 64);
                    for (std::size_t r = 0; r < mr; ++r)
                    {
                        const __m512i av = _mm512_set1_epi32(load_i32(a + r * lda + g * kg));
                        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
                        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
                    }
                }
                for (std::size_t r = 0; r < mr; ++r)
                {
                    _mm512_storeu_si512(c + r * nr, acc[r][0]);
                    _mm512_storeu_si512(c + r * nr + 16, acc[r][1]);
                }
            }
#else
            static constexpr std::size_t mr = 4, nr = 16, kg = 2;
            static constexpr std::uint32_t a_offset = 0; // packed A = A' - a_offset
            using a_type = std::int16_t;
            using b_type = std::int16_t;
            static void run(const a_type* a, std::size_t lda, const b_type* b, std::size_t kp, std::int32_t* c) noexcept
            {
                __m256i acc[mr][2];
                for (std::size_t r = 0; r < mr; ++r)
                    acc[r][0] = acc[r][1] = _mm256_setzero_si256();
                for (std::size_t g = 0; g < kp / kg; ++g)
                {
                    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * nr * kg));
                    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * nr * kg + 16));
                    for (std::size_t r = 0; r < mr; ++r)
                    {
                        const __m256i av = _mm256_set1_epi32(load_i32(a + r * lda + g * kg));
                        acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
                        acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
                    }
                }
                for (std::size_t r = 0; r < mr; ++r)
                {
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * nr), acc[r][0]);
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * nr + 8), acc[r][1]);
                }
            }
#endif
        };
#endif // AVX-VNNI
#endif // __AVX2__
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#include "joule/detail/int8_gemm/microkernel_neon.hpp"
