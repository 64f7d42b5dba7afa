// The ODR-safety test: two translation units built with different -march flags call the same
// public kernel; both must compute the right result and resolve to different instantiations.
// `--baseline-only` runs just the baseline copy, for a CPU without AVX (qemu -cpu Nehalem):
// it must not crash with SIGILL, which it would if the linker had kept the AVX2 copy.
#include <cstdio>
#include <cstring>
#include <vector>

#include "odr_tu.hpp"

namespace
{
    int failures = 0;
    void expect(bool ok, const char* what)
    {
        std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
        failures += ok ? 0 : 1;
    }

    bool converts_correctly(const odr_copy& c)
    {
        // 1.0 -> 0x3c00, 65504 -> 0x7bff, 1/3 -> 0x3555 (nearest even), 70000 -> inf, -2 -> 0xc000
        const float x[] = {1.0f, 65504.0f, 1.0f / 3.0f, 70000.0f, -2.0f, 0.0f, 0.5f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,
                           1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,
                           1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
        const std::size_t n = sizeof x / sizeof x[0];
        std::vector<std::uint16_t> y(n);
        c.convert_to_f16(x, y.data(), n);
        const std::uint16_t head[] = {0x3c00, 0x7bff, 0x3555, 0x7c00, 0xc000, 0x0000, 0x3800};
        for (std::size_t i = 0; i < n; ++i)
            if (y[i] != (i < 7 ? head[i] : 0x3c00))
                return false;
        return true;
    }
} // namespace

int main(int argc, char** argv)
{
    const bool baseline_only = argc > 1 && std::strcmp(argv[1], "--baseline-only") == 0;
    const odr_copy base = odr_copy_baseline();
    std::printf("baseline copy: isa=%s\n", base.isa);
    expect(converts_correctly(base), "baseline translation unit converts correctly");
    if (baseline_only)
        return failures == 0 ? 0 : 1;

    const odr_copy v3 = odr_copy_v3();
    std::printf("x86-64-v3 copy: isa=%s\n", v3.isa);
    expect(std::strcmp(base.isa, v3.isa) != 0, "the two copies report different instruction sets");
    expect(base.public_kernel != v3.public_kernel, "joule::convert resolved to two different instantiations");
    expect(base.inner_kernel != v3.inner_kernel, "the inner row kernel resolved to two different instantiations");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        expect(converts_correctly(v3), "x86-64-v3 translation unit converts correctly");
    else
        std::printf("skip: this CPU lacks AVX2/FMA/F16C, the x86-64-v3 copy is not run\n");
    return failures == 0 ? 0 : 1;
}
