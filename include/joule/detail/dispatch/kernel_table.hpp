// The table of kernels runtime dispatch chooses between: one instance per instruction-set
// level, built in a translation unit compiled for that level (see cmake/jouleDispatch.cmake).
//
// JOULE_DISPATCH_KERNELS lists every dispatched kernel once: X(field, signature, implementation).
// The table type is arch-neutral (plain function pointers over arch-neutral types), so every
// translation unit sees the same type; `implementation` is only expanded inside the per-level
// translation units, where it names that level's instantiation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/arch.hpp"

// clang-format off
#define JOULE_DISPATCH_KERNELS(X)                                                                                      \
    X(f32_to_f16_row, void(const float*, std::uint16_t*, std::size_t), detail::f32_to_f16_row<simd::native_arch>)     \
    X(f16_to_f32_row, void(const std::uint16_t*, float*, std::size_t), detail::f16_to_f32_row<simd::native_arch>)     \
    X(f32_to_bf16_row, void(const float*, std::uint16_t*, std::size_t), detail::f32_to_bf16_row<simd::native_arch>)   \
    X(bf16_to_f32_row, void(const std::uint16_t*, float*, std::size_t), detail::bf16_to_f32_row<simd::native_arch>)
// clang-format on

namespace joule
{
    namespace dispatch
    {
        struct kernel_table
        {
            arch_info info; ///< what the level's translation unit was compiled for (info.level is its name)
#define JOULE_DISPATCH_DECLARE_FIELD(field, signature, implementation) std::add_pointer_t<signature> field = nullptr;
            JOULE_DISPATCH_KERNELS(JOULE_DISPATCH_DECLARE_FIELD)
#undef JOULE_DISPATCH_DECLARE_FIELD
        };

        /// The table in use; chosen at the first call (defined by joule_enable_dispatch's
        /// generated selector, once per program).
        const kernel_table& active();
    } // namespace dispatch
} // namespace joule

/// In a public entry point: the dispatched kernel when runtime dispatch is on, else `direct`.
#if defined(JOULE_DISPATCH)
#define JOULE_DISPATCHED(field, ...) (::joule::dispatch::active().field)
#else
#define JOULE_DISPATCHED(field, ...) (__VA_ARGS__)
#endif
