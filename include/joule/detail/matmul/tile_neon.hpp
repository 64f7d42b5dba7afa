// ARM NEON register tile for the micro-kernel (microkernel_generic.hpp). AArch64 has 32
// q registers of 4 floats: 8 x 12 uses 24 accumulators + 3 B registers + 1 broadcast
// (LD1R), leaving room for the next iteration's B loads. FMLA latency 4 with 2 pipes (Cortex-
// A72/A76) needs at least 8 independent chains. 32-bit ARM has only 16 q registers: the
// generic 6 x 8 tile.
#pragma once

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))

#include "joule/detail/matmul/microkernel_generic.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A>
        struct tile_shape<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 4>>
        {
            static constexpr std::size_t width = 4;
            static constexpr std::size_t mr = 8;
            static constexpr std::size_t nv = 3;
            static constexpr std::size_t nr = nv * width;
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

#endif
