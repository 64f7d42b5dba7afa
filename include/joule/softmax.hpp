// joule/softmax.hpp: softmax, log-softmax, streaming (online) softmax and a vectorized exp.
//
//     joule::softmax(x, y, n);                        // y = softmax(x), one row of n
//     joule::softmax_options o; o.temperature = 0.7f;
//     joule::log_softmax(x, y, n, o);                 // y = log_softmax(x / 0.7)
//     joule::softmax(X, Y, o);                        // every row of a matrix_view
//     joule::online_softmax st;                       // a row that arrives in chunks
//     st.add(x, 100); st.add(x + 100, n - 100);       // ... (or merge states built elsewhere)
//     st.normalize(x, y, n);                          // y = softmax of everything added
//     joule::exp(x, y, n);                            // y = exp(x)
//
// Inputs: float, joule::f16 or joule::bf16 (converted exactly; all arithmetic in float, sums in
// double). Outputs: float.
//
// softmax(x)_i = exp((x_i - max) / T) / sum_j exp((x_j - max) / T), T = options.temperature.
// log_softmax(x)_i = (x_i - max) / T - log(sum_j exp((x_j - max) / T)).
// The temperature divides x - max, never x itself, so huge finite inputs (+-FLT_MAX) cannot
// overflow into inf - inf: they never give NaN.
//
// Accuracy (tests/softmax_test.cpp checks each against a double-precision reference):
// - exp: <= 1 ULP over [-16.7, 0] and <= 1.5 ULP over [-87.3, 88.7] (measured over every float
//   of the range: max 0.89 ULP; `cmake --build <build> --target softmax_exp_exhaustive` reruns
//   that check, CI checks a dense sample); results below FLT_MIN are subnormals rounded once (or
//   0), above FLT_MAX +inf, NaN stays NaN.
// - softmax: relative error per element <= 5e-7 + |x_i - max| / T * 1.2e-7 (the second term is
//   what rounding x_i - max to float costs); results below FLT_MIN (subnormal) within 2^-149;
//   rows sum to 1 within a few ULP at any length.
// - log_softmax: within 2 ULP (measured 0.55 ULP; see detail/softmax/log_passes.hpp).
//
// Special values (the same for every form, every input type, every length):
// - n = 0: nothing is read or written. n = 1: y = 1 (log_softmax: 0) for a finite x.
// - any NaN in a row: every output of that row is NaN.
// - +inf in a row (no NaN): the limit as the +inf elements grow: each of the k +inf elements
//   gets 1/k and every other element 0 (log_softmax: -log(k) and -inf).
// - -inf elements are masked out: they get 0 (log_softmax: -inf).
// - a fully masked row (every element -inf): NaN by default, as PyTorch; with
//   options.masked = joule::masked_row::zeros, zeros (log_softmax: -inf), the "safe"
//   convention of attention kernels.
//
// Memory: x and y may have any alignment. For float input, y may be x (in place); otherwise x
// and y must not overlap. Rows of a matrix_view may have any strides (rows with a column stride
// other than 1 are copied to a scratch row, allocated per call and per task).
//
// Algorithms (detail/softmax/softmax_row.hpp): three passes over a row while it fits in cache;
// rows of 2^17 elements or more split into chunks that run on options.executor; softmax rows of
// 6 Mi elements or more (beyond a 32 MiB L3) take two passes, 12 bytes of memory traffic per
// element. Results never depend on the executor or its thread count. Their last bits may depend
// on the addresses of x and y modulo 64 (rows of 32 registers or more align their loops, which
// regroups the sums' SIMD lanes).
//
// Thread safety: functions only read x and write y; calls on disjoint outputs may run
// concurrently. An online_softmax is a plain value: one thread at a time.
//
// Runtime dispatch (joule/dispatch.hpp): exp, softmax, log_softmax and online_softmax's add and
// normalize go through it; keep one level for an online_softmax's whole life (a force_arch
// between add and normalize mixes two levels' rounding).
//
// Errors (joule::error, before anything is written): null x or y with n > 0, overlapping x and
// y (except x == y for float), a temperature that is not finite and > 0, mismatched matrix
// shapes or invalid views, online_softmax states merged with different temperatures or masked
// modes.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "joule/convert.hpp"
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/detail/softmax/exp_row.hpp"
#include "joule/detail/softmax/softmax_rows.hpp"
#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/matrix_view.hpp"

