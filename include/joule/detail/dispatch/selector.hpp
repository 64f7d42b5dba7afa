// The run-time selector behind joule::dispatch::active(): picks the best kernel table the CPU
// can run, once, honouring JOULE_ARCH and joule::force_arch(). Included only by the selector
// translation unit that joule_enable_dispatch generates (compiled with the target's own, baseline
// flags), which defines the joule::dispatch functions exactly once per program.
//
// Invariant: a level's table function is called only after the CPU was found to support that
// level. The function's translation unit is compiled for the level, so even its static
// initialisation may use the level's instructions.
#pragma once

#if defined(JOULE_DISPATCH)
#error "the selector translation unit must be compiled without JOULE_DISPATCH"
#endif

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "joule/detail/dispatch/cpu_features.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/dispatch.hpp"
#include "joule/error.hpp"

namespace joule
{
    namespace dispatch
    {
        /// One compiled level: its name and the function returning its table.
        struct level_entry
        {
            const char* name;
            const kernel_table& (*table)();
        };
    } // namespace dispatch

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Whether this CPU can run the kernels compiled for `level` (the names of
        /// joule_enable_dispatch; see JOULE_DETAIL_ISA_LEVEL for the compile-time side).
        inline bool level_supported(const char* level, const cpu_features& f) noexcept
        {
            const auto is = [level](const char* name) { return std::strcmp(level, name) == 0; };
            const bool v2 = f.sse2 && f.sse3 && f.ssse3 && f.sse41 && f.sse42 && f.popcnt;
            const bool v3 = v2 && f.avx && f.avx2 && f.fma && f.f16c && f.bmi1 && f.bmi2 && f.lzcnt && f.movbe;
            const bool v4 = v3 && f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl;
            if (is("sse2"))
                return f.sse2;
            if (is("sse4.2"))
                return v2;
            if (is("avx2"))
                return v3;
            if (is("avxvnni"))
                return v3 && f.avxvnni;
            if (is("x86-64-v4"))
                return v4;
            if (is("avx512"))
                return v4 && f.avx512vnni;
            if (is("neon"))
                return f.neon;
            if (is("dotprod"))
                return f.neon && f.dotprod;
            if (is("i8mm"))
                return f.neon && f.dotprod && f.i8mm;
            if (is("armv7-neon"))
                return f.neon && f.vfpv4;
            // Levels without SIMD requirements run anywhere their translation unit's target runs.
            return is("arm") || is("riscv64") || is("generic") || is("scalar");
        }

        template <std::size_t N>
        class level_selector
        {
        public:
            explicit level_selector(const dispatch::level_entry (&levels)[N]) noexcept
                : levels_(levels)
                , cpu_(detect_cpu_features())
            {
            }

            const dispatch::kernel_table& active()
            {
                if (const dispatch::kernel_table* t = dispatch::current_table.load(std::memory_order_acquire))
                    return *t;
                std::lock_guard<std::mutex> lock(mutex_);
                if (const dispatch::kernel_table* t = dispatch::current_table.load(std::memory_order_acquire))
                    return *t;
                const char* forced = std::getenv("JOULE_ARCH");
                const dispatch::kernel_table* t =
                    (forced && *forced) ? &choose("dispatch", "JOULE_ARCH=", forced) : &best_usable();
                dispatch::current_table.store(t, std::memory_order_release);
                return *t;
            }

            void force(const char* level)
            {
                if (level == nullptr)
                    fail("force_arch", "level is null");
                const dispatch::kernel_table& t = choose("force_arch", "level ", level);
                std::lock_guard<std::mutex> lock(mutex_); // not undone by a first choice in flight
                dispatch::current_table.store(&t, std::memory_order_release);
            }

            std::vector<std::string> compiled() const
            {
                std::vector<std::string> names;
                for (const auto& l : levels_)
                    names.emplace_back(l.name);
                return names;
            }

            std::vector<std::string> usable() const
            {
                std::vector<std::string> names;
                for (const auto& l : levels_)
                    if (level_supported(l.name, cpu_))
                        names.emplace_back(l.name);
                return names;
            }

        private:
            static std::string join(const std::vector<std::string>& names)
            {
                std::string s;
                for (const auto& n : names)
                    s += (s.empty() ? "" : ", ") + n;
                return s.empty() ? "none" : s;
            }

            const dispatch::kernel_table& checked_table(const dispatch::level_entry& l) const
            {
                const dispatch::kernel_table& t = l.table();
#define JOULE_DISPATCH_CHECK_FIELD(field, signature, implementation)                                                   \
    if (t.field == nullptr)                                                                                            \
        fail("dispatch", "level '", l.name, "' has no kernel " #field " (was it built from another joule?)");
                JOULE_DISPATCH_KERNELS(JOULE_DISPATCH_CHECK_FIELD)
#undef JOULE_DISPATCH_CHECK_FIELD
                return t;
            }

            /// The table of `level`; `who` and `what` name the request in error messages.
            const dispatch::kernel_table& choose(const char* who, const char* what, const char* level) const
            {
                for (const auto& l : levels_)
                {
                    if (std::strcmp(l.name, level) != 0)
                        continue;
                    if (!level_supported(l.name, cpu_))
                        fail(who, what, level, ": this CPU cannot run those kernels; usable here: ", join(usable()));
                    return checked_table(l);
                }
                fail(who, what, level, ": not compiled into this program; compiled: ", join(compiled()),
                     "; usable on this CPU: ", join(usable()));
            }

            const dispatch::kernel_table& best_usable() const
            {
                for (const auto& l : levels_) // listed best first
                    if (level_supported(l.name, cpu_))
                        return checked_table(l);
                fail("dispatch", "this CPU can run none of the compiled levels (", join(compiled()), ")");
            }

            const dispatch::level_entry (&levels_)[N];
            const cpu_features cpu_;
            std::mutex mutex_;
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

/// Defines the joule::dispatch functions over `levels` (an array of level_entry, best first).
#define JOULE_DISPATCH_DEFINE_SELECTOR(levels)                                                                         \
    namespace                                                                                                          \
    {                                                                                                                  \
        ::joule::detail::level_selector<sizeof(levels) / sizeof(levels[0])>& joule_dispatch_selector()                \
        {                                                                                                              \
            static ::joule::detail::level_selector<sizeof(levels) / sizeof(levels[0])> selector(levels);              \
            return selector;                                                                                           \
        }                                                                                                              \
    }                                                                                                                  \
    const ::joule::dispatch::kernel_table& joule::dispatch::active() { return joule_dispatch_selector().active(); }    \
    void joule::dispatch::force(const char* level) { joule_dispatch_selector().force(level); }                        \
    std::vector<std::string> joule::dispatch::compiled_levels() { return joule_dispatch_selector().compiled(); }      \
    std::vector<std::string> joule::dispatch::usable_levels() { return joule_dispatch_selector().usable(); }
