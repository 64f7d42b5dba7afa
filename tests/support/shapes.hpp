// Awkward sizes shared by every kernel's tests: empty, tiny, primes, and every remainder modulo
// the SIMD widths and tile sizes a kernel may use, so each tail path runs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace joule_test
{
    /// True where the tests run under qemu-user (CI's AArch64, RISC-V and 32-bit ARM
    /// configurations, every non-x86-64 build here): the heaviest sweeps take fewer samples
    /// there, never fewer remainders.
    inline bool qemu_like_slow()
    {
#if defined(__x86_64__)
        return false;
#else
        return true;
#endif
    }

    /// 0, 1, 2, ..., `dense_up_to` (every remainder modulo any width <= dense_up_to), then primes
    /// and powers of two (+-1) up to `max_size`.
    inline std::vector<std::size_t> awkward_sizes(std::size_t dense_up_to = 130, std::size_t max_size = 5000)
    {
        std::vector<std::size_t> sizes;
        for (std::size_t n = 0; n <= dense_up_to && n <= max_size; ++n)
            sizes.push_back(n);
        for (std::size_t p : {131u, 257u, 509u, 1021u, 2039u, 4093u, 4099u})
            if (p <= max_size)
                sizes.push_back(p);
        for (std::size_t p = 256; p <= max_size; p *= 2)
            for (std::size_t n : {p - 1, p, p + 1})
                sizes.push_back(n);
        std::sort(sizes.begin(), sizes.end());
        sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
        return sizes;
    }

    /// Byte offsets that make a pointer misaligned for every SIMD width (element size `elem`).
    inline std::vector<std::size_t> misalignments(std::size_t elem)
    {
        return {0, elem, 3 * elem, 64 - elem};
    }
} // namespace joule_test
