// M = 1 (GEMV): y = alpha * x * B + beta * y (+ bias). Bandwidth-bound: each weight is read
// once, straight from its own layout, and 16-bit weights are widened in registers (never
// written back as floats). Three layouts of B, three loops:
// - gemv_dot:    B column-major (linear's W rows): one dot product along K per column.
// - gemv_rows:   B row-major: y += x[k] * B[k, :] four rows at a time over a column chunk
//                that stays in L1.
// - gemv_panels: B packed by joule::pack: the panel layout read front to back.
// Each output element's arithmetic depends only on its column and K, never on how columns
// are split into tasks, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "joule/convert.hpp"
#include "joule/detail/matmul/microkernel_generic.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    template <class T>
    class packed_matrix;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// W consecutive elements of T as one float register.
        template <class A, class T>
        JOULE_ALWAYS_INLINE simd::batch<float, A> load_as_float(const T* p) noexcept
        {
            if constexpr (std::is_same<T, float>::value)
                return simd::load<A>(p);
            else if constexpr (std::is_same<T, f16>::value)
                return f16_codec<A>::load(bits_of(p));
            else
                return bf16_codec<A>::load(bits_of(p));
        }

        /// alpha * t (+ beta * y) (+ bias) for one scalar output.
        inline float finish_scalar(float t, float y, const float* bias, const epilogue& ep) noexcept
        {
            float r = ep.alpha * t;
            if (ep.beta != 0.0f)
                r = std::fma(ep.beta, y, r);
            if (bias)
                r += *bias;
            return r;
        }

        /// G dot products of x with columns col[g] (K contiguous elements each).
        template <class A, std::size_t G, class TB>
        JOULE_ALWAYS_INLINE void dot_columns(const float* JOULE_RESTRICT x, std::size_t K, const TB* const* col,
                                             float* out) noexcept
        {
            using batch = simd::batch<float, A>;
            constexpr std::size_t W = simd::width<float, A>;
            batch acc0[G], acc1[G];
            for (std::size_t g = 0; g < G; ++g)
                acc0[g] = batch(0.0f), acc1[g] = batch(0.0f);
            std::size_t k = 0;
            for (; k + 2 * W <= K; k += 2 * W)
            {
                const batch x0 = simd::load<A>(x + k), x1 = simd::load<A>(x + k + W);
                JOULE_UNROLL
                for (std::size_t g = 0; g < G; ++g)
                {
                    acc0[g] = simd::fma(x0, load_as_float<A>(col[g] + k), acc0[g]);
                    acc1[g] = simd::fma(x1, load_as_float<A>(col[g] + k + W), acc1[g]);
                }
            }
            for (; k + W <= K; k += W)
            {
                const batch x0 = simd::load<A>(x + k);
                JOULE_UNROLL
                for (std::size_t g = 0; g < G; ++g)
                    acc0[g] = simd::fma(x0, load_as_float<A>(col[g] + k), acc0[g]);
            }
            for (std::size_t g = 0; g < G; ++g)
            {
                float tail = 0.0f;
                for (std::size_t kk = k; kk < K; ++kk)
                    tail = std::fma(x[kk], static_cast<float>(col[g][kk]), tail);
                out[g] = simd::reduce_add(acc0[g] + acc1[g]) + tail;
            }
        }

        /// Columns [j0, j1) of y = x * B with B column-major (B(k, j) at col(j)[k]).
        template <class A, class TB>
        void gemv_dot(const float* x, const matrix_view<const TB>& b, std::size_t j0, std::size_t j1, float* y,
                      std::size_t incy, const epilogue& ep) noexcept
        {
            const std::size_t K = b.rows;
            constexpr std::size_t G = 4;
            float t[G];
            std::size_t j = j0;
            for (; j + G <= j1; j += G)
            {
                const TB* cols[G];
                for (std::size_t g = 0; g < G; ++g)
                    cols[g] = b.data + (j + g) * b.col_stride;
                dot_columns<A, G>(x, K, cols, t);
                for (std::size_t g = 0; g < G; ++g)
                    y[(j + g) * incy] = finish_scalar(t[g], y[(j + g) * incy], ep.bias ? ep.bias + j + g : nullptr, ep);
            }
            for (; j < j1; ++j)
            {
                const TB* cols[1] = {b.data + j * b.col_stride};
                dot_columns<A, 1>(x, K, cols, t);
                y[j * incy] = finish_scalar(t[0], y[j * incy], ep.bias ? ep.bias + j : nullptr, ep);
            }
        }

        /// Columns of one chunk that gemv_rows accumulates in L1 (task splits are multiples of it).
        constexpr std::size_t gemv_rows_chunk = 2048;

        /// Columns [j0, j1) of y = x * B with B row-major (B(k, j) at row(k)[j]). acc: scratch
        /// of gemv_rows_chunk floats.
        template <class A, class TB>
        void gemv_rows(const float* x, const matrix_view<const TB>& b, std::size_t j0, std::size_t j1, float* y,
                       std::size_t incy, const epilogue& ep, float* JOULE_RESTRICT acc) noexcept
        {
            using batch = simd::batch<float, A>;
            constexpr std::size_t W = simd::width<float, A>;
            const std::size_t K = b.rows;
            for (std::size_t c0 = j0; c0 < j1; c0 += gemv_rows_chunk)
            {
                const std::size_t nc = std::min(gemv_rows_chunk, j1 - c0), nv = nc / W * W;
                std::fill(acc, acc + nc, 0.0f);
                std::size_t k = 0;
                for (; k + 4 <= K; k += 4)
                {
                    const TB* r0 = b.row(k) + c0;
                    const TB* r1 = b.row(k + 1) + c0;
                    const TB* r2 = b.row(k + 2) + c0;
                    const TB* r3 = b.row(k + 3) + c0;
                    const batch x0 = simd::splat<A>(x[k]), x1 = simd::splat<A>(x[k + 1]);
                    const batch x2 = simd::splat<A>(x[k + 2]), x3 = simd::splat<A>(x[k + 3]);
                    for (std::size_t j = 0; j < nv; j += W)
                    {
                        batch s = simd::load<A>(acc + j);
                        s = simd::fma(x0, load_as_float<A>(r0 + j), s);
                        s = simd::fma(x1, load_as_float<A>(r1 + j), s);
                        s = simd::fma(x2, load_as_float<A>(r2 + j), s);
                        s = simd::fma(x3, load_as_float<A>(r3 + j), s);
                        simd::store(acc + j, s);
                    }
                    for (std::size_t j = nv; j < nc; ++j)
                    {
                        float s = acc[j];
                        s = std::fma(x[k], static_cast<float>(r0[j]), s);
                        s = std::fma(x[k + 1], static_cast<float>(r1[j]), s);
                        s = std::fma(x[k + 2], static_cast<float>(r2[j]), s);
                        s = std::fma(x[k + 3], static_cast<float>(r3[j]), s);
                        acc[j] = s;
                    }
                }
                for (; k < K; ++k)
                {
                    const TB* r0 = b.row(k) + c0;
                    const batch x0 = simd::splat<A>(x[k]);
                    for (std::size_t j = 0; j < nv; j += W)
                        simd::store(acc + j, simd::fma(x0, load_as_float<A>(r0 + j), simd::load<A>(acc + j)));
                    for (std::size_t j = nv; j < nc; ++j)
                        acc[j] = std::fma(x[k], static_cast<float>(r0[j]), acc[j]);
                }
                for (std::size_t j = 0; j < nc; ++j)
                    y[(c0 + j) * incy] =
                        finish_scalar(acc[j], y[(c0 + j) * incy], ep.bias ? ep.bias + c0 + j : nullptr, ep);
            }
        }

        /// One row of a packed panel (NV registers) in the order the codec gives: register v
        /// holds columns v * W .. v * W + W - 1.
        template <class A, class TB, std::size_t NV, class Enable = void>
        struct panel_row
        {
            static constexpr bool interleaved = false;
            JOULE_ALWAYS_INLINE static void load(const TB* row, simd::batch<float, A> (&out)[NV]) noexcept
            {
                JOULE_UNROLL
                for (std::size_t v = 0; v < NV; ++v)
                    out[v] = load_as_float<A>(row + v * simd::width<float, A>);
            }
        };

        /// bf16 rows with an even NV: one 32-bit load covers two columns, and a shift (even
        /// column) and a mask (odd column) widen them: two cheap operations per 2 W columns
        /// instead of two zero-extensions across lanes and two shifts. Register 2q holds columns
        /// 2 (q W + l), register 2q + 1 columns 2 (q W + l) + 1.
        template <class A, std::size_t NV>
        struct panel_row<A, bf16, NV,
                         std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && NV % 2 == 0 &&
                                          simd::width<float, A> >= 4>>
        {
            static constexpr bool interleaved = true;
            JOULE_ALWAYS_INLINE static void load(const bf16* row, simd::batch<float, A> (&out)[NV]) noexcept
            {
                constexpr std::size_t W = simd::width<float, A>;
                const auto* words = reinterpret_cast<const std::uint32_t*>(bits_of(row));
                const auto high = simd::splat<A>(std::uint32_t(0xffff0000u));
                JOULE_UNROLL
                for (std::size_t q = 0; q < NV / 2; ++q)
                {
                    const auto u = simd::load<A>(words + q * W);
                    out[2 * q] = simd::bitcast<float>(u << 16);
                    out[2 * q + 1] = simd::bitcast<float>(u & high);
                }
            }
        };

        /// Panels [p0, p1) of y = x * B with B packed (panel_width() = the tile's nr). Each panel
        /// is read as several sequential streams (equal runs of K rows) so that one core keeps
        /// more reads in flight: two streams when a panel row fills a cache line, four when it
        /// is half a line (AVX2 with 16-bit weights: 20 -> 2x GB/s from DRAM on Zen 4). Four
        /// accumulator sets give 4 * NV FMA chains; the sum order is fixed by the shape.
        template <class A, class TB>
        void gemv_panels(const float* JOULE_RESTRICT x, const packed_matrix<TB>& b, std::size_t p0, std::size_t p1,
                         float* y, std::size_t incy, const epilogue& ep) noexcept
        {
            using batch = simd::batch<float, A>;
            constexpr std::size_t W = simd::width<float, A>;
            constexpr std::size_t NV = tile_shape<A>::nv, NR = tile_shape<A>::nr;
            constexpr std::size_t S = NR * sizeof(TB) >= 64 ? 2 : 4; // streams
            constexpr std::size_t R = 4 / S;                          // rows per stream and step
            const std::size_t K = b.rows(), N = b.cols();
            const std::size_t len = K / S / R * R; // rows per stream
            using row_loader = panel_row<A, TB, NV>;
            for (std::size_t p = p0; p < p1; ++p)
            {
                const TB* panel = b.panel(p);
                batch acc[4][NV];
                for (std::size_t s = 0; s < 4; ++s)
                    for (std::size_t v = 0; v < NV; ++v)
                        acc[s][v] = batch(0.0f);
                batch row[NV];
                for (std::size_t k = 0; k < len; k += R)
                {
                    JOULE_UNROLL
                    for (std::size_t s = 0; s < S; ++s)
                    {
                        JOULE_UNROLL
                        for (std::size_t u = 0; u < R; ++u)
                        {
                            const std::size_t kk = s * len + k + u;
                            const batch xk = simd::splat<A>(x[kk]);
                            row_loader::load(panel + kk * NR, row);
                            JOULE_UNROLL
                            for (std::size_t v = 0; v < NV; ++v)
                                acc[s * R + u][v] = simd::fma(xk, row[v], acc[s * R + u][v]);
                        }
                    }
                }
                for (std::size_t k = S * len; k < K; ++k)
                {
                    const batch xk = simd::splat<A>(x[k]);
                    row_loader::load(panel + k * NR, row);
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                        acc[0][v] = simd::fma(xk, row[v], acc[0][v]);
                }
                alignas(64) float t[NR];
                if constexpr (row_loader::interleaved)
                {
                    alignas(64) float lanes[W];
                    for (std::size_t v = 0; v < NV; ++v)
                    {
                        simd::store(lanes, (acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]));
                        for (std::size_t l = 0; l < W; ++l)
                            t[2 * ((v / 2) * W + l) + v % 2] = lanes[l];
                    }
                }
                else
                {
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                        simd::store(t + v * W, (acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]));
                }
                const std::size_t j0 = p * NR, n = std::min(NR, N - j0);
                for (std::size_t j = 0; j < n; ++j)
                    y[(j0 + j) * incy] = finish_scalar(t[j], y[(j0 + j) * incy], ep.bias ? ep.bias + j0 + j : nullptr, ep);
            }
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
