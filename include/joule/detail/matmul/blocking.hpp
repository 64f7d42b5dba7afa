// Cache sizes and the GEMM block sizes derived from them (the NC, KC, MC of the Goto / BLIS
// loops). The register tile (MR x NR) is per instruction set: tile_<isa>.hpp.
//
// How the blocks follow from the caches (row-major formulation, C tile MR x NR):
// - KC: a KC x NR micro-panel of B is reused by every MR x KC micro-panel of A that streams
//   past it: KC * NR * 4 bytes is at most the L1 size, and KC is capped at 512. A longer KC
//   means fewer passes over C (its tile is loaded and stored once per KC slice), which pays
//   even when the B micro-panel fills L1 and part of it is re-read from L2 (L2 feeds one 64-byte
//   B row per 12 FMAs easily). Measured on Zen 3 (32 KiB L1, 6 x 16 tile, 2026-12-07, medians of
//   interleaved rounds against OpenBLAS in the same process): KC 512 / MC 126 / NC 4096 beat
//   KC 256 / MC 252 / NC 8192 by 2-5% at 1024^3 and 2048^3, and by 11% at 128^3; KC 384 and 448
//   fell between. On Zen 4 the 8 x 32 tile (AVX-512) gets 256 from the same rule: there KC 128
//   measured 4-6% slower than 256, MC 256 instead of 512 and a software prefetch of packed A
//   within the +-2% noise (2026-11-26).
// - MC: the MC x KC block of A stays in L2 while the B micro-panels of one NC block pass over
//   it: MC * KC * 4 bytes takes about half of L2.
// - NC: the KC x NC block of B stays in the (shared) L3: a quarter of it.
// - NC_small: the small-M path (M <= 16) does not pack A; its KC x NC block of B is reused by
//   every MR rows of C from L2, so it takes about half of L2.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "joule/detail/config.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Data cache sizes in bytes, per core (L3: as reported, usually shared).
        struct cache_sizes
        {
            std::size_t l1d = 32 * 1024;
            std::size_t l2 = 512 * 1024;
            std::size_t l3 = 8 * 1024 * 1024;
        };

        /// Reads "/sys/devices/system/cpu/cpu0/cache/index<i>/<field>" ("32K", "1024K", "Data", ...).
        inline bool read_sysfs_cache_field(int index, const char* field, char* out, std::size_t size)
        {
            char path[128];
            std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, field);
            std::FILE* f = std::fopen(path, "r");
            if (!f)
                return false;
            const bool ok = std::fgets(out, static_cast<int>(size), f) != nullptr;
            std::fclose(f);
            return ok;
        }

        inline std::size_t parse_cache_size(const char* s)
        {
            char* end = nullptr;
            const unsigned long long v = std::strtoull(s, &end, 10);
            if (end == s)
                return 0;
            if (*end == 'K')
                return static_cast<std::size_t>(v) * 1024;
            if (*end == 'M')
                return static_cast<std::size_t>(v) * 1024 * 1024;
            return static_cast<std::size_t>(v);
        }

        /// Linux sysfs first (exact per-core figures), then sysconf, then typical desktop sizes.
        /// Values outside a sane range (some VMs report 0 or absurd L3 sizes) are ignored.
        inline cache_sizes query_cache_sizes() noexcept
        {
            cache_sizes c;
            bool found[4] = {false, false, false, false};
            for (int index = 0; index < 8; ++index)
            {
                char level[16], type[32], size[32];
                if (!read_sysfs_cache_field(index, "level", level, sizeof level) ||
                    !read_sysfs_cache_field(index, "type", type, sizeof type) ||
                    !read_sysfs_cache_field(index, "size", size, sizeof size))
                    continue;
                if (type[0] == 'I') // Instruction cache
                    continue;
                const int l = std::atoi(level);
                const std::size_t bytes = parse_cache_size(size);
                if (l == 1 && bytes >= 8 * 1024 && bytes <= 1024 * 1024)
                    c.l1d = bytes, found[1] = true;
                else if (l == 2 && bytes >= 64 * 1024 && bytes <= 64 * 1024 * 1024)
                    c.l2 = bytes, found[2] = true;
                else if (l == 3 && bytes >= 512 * 1024 && bytes <= 1024 * 1024 * 1024)
                    c.l3 = bytes, found[3] = true;
            }
#if defined(_SC_LEVEL1_DCACHE_SIZE)
            const long s1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), s2 = sysconf(_SC_LEVEL2_CACHE_SIZE),
                       s3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
            if (!found[1] && s1 >= 8 * 1024 && s1 <= 1024 * 1024)
                c.l1d = static_cast<std::size_t>(s1);
            if (!found[2] && s2 >= 64 * 1024 && s2 <= 64L * 1024 * 1024)
                c.l2 = static_cast<std::size_t>(s2);
            if (!found[3] && s3 >= 512 * 1024 && s3 <= 1024L * 1024 * 1024)
                c.l3 = static_cast<std::size_t>(s3);
#endif
            if (!found[3] && c.l3 < c.l2) // no L3 (many ARM boards): the L2 is the last level
                c.l3 = c.l2;
            return c;
        }

        inline const cache_sizes& machine_caches() noexcept
        {
            static const cache_sizes c = query_cache_sizes();
            return c;
        }

        /// The loop blocks of one GEMM, for a register tile of mr x nr floats.
        struct gemm_blocking
        {
            std::size_t kc, mc, nc, nc_small;
        };

        inline std::size_t round_down_to(std::size_t x, std::size_t step, std::size_t at_least)
        {
            return std::max(at_least, x / step * step);
        }

        inline gemm_blocking make_blocking(const cache_sizes& c, std::size_t mr, std::size_t nr) noexcept
        {
            gemm_blocking b{};
            b.kc = std::min<std::size_t>(512, round_down_to(c.l1d / (nr * sizeof(float)), 16, 128));
            b.mc = std::min<std::size_t>(1024 / mr * mr, round_down_to(c.l2 / 2 / (b.kc * sizeof(float)), mr, mr));
            b.nc = std::min<std::size_t>(8192 / nr * nr, round_down_to(c.l3 / 4 / (b.kc * sizeof(float)), nr, nr));
            b.nc_small = std::min(b.nc, round_down_to(c.l2 / 2 / (b.kc * sizeof(float)), nr, nr));
            return b;
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
