// Builds the kernel table of one instruction-set level. Included only by the per-level
// translation units that joule_enable_dispatch generates, each compiled with its level's flags,
// so every `implementation` in JOULE_DISPATCH_KERNELS names that level's instantiation.
#pragma once

#if defined(JOULE_DISPATCH)
#error "level translation units must be compiled without JOULE_DISPATCH"
#endif

#include "joule/joule.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        inline dispatch::kernel_table make_level_table() noexcept
        {
            dispatch::kernel_table t;
            t.info = compiled_arch();
#define JOULE_DISPATCH_FILL_FIELD(field, signature, implementation) t.field = implementation;
            JOULE_DISPATCH_KERNELS(JOULE_DISPATCH_FILL_FIELD)
#undef JOULE_DISPATCH_FILL_FIELD
            return t;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