namespace joule
{
    /// What a fully masked row (every element -inf) gives.
    enum class masked_row
    {
        nan,   ///< NaN everywhere (PyTorch's softmax)
        zeros, ///< 0 everywhere (log_softmax: -inf), as "safe" attention kernels do
    };

    struct softmax_options
    {
        /// Tagged, not an aggregate: see gemm_options.
        JOULE_ARCH_TAG softmax_options() noexcept {}

        /// y = softmax(x / temperature); must be finite and > 0.
        float temperature = 1.0f;
        masked_row masked = masked_row::nan;
        /// Runs the chunks of long rows and the rows of a matrix_view (default: the calling thread).
        executor_ref executor;
    };

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        inline void check_temperature(const char* function, float t)
        {
            if (JOULE_UNLIKELY(!(t > 0.0f) || !std::isfinite(t)))
                fail(function, "options.temperature (", t, ") must be finite and > 0");
        }

        template <class T>
        void check_softmax_row(const char* function,
                               const T* x,
                               const float* y,
                               std::size_t n,
                               const softmax_options& o)
        {
            constexpr std::size_t max_n = std::numeric_limits<std::size_t>::max() / sizeof(float);
            if (JOULE_UNLIKELY(n > max_n))
                fail(function, "n (", n, ") is too large: its byte size overflows size_t");
            check_pointer(function, "x", x, "n", n);
            check_pointer(function, "y", y, "n", n);
            if (!std::is_same<T, float>::value || static_cast<const void*>(x) != static_cast<const void*>(y))
                check_disjoint(function, "x", x, n * sizeof(T), "y", y, n * sizeof(float));
            check_temperature(function, o.temperature);
        }

        template <class T>
        void check_softmax_views(const char* function,
                                 const matrix_view<const T>& x,
                                 const matrix_view<float>& y,
                                 const softmax_options& o)
        {
            check_equal(function, "x.rows", x.rows, "y.rows", y.rows);
            check_equal(function, "x.cols", x.cols, "y.cols", y.cols);
            const std::size_t x_extent = check_view(function, "x", x);
            const std::size_t y_extent = check_view(function, "y", y);
            const bool in_place = std::is_same<T, float>::value &&
                                  static_cast<const void*>(x.data) == static_cast<const void*>(y.data) &&
                                  x.row_stride == y.row_stride && x.col_stride == y.col_stride;
            if (!in_place)
                check_no_overlap(function, "x", x, x_extent, "y", y, y_extent);
            check_temperature(function, o.temperature);
        }

        inline row_options row_options_of(const softmax_options& o) noexcept
        {
            row_options r;
            r.temperature = o.temperature;
            r.masked_zeros = o.masked == masked_row::zeros;
            return r;
        }

        /// Whether A's vector float arithmetic flushes subnormals to zero: ARMv7 NEON always does,
        /// which would turn exp's subnormal results (x below -87.3) and tiny probabilities into 0.
        template <class A>
#if defined(__arm__) && !defined(__aarch64__)
        constexpr bool flushes_subnormals = !std::is_same<A, simd::scalar_arch>::value;
#else
        constexpr bool flushes_subnormals = false;
#endif

        /// The arch the softmax family of level A runs on: A itself, or the scalar path where A
        /// flushes subnormals or has no double registers (the kernels keep their sums in double
        /// lanes). Both hold for 32-bit ARM NEON, whose softmax and exp therefore run scalar code.
        template <class A>
        using softmax_arch =
          std::conditional_t<(simd::width<double, A> > 0) && !flushes_subnormals<A>, A, simd::scalar_arch>;

