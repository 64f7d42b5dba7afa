// Built with -fno-exceptions and JOULE_NO_EXCEPTIONS: a bad argument must print joule's message
// to stderr and abort (run_no_exceptions.cmake checks both).
#include <cstdio>

#include <joule/convert.hpp>

int main()
{
    float x[3] = {1, 2, 3};
    joule::convert(x, static_cast<joule::f16*>(nullptr), 3);
    std::puts("returned from a call with bad arguments");
    return 0;
}
