// The calls dispatch_bench.cpp times, in two builds of the same level's kernels: through
// runtime dispatch (via_dispatch.cpp, compiled with JOULE_DISPATCH) and directly
// (direct.cpp, compiled once per level with exactly that level's flags). Both builds name the
// same kernel instantiations (same flags, same inline namespace), so the linker keeps one copy
// and the two calls run the same machine code: what differs is only the way in (the table
// lookup and indirect call of dispatch, against a direct call).
//
// Plain types only: this header is shared by translation units with different flags.
#pragma once

#include <cstddef>
#include <cstdint>

namespace joule_bench_dispatch
{
    struct calls
    {
        const char* level;
        /// C = A * B, n x n x n, all row-major float.
        void (*sgemm)(const float* a, const float* b, float* c, std::size_t n);
        /// y = f16(x), n elements (y as f16 bits).
        void (*f32_to_f16)(const float* x, std::uint16_t* y, std::size_t n);
        /// y = softmax(x), one row of n floats.
        void (*softmax)(const float* x, float* y, std::size_t n);
    };

    /// Through runtime dispatch; `level` is the one dispatch chose.
    calls dispatched();
    /// The direct build of `level`, or null when it was not built.
    const calls* direct(const char* level);
} // namespace joule_bench_dispatch
