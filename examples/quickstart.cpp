// The README's example: store weights as f16 (half the bytes), read them back as float.
#include <cstdio>
#include <vector>

#include <joule/joule.hpp>

int main()
{
    std::vector<float> weights = {0.1f, -1.5f, 3.14159f, 65504.0f, 1e-6f};
    std::vector<joule::f16> packed(weights.size());
    joule::convert(weights.data(), packed.data(), weights.size()); // round to nearest even

    std::vector<float> restored(weights.size());
    joule::convert(packed.data(), restored.data(), restored.size()); // exact

    for (std::size_t i = 0; i < weights.size(); ++i)
        std::printf("%-12g -> f16 0x%04x -> %g\n", weights[i], packed[i].bits, restored[i]);
    std::printf("kernels built for %s\n", joule::compiled_arch().isa);
}
