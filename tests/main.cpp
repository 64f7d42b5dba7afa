// doctest main for every joule test binary: prints the instruction set the kernels run on, so
// each configuration of the test matrix says what it ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include <joule/dispatch.hpp>

int main(int argc, char** argv)
{
    // With runtime dispatch this is the level chosen for this CPU (or forced by JOULE_ARCH).
    joule::arch_info arch{};
    try
    {
        arch = joule::active_arch();
    }
    catch (const joule::error& e) // e.g. JOULE_ARCH names a level this CPU cannot run
    {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    std::printf("joule kernels: level=%s isa=%s simd=%s float_lanes=%zu xsimd=%d.%d\n", arch.level, arch.isa, arch.simd,
                arch.float_lanes, arch.xsimd_version_major, arch.xsimd_version_minor);
    doctest::Context context;
    context.applyCommandLine(argc, argv);
    return context.run();
}
