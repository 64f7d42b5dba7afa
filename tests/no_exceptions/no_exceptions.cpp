// Built with JOULE_NO_EXCEPTIONS, once with -fno-exceptions and once with exceptions still
// enabled: either way a bad argument must print joule's message to stderr and abort
// (run_no_exceptions.cmake checks both).
#include <cstdio>

#include <joule/convert.hpp>

static void call_with_bad_arguments()
{
    float x[3] = {1, 2, 3};
    joule::convert(x, static_cast<joule::f16*>(nullptr), 3);
}

int main()
{
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    // Exceptions are on: an uncaught joule::error would also end in an abort with the message on
    // stderr (std::terminate), so catch it here to make a throw fail the test.
    try {
        call_with_bad_arguments();
    } catch (...) {
        std::puts("threw an exception although JOULE_NO_EXCEPTIONS is defined");
        return 0;
    }
#else
    call_with_bad_arguments();
#endif
    std::puts("returned from a call with bad arguments");
    return 0;
}
