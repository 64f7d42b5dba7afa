// Packing: copies blocks of A and B from any matrix_view into the micro-kernel's layouts,
// widening f16 / bf16 to float on the way (in registers, through the convert codecs).
//
// A block (mc x kc) -> ceil(mc / mr) panels of kc x mr floats: element (i, k) of panel p at
//   dst[p * kc * mr + k * mr + i]. Rows past mc in the last panel are left unwritten: the
//   exact-size edge kernels never read them.
// B block (kc x nc) -> ceil(nc / nr) panels of kc x nr elements: element (k, j) of panel p at
//   dst[p * panel_stride + k * nr + j], zero past nc. The same routine writes joule::pack's
//   16-bit panels without widening (Dst = the 16-bit type).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "joule/convert.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// dst[0 .. n) = float(src[0 .. n)).
        template <class A, class T>
        void widen_segment(const T* src, std::size_t n, float* dst) noexcept
        {
            if constexpr (std::is_same<T, float>::value)
                std::memcpy(dst, src, n * sizeof(float));
            else if constexpr (std::is_same<T, f16>::value)
                f16_to_f32_row<A>(bits_of(src), dst, n);
            else
                bf16_to_f32_row<A>(bits_of(src), dst, n);
        }

        /// One element as the packed type: float widens, a 16-bit type copies its bits.
        template <class Dst, class T>
        JOULE_ALWAYS_INLINE Dst element_as(const T& x) noexcept
        {
            if constexpr (std::is_same<Dst, T>::value)
                return x;
            else
                return static_cast<float>(x);
        }

        /// One A panel from mp float rows (rows[i], kc floats each): panel[k * mr + i] =
        /// rows[i][k]. The generic version goes k by k, so that it reads the mp rows side by side
        /// (mp streams in flight instead of one) and writes the panel in order; pack_x86.hpp
        /// transposes eight k at a time in registers.
        template <class A, class Enable = void>
        struct pack_a_panel
        {
            static void run(const float* const* rows, std::size_t mp, std::size_t kc, std::size_t mr,
                            float* JOULE_RESTRICT panel) noexcept
            {
                for (std::size_t k = 0; k < kc; ++k)
                    for (std::size_t i = 0; i < mp; ++i)
                        panel[k * mr + i] = rows[i][k];
            }
        };

        /// Packs rows [i0, i0 + mc) x columns [k0, k0 + kc) of A (see the top of this file).
        /// tmp: mr * kc floats of scratch (16-bit A is widened there, a row at a time).
        template <class A, class TA>
        void pack_a_block(const matrix_view<const TA>& a, std::size_t i0, std::size_t k0, std::size_t mc,
                          std::size_t kc, std::size_t mr, float* JOULE_RESTRICT dst, float* JOULE_RESTRICT tmp) noexcept
        {
            constexpr std::size_t max_mr = 16;
            for (std::size_t p = 0; p * mr < mc; ++p)
            {
                const std::size_t r0 = i0 + p * mr, mp = std::min(mr, mc - p * mr);
                float* panel = dst + p * kc * mr;
                if (a.col_stride == 1 && mr <= max_mr)
                {
                    const float* rows[max_mr];
                    for (std::size_t i = 0; i < mp; ++i)
                    {
                        const TA* row = a.row(r0 + i) + k0;
                        if constexpr (std::is_same<TA, float>::value)
                            rows[i] = row;
                        else
                            widen_segment<A>(row, kc, tmp + i * kc), rows[i] = tmp + i * kc;
                    }
#if defined(__GNUC__)
                    if ((p + 1) * mr < mc)
                        for (std::size_t i = 0; i < std::min(mr, mc - (p + 1) * mr); ++i)
                        {
                            const char* next = reinterpret_cast<const char*>(a.row(r0 + mr + i) + k0);
                            for (std::size_t b = 0; b < kc * sizeof(TA); b += 64)
                                __builtin_prefetch(next + b);
                        }
#endif
                    pack_a_panel<A>::run(rows, mp, kc, mr, panel);
                }
                else if (a.row_stride == 1)
                {
                    for (std::size_t k = 0; k < kc; ++k)
                        widen_segment<A>(&a(r0, k0 + k), mp, panel + k * mr);
                }
                else
                {
                    for (std::size_t k = 0; k < kc; ++k)
                        for (std::size_t i = 0; i < mp; ++i)
                            panel[k * mr + i] = static_cast<float>(a(r0 + i, k0 + k));
                }
            }
        }

        /// Packs rows [k0, k0 + kc) x columns [j0, j0 + nc) of B into panels of nr columns,
        /// panel p at dst + p * panel_stride (see the top of this file). tmp: max(kc, nc) floats.
        template <class A, class Dst, class TB>
        void pack_b_panels(const matrix_view<const TB>& b, std::size_t k0, std::size_t j0, std::size_t kc,
                           std::size_t nc, std::size_t nr, Dst* JOULE_RESTRICT dst, std::size_t panel_stride,
                           float* JOULE_RESTRICT tmp) noexcept
        {
            constexpr bool widen = std::is_same<Dst, float>::value && !std::is_same<TB, float>::value;
            const std::size_t panels = (nc + nr - 1) / nr;
            if (b.col_stride == 1 || b.cols == 1)
            {
                for (std::size_t k = 0; k < kc; ++k)
                {
                    const TB* row = b.row(k0 + k) + j0;
                    const Dst* src;
                    if constexpr (widen)
                        widen_segment<A>(row, nc, tmp), src = tmp;
                    else
                        src = row;
                    for (std::size_t p = 0; p < panels; ++p)
                    {
                        const std::size_t np = std::min(nr, nc - p * nr);
                        Dst* out = dst + p * panel_stride + k * nr;
                        if (np == nr && nr % 8 == 0)
                        {
                            // Fixed-size pieces compile to vector moves; a memcpy of a run-time
                            // size became `rep movsl`, 3.5% of a 1024^3 GEMM on Zen 3.
                            for (std::size_t q = 0; q < nr; q += 8)
                                std::memcpy(out + q, src + p * nr + q, 8 * sizeof(Dst));
                            continue;
                        }
                        std::memcpy(out, src + p * nr, np * sizeof(Dst));
                        if (np < nr)
                            std::memset(static_cast<void*>(out + np), 0, (nr - np) * sizeof(Dst));
                    }
                }
            }
            else if (b.row_stride == 1)
            {
                for (std::size_t j = 0; j < nc; ++j)
                {
                    const TB* col = &b(k0, j0 + j);
                    Dst* out = dst + (j / nr) * panel_stride + j % nr;
                    if constexpr (widen)
                    {
                        widen_segment<A>(col, kc, tmp);
                        for (std::size_t k = 0; k < kc; ++k)
                            out[k * nr] = tmp[k];
                    }
                    else
                    {
                        for (std::size_t k = 0; k < kc; ++k)
                            out[k * nr] = col[k];
                    }
                }
                for (std::size_t j = nc; j < panels * nr; ++j)
                    for (std::size_t k = 0; k < kc; ++k)
                        std::memset(static_cast<void*>(dst + (j / nr) * panel_stride + k * nr + j % nr), 0, sizeof(Dst));
            }
            else
            {
                for (std::size_t p = 0; p < panels; ++p)
                    for (std::size_t k = 0; k < kc; ++k)
                        for (std::size_t jj = 0; jj < nr; ++jj)
                        {
                            const std::size_t j = p * nr + jj;
                            Dst* out = dst + p * panel_stride + k * nr + jj;
                            if (j < nc)
                                *out = element_as<Dst>(b(k0 + k, j0 + j));
                            else
                                std::memset(static_cast<void*>(out), 0, sizeof(Dst));
                        }
            }
        }

        /// Widens rows [k0, k0 + kc) of panels [p0, p0 + np) of a 16-bit packed matrix into
        /// float panels of kc x nr at dst + q * kc * nr.
        template <class A, class TB>
        void widen_packed_block(const packed_matrix<TB>& bp, std::size_t k0, std::size_t kc, std::size_t p0,
                                std::size_t np, float* JOULE_RESTRICT dst) noexcept
        {
            const std::size_t nr = bp.panel_width();
            for (std::size_t q = 0; q < np; ++q)
                widen_segment<A>(bp.panel(p0 + q) + k0 * nr, kc * nr, dst + q * kc * nr);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
