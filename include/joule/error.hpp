// joule::error: what every public entry point throws on bad arguments.
//
// The message names the function, the argument and the values, for example
//     joule::matmul: A.cols (64) != B.rows (65)
// Entry points check their arguments before touching any data, so a throw leaves outputs
// unmodified. Inner loops are never checked.
//
// With JOULE_NO_EXCEPTIONS defined (or when the compiler has exceptions disabled) the same
// message is written to stderr and the program aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "joule/detail/config.hpp"

namespace joule
{
    /// Thrown for invalid arguments. Arch-neutral, so it can be caught in any translation unit.
    class error : public std::invalid_argument
    {
    public:
        JOULE_ARCH_TAG explicit error(const std::string& message)
            : std::invalid_argument(message)
        {
        }
    };

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class... Parts>
        std::string format_message(const char* function, const Parts&... parts)
        {
            std::ostringstream out;
            out << "joule::" << function << ": ";
            (out << ... << parts);
            return out.str();
        }

        /// Reports a bad argument: throws joule::error, or prints and aborts without exceptions.
        [[noreturn]] JOULE_NOINLINE inline void raise(const std::string& message)
        {
#if JOULE_HAS_EXCEPTIONS
            throw ::joule::error(message);
#else
            std::fputs(message.c_str(), stderr);
            std::fputc('\n', stderr);
            std::fflush(stderr);
            std::abort();
#endif
        }

        /// fail("matmul", "A.cols (", 64, ") != B.rows (", 65, ")") -> "joule::matmul: A.cols (64) != ..."
        template <class... Parts>
        [[noreturn]] JOULE_NOINLINE void fail(const char* function, const Parts&... parts)
        {
            raise(format_message(function, parts...));
        }

        /// "joule::f: <a_name> (a) != <b_name> (b)" unless a == b.
        template <class T, class U>
        void check_equal(const char* function, const char* a_name, const T& a, const char* b_name, const U& b)
        {
            if (JOULE_UNLIKELY(!(a == b)))
                fail(function, a_name, " (", a, ") != ", b_name, " (", b, ")");
        }

        /// "joule::f: <name> is null but <count_name> is <count>" when a null pointer has work to do.
        inline void check_pointer(const char* function, const char* name, const void* p, const char* count_name,
                                  std::size_t count)
        {
            if (JOULE_UNLIKELY(p == nullptr && count != 0))
                fail(function, name, " is null but ", count_name, " is ", count);
        }

        /// "joule::f: <a_name> and <b_name> overlap" when two byte ranges share memory.
        inline void check_disjoint(const char* function, const char* a_name, const void* a, std::size_t a_bytes,
                                   const char* b_name, const void* b, std::size_t b_bytes)
        {
            const auto a0 = reinterpret_cast<std::uintptr_t>(a);
            const auto b0 = reinterpret_cast<std::uintptr_t>(b);
            if (JOULE_UNLIKELY(a_bytes != 0 && b_bytes != 0 && a0 < b0 + b_bytes && b0 < a0 + a_bytes))
                fail(function, a_name, " [", a, ", +", a_bytes, " bytes) and ", b_name, " [", b, ", +", b_bytes,
                     " bytes) overlap");
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
