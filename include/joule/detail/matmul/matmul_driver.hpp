// Entry points behind joule/matmul.hpp: argument checks, the choice of path, and the split of
// C into tasks for the executor.
//
// Paths, chosen from the shapes and layouts only (never from the thread count, so results do
// not depend on it):
// - M == 1: GEMV (gemv.hpp) when B is row- or column-major or packed.
// - M <= 16 (small / skinny, LLM decode batches), or float row-major A of at most MC rows:
//   the loop nest with A read in place, no packing of A (16-bit or strided A with M <= 16 is
//   first widened into one float copy of M x K); a small row-major float B is read in place
//   too (a_in_place, b_in_place say when).
// - otherwise: the full Goto loop nest with packed A and B.
// Tasks cover disjoint rectangles of C whose edges sit on the MR x NR tile grid; each runs
// the whole K loop for its rectangle.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "joule/detail/matmul/gemm_blocked.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/detail/matmul/gemv.hpp"
#include "joule/executor.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    struct gemm_options;
    struct linear_options;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class T>
        constexpr bool is_matmul_type = std::is_same<T, float>::value || std::is_same<T, f16>::value ||
                                        std::is_same<T, bf16>::value;

        /// Largest M that takes the small path (A not packed).
        constexpr std::size_t small_m_limit = 16;

        /// How many tasks a problem of `flops` is worth on `threads` threads: below ~2 MFLOP
        /// per task, waking a thread costs more than it saves.
        inline std::size_t useful_tasks(double flops, std::size_t threads) noexcept
        {
            const double per_task = 2.0e6;
            const auto by_work = static_cast<std::size_t>(std::max(1.0, flops / per_task));
            return std::max<std::size_t>(1, std::min(threads, by_work));
        }

        /// Splits `units` into at most `parts` contiguous chunks; returns the chunk size.
        inline std::size_t chunk_of(std::size_t units, std::size_t parts) noexcept
        {
            return (units + parts - 1) / std::max<std::size_t>(1, parts);
        }

        /// C = beta * C + bias (the K == 0 case).
        inline void scale_output(const gemm_output& out, std::size_t M, std::size_t N) noexcept
        {
            for (std::size_t i = 0; i < M; ++i)
                for (std::size_t j = 0; j < N; ++j)
                {
                    float& c = out.c[i * out.rsc + j * out.csc];
                    float r = out.beta != 0.0f ? out.beta * c : 0.0f;
                    if (out.bias)
                        r += out.bias[j];
                    c = r;
                }
        }

        /// A as float rows (row-major): in place when it already is, else widened into
        /// `storage` (owned by the caller's frame, not thread-local scratch: an executor that
        /// runs other work on the calling thread while it waits must not be able to clobber it).
        /// Returns the rows; ld receives the row stride.
        template <class A, class TA>
        const float* float_rows(const matrix_view<const TA>& a, std::size_t& ld, std::vector<float>& storage)
        {
            if constexpr (std::is_same<TA, float>::value)
            {
                if (a.col_stride == 1 || a.cols == 1)
                {
                    ld = a.row_stride;
                    return a.data;
                }
            }
            storage.resize(a.rows * a.cols);
            float* copy = storage.data();
            for (std::size_t i = 0; i < a.rows; ++i)
            {
                if (a.col_stride == 1)
                    widen_segment<A>(a.row(i), a.cols, copy + i * a.cols);
                else
                    for (std::size_t k = 0; k < a.cols; ++k)
                        copy[i * a.cols + k] = static_cast<float>(a(i, k));
            }
            ld = a.cols;
            return copy;
        }

        /// Runs the loop nest over a grid of tasks: N split first (each task packs its own B),
        /// then M in multiples of MR when N alone does not give enough tasks (never for
        /// M <= small_m_limit, where every extra pass over B costs bandwidth). `in_place`:
        /// A is read where it is, as one block of all M rows (no MC loop).
        template <class A, class MakeA, class MakeB>
        void run_blocked(const gemm_output& out, std::size_t M, std::size_t N, std::size_t K, bool in_place,
                         executor_ref exec, MakeA make_a, MakeB make_b)
        {
            constexpr std::size_t mr = tile_shape<A>::mr, nr = tile_shape<A>::nr;
            const gemm_blocking& bl = blocking_for<A>();
            const std::size_t n_panels = (N + nr - 1) / nr, m_panels = (M + mr - 1) / mr;
            const std::size_t tasks = useful_tasks(2.0 * double(M) * double(N) * double(K), exec.concurrency());
            const std::size_t tn = std::min(tasks, n_panels);
            const std::size_t tm =
                M <= small_m_limit ? 1 : std::min(std::max<std::size_t>(1, tasks / tn), m_panels);
            const std::size_t n_step = chunk_of(n_panels, tn) * nr, m_step = chunk_of(m_panels, tm) * mr;
            const std::size_t n_tasks = (N + n_step - 1) / n_step, m_tasks = (M + m_step - 1) / m_step;
            const std::size_t mc_block = in_place ? M : bl.mc;
            const std::size_t nc_block = in_place ? bl.nc_small : bl.nc;
            auto task = [&](std::size_t t) {
                const std::size_t ti = t / n_tasks, tj = t % n_tasks;
                const std::size_t i0 = ti * m_step, j0 = tj * n_step;
                auto as = make_a();
                auto bs = make_b();
                gemm_blocked<A>(out, K, i0, std::min(M, i0 + m_step), j0, std::min(N, j0 + n_step), mc_block, nc_block,
                                as, bs);
            };
            exec.run(m_tasks * n_tasks, task);
        }

        /// How many of `rows` consecutive rows `stride_bytes` apart map to the same L1 set (with
        /// 4 KiB per way, as on every x86 and Arm core joule targets).
        inline std::size_t rows_sharing_a_set(std::size_t stride_bytes, std::size_t rows) noexcept
        {
            std::size_t g = 4096, s = stride_bytes % 4096; // gcd(stride, 4096)
            while (s != 0)
            {
                const std::size_t t = g % s;
                g = s;
                s = t;
            }
            const std::size_t period = 4096 / g; // rows until the set mapping repeats
            return (rows + period - 1) / period;
        }

        /// Whether A is read in place (no packing): small M (16-bit or strided A is widened
        /// into one float copy first), or float row-major A whose rows fit one MC block and
        /// whose MR rows do not pile into the same L1 sets (row strides of 4 KiB multiples
        /// would put all MR rows in one set). Packing would then copy A without making it any
        /// more cache-resident. On Zen 4 this lifts n = 64..256 square products from 85-107 to
        /// 108-115 GFLOP/s.
        template <class A, class TA>
        bool a_in_place(const matrix_view<const TA>& a) noexcept
        {
            if (a.rows <= small_m_limit)
                return true;
            constexpr std::size_t mr = tile_shape<A>::mr;
            return std::is_same<TA, float>::value && (a.col_stride == 1 || a.cols == 1) &&
                   a.rows <= blocking_for<A>().mc && rows_sharing_a_set(a.row_stride * sizeof(float), mr) <= 4;
        }

        /// Whether row-major float B is read in place: only when all of it is small enough to
        /// stay in L2 (an eighth of it). A larger B is packed per block: its micro-panels are
        /// KC rows of NR floats one row stride apart, which for the usual power-of-two widths
        /// land in a handful of L1 sets and pages (Zen 4: packing wins from 256^3 with AVX2 and
        /// from 512^3 with AVX-512, in place wins by 3-15% at 64^3-128^3).
        template <class A>
        bool b_in_place(const matrix_view<const float>& b) noexcept
        {
            return (b.col_stride == 1 || b.cols == 1) &&
                   b.rows * b.cols * sizeof(float) <= machine_caches().l2 / 8;
        }

        /// Splits columns [0, N) into tasks of whole `grain`s and runs body(j0, j1).
        template <class Body>
        void run_columns(std::size_t N, std::size_t grain, double flops, executor_ref exec, Body body)
        {
            const std::size_t units = (N + grain - 1) / grain;
            const std::size_t tasks = std::min(units, useful_tasks(flops, exec.concurrency()));
            const std::size_t step = chunk_of(units, tasks) * grain;
            auto task = [&](std::size_t t) { body(t * step, std::min(N, (t + 1) * step)); };
            exec.run((N + step - 1) / step, task);
        }

        /// The dense product for checked arguments.
        template <class A, class TA, class TB>
        void matmul_checked(const matrix_view<const TA>& a, const matrix_view<const TB>& b, const gemm_output& out,
                            std::size_t M, std::size_t N, std::size_t K, executor_ref exec)
        {
            if (M == 0 || N == 0)
                return;
            if (K == 0)
                return scale_output(out, M, N);
            const double flops = 2.0 * double(M) * double(N) * double(K);
            const epilogue ep{out.alpha, out.beta, out.bias};
            const bool b_row_major = b.col_stride == 1 || N == 1, b_col_major = b.row_stride == 1 || K == 1;
            if (M == 1 && (b_row_major || b_col_major))
            {
                std::size_t ld = 0;
                std::vector<float> storage;
                const float* x = float_rows<A>(a, ld, storage);
                if (b_row_major)
                    run_columns(N, gemv_rows_chunk, flops, exec, [&](std::size_t j0, std::size_t j1) {
                        float* acc = thread_scratch(0, gemv_rows_chunk);
                        gemv_rows<A>(x, b, j0, j1, out.c, out.csc, ep, acc);
                    });
                else
                    run_columns(N, 64, flops, exec, [&](std::size_t j0, std::size_t j1) {
                        gemv_dot<A>(x, b, j0, j1, out.c, out.csc, ep);
                    });
                return;
            }
            auto make_b = [&] { return b_from_view<A, TB>{b}; };
            if (a_in_place<A>(a))
            {
                std::size_t ld = 0;
                std::vector<float> storage;
                const float* rows = float_rows<A>(a, ld, storage);
                auto make_a = [&] { return a_rows{rows, ld}; };
                if constexpr (std::is_same<TB, float>::value)
                {
                    if (b_in_place<A>(b))
                        return run_blocked<A>(out, M, N, K, true, exec, make_a, [&] { return b_rows<A>{b}; });
                }
                return run_blocked<A>(out, M, N, K, true, exec, make_a, make_b);
            }
            run_blocked<A>(out, M, N, K, false, exec, [&] { return a_packed<A, TA>{a}; }, make_b);
        }

        /// The product with a packed B for checked arguments.
        template <class A, class TA, class TB>
        void matmul_packed_checked(const matrix_view<const TA>& a, const packed_matrix<TB>& b, const gemm_output& out,
                                   std::size_t M, std::size_t N, std::size_t K, executor_ref exec)
        {
            if (M == 0 || N == 0)
                return;
            if (K == 0)
                return scale_output(out, M, N);
            const double flops = 2.0 * double(M) * double(N) * double(K);
            auto make_b = [&] { return b_from_packed<A, TB>{&b}; };
            if (M == 1)
            {
                std::size_t ld = 0;
                std::vector<float> storage;
                const float* x = float_rows<A>(a, ld, storage);
                const epilogue ep{out.alpha, out.beta, out.bias};
                run_columns(b.panel_count(), 1, flops, exec, [&](std::size_t p0, std::size_t p1) {
                    gemv_panels<A>(x, b, p0, p1, out.c, out.csc, ep);
                });
                return;
            }
            if (a_in_place<A>(a))
            {
                std::size_t ld = 0;
                std::vector<float> storage;
                const float* rows = float_rows<A>(a, ld, storage);
                return run_blocked<A>(out, M, N, K, true, exec, [&] { return a_rows{rows, ld}; }, make_b);
            }
            run_blocked<A>(out, M, N, K, false, exec, [&] { return a_packed<A, TA>{a}; }, make_b);
        }

        // ---- argument checks ------------------------------------------------------------------
        template <class TA, class TB>
        void check_product_args(const char* fn, const char* a_name, const matrix_view<const TA>& a, const char* b_name,
                                const matrix_view<const TB>& b, const char* c_name, const matrix_view<float>& c)
        {
            const std::size_t ea = check_view(fn, a_name, a);
            const std::size_t eb = check_view(fn, b_name, b);
            const std::size_t ec = check_view(fn, c_name, c);
            check_no_overlap(fn, c_name, c, ec, a_name, a, ea);
            check_no_overlap(fn, c_name, c, ec, b_name, b, eb);
        }

        // ---- the kernels behind the entry points -----------------------------------------------
        // One instantiation per instruction set; with runtime dispatch the kernel table points at
        // each level's (kernel_table.hpp), otherwise the entry points call them directly. They
        // take checked arguments.

        inline gemm_output output_of(const dispatch::product_args& p) noexcept
        {
            return gemm_output{p.c, p.rsc, p.csc, p.alpha, p.beta, p.bias};
        }

        /// C = alpha * A * B + beta * C + bias (linear passes W^T as B).
        template <class A, class TA, class TB>
        void matmul_kernel(const matrix_view<const TA>& a, const matrix_view<const TB>& b, const dispatch::product_args& p)
        {
            matmul_checked<A>(a, b, output_of(p), a.rows, b.cols, a.cols, *p.executor);
        }

        /// The same with B packed (for this level's panel width).
        template <class A, class TA, class TB>
        void matmul_packed_kernel(const matrix_view<const TA>& a, const packed_matrix<TB>& b,
                                  const dispatch::product_args& p)
        {
            matmul_packed_checked<A>(a, b, output_of(p), a.rows, b.cols(), a.cols, *p.executor);
        }

        /// B packed in panels of this level's width.
        template <class A, class TB>
        packed_matrix<TB> pack_kernel(const matrix_view<const TB>& b)
        {
            constexpr std::size_t nr = tile_shape<A>::nr;
            packed_matrix<TB> p(b.rows, b.cols, nr);
            if (!b.empty())
            {
                float* tmp = thread_scratch(4, std::max(b.rows, b.cols));
                pack_b_panels<A, TB>(b, 0, 0, b.rows, b.cols, nr, p.panel(0), b.rows * nr, tmp);
            }
            return p;
        }

        /// This level's register tile and loop blocks (tests shrink the blocks to reach every edge).
        template <class A>
        dispatch::matmul_tiling matmul_tiling_of()
        {
            const gemm_blocking& b = blocking_for<A>();
            return dispatch::matmul_tiling{tile_shape<A>::mr, tile_shape<A>::nr, b.kc, b.mc, b.nc, b.nc_small};
        }
        template <class A>
        void set_matmul_tiling(const dispatch::matmul_tiling& t)
        {
            gemm_blocking& b = blocking_for<A>();
            b.kc = t.kc;
            b.mc = t.mc;
            b.nc = t.nc;
            b.nc_small = t.nc_small;
        }

        /// The tiling of the kernels that calls from this translation unit run (the dispatched
        /// level's, with runtime dispatch).
        inline dispatch::matmul_tiling active_matmul_tiling()
        {
            return JOULE_DISPATCHED(matmul_tiling_get, matmul_tiling_of<simd::native_arch>)();
        }
        inline void set_active_matmul_tiling(const dispatch::matmul_tiling& t)
        {
            JOULE_DISPATCHED(matmul_tiling_set, set_matmul_tiling<simd::native_arch>)(t);
        }

        /// The panel width pack() produces and packed products accept: the running level's NR.
        template <class A>
        std::size_t active_panel_width()
        {
#if defined(JOULE_DISPATCH)
            return detail::dispatched_table().matmul_tiling_get().nr;
#else
            return tile_shape<A>::nr;
#endif
        }

        /// What the running kernels were built for, for messages.
        inline const char* active_isa_name()
        {
#if defined(JOULE_DISPATCH)
            return detail::dispatched_table().info.isa;
#else
            return JOULE_ARCH_NAME;
#endif
        }

        // ---- entry points: checks in the caller's translation unit, then the kernel --------------
        template <class TB>
        void check_packed(const char* fn, const char* name, const packed_matrix<TB>& b, std::size_t nr)
        {
            if (JOULE_UNLIKELY(!b.empty() && b.panel_width() != nr))
                fail(fn, name, " was packed with panel width ", b.panel_width(), " but the kernels in use (",
                     active_isa_name(), ") use ", nr,
                     ": pack it with code built for the same instruction set (with runtime dispatch: after any "
                     "force_arch)");
        }

        template <class A, class TA, class TB>
        void matmul_entry(matrix_view<const TA> a, matrix_view<const TB> b, matrix_view<float> c, const gemm_options& opts)
        {
            static_assert(is_matmul_type<TA> && is_matmul_type<TB>, "joule::matmul: A and B must be float, f16 or bf16");
            check_equal("matmul", "A.cols", a.cols, "B.rows", b.rows);
            check_equal("matmul", "C.rows", c.rows, "A.rows", a.rows);
            check_equal("matmul", "C.cols", c.cols, "B.cols", b.cols);
            check_product_args("matmul", "A", a, "B", b, "C", c);
            const dispatch::product_args p{c.data, c.row_stride, c.col_stride, opts.alpha, opts.beta, nullptr, &opts.executor};
            JOULE_DISPATCHED_MEMBER((dispatch::matmul_fields<TA, TB>::plain), matmul_kernel<A, TA, TB>)(a, b, p);
        }

        template <class A, class TB>
        packed_matrix<TB> pack_entry(matrix_view<const TB> b)
        {
            static_assert(is_matmul_type<TB>, "joule::pack: B must be float, f16 or bf16");
            check_view("pack", "B", b);
            const std::size_t nr = active_panel_width<A>();
            const std::size_t panels = (b.cols + nr - 1) / nr;
            if (JOULE_UNLIKELY(b.rows != 0 && panels > std::numeric_limits<std::size_t>::max() / sizeof(TB) / nr / b.rows))
                fail("pack", "B (", b.rows, " x ", b.cols, ") packed would need more bytes than size_t can count");
            return JOULE_DISPATCHED_MEMBER(dispatch::pack_field<TB>::field, pack_kernel<A, TB>)(b);
        }

        template <class A, class TA, class TB>
        void matmul_packed_entry(matrix_view<const TA> a, const packed_matrix<TB>& b, matrix_view<float> c,
                                 const gemm_options& opts)
        {
            static_assert(is_matmul_type<TA> && is_matmul_type<TB>, "joule::matmul: A and B must be float, f16 or bf16");
            check_equal("matmul", "A.cols", a.cols, "B.rows", b.rows());
            check_equal("matmul", "C.rows", c.rows, "A.rows", a.rows);
            check_equal("matmul", "C.cols", c.cols, "B.cols", b.cols());
            check_packed("matmul", "B", b, active_panel_width<A>());
            const std::size_t ea = check_view("matmul", "A", a);
            const std::size_t ec = check_view("matmul", "C", c);
            check_no_overlap("matmul", "C", c, ec, "A", a, ea);
            check_disjoint("matmul", "C", c.data, ec * sizeof(float), "B", b.panel(0), b.size_bytes());
            const dispatch::product_args p{c.data, c.row_stride, c.col_stride, opts.alpha, opts.beta, nullptr, &opts.executor};
            JOULE_DISPATCHED_MEMBER((dispatch::matmul_fields<TA, TB>::packed), matmul_packed_kernel<A, TA, TB>)(a, b, p);
        }

        template <class A, class TX, class TW>
        void linear_entry(matrix_view<const TX> x, matrix_view<const TW> w, matrix_view<float> y,
                          const linear_options& opts)
        {
            static_assert(is_matmul_type<TX> && is_matmul_type<TW>, "joule::linear: X and W must be float, f16 or bf16");
            check_equal("linear", "W.cols", w.cols, "X.cols", x.cols);
            check_equal("linear", "Y.rows", y.rows, "X.rows", x.rows);
            check_equal("linear", "Y.cols", y.cols, "W.rows", w.rows);
            check_product_args("linear", "X", x, "W", w, "Y", y);
            const std::size_t ey = view_extent("linear", "Y", y);
            check_disjoint("linear", "Y", y.data, ey * sizeof(float), "bias", opts.bias, opts.bias ? w.rows * sizeof(float) : 0);
            const dispatch::product_args p{y.data, y.row_stride, y.col_stride, 1.0f, 0.0f, opts.bias, &opts.executor};
            const matrix_view<const TW> wt = w.t();
            JOULE_DISPATCHED_MEMBER((dispatch::matmul_fields<TX, TW>::plain), matmul_kernel<A, TX, TW>)(x, wt, p);
        }

        template <class A, class TX, class TW>
        void linear_packed_entry(matrix_view<const TX> x, const packed_matrix<TW>& wp, matrix_view<float> y,
                                 const linear_options& opts)
        {
            static_assert(is_matmul_type<TX> && is_matmul_type<TW>, "joule::linear: X and W must be float, f16 or bf16");
            check_equal("linear", "Wp.rows", wp.rows(), "X.cols", x.cols);
            check_equal("linear", "Y.rows", y.rows, "X.rows", x.rows);
            check_equal("linear", "Y.cols", y.cols, "Wp.cols", wp.cols());
            check_packed("linear", "Wp", wp, active_panel_width<A>());
            const std::size_t ex = check_view("linear", "X", x);
            const std::size_t ey = check_view("linear", "Y", y);
            check_no_overlap("linear", "Y", y, ey, "X", x, ex);
            check_disjoint("linear", "Y", y.data, ey * sizeof(float), "Wp", wp.panel(0), wp.size_bytes());
            check_disjoint("linear", "Y", y.data, ey * sizeof(float), "bias", opts.bias,
                           opts.bias ? wp.cols() * sizeof(float) : 0);
            const dispatch::product_args p{y.data, y.row_stride, y.col_stride, 1.0f, 0.0f, opts.bias, &opts.executor};
            JOULE_DISPATCHED_MEMBER((dispatch::matmul_fields<TX, TW>::packed), matmul_packed_kernel<A, TX, TW>)(x, wp, p);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
