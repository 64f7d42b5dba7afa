// A separate project's program using joule the way the README says: it calls a kernel and
// checks the result, so a consumer test fails when headers, flags or dependencies are wrong.
#include <cstdio>

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
    std::printf("consumer ok: joule kernels for %s\n", joule::compiled_arch().isa);
    return 0;
}
