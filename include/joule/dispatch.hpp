// joule/dispatch.hpp: which instruction set the kernels run on, and runtime dispatch control.
//
// By default joule's kernels are compiled for the instruction set the compiler flags select
// (-march=native for one machine). A program built once for many machines enables runtime
// dispatch in CMake instead:
//
//     joule_enable_dispatch(my_app ARCHS sse2 sse4.2 avx2 avx512)       # x86-64
//     joule_enable_dispatch(my_app ARCHS neon dotprod i8mm)             # aarch64
//
// Each level is then compiled in its own translation unit with its own flags, and the same
// joule::matmul / joule::softmax / ... calls go, through a table chosen once at first use, to
// the best level the CPU (and OS) can run. The levels:
//   x86-64:  sse2 (baseline), sse4.2 (x86-64-v2), avx2 (x86-64-v3: AVX2+FMA+F16C),
//            avxvnni (avx2 + AVX-VNNI), x86-64-v4 (AVX-512 F/BW/CD/DQ/VL), avx512 (x86-64-v4 + VNNI)
//   aarch64: neon, dotprod (ARMv8.2 + dotprod), i8mm (+ i8mm)
//   arm:     armv7-neon (NEON + VFPv4), arm (no NEON)
//
//     std::printf("%s\n", joule::active_arch().level);   // "avx2"
//     joule::force_arch("sse2");                          // e.g. in tests: run the SSE2 kernels
//
// The environment variable JOULE_ARCH=<level> forces a level at first use. Forcing a level the
// program was not built with, or that this CPU cannot run, raises joule::error naming the
// levels that are available; it never runs instructions the CPU lacks.
//
// Thread safety: the choice is made once, under a lock; force_arch() may be called at any time
// and affects calls that start after it.
#pragma once

#include <string>
#include <vector>

#include "joule/arch.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/error.hpp"

namespace joule
{
    namespace dispatch
    {
        // Defined by the selector that joule_enable_dispatch generates (once per program).
        void force(const char* level);
        std::vector<std::string> compiled_levels();
        std::vector<std::string> usable_levels();
    } // namespace dispatch

    JOULE_BEGIN_ARCH_NS
    /// The instruction set of the kernels that calls from this translation unit run: the level
    /// runtime dispatch chose, or the compile-time one when dispatch is off.
    inline arch_info active_arch()
    {
#if defined(JOULE_DISPATCH)
        return detail::dispatched_table().info;
#else
        return compiled_arch();
#endif
    }

    /// Runs later calls on the kernels of `level` (see the list above). Without runtime
    /// dispatch only the compiled level itself is accepted.
    inline void force_arch(const char* level)
    {
#if defined(JOULE_DISPATCH)
        dispatch::force(level);
#else
        if (level == nullptr || std::string(level) != JOULE_ARCH_LEVEL)
            detail::fail("force_arch", "runtime dispatch is off in this build (see joule_enable_dispatch); its kernels are "
                                       "compiled for '",
                         JOULE_ARCH_LEVEL, "' only, not '", level ? level : "(null)", "'");
#endif
    }

    /// The levels this program can run on this CPU, best first.
    inline std::vector<std::string> available_archs()
    {
#if defined(JOULE_DISPATCH)
        return dispatch::usable_levels();
#else
        return {JOULE_ARCH_LEVEL};
#endif
    }
    JOULE_END_ARCH_NS
} // namespace joule