        // The kernels behind the entry points, one instantiation per instruction set (with runtime
        // dispatch, the kernel table points at each level's); checked arguments, n >= 1.
        template <class Level, class T, bool Log>
        void softmax_row_kernel(const T* x, float* y, std::size_t n, const softmax_options& o)
        {
            using A = softmax_arch<Level>;
            softmax_row<A, T, Log>(x, y, n, row_options_of(o), o.executor);
        }
        template <class Level, class T, bool Log>
        void softmax_rows_kernel(const matrix_view<const T>& x, const matrix_view<float>& y, const softmax_options& o)
        {
            using A = softmax_arch<Level>;
            softmax_rows<A, T, Log>(x, y, row_options_of(o), o.executor);
        }

        inline row_stats stats_of(const dispatch::online_softmax_state& st) noexcept
        {
            row_stats s;
            s.max = st.max;
            s.count = st.count;
            s.rest = st.rest;
            s.nan = st.nan;
            return s;
        }

        /// online_softmax::add: x[0, n) into the state.
        template <class Level, class T>
        void online_add_kernel(dispatch::online_softmax_state& st, const T* x, std::size_t n)
        {
            using A = softmax_arch<Level>;
            auto s = stats_of(st);
            for (std::size_t b = 0; b < n; b += softmax_block)
            {
                const std::size_t len = n - b < softmax_block ? n - b : softmax_block;
                const auto block = st.temperature == 1.0f ? block_stats<A, T, false, true>(x + b, len, st.temperature)
                                                          : block_stats<A, T, true, true>(x + b, len, st.temperature);
                merge_stats(s, block, st.temperature);
            }
            st.max = s.max;
            st.count = s.count;
            st.rest = s.rest;
            st.nan = s.nan;
        }

        /// online_softmax::normalize (Log = false) and log_normalize, n >= 1.
        template <class Level, bool Log, class T>
        void online_normalize_kernel(const dispatch::online_softmax_state& st, const T* x, float* y, std::size_t n)
        {
            using A = softmax_arch<Level>;
            const auto s = stats_of(st);
            const auto kind = kind_of(s);
            if (JOULE_UNLIKELY(kind != row_kind::normal))
                return write_special_row(kind, s, x, y, n, st.masked_zeros, Log);
            if constexpr (Log)
            {
                const double log_sum = log_of_sum(s);
                if (st.temperature == 1.0f)
                    log_store<A, T, false>(x, y, n, st.max, st.temperature, log_sum);
                else
                    log_store<A, T, true>(x, y, n, st.max, st.temperature, log_sum);
            }
            else
            {
                const auto scale = static_cast<float>(1.0 / std::ldexp(s.sum(), exp_kernel<A>::bias));
                if (st.temperature == 1.0f)
                    exp_scale_store<A, T, false>(x, y, n, st.max, st.temperature, scale);
                else
                    exp_scale_store<A, T, true>(x, y, n, st.max, st.temperature, scale);
            }
        }

        template <bool Log, class T>
        void softmax_entry(const char* function, const T* x, float* y, std::size_t n, const softmax_options& o)
        {
            check_softmax_row(function, x, y, n, o);
            if (n != 0)
                JOULE_DISPATCHED_MEMBER((dispatch::softmax_fields<T, Log>::row),
                                        softmax_row_kernel<simd::native_arch, T, Log>)(x, y, n, o);
        }

