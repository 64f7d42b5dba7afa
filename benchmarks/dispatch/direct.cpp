// The direct side of the dispatch-overhead benchmark, compiled once per level with that
// level's flags (benchmarks/CMakeLists.txt); JOULE_BENCH_DIRECT_ID names this copy's entry.
#include <joule/convert.hpp>
#include <joule/matmul.hpp>
#include <joule/softmax.hpp>

#include "dispatch/dispatch_kernels.hpp"

#if defined(JOULE_DISPATCH)
#error "direct.cpp must be compiled without runtime dispatch"
#endif

namespace
{
    void sgemm(const float* a, const float* b, float* c, std::size_t n)
    {
        joule::matmul(joule::matrix_view<const float>(a, n, n), joule::matrix_view<const float>(b, n, n),
                      joule::matrix_view<float>(c, n, n));
    }
    void f32_to_f16(const float* x, std::uint16_t* y, std::size_t n)
    {
        joule::convert(x, reinterpret_cast<joule::f16*>(y), n);
    }
    void softmax(const float* x, float* y, std::size_t n) { joule::softmax(x, y, n); }
} // namespace

#define JOULE_BENCH_CAT2(a, b) a##b
#define JOULE_BENCH_CAT(a, b) JOULE_BENCH_CAT2(a, b)

const joule_bench_dispatch::calls& JOULE_BENCH_CAT(joule_bench_direct_, JOULE_BENCH_DIRECT_ID)()
{
    static const joule_bench_dispatch::calls c{JOULE_ARCH_LEVEL, &sgemm, &f32_to_f16, &softmax};
    return c;
}
