#pragma once
#include <cstddef>
#include <cstdint>

struct odr_copy
{
    const char* isa;
    void (*convert_to_f16)(const float*, std::uint16_t*, std::size_t);
    const void* public_kernel;
    const void* inner_kernel;
};

odr_copy odr_copy_baseline();
odr_copy odr_copy_v3();
