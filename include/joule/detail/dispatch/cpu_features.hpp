// What the running CPU (and operating system) can execute, for runtime dispatch.
//
// x86: CPUID for the instruction sets, and XGETBV for whether the OS saves the AVX / AVX-512
// register state: a CPU may support AVX while the OS has it disabled, and then every AVX
// instruction faults. AArch64 and 32-bit ARM on Linux: getauxval(AT_HWCAP / AT_HWCAP2), which
// reports what the kernel has enabled.
#pragma once

#include <cstdint>

#include "joule/detail/config.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define JOULE_DETAIL_X86_CPUID 1
#endif
#if (defined(__aarch64__) || defined(__arm__)) && defined(__linux__)
#include <sys/auxv.h>
#define JOULE_DETAIL_LINUX_HWCAP 1
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        struct cpu_features
        {
            // x86, each one usable (CPU has it and the OS enabled its register state)
            bool sse2 = false, sse3 = false, ssse3 = false, sse41 = false, sse42 = false, popcnt = false;
            bool avx = false, avx2 = false, fma = false, f16c = false, bmi1 = false, bmi2 = false, lzcnt = false,
                 movbe = false;
            bool avx512f = false, avx512bw = false, avx512cd = false, avx512dq = false, avx512vl = false,
                 avx512vnni = false, avxvnni = false;
            // ARM
            bool neon = false, vfpv4 = false, dotprod = false, i8mm = false;
        };

#if defined(JOULE_DETAIL_X86_CPUID)
        inline std::uint64_t read_xcr0() noexcept
        {
            std::uint32_t eax = 0, edx = 0;
            __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
            return (static_cast<std::uint64_t>(edx) << 32) | eax;
        }
#endif

        inline cpu_features detect_cpu_features() noexcept
        {
            cpu_features f;
#if defined(JOULE_DETAIL_X86_CPUID)
            unsigned a = 0, b = 0, c = 0, d = 0;
            const unsigned max_leaf = __get_cpuid_max(0, nullptr);
            if (max_leaf >= 1 && __get_cpuid(1, &a, &b, &c, &d))
            {
                f.sse2 = (d >> 26) & 1;
                f.sse3 = c & 1;
                f.ssse3 = (c >> 9) & 1;
                f.fma = (c >> 12) & 1;
                f.sse41 = (c >> 19) & 1;
                f.sse42 = (c >> 20) & 1;
                f.movbe = (c >> 22) & 1;
                f.popcnt = (c >> 23) & 1;
                const bool osxsave = (c >> 27) & 1;
                f.avx = (c >> 28) & 1;
                f.f16c = (c >> 29) & 1;
                const std::uint64_t xcr0 = osxsave ? read_xcr0() : 0;
                const bool os_avx = (xcr0 & 0x6) == 0x6;        // XMM and YMM state
                const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM0-15 high, ZMM16-31
                if (!os_avx)
                    f.avx = f.fma = f.f16c = false;
                if (max_leaf >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d))
                {
                    f.bmi1 = (b >> 3) & 1;
                    f.avx2 = os_avx && ((b >> 5) & 1);
                    f.bmi2 = (b >> 8) & 1;
                    f.avx512f = os_avx512 && ((b >> 16) & 1);
                    f.avx512dq = os_avx512 && ((b >> 17) & 1);
                    f.avx512cd = os_avx512 && ((b >> 28) & 1);
                    f.avx512bw = os_avx512 && ((b >> 30) & 1);
                    f.avx512vl = os_avx512 && ((b >> 31) & 1);
                    f.avx512vnni = os_avx512 && ((c >> 11) & 1);
                    if (__get_cpuid_count(7, 1, &a, &b, &c, &d))
                        f.avxvnni = os_avx && ((a >> 4) & 1);
                }
            }
            if (__get_cpuid_max(0x80000000u, nullptr) >= 0x80000001u && __get_cpuid(0x80000001u, &a, &b, &c, &d))
                f.lzcnt = (c >> 5) & 1;
#elif defined(JOULE_DETAIL_LINUX_HWCAP) && defined(__aarch64__)
            const unsigned long hwcap = getauxval(AT_HWCAP);
            const unsigned long hwcap2 = getauxval(AT_HWCAP2);
            f.neon = (hwcap >> 1) & 1;       // HWCAP_ASIMD
            f.dotprod = (hwcap >> 20) & 1;   // HWCAP_ASIMDDP
            f.i8mm = (hwcap2 >> 13) & 1;     // HWCAP2_I8MM
#elif defined(JOULE_DETAIL_LINUX_HWCAP) && defined(__arm__)
            const unsigned long hwcap = getauxval(AT_HWCAP);
            f.neon = (hwcap >> 12) & 1;      // HWCAP_ARM_NEON
            f.vfpv4 = (hwcap >> 16) & 1;     // HWCAP_ARM_VFPv4
#endif
            return f;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