        template <bool Log, class T>
        void softmax_entry(const char* function,
                           const matrix_view<const T>& x,
                           const matrix_view<float>& y,
                           const softmax_options& o)
        {
            check_softmax_views(function, x, y, o);
            JOULE_DISPATCHED_MEMBER((dispatch::softmax_fields<T, Log>::rows),
                                    softmax_rows_kernel<simd::native_arch, T, Log>)(x, y, o);
        }
    } // namespace detail

    /// y[i] = exp(x[i]) for i < n. y may be x; otherwise they must not overlap.
    inline void exp(const float* x, float* y, std::size_t n)
    {
        constexpr std::size_t max_n = std::numeric_limits<std::size_t>::max() / sizeof(float);
        if (JOULE_UNLIKELY(n > max_n))
            detail::fail("exp", "n (", n, ") is too large: its byte size overflows size_t");
        detail::check_pointer("exp", "x", x, "n", n);
        detail::check_pointer("exp", "y", y, "n", n);
        if (x != y)
            detail::check_disjoint("exp", "x", x, n * sizeof(float), "y", y, n * sizeof(float));
        JOULE_DISPATCHED(exp_row, detail::exp_row<detail::softmax_arch<simd::native_arch>>)(x, y, n);
    }

    /// y = softmax(x / options.temperature) over one row of n elements.
    inline void softmax(const float* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, n, options);
    }
    inline void softmax(const f16* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, n, options);
    }
    inline void softmax(const bf16* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, n, options);
    }

    /// y = log_softmax(x / options.temperature) over one row of n elements.
    inline void log_softmax(const float* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, n, options);
    }
    inline void log_softmax(const f16* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, n, options);
    }
    inline void log_softmax(const bf16* x, float* y, std::size_t n, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, n, options);
    }

    /// Every row of x (rows x cols) into the same row of y; options.executor splits the rows.
    inline void softmax(matrix_view<const float> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, options);
    }
    inline void softmax(matrix_view<const f16> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, options);
    }
    inline void softmax(matrix_view<const bf16> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<false>("softmax", x, y, options);
    }
    inline void log_softmax(matrix_view<const float> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, options);
    }
    inline void log_softmax(matrix_view<const f16> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, options);
    }
    inline void log_softmax(matrix_view<const bf16> x, matrix_view<float> y, const softmax_options& options = {})
    {
        detail::softmax_entry<true>("log_softmax", x, y, options);
    }
    JOULE_END_ARCH_NS

    /// Softmax of a row that arrives in chunks (Milakov and Gimelshein's online normalizer): the
    /// state is the running maximum and the sum of exp((x - max) / T). add() chunks in any
    /// order, merge() states built from other parts of the row (e.g. by other threads), then
    /// normalize() any chunk of the row. Results equal the one-shot softmax within rounding.
    ///
    ///     joule::online_softmax a, b;
    ///     a.add(x, 1000); b.add(x + 1000, n - 1000);
    ///     a.merge(b);
    ///     a.normalize(x, y, n);                        // == joule::softmax(x, y, n), within rounding
    ///
    /// Special values follow the one-shot functions (NaN, +inf, fully masked rows). normalize()
    /// expects elements that were added (a value above max() is outside the contract).
    class online_softmax
    {
    public:
        /// options.temperature and options.masked apply; options.executor is not used.
        JOULE_ARCH_TAG explicit online_softmax(const softmax_options& options = {})
            : temperature_(options.temperature)
            , masked_zeros_(options.masked == masked_row::zeros)
        {
            detail::check_temperature("online_softmax", temperature_);
        }

        /// Adds x[0, n) to the row.
        JOULE_ARCH_TAG void add(const float* x, std::size_t n) { add_row(x, n); }
        JOULE_ARCH_TAG void add(const f16* x, std::size_t n) { add_row(x, n); }
        JOULE_ARCH_TAG void add(const bf16* x, std::size_t n) { add_row(x, n); }

        /// Adds everything `other` was given. Both must have the same temperature and masked mode.
        JOULE_ARCH_TAG void merge(const online_softmax& other)
        {
            if (JOULE_UNLIKELY(!(other.temperature_ == temperature_)))
                detail::fail("online_softmax::merge",
                             "other's temperature (",
                             other.temperature_,
                             ") != this temperature (",
                             temperature_,
                             ")");
            if (JOULE_UNLIKELY(other.masked_zeros_ != masked_zeros_))
                detail::fail("online_softmax::merge",
                             "other's masked mode (",
                             other.masked_zeros_ ? "zeros" : "nan",
                             ") != this masked mode (",
                             masked_zeros_ ? "zeros" : "nan",
                             ")");
            auto s = stats();
            detail::merge_stats(s, other.stats(), temperature_);
            set_stats(s);
            size_ += other.size_;
        }

        /// y = softmax of the whole row at the elements x[0, n).
        JOULE_ARCH_TAG void normalize(const float* x, float* y, std::size_t n) const { normalize_row<false>(x, y, n); }
        JOULE_ARCH_TAG void normalize(const f16* x, float* y, std::size_t n) const { normalize_row<false>(x, y, n); }
        JOULE_ARCH_TAG void normalize(const bf16* x, float* y, std::size_t n) const { normalize_row<false>(x, y, n); }
        /// y = log_softmax of the whole row at the elements x[0, n).
        JOULE_ARCH_TAG void log_normalize(const float* x, float* y, std::size_t n) const
        {
            normalize_row<true>(x, y, n);
        }
        JOULE_ARCH_TAG void log_normalize(const f16* x, float* y, std::size_t n) const { normalize_row<true>(x, y, n); }
        JOULE_ARCH_TAG void log_normalize(const bf16* x, float* y, std::size_t n) const
        {
            normalize_row<true>(x, y, n);
        }

        /// The largest element added (-inf before any; NaN once a NaN was added).
        JOULE_ARCH_TAG float max() const noexcept { return has_nan() ? std::numeric_limits<float>::quiet_NaN() : max_; }
        /// sum of exp((x - max()) / T) over the elements added (+inf maximum: how many are +inf).
        JOULE_ARCH_TAG double sum() const noexcept
        {
            return has_nan() ? std::numeric_limits<double>::quiet_NaN() : count_ + rest_;
        }
        /// log(sum of exp(x / T)) = max() / T + log(sum()), in double (no overflow for huge x).
        JOULE_ARCH_TAG double log_sum_exp() const noexcept
        {
            const auto s = stats();
            switch (detail::kind_of(s))
            {
                case detail::row_kind::nan:
                    return std::numeric_limits<double>::quiet_NaN();
                case detail::row_kind::masked:
                    return -std::numeric_limits<double>::infinity();
                case detail::row_kind::infinite:
                    return std::numeric_limits<double>::infinity();
                default:
                    return double(max_) / temperature_ + detail::log_of_sum(s);
            }
        }
        /// Elements added so far.
        JOULE_ARCH_TAG std::size_t size() const noexcept { return size_; }
        JOULE_ARCH_TAG float temperature() const noexcept { return temperature_; }

    private:
        JOULE_ARCH_TAG bool has_nan() const noexcept { return detail::kind_of(stats()) == detail::row_kind::nan; }

        JOULE_ARCH_TAG detail::row_stats stats() const noexcept
        {
            detail::row_stats s;
            s.max = max_;
            s.count = count_;
            s.rest = rest_;
            s.nan = nan_;
            return s;
        }
        JOULE_ARCH_TAG void set_stats(const detail::row_stats& s) noexcept
        {
            max_ = s.max;
            count_ = s.count;
            rest_ = s.rest;
            nan_ = s.nan;
        }

        JOULE_ARCH_TAG dispatch::online_softmax_state state() const noexcept
        {
            return dispatch::online_softmax_state{max_, count_, rest_, nan_, temperature_, masked_zeros_};
        }

        template <class T>
        JOULE_ARCH_TAG void add_row(const T* x, std::size_t n)
        {
            detail::check_pointer("online_softmax::add", "x", x, "n", n);
            auto st = state();
            JOULE_DISPATCHED_MEMBER((dispatch::softmax_fields<T, false>::online_add),
                                    detail::online_add_kernel<simd::native_arch, T>)(st, x, n);
            max_ = st.max;
            count_ = st.count;
            rest_ = st.rest;
            nan_ = st.nan;
            size_ += n;
        }

        template <bool Log, class T>
        JOULE_ARCH_TAG void normalize_row(const T* x, float* y, std::size_t n) const
        {
            const char* function = Log ? "online_softmax::log_normalize" : "online_softmax::normalize";
            softmax_options o;
            o.temperature = temperature_;
            detail::check_softmax_row(function, x, y, n, o);
            if (n == 0)
                return;
            JOULE_DISPATCHED_MEMBER((dispatch::softmax_fields<T, Log>::online_normalize),
                                    detail::online_normalize_kernel<simd::native_arch, Log, T>)(state(), x, y, n);
        }

        float max_ = -std::numeric_limits<float>::infinity();
        double count_ = 0; // elements equal to max_
        double rest_ = 0;  // sum of exp((x - max_) / T) over the others
        bool nan_ = false;
        std::size_t size_ = 0;
        float temperature_ = 1.0f;
        bool masked_zeros_ = false;
    };
} // namespace joule
