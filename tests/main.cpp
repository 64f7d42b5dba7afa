// doctest main for every joule test binary: prints the instruction set the kernels were built
// for, so each configuration of the test matrix says what it ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include <joule/arch.hpp>

int main(int argc, char** argv)
{
    const joule::arch_info arch = joule::compiled_arch();
    std::printf("joule kernels: isa=%s simd=%s float_lanes=%zu xsimd=%d.%d\n", arch.isa, arch.simd, arch.float_lanes,
                arch.xsimd_version_major, arch.xsimd_version_minor);
    doctest::Context context;
    context.applyCommandLine(argc, argv);
    return context.run();
}
