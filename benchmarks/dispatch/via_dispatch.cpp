// The dispatched side of the dispatch-overhead benchmark: compiled with JOULE_DISPATCH (added
// by joule_enable_dispatch), so joule's entry points go through the kernel table.
#include <joule/convert.hpp>
#include <joule/dispatch.hpp>
#include <joule/matmul.hpp>
#include <joule/softmax.hpp>

#include "dispatch/dispatch_kernels.hpp"

#if !defined(JOULE_DISPATCH)
#error "via_dispatch.cpp must be compiled with runtime dispatch"
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

joule_bench_dispatch::calls joule_bench_dispatch::dispatched()
{
    return calls{joule::active_arch().level, &sgemm, &f32_to_f16, &softmax};
}
