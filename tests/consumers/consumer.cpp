// A separate project's program using joule the way the README says: it calls a kernel and
// checks the result, so a consumer test fails when headers, flags or dependencies are wrong.
// Built with JOULE_CONSUMER_PACKAGE_VERSION (the version the package manager or build system
// reported: CMake config, pkg-config, .deb, Conan), it also checks joule/version.hpp against it.
#include <cstdio>
#include <cstring>

#include <joule/joule.hpp>

int main()
{
    const float x[9] = {1.0f, -2.0f, 0.5f, 65504.0f, 70000.0f, 1.0f / 3.0f, 0.0f, 3.0f, 1024.0f};
    joule::f16 h[9];
    float back[9];
    joule::convert(x, h, 9);
    joule::convert(h, back, 9);
    const float want[9] = {1.0f, -2.0f, 0.5f, 65504.0f, __builtin_inff(), 0.333251953125f, 0.0f, 3.0f, 1024.0f};
    for (int i = 0; i < 9; ++i)
    {
        if (back[i] != want[i])
        {
            std::printf("consumer: element %d is %g, expected %g\n", i, back[i], want[i]);
            return 1;
        }
    }
    try
    {
        joule::convert(x, static_cast<joule::f16*>(nullptr), 9);
        std::printf("consumer: no joule::error for a null output\n");
        return 1;
    }
    catch (const joule::error&)
    {
    }
#if defined(JOULE_CONSUMER_PACKAGE_VERSION)
    if (std::strcmp(JOULE_VERSION_STRING, JOULE_CONSUMER_PACKAGE_VERSION) != 0)
    {
        std::printf("consumer: joule/version.hpp says %s but the package says %s\n", JOULE_VERSION_STRING,
                    JOULE_CONSUMER_PACKAGE_VERSION);
        return 1;
    }
    const char* package_version = JOULE_CONSUMER_PACKAGE_VERSION;
#else
    const char* package_version = "not given";
#endif
    static_assert(JOULE_VERSION == JOULE_VERSION_MAJOR * 10000 + JOULE_VERSION_MINOR * 100 + JOULE_VERSION_PATCH,
                  "JOULE_VERSION encodes the three parts");
    std::printf("consumer ok: joule %s (package version: %s), kernels for %s\n", JOULE_VERSION_STRING,
                package_version, joule::compiled_arch().isa);
    return 0;
}
