// joule/arch.hpp: which instruction set this translation unit's joule kernels were built for.
//
//     std::printf("joule kernels: %s\n", joule::compiled_arch().isa);   // e.g. "x86_64_v3"
//
// The answer is fixed at compile time by the compiler flags (-march=...). It also names the
// inline namespace that keeps kernels built with different flags apart (see detail/config.hpp).
#pragma once

#include <cstddef>

#include "joule/detail/simd/simd.hpp"

namespace joule
{
    /// Describes the instruction set a translation unit compiled joule's kernels for.
    struct arch_info
    {
        const char* level;       ///< the dispatch level it matches: "sse2", "sse4.2", "avx2", "avx512", "neon", ...
        const char* isa;         ///< joule's exact name for it, e.g. "x86_64_v3", "aarch64_neon_dotprod_i8mm"
        const char* simd;        ///< xsimd's architecture, or "scalar" where xsimd has none
        std::size_t float_lanes; ///< floats per SIMD register
        int xsimd_version_major; ///< xsimd release the kernels were built against
        int xsimd_version_minor;
    };

    JOULE_BEGIN_ARCH_NS
    /// The instruction set of this translation unit's kernels.
    inline arch_info compiled_arch() noexcept
    {
        return arch_info{JOULE_ARCH_LEVEL, JOULE_ARCH_NAME, simd::arch_name<simd::native_arch>(), simd::width<float>, XSIMD_VERSION_MAJOR,
                         XSIMD_VERSION_MINOR};
    }
    JOULE_END_ARCH_NS
} // namespace joule
