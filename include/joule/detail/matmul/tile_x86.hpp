// x86 register tiles for the micro-kernel (microkernel_generic.hpp).
// - SSE (4 floats, 16 xmm registers): the generic 6 x 8 (12 accumulators).
// - AVX2 + FMA (8 floats, 16 ymm): 6 x 16, 12 accumulators + 2 B registers + 1 broadcast.
//   Twelve independent FMA chains cover Zen 3's and Haswell's latency 4 x 2 FMAs per cycle
//   (8 needed) with room for the loads.
// - AVX-512 (16 floats, 32 zmm): 8 x 32, 16 accumulators + 2 B + 1 broadcast. Eight rows
//   match the small LLM batches (M = 4, 16, 64 are whole tiles) and 32 columns divide the
//   usual power-of-two widths. Measured on Zen 4 (one 512-bit FMA per cycle, latency 4):
//   8 x 32 beat 8 x 48, 12 x 32, 14 x 32 and 6 x 64 by 1-4% at n = 64-512 and by up to 30%
//   at M = 4-16 with prepacked B; 16 chains already cover the FMA latency.
//
// No intrinsics here: GCC 12 and Clang 14 compile the generic K loop for these tiles to the
// instruction stream a hand-written kernel would have (per k: NV vector loads of B, MR
// VBROADCASTSS, MR * NV VFMADD231PS on registers, no spills), and it reaches 95% of the
// measured FMA peak in cache on Zen 4. Intrinsic kernels would only be code to maintain.
#pragma once

#if defined(__SSE2__) || defined(_M_X64)

#include "joule/detail/matmul/microkernel_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        struct tile_shape<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 8>>
        {
            static constexpr std::size_t width = 8;
            static constexpr std::size_t mr = 6;
            static constexpr std::size_t nv = 2;
            static constexpr std::size_t nr = nv * width;
        };

        template <class A>
        struct tile_shape<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 16>>
        {
            static constexpr std::size_t width = 16;
            static constexpr std::size_t mr = 8;
            static constexpr std::size_t nv = 2;
            static constexpr std::size_t nr = nv * width;
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
