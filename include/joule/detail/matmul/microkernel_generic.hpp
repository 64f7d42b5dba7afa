// The GEMM micro-kernel, written once over joule::simd: C[0:MRows, 0:NV*W] (+)= A * B for one
// KC-long slice, accumulating MRows x NV registers with fused multiply-adds.
//
// The register tile comes from tile_shape<A> (tile_x86.hpp, tile_neon.hpp, or the generic
// shapes below). Every tile size up to MR x NR is instantiated, so edge tiles run the same
// vector code on fewer registers instead of a scalar loop, and a tile never reads rows of A
// beyond M.
//
// A is either packed (PackStride = MR: element (i, k) at a[k * MR + i]) or read in place from
// row-major float rows (PackStride = 0: a[i * lda + k], the small-M path). B is always a
// micro-panel of float rows: element (k, j) at b[k * ldb + j], with NV * W readable columns.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "joule/detail/simd/simd.hpp"

#if defined(__clang__)
#define JOULE_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define JOULE_UNROLL _Pragma("GCC unroll 32")
#else
#define JOULE_UNROLL
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Register tile for arch A: mr rows of C by nv registers of W floats. The generic
        /// choice suits 16 architectural vector registers (mr * nv accumulators + nv B
        /// registers + 1 broadcast <= 16); one-lane scalar code gets a 4 x 4 tile.
        template <class A, class Enable = void>
        struct tile_shape
        {
            static constexpr std::size_t width = simd::width<float, A>;
            static constexpr std::size_t mr = width == 1 ? 4 : 6;
            static constexpr std::size_t nv = width == 1 ? 4 : 2;
            static constexpr std::size_t nr = nv * width;
        };

        /// C = alpha * acc + beta * C + bias, applied to the tile after the K loop. beta == 0
        /// means C is not read; bias (null for none) points at the tile's first column.
        struct epilogue
        {
            float alpha;
            float beta;
            const float* bias;
        };

        /// One output register: alpha * acc (+ beta * c) (+ bias), the same operation order for
        /// full and edge tiles.
        template <class A>
        JOULE_ALWAYS_INLINE simd::batch<float, A> finish(const simd::batch<float, A>& acc, const float* c,
                                                         const float* bias, const epilogue& ep) noexcept
        {
            auto r = acc * simd::splat<A>(ep.alpha);
            if (ep.beta != 0.0f)
                r = simd::fma(simd::splat<A>(ep.beta), simd::load<A>(c), r);
            if (bias)
                r = r + simd::load<A>(bias);
            return r;
        }

        /// How far ahead in B the K loop asks for cache lines. Small-M products (M <= 16, LLM
        /// decode) stream B from memory once, through the first row tile's call, and the
        /// hardware prefetcher alone left that call waiting: on Zen 3 (linear, N = K = 4096,
        /// prepacked) M = 4 went from 26 to 30-35 GFLOP/s and M = 16 from 55 to 60 with 2 KiB;
        /// large GEMMs (B in L1 / L2) were unchanged. Past the micro-panel's end the lines may
        /// belong to data used later or not at all: a prefetch never faults.
        constexpr std::size_t b_prefetch_bytes = 2048;

        /// The K loop: acc[i][v] += A(i, k) * B(k, v * W ..) for k < kc. Per-ISA files may
        /// specialize it for the shapes where intrinsics beat this code (microkernel_neon.hpp).
        template <class A, std::size_t MRows, std::size_t NV, std::size_t PackStride, class Enable = void>
        struct microkernel_loop
        {
            using batch = simd::batch<float, A>;
            JOULE_ALWAYS_INLINE static void run(batch (&acc)[MRows][NV], std::size_t kc, const float* JOULE_RESTRICT a,
                                                std::size_t lda, const float* JOULE_RESTRICT b, std::size_t ldb) noexcept
            {
                constexpr std::size_t W = simd::width<float, A>;
                for (std::size_t k = 0; k < kc; ++k)
                {
#if defined(__GNUC__)
                    __builtin_prefetch(reinterpret_cast<const char*>(b) + b_prefetch_bytes);
#endif
                    batch bv[NV];
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                        bv[v] = simd::load<A>(b + v * W);
                    JOULE_UNROLL
                    for (std::size_t i = 0; i < MRows; ++i)
                    {
                        const float ai = PackStride ? a[i] : a[i * lda];
                        const batch av = simd::splat<A>(ai);
                        JOULE_UNROLL
                        for (std::size_t v = 0; v < NV; ++v)
                            acc[i][v] = simd::fma(av, bv[v], acc[i][v]);
                    }
                    a += PackStride ? PackStride : 1;
                    b += ldb;
                }
            }
        };

        /// See the top of this file. n (1 .. NV * W) is the number of valid columns; the C tile
        /// is at c with strides rsc (rows) and csc (columns).
        template <class A, std::size_t MRows, std::size_t NV, std::size_t PackStride>
        void microkernel(std::size_t kc, const float* JOULE_RESTRICT a, std::size_t lda, const float* JOULE_RESTRICT b,
                         std::size_t ldb, float* c, std::size_t rsc, std::size_t csc, std::size_t n,
                         const epilogue& ep) noexcept
        {
            using batch = simd::batch<float, A>;
            constexpr std::size_t W = simd::width<float, A>;
            batch acc[MRows][NV];
            JOULE_UNROLL
            for (std::size_t i = 0; i < MRows; ++i)
            {
                JOULE_UNROLL
                for (std::size_t v = 0; v < NV; ++v)
                    acc[i][v] = batch(0.0f);
            }
#if defined(__GNUC__)
            // Fetch the C tile while the K loop runs: out of L2 its lines would otherwise stall
            // the epilogue of every tile (Zen 4, 1024^3 and 2048^3: +5-8%).
            JOULE_UNROLL
            for (std::size_t i = 0; i < MRows; ++i)
            {
                __builtin_prefetch(c + i * rsc, 1);
                __builtin_prefetch(c + i * rsc + (n - 1) * csc, 1);
            }
#endif
            microkernel_loop<A, MRows, NV, PackStride>::run(acc, kc, a, lda, b, ldb);

            if (n == NV * W && csc == 1)
            {
                JOULE_UNROLL
                for (std::size_t i = 0; i < MRows; ++i)
                {
                    JOULE_UNROLL
                    for (std::size_t v = 0; v < NV; ++v)
                    {
                        float* cp = c + i * rsc + v * W;
                        simd::store(cp, finish<A>(acc[i][v], cp, ep.bias ? ep.bias + v * W : nullptr, ep));
                    }
                }
                return;
            }
            // Edge or strided C: gather the valid part into a tile, finish it there, scatter back.
            alignas(64) float tile[MRows][NV * W];
            alignas(64) float bias_tile[NV * W];
            for (std::size_t j = 0; j < NV * W; ++j)
                bias_tile[j] = (ep.bias && j < n) ? ep.bias[j] : 0.0f;
            for (std::size_t i = 0; i < MRows; ++i)
                for (std::size_t j = 0; j < NV * W; ++j)
                    tile[i][j] = (ep.beta != 0.0f && j < n) ? c[i * rsc + j * csc] : 0.0f;
            JOULE_UNROLL
            for (std::size_t i = 0; i < MRows; ++i)
            {
                JOULE_UNROLL
                for (std::size_t v = 0; v < NV; ++v)
                    simd::store(&tile[i][v * W],
                                finish<A>(acc[i][v], &tile[i][v * W], ep.bias ? bias_tile + v * W : nullptr, ep));
            }
            for (std::size_t i = 0; i < MRows; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    c[i * rsc + j * csc] = tile[i][j];
        }

        using microkernel_fn = void (*)(std::size_t, const float*, std::size_t, const float*, std::size_t, float*,
                                        std::size_t, std::size_t, std::size_t, const epilogue&) noexcept;

        /// kernels[m - 1][nv - 1]: the micro-kernel for an m-row, nv-register tile.
        template <class A, std::size_t PackStride>
        struct microkernel_table
        {
            using shape = tile_shape<A>;
            template <std::size_t M, std::size_t... V>
            static constexpr std::array<microkernel_fn, shape::nv> row(std::index_sequence<V...>)
            {
                return {{&microkernel<A, M, V + 1, PackStride>...}};
            }
            template <std::size_t... M>
            static constexpr std::array<std::array<microkernel_fn, shape::nv>, shape::mr> all(std::index_sequence<M...>)
            {
                return {{row<M + 1>(std::make_index_sequence<shape::nv>{})...}};
            }
            static microkernel_fn get(std::size_t m, std::size_t n) noexcept
            {
                static constexpr auto kernels = all(std::make_index_sequence<shape::mr>{});
                constexpr std::size_t W = simd::width<float, A>;
                return kernels[m - 1][(n + W - 1) / W - 1];
            }
        };
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
