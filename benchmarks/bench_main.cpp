// joule-bench's entry point: Google Benchmark's own main, preceded by a line naming the
// instruction set joule's kernels were compiled for.
#include <cstdio>

#include <benchmark/benchmark.h>

#include <joule/arch.hpp>

int main(int argc, char** argv)
{
    const joule::arch_info arch = joule::compiled_arch();
    std::printf("joule-bench: kernels built for isa=%s simd=%s (%zu float lanes), xsimd %d.%d\n", arch.isa,
                arch.simd, arch.float_lanes, arch.xsimd_version_major, arch.xsimd_version_minor);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
