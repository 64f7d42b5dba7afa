// Compiled twice into one program: once for baseline x86-64, once with -march=x86-64-v3
// (ODR_SUFFIX names the copy). Both copies instantiate the same joule kernel; the ODR test
// checks that they got different symbols, so the linker cannot hand AVX2 code to the baseline
// caller.
#include <cstddef>
#include <cstdint>

#include <joule/arch.hpp>
#include <joule/convert.hpp>

#include "odr_tu.hpp"

#define ODR_CAT2(a, b) a##b
#define ODR_CAT(a, b) ODR_CAT2(a, b)
#define ODR_NAME(name) ODR_CAT(name, ODR_SUFFIX)

odr_copy ODR_NAME(odr_copy_)()
{
    odr_copy c;
    c.isa = joule::compiled_arch().isa;
    c.convert_to_f16 = [](const float* x, std::uint16_t* y, std::size_t n) {
        joule::convert(x, reinterpret_cast<joule::f16*>(y), n);
    };
    // The addresses of the out-of-line instantiations this copy calls.
    c.public_kernel = reinterpret_cast<const void*>(
        static_cast<void (*)(const float*, joule::f16*, std::size_t)>(&joule::convert));
    c.inner_kernel = reinterpret_cast<const void*>(&joule::detail::f32_to_f16_row<joule::simd::native_arch>);
    return c;
}
