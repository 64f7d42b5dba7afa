// Tests for joule/softmax.hpp: softmax, log_softmax (one row and row-wise), online_softmax,
// against the double-precision references of support/softmax_reference.hpp, on every size and
// alignment, every algorithm (three passes; from 2^17 elements chunked three passes for softmax
// and two passes for log_softmax; from 6 Mi elements two passes for softmax, also tested
// directly on shorter rows), float / f16 / bf16 inputs, temperatures, special values,
// executors, and argument errors. joule::exp has its own file, softmax_exp_test.cpp.
//
// Bounds (the issue's, see joule/softmax.hpp):
// - softmax: |y - ref| <= (5e-7 + |x - max| / T * 1.2e-7) * ref, plus one subnormal spacing
//   (2^-149) for results below FLT_MIN, which float cannot hold to any relative precision;
// - rows sum to 1 within 3 ULP of 1;
// - log_softmax: |y - ref| <= 2 ULP(ref) + |x - max| / T * 1.2e-7.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <joule/softmax.hpp>

#include "support/buffer.hpp"
#include "support/reference.hpp"
#include "support/shapes.hpp"
#include "support/softmax_reference.hpp"

namespace
{
    constexpr float pinf = std::numeric_limits<float>::infinity();
    constexpr float qnan = std::numeric_limits<float>::quiet_NaN();
    /// Where rows start to be split in chunks (softmax: chunked three passes; log_softmax: two).
    constexpr std::size_t long_row = joule::detail::softmax_long_row;
    /// Where softmax switches to two passes.
    constexpr std::size_t two_pass_softmax = joule::detail::softmax_two_pass_min;

    template <class T>
    T from_float(float v)
    {
        return T(v);
    }
    template <>
    float from_float<float>(float v)
    {
        return v;
    }

    template <class T>
    const char* type_name()
    {
        return std::is_same<T, float>::value ? "float" : std::is_same<T, joule::f16>::value ? "f16" : "bf16";
    }

    enum class dist
    {
        normal1,  ///< N(0, 1)
        normal10, ///< N(0, 10)
        wide,     ///< U(-100, 100): many results far below 1, some subnormal
        masked,   ///< N(0, 5) with a quarter of the elements -inf
        dominant, ///< one element 25 above N(0, 1): probability ~1, log_softmax ~0
        constant, ///< every element 3.5
        offset,   ///< 1e4 + N(0, 5): x - max rounds
        narrow,   ///< N(0, 0.5): large sums (log_softmax's float path from a few hundred elements)
        count
    };

    std::vector<float> make_row(std::size_t n, dist d, std::mt19937& rng)
    {
        std::vector<float> x(n);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::uniform_real_distribution<float> uniform(-100.0f, 100.0f);
        for (std::size_t i = 0; i < n; ++i)
        {
            switch (d)
            {
                case dist::normal1:
                    x[i] = normal(rng);
                    break;
                case dist::normal10:
                    x[i] = 10.0f * normal(rng);
                    break;
                case dist::wide:
                    x[i] = uniform(rng);
                    break;
                case dist::masked:
                    x[i] = rng() % 4 == 0 ? -pinf : 5.0f * normal(rng);
                    break;
                case dist::dominant:
                    x[i] = normal(rng);
                    break;
                case dist::constant:
                    x[i] = 3.5f;
                    break;
                case dist::offset:
                    x[i] = 1e4f + 5.0f * normal(rng);
                    break;
                case dist::narrow:
                    x[i] = 0.5f * normal(rng);
                    break;
                default:
                    break;
            }
        }
        if (n > 0 && d == dist::dominant)
            x[rng() % n] = 25.0f;
        if (n > 0 && d == dist::masked)
            x[rng() % n] = 1.0f; // at least one element is not masked
        return x;
    }

    const char* dist_name(dist d)
    {
        static const char* names[] = {
          "normal1", "normal10", "wide", "masked", "dominant", "constant", "offset", "narrow"};
        return names[static_cast<int>(d)];
    }

    /// The public functions choose the algorithm by length; tests also run each one directly, on
    /// rows of any length (the two-pass softmax is otherwise only reached from 6 Mi elements).
    enum class algorithm
    {
        automatic,
        three_pass,
        chunked_three_pass, ///< softmax only (log_softmax: two passes)
        two_pass,
    };

    template <class T>
    void run_row(algorithm a, const T* x, float* y, std::size_t n, bool log, const joule::softmax_options& o)
    {
        using A = joule::simd::native_arch;
        if (a == algorithm::automatic || n == 0)
        {
            if (log)
                joule::log_softmax(x, y, n, o);
            else
                joule::softmax(x, y, n, o);
            return;
        }
        joule::detail::row_options ro;
        ro.temperature = o.temperature;
        ro.masked_zeros = o.masked == joule::masked_row::zeros;
        auto run = [&](auto scaled)
        {
            constexpr bool s = decltype(scaled)::value;
            if (a == algorithm::three_pass)
            {
                const float m = joule::detail::row_max<A>(x, n);
                if (log)
                    joule::detail::three_pass_row<A, T, s, true>(x, y, n, ro, m);
                else
                    joule::detail::three_pass_row<A, T, s, false>(x, y, n, ro, m);
            }
            else if (a == algorithm::chunked_three_pass && !log)
                joule::detail::three_pass_chunked_row<A, T, s>(x, y, n, ro, o.executor);
            else if (log)
                joule::detail::two_pass_row<A, T, s, true>(x, y, n, ro, o.executor);
            else
                joule::detail::two_pass_row<A, T, s, false>(x, y, n, ro, o.executor);
        };
        if (o.temperature != 1.0f)
            run(std::true_type{});
        else
            run(std::false_type{});
    }

    const char* algorithm_name(algorithm a)
    {
        static const char* names[] = {"automatic", "three passes", "chunked three passes", "two passes"};
        return names[static_cast<int>(a)];
    }

    /// The worst error of y against the reference, as a fraction of the allowed error (<= 1 passes).
    struct row_errors
    {
        double worst = 0;
        std::size_t worst_index = 0;
        double sum_error_ulp = 0; ///< |sum(y) - 1| in ULP of 1 (softmax only)
    };

    row_errors measure_row(const std::vector<double>& x, const float* y, double temperature, bool log)
    {
        const auto ref = log ? joule_test::ref_log_softmax(x, temperature) : joule_test::ref_softmax(x, temperature);
        double m = -std::numeric_limits<double>::infinity();
        for (double v : x)
            m = std::max(m, v);
        row_errors e;
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
        {
            const double err = std::fabs(double(y[i]) - ref[i]);
            const double rounding_of_d = std::fabs(x[i] - m) / temperature * 1.2e-7;
            double allowed;
            // log_softmax values below -FLT_MAX (huge inputs with a small temperature) round to -inf.
            const bool log_overflows = ref[i] < -double(FLT_MAX) - 0.5 * joule_test::float_ulp(FLT_MAX);
            if (log)
                allowed = ref[i] == -std::numeric_limits<double>::infinity() || log_overflows
                            ? 0
                            : 2 * joule_test::float_ulp(ref[i]);
            else
                allowed = ref[i] == 0 ? 0 : (5e-7 + rounding_of_d) * ref[i] + std::ldexp(1.0, -149);
            double ratio;
            if (log && log_overflows)
                ratio = y[i] == -std::numeric_limits<float>::infinity() ? 0 : std::numeric_limits<double>::infinity();
            else if (allowed == 0)
                ratio = double(y[i]) == ref[i] ? 0 : std::numeric_limits<double>::infinity();
            else
                ratio = std::isnan(y[i]) ? std::numeric_limits<double>::infinity() : err / allowed;
            if (ratio > e.worst || (std::isnan(ratio)))
            {
                e.worst = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
                e.worst_index = i;
            }
            sum += y[i];
        }
        if (!log)
            e.sum_error_ulp = std::fabs(sum - 1.0) / std::ldexp(1.0, -23);
        return e;
    }

    /// Runs joule's softmax or log_softmax on `values` (converted to T) and checks the bounds.
    template <class T>
    void check_row(const std::vector<float>& values,
                   bool log,
                   const joule::softmax_options& o = {},
                   std::size_t skew = 0,
                   algorithm a = algorithm::automatic)
    {
        const std::size_t n = values.size();
        joule_test::guarded_buffer<T> x(n, skew * sizeof(T));
        std::vector<double> xd(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            x[i] = from_float<T>(values[i]);
            xd[i] = double(static_cast<float>(x[i]));
        }
        joule_test::guarded_buffer<float> y(n, skew * sizeof(float));
        run_row(a, x.data(), y.data(), n, log, o);
        const row_errors e = measure_row(xd, y.data(), o.temperature, log);
        // Built first: INFO keeps references to its operands, so temporaries would dangle.
        std::ostringstream what;
        what << type_name<T>() << (log ? " log_softmax" : " softmax") << " (" << algorithm_name(a) << ") n=" << n
             << " T=" << o.temperature << " skew=" << skew << ": worst at " << e.worst_index
             << " (x=" << (n ? xd[e.worst_index] : 0.0) << ", y=" << (n ? y[e.worst_index] : 0.0f) << ")";
        const std::string context = what.str();
        INFO(context);
        CHECK(e.worst <= 1.0);
        if (!log && n > 0)
            CHECK(e.sum_error_ulp <= 3.0);
        CHECK(y.guards_intact());
    }

    template <class T>
    void check_sizes(const std::vector<std::size_t>& sizes, std::uint32_t seed)
    {
        std::mt19937 rng(seed);
        std::size_t k = 0;
        for (std::size_t n : sizes)
        {
            for (int rep = 0; rep < 2; ++rep, ++k)
            {
                const auto d = static_cast<dist>(k % static_cast<std::size_t>(dist::count));
                INFO("distribution " << std::string(dist_name(d)));
                const auto row = make_row(n, d, rng);
                const std::size_t skew = joule_test::misalignments(1)[k % 4] % 16;
                check_row<T>(row, false, {}, skew);
                check_row<T>(row, true, {}, skew);
            }
        }
    }

    std::vector<float> run_softmax(const std::vector<float>& x,
                                   bool log = false,
                                   const joule::softmax_options& o = {},
                                   algorithm a = algorithm::automatic)
    {
        std::vector<float> y(x.size(), -123.0f);
        run_row(a, x.data(), y.data(), x.size(), log, o);
        return y;
    }

    bool all_nan(const std::vector<float>& y)
    {
        return std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); });
    }

    /// |a - b| <= `ulps` ULP of b (NaN only where b is NaN, infinities equal): results of the
    /// same row computed into outputs at other addresses, whose sums may group lanes differently.
    bool within_ulps(float a, float b, double ulps)
    {
        if (std::isnan(b) || std::isnan(a))
            return std::isnan(a) && std::isnan(b);
        if (std::isinf(b) || std::isinf(a))
            return a == b;
        return std::fabs(double(a) - double(b)) <= ulps * joule_test::float_ulp(b);
    }

    bool same_bits(const std::vector<float>& a, const std::vector<float>& b)
    {
        return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    }
} // namespace

TEST_CASE("softmax and log_softmax of float rows: every size and alignment, every distribution")
{
    check_sizes<float>(joule_test::awkward_sizes(130, 5000), 11);
}

TEST_CASE("f16 and bf16 rows: same bounds, sums accumulate in float and double")
{
    auto sizes = joule_test::awkward_sizes(70, 4099);
    sizes.push_back(65536);
    check_sizes<joule::f16>(sizes, 12);
    check_sizes<joule::bf16>(sizes, 13);
}

TEST_CASE("long rows: chunks, the switches between algorithms")
{
    std::mt19937 rng(14);
    // Under qemu (where this case took 30% of the file's time) each length takes two of the
    // five distributions, rotating, so every distribution still meets a long row: every length
    // kept, the crossing of lengths and distributions sampled.
    const bool slow = joule_test::qemu_like_slow();
    const dist dists[] = {dist::normal10, dist::wide, dist::masked, dist::dominant, dist::narrow};
    std::size_t sample = 0;
    for (std::size_t n : {long_row - 1, long_row, long_row + 1, 3 * long_row + 4096 + 5})
    {
        for (std::size_t di = 0; di < 5; ++di)
        {
            if (slow && di >= 2)
                break;
            const dist d = slow ? dists[sample++ % 5] : dists[di];
            CAPTURE(n);
            INFO("distribution " << std::string(dist_name(d)));
            const auto row = make_row(n, d, rng);
            check_row<float>(row, false);
            check_row<float>(row, true);
        }
    }
    auto row = make_row(long_row + 77, dist::normal10, rng);
    check_row<joule::f16>(row, false);
    check_row<joule::bf16>(row, true);
    // The switch to two passes for softmax.
    row = make_row(two_pass_softmax + 7, dist::normal10, rng);
    check_row<float>(row, false);
}

TEST_CASE("two passes: blocks of -inf only, and a maximum in the last block")
{
    // Pass 1 merges the statistics of 4096-element blocks; a block whose maximum is not finite
    // is scanned apart, and the blocks after it must still be summed against their own maxima.
    constexpr std::size_t block = joule::detail::softmax_block;
    std::mt19937 rng(23);
    for (std::size_t n : {2 * block, 3 * block + 100, 5 * block - 1})
    {
        CAPTURE(n);
        auto row = make_row(n, dist::normal10, rng);
        std::fill(row.begin(), row.begin() + block, -pinf);                 // the first block masked
        std::fill(row.begin() + block + 7, row.begin() + block + 12, -pinf); // a few in the next one
        row[n - 1] = 60.0f; // the row's maximum in the last element
        for (std::size_t offset : {std::size_t(0), std::size_t(3)})
        {
            check_row<float>(row, false, {}, offset, algorithm::two_pass);
            check_row<float>(row, true, {}, offset, algorithm::two_pass);
        }
        joule::softmax_options o;
        o.temperature = 0.5f;
        check_row<float>(row, false, o, 1, algorithm::two_pass);
    }
}

TEST_CASE("every algorithm on every length: accuracy, temperature, f16")
{
    std::mt19937 rng(20);
    const dist dists[] = {dist::normal10, dist::wide, dist::masked, dist::dominant, dist::offset, dist::narrow};
    std::size_t sample = 0;
    for (algorithm a : {algorithm::three_pass, algorithm::chunked_three_pass, algorithm::two_pass})
    {
        for (std::size_t n : {1u, 2u, 7u, 33u, 1000u, 4096u, 4097u, 9000u, unsigned(long_row + 13)})
        {
            for (std::size_t di = 0; di < 6; ++di)
            {
                // Under qemu the lengths from 4096 up take two of the six distributions,
                // rotating over lengths and algorithms (every pair still meets); shorter rows
                // take all six.
                const bool sampled = joule_test::qemu_like_slow() && n >= 4096;
                if (sampled && di >= 2)
                    break;
                const dist d = sampled ? dists[sample++ % 6] : dists[di];
                CAPTURE(n);
                INFO("distribution " << std::string(dist_name(d)));
                const auto row = make_row(n, d, rng);
                check_row<float>(row, false, {}, n % 5, a);
                check_row<float>(row, true, {}, n % 5, a);
            }
            joule::softmax_options o;
            o.temperature = 0.3f;
            const auto row = make_row(n, dist::normal10, rng);
            check_row<float>(row, false, o, 1, a);
            check_row<float>(row, true, o, 1, a);
            check_row<joule::f16>(row, false, {}, 0, a);
        }
    }
}

TEST_CASE("log_softmax: sums on both sides of the float-sum threshold stay within 2 ULP")
{
    // log_softmax takes log(sum) from the float exp kernel when the sum S >= log_sum_float_min
    // and redoes it in double below (log_passes.hpp). The float error is largest relative to L =
    // log(S) just above the threshold, and when S is made of terms near the maximum (each carrying
    // the kernel's full relative error): k elements within 0.05 of the maximum, the rest 20 to
    // 30 below it (their exps are at most e^-20, 2.1e-9), so S ~ 0.975 k.
    const double threshold = joule::detail::log_sum_float_min;
    REQUIRE(threshold == 128.0);
    std::mt19937 rng(41);
    std::uniform_real_distribution<float> near(-0.05f, 0.0f), far(-30.0f, -20.0f);
    for (double target : {0.5 * threshold, threshold - 1, threshold + 1, 1.5 * threshold, 2 * threshold + 3})
    {
        for (std::size_t n : {300u, 1000u, 4096u, 4103u})
        {
            const auto k = static_cast<std::size_t>(target / 0.975);
            if (k > n)
                continue;
            std::vector<float> row(n);
            for (std::size_t i = 0; i < n; ++i)
                row[i] = 7.0f + (i < k ? near(rng) : far(rng));
            std::shuffle(row.begin(), row.end(), rng);
            CAPTURE(target);
            CAPTURE(n);
            for (algorithm a : {algorithm::three_pass, algorithm::two_pass})
                for (std::size_t skew : {0u, 3u})
                    check_row<float>(row, true, {}, skew, a);
        }
    }
}

TEST_CASE("temperature: softmax(x / T), applied to x - max")
{
    std::mt19937 rng(15);
    for (float t : {0.25f, 0.7f, 3.0f, 1e-3f, 1e3f})
    {
        for (std::size_t n : {1u, 5u, 33u, 1000u, 4099u})
        {
            for (dist d : {dist::normal10, dist::masked, dist::offset})
            {
                INFO("distribution " << std::string(dist_name(d)));
                joule::softmax_options o;
                o.temperature = t;
                const auto row = make_row(n, d, rng);
                check_row<float>(row, false, o);
                check_row<float>(row, true, o);
                check_row<joule::bf16>(row, false, o);
            }
        }
        joule::softmax_options o;
        o.temperature = t;
        const auto row = make_row(long_row + 3, dist::normal10, rng);
        check_row<float>(row, false, o);
        check_row<float>(row, true, o);
    }
}

TEST_CASE("in place for float rows")
{
    std::mt19937 rng(16);
    for (std::size_t n : {1u, 7u, 100u, 4099u, unsigned(long_row + 9)})
    {
        for (bool log : {false, true})
        {
            for (std::size_t skew : {0u, 4u, 12u})
            {
                CAPTURE(n);
                CAPTURE(skew);
                const auto row = make_row(n, dist::normal10, rng);
                // Output and in-place buffer at the same address modulo 64: the same bits.
                joule_test::guarded_buffer<float> x(n, skew), y(n, skew);
                std::copy(row.begin(), row.end(), x.data());
                if (log)
                {
                    joule::log_softmax(x.data(), y.data(), n);
                    joule::log_softmax(x.data(), x.data(), n);
                }
                else
                {
                    joule::softmax(x.data(), y.data(), n);
                    joule::softmax(x.data(), x.data(), n);
                }
                CHECK(std::memcmp(x.data(), y.data(), n * sizeof(float)) == 0);
                CHECK(x.guards_intact());
            }
        }
    }
}

namespace
{
    void check_special_values(algorithm a)
    {
        INFO("algorithm: " << std::string(algorithm_name(a)));
        const float big = FLT_MAX;

        {
            INFO("n = 0 touches nothing; n = 1 gives 1 (log_softmax 0)");
            joule::softmax(joule_test::opaque_null<const float>(), joule_test::opaque_null<float>(), 0);
            joule::log_softmax(joule_test::opaque_null<const joule::f16>(), joule_test::opaque_null<float>(), 0);
            for (float v : {0.0f, -3.0f, 1e30f, -big, big})
            {
                CHECK(run_softmax({v}, false, {}, a) == std::vector<float>{1.0f});
                CHECK(run_softmax({v}, true, {}, a) == std::vector<float>{0.0f});
            }
            joule::softmax_options o;
            o.temperature = 1e-30f;
            CHECK(run_softmax({-7.0f}, false, o, a) == std::vector<float>{1.0f});
        }

        {
            INFO("a NaN anywhere makes the whole row NaN, at any position and length");
            for (std::size_t n : {1u, 2u, 9u, 64u, 1000u, unsigned(long_row + 5)})
            {
                for (std::size_t pos : {std::size_t(0), n / 2, n - 1})
                {
                    for (float other : {0.0f, pinf, -pinf})
                    {
                        std::vector<float> x(n, 1.0f);
                        if (n > 2)
                            x[(pos + 1) % n] = other;
                        x[pos] = qnan;
                        CAPTURE(n);
                        CAPTURE(pos);
                        CAPTURE(other);
                        CHECK(all_nan(run_softmax(x, false, {}, a)));
                        CHECK(all_nan(run_softmax(x, true, {}, a)));
                        std::vector<joule::bf16> h(n);
                        joule::convert(x.data(), h.data(), n);
                        std::vector<float> y(n);
                        run_row(a, h.data(), y.data(), n, false, {});
                        CHECK(all_nan(y));
                    }
                }
            }
        }

        {
            INFO("+pinf: the limit, 1/k for each of k infinities and 0 elsewhere");
            for (std::size_t n : {1u, 5u, 100u, unsigned(long_row + 1)})
            {
                std::vector<float> x(n, 2.0f);
                x[0] = -pinf;
                x[n - 1] = pinf;
                auto y = run_softmax(x, false, {}, a);
                CHECK(y[n - 1] == 1.0f);
                CHECK(std::count(y.begin(), y.end(), 0.0f) == std::ptrdiff_t(n - 1));
                auto l = run_softmax(x, true, {}, a);
                CHECK(l[n - 1] == 0.0f);
                if (n >= 3)
                {
                    x[n / 2] = pinf;
                    x[1] = pinf;
                    y = run_softmax(x, false, {}, a);
                    CHECK(y[n / 2] == 1.0f / 3.0f);
                    CHECK(y[1] == 1.0f / 3.0f);
                    CHECK(y[0] == 0.0f);
                    l = run_softmax(x, true, {}, a);
                    CHECK(l[1] == static_cast<float>(-std::log(3.0)));
                    CHECK(l[0] == -pinf);
                }
            }
        }

        {
            INFO("huge finite inputs with a temperature never give NaN, and match the reference");
            for (float t : {1.0f, 0.5f, 1e-3f, 1e-38f, 2.0f, 1e30f, 1e38f, big})
            {
                joule::softmax_options o;
                o.temperature = t;
                CAPTURE(t);
                const std::vector<float> x = {-big, big, 0.0f, big, -big, 1.0f, -1e30f};
                const auto y = run_softmax(x, false, o, a);
                const auto l = run_softmax(x, true, o, a);
                for (std::size_t i = 0; i < x.size(); ++i)
                {
                    CHECK(!std::isnan(y[i]));
                    CHECK(!std::isnan(l[i]));
                }
                // -FLT_MAX - FLT_MAX overflows a float, (-FLT_MAX - FLT_MAX) / 1e38 does not.
                check_row<float>(x, false, o, 0, a);
                check_row<float>(x, true, o, 0, a);
                check_row<float>({big, -big}, false, o, 0, a);
                check_row<float>({-big, big, -big, -big, -big, -big, -big, -big, -big, big, -big, -big, -big, -big, -big,
                                  -big, -big, -big, -big, -big, -big},
                                 false,
                                 o,
                                 3,
                                 a);
                // (x - max) / T: the two FLT_MAX share the probability unless T is huge.
                if (t <= 2.0f)
                {
                    CHECK(y[1] == 0.5f);
                    CHECK(y[3] == 0.5f);
                    CHECK(y[0] == 0.0f);
                    CHECK(l[1] == static_cast<float>(-std::log(2.0)));
                    // (-FLT_MAX - FLT_MAX) / T - log 2: -inf as a float unless T >= 2.
                    CHECK(l[0] == static_cast<float>(-2.0 * double(big) / double(t) - std::log(2.0)));
                }
                const std::vector<float> all_min(50, -big);
                for (float v : run_softmax(all_min, false, o, a))
                    CHECK(v == 1.0f / 50);
            }
        }

        {
            INFO("fully masked rows: NaN by default, zeros on request; -pinf elements give 0");
            for (std::size_t n : {1u, 3u, 17u, 1000u, unsigned(long_row + 100)})
            {
                CAPTURE(n);
                const std::vector<float> x(n, -pinf);
                CHECK(all_nan(run_softmax(x, false, {}, a)));
                CHECK(all_nan(run_softmax(x, true, {}, a)));
                joule::softmax_options o;
                o.masked = joule::masked_row::zeros;
                for (float v : run_softmax(x, false, o, a))
                    CHECK(v == 0.0f);
                for (float v : run_softmax(x, true, o, a))
                    CHECK(v == -pinf);
                // One element left unmasked takes everything.
                std::vector<float> one = x;
                one[n / 2] = -5.0f;
                const auto y = run_softmax(one, false, {}, a);
                CHECK(y[n / 2] == 1.0f);
                CHECK(std::count(y.begin(), y.end(), 0.0f) == std::ptrdiff_t(n - 1));
            }
        }
    }
} // namespace

TEST_CASE("special values: every algorithm")
{
    for (algorithm a :
         {algorithm::automatic, algorithm::three_pass, algorithm::chunked_three_pass, algorithm::two_pass})
        check_special_values(a);
}

TEST_CASE("row-wise forms: any strides, in place, executors never change a bit")
{
    std::mt19937 rng(17);
    const std::size_t rows = 37, cols = 301, stride = 320;
    std::vector<float> x(rows * stride, qnan); // padding between rows must never be read
    for (std::size_t r = 0; r < rows; ++r)
    {
        const auto row = make_row(cols, static_cast<dist>(r % static_cast<std::size_t>(dist::count)), rng);
        std::copy(row.begin(), row.end(), x.begin() + r * stride);
    }
    joule::matrix_view<const float> X(x.data(), rows, cols, stride);
    joule::thread_pool pool(3);
    // Executors never change a bit (same buffers); other layouts and addresses compute the same
    // rows, which may differ in the last bits: their sums group elements into SIMD lanes
    // differently (each lane adds up to 32 values in float before double takes over), which
    // moves the sum, and every element with it, by a few ULP.
    for (bool log : {false, true})
    {
        CAPTURE(log);
        auto run =
          [&](joule::matrix_view<const float> in, joule::matrix_view<float> out, const joule::softmax_options& o)
        {
            if (log)
                joule::log_softmax(in, out, o);
            else
                joule::softmax(in, out, o);
        };
        std::vector<float> y(rows * cols);
        const joule::matrix_view<float> Y(y.data(), rows, cols);
        run(X, Y, {});
        const std::vector<float> want = y;
        joule::softmax_options o;
        o.executor = pool;
        std::fill(y.begin(), y.end(), 0.0f);
        run(X, Y, o);
        CHECK(same_bits(y, want));
        auto my_pool = [](std::size_t n, joule::task_ref task)
        {
            for (std::size_t i = n; i-- > 0;)
                task(i);
        };
        o.executor = joule::executor_ref(my_pool, 5);
        std::fill(y.begin(), y.end(), 0.0f);
        run(X, Y, o);
        CHECK(same_bits(y, want));

        auto check_close = [&](auto element)
        {
            bool close = true;
            for (std::size_t r = 0; r < rows && close; ++r)
                for (std::size_t c = 0; c < cols && close; ++c)
                {
                    close = within_ulps(element(r, c), want[r * cols + c], 8.0);
                    if (!close)
                        MESSAGE("row " << r << " col " << c << ": " << element(r, c) << " vs " << want[r * cols + c]);
                }
            return close;
        };
        // One row at a time.
        std::vector<float> per_row(rows * cols);
        for (std::size_t r = 0; r < rows; ++r)
        {
            if (log)
                joule::log_softmax(X.row(r), per_row.data() + r * cols, cols);
            else
                joule::softmax(X.row(r), per_row.data() + r * cols, cols);
        }
        CHECK(check_close([&](std::size_t r, std::size_t c) { return per_row[r * cols + c]; }));

        // Transposed output (column stride != 1) through the scratch row.
        std::vector<float> yt(cols * rows);
        run(X, joule::matrix_view<float>(yt.data(), cols, rows).t(), o);
        CHECK(check_close([&](std::size_t r, std::size_t c) { return yt[c * rows + r]; }));

        // Softmax over the columns of the transposed input.
        std::vector<float> xt(cols * rows);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c)
                xt[c * rows + r] = x[r * stride + c];
        std::vector<float> y2(rows * cols);
        run(joule::matrix_view<const float>(xt.data(), cols, rows).t(),
            joule::matrix_view<float>(y2.data(), rows, cols),
            o);
        CHECK(check_close([&](std::size_t r, std::size_t c) { return y2[r * cols + c]; }));

        // In place on the strided input; the padding between rows is never touched.
        std::vector<float> inplace = x;
        const joule::matrix_view<float> Z(inplace.data(), rows, cols, stride);
        run(Z, Z, o);
        CHECK(check_close([&](std::size_t r, std::size_t c) { return inplace[r * stride + c]; }));
        bool padding_kept = true;
        for (std::size_t r = 0; r < rows; ++r)
            padding_kept = padding_kept && std::isnan(inplace[r * stride + cols]);
        CHECK(padding_kept);
    }

    // f16 rows and empty views.
    std::vector<joule::f16> h(rows * cols);
    for (std::size_t r = 0; r < rows; ++r)
        joule::convert(X.row(r), h.data() + r * cols, cols);
    std::vector<float> y(rows * cols), want(rows * cols);
    joule::softmax_options o;
    o.executor = pool;
    joule::softmax(
      joule::matrix_view<const joule::f16>(h.data(), rows, cols), joule::matrix_view<float>(y.data(), rows, cols), o);
    for (std::size_t r = 0; r < rows; ++r)
        joule::softmax(h.data() + r * cols, want.data() + r * cols, cols);
    bool close = true;
    for (std::size_t i = 0; i < y.size(); ++i)
        close = close && within_ulps(y[i], want[i], 8.0);
    CHECK(close);
    joule::softmax(joule::matrix_view<const float>(x.data(), 0, cols), joule::matrix_view<float>(y.data(), 0, cols));
    joule::softmax(joule::matrix_view<const float>(x.data(), rows, 0), joule::matrix_view<float>(y.data(), rows, 0));
}

TEST_CASE("long rows split into chunks: every executor gives the same bits")
{
    std::mt19937 rng(18);
    joule::thread_pool pool2(2), pool4(4);
    auto my_pool = [&](std::size_t n, joule::task_ref task)
    {
        for (std::size_t i = n; i-- > 0;) // backwards: order must not matter
            task(i);
    };
    for (std::size_t n : {long_row, 3 * long_row + 13})
    {
        const auto x = make_row(n, dist::masked, rng);
        // Rows padded to 64 bytes, outputs in one 64-byte aligned buffer: every row of every
        // run at the same address modulo 64.
        const std::size_t stride = (n + 15) / 16 * 16;
        joule_test::guarded_buffer<float> xx(2 * stride), yy(2 * stride);
        std::copy(x.begin(), x.end(), xx.data());
        std::copy(x.begin(), x.end(), xx.data() + stride);
        for (algorithm a : {algorithm::automatic, algorithm::two_pass})
        {
            for (bool log : {false, true})
            {
                CAPTURE(n);
                CAPTURE(log);
                INFO("algorithm: " << std::string(algorithm_name(a)));
                run_row(a, xx.data(), yy.data(), n, log, {});
                const std::vector<float> want(yy.data(), yy.data() + n);
                joule::softmax_options o;
                for (int e = 0; e < 3; ++e)
                {
                    if (e == 0)
                        o.executor = pool2;
                    else if (e == 1)
                        o.executor = pool4;
                    else
                        o.executor = joule::executor_ref(my_pool, 3);
                    std::fill(yy.data(), yy.data() + n, 0.0f);
                    run_row(a, xx.data(), yy.data(), n, log, o);
                    CHECK(std::memcmp(yy.data(), want.data(), n * sizeof(float)) == 0);
                }
                if (a != algorithm::automatic)
                    continue;
                // Rows of a matrix: few long rows, each split within the row.
                o.executor = pool4;
                const joule::matrix_view<const float> X(xx.data(), 2, n, stride);
                const joule::matrix_view<float> Y(yy.data(), 2, n, stride);
                if (log)
                    joule::log_softmax(X, Y, o);
                else
                    joule::softmax(X, Y, o);
                CHECK(std::memcmp(yy.data(), want.data(), n * sizeof(float)) == 0);
                CHECK(std::memcmp(yy.data() + stride, want.data(), n * sizeof(float)) == 0);
            }
        }
        CHECK(yy.guards_intact());
    }
}

TEST_CASE("online_softmax: chunks and merges equal the one-shot result")
{
    std::mt19937 rng(19);
    for (std::size_t n : {1u, 2u, 50u, 1000u, 5000u, 20000u})
    {
        for (dist d : {dist::normal10, dist::masked, dist::dominant, dist::wide})
        {
            for (float t : {1.0f, 0.6f})
            {
                CAPTURE(n);
                INFO("distribution " << std::string(dist_name(d)));
                CAPTURE(t);
                const auto x = make_row(n, d, rng);
                joule::softmax_options o;
                o.temperature = t;
                const auto one_shot = run_softmax(x, false, o);
                const auto one_shot_log = run_softmax(x, true, o);

                // Random chunks, some empty, added to one state.
                joule::online_softmax st(o);
                std::size_t i = 0;
                while (i < n)
                {
                    const std::size_t len = std::min<std::size_t>(n - i, rng() % 700);
                    st.add(x.data() + i, len);
                    i += len;
                }
                CHECK(st.size() == n);
                // The same row in three states merged in a tree.
                joule::online_softmax a(o), b(o), c(o);
                a.add(x.data(), n / 3);
                b.add(x.data() + n / 3, n / 2 - n / 3);
                c.add(x.data() + n / 2, n - n / 2);
                b.merge(c);
                a.merge(b);
                CHECK(a.size() == n);

                std::vector<double> xd(x.begin(), x.end());
                for (const joule::online_softmax* s : {&st, &a})
                {
                    std::vector<float> y(n), l(n);
                    // normalize in two pieces
                    s->normalize(x.data(), y.data(), n / 2);
                    s->normalize(x.data() + n / 2, y.data() + n / 2, n - n / 2);
                    s->log_normalize(x.data(), l.data(), n);
                    const row_errors e = measure_row(xd, y.data(), t, false);
                    const row_errors el = measure_row(xd, l.data(), t, true);
                    CHECK(e.worst <= 1.0);
                    CHECK(e.sum_error_ulp <= 3.0);
                    CHECK(el.worst <= 1.0);
                    // Equal to the one-shot functions within a few ULP.
                    double worst = 0, worst_log = 0;
                    for (std::size_t k = 0; k < n; ++k)
                    {
                        if (one_shot[k] != y[k])
                            worst = std::max(
                              worst, std::fabs(double(y[k]) - one_shot[k]) / joule_test::float_ulp(one_shot[k]));
                        if (one_shot_log[k] != l[k])
                            worst_log = std::max(worst_log,
                                                 std::fabs(double(l[k]) - one_shot_log[k]) /
                                                   joule_test::float_ulp(one_shot_log[k]));
                    }
                    CHECK(worst <= 4.0);
                    CHECK(worst_log <= 1.0);
                }
                // log_sum_exp = log(sum of exp(x / T)).
                double m = -std::numeric_limits<double>::infinity(), s = 0;
                for (double v : xd)
                    m = std::max(m, v);
                for (double v : xd)
                    s += std::exp((v - m) / t);
                CHECK(a.log_sum_exp() == doctest::Approx(m / t + std::log(s)).epsilon(1e-9));
                CHECK(a.max() == float(m));
                CHECK(a.sum() == doctest::Approx(s).epsilon(1e-6));
            }
        }
    }
}

TEST_CASE("online_softmax: special values, empty states, f16 chunks")
{
    joule::online_softmax empty;
    CHECK(empty.max() == -pinf);
    CHECK(empty.sum() == 0.0);
    CHECK(empty.log_sum_exp() == -std::numeric_limits<double>::infinity());
    std::vector<float> y(3);
    const std::vector<float> x = {1.0f, 2.0f, 3.0f};
    empty.normalize(x.data(), y.data(), 3); // nothing added: a fully masked row
    CHECK(all_nan(y));

    joule::softmax_options zeros;
    zeros.masked = joule::masked_row::zeros;
    joule::online_softmax masked(zeros);
    const std::vector<float> minf(5, -pinf);
    masked.add(minf.data(), 5);
    masked.normalize(minf.data(), y.data(), 3);
    CHECK(y == std::vector<float>{0.0f, 0.0f, 0.0f});

    // -pinf chunk first, then finite: the masked elements give 0.
    joule::online_softmax st;
    st.add(minf.data(), 5);
    st.add(x.data(), 3);
    st.merge(empty);
    std::vector<float> all(8);
    st.normalize(minf.data(), all.data(), 5);
    st.normalize(x.data(), all.data() + 5, 3);
    CHECK(all[0] == 0.0f);
    CHECK(all[7] == doctest::Approx(std::exp(0.0) / (1 + std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-6));

    // +pinf merged into finite states, and the other way round.
    const std::vector<float> with_inf = {0.0f, pinf, 5.0f, pinf};
    joule::online_softmax a, b;
    a.add(x.data(), 3);
    b.add(with_inf.data(), 4);
    a.merge(b);
    a.normalize(with_inf.data(), y.data(), 3);
    CHECK(y == std::vector<float>{0.0f, 0.5f, 0.0f});
    CHECK(a.log_sum_exp() == pinf);

    // A NaN in any chunk poisons the state.
    const std::vector<float> with_nan = {0.0f, qnan};
    joule::online_softmax c;
    c.add(x.data(), 3);
    c.add(with_nan.data(), 2);
    c.add(x.data(), 3);
    c.normalize(x.data(), y.data(), 3);
    CHECK(all_nan(y));
    CHECK(std::isnan(c.max()));
    CHECK(std::isnan(c.log_sum_exp()));
    joule::online_softmax d;
    d.add(x.data(), 3);
    d.merge(c);
    d.log_normalize(x.data(), y.data(), 3);
    CHECK(all_nan(y));

    // f16 and bf16 chunks mixed in one state.
    std::vector<joule::f16> h(3);
    std::vector<joule::bf16> bh(3);
    joule::convert(x.data(), h.data(), 3);
    joule::convert(x.data(), bh.data(), 3);
    joule::online_softmax e;
    e.add(h.data(), 3);
    e.add(bh.data(), 3);
    std::vector<float> yh(3);
    e.normalize(h.data(), yh.data(), 3);
    const double s = 2 * (1 + std::exp(-1.0) + std::exp(-2.0));
    CHECK(yh[2] == doctest::Approx(1.0 / s).epsilon(1e-6));
}

TEST_CASE("bad arguments raise joule::error naming the argument and values")
{
    std::vector<float> x(8, 1.0f), y(8);
    CHECK_THROWS_WITH_AS(joule::softmax(x.data(), joule_test::opaque_null<float>(), 3),
                         "joule::softmax: y is null but n is 3",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::log_softmax(joule_test::opaque_null<const joule::f16>(), y.data(), 2),
                         "joule::log_softmax: x is null but n is 2",
                         joule::error);
    joule::softmax_options o;
    for (float t : {0.0f, -1.0f, qnan, pinf})
    {
        o.temperature = t;
        CHECK_THROWS_AS(joule::softmax(x.data(), y.data(), 8, o), joule::error);
        CHECK_THROWS_AS(joule::online_softmax{o}, joule::error);
    }
    o.temperature = -2.0f;
    CHECK_THROWS_WITH_AS(joule::softmax(x.data(), y.data(), 8, o),
                         "joule::softmax: options.temperature (-2) must be finite and > 0",
                         joule::error);
    // Overlap: only exact in-place is allowed, and only for float input.
    CHECK_THROWS_AS(joule::softmax(x.data(), x.data() + 1, 4), joule::error);
    auto* halves = reinterpret_cast<joule::f16*>(x.data());
    CHECK_THROWS_AS(joule::softmax(halves, x.data(), 4), joule::error);
    // Views.
    joule::matrix_view<const float> X(x.data(), 2, 4);
    CHECK_THROWS_WITH_AS(joule::softmax(X, joule::matrix_view<float>(y.data(), 2, 3)),
                         "joule::softmax: x.cols (4) != y.cols (3)",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::softmax(X, joule::matrix_view<float>(y.data(), 4, 2)),
                         "joule::softmax: x.rows (2) != y.rows (4)",
                         joule::error);
    CHECK_THROWS_AS(joule::softmax(X, joule::matrix_view<float>(x.data() + 1, 2, 4)), joule::error);
    CHECK_THROWS_AS(
      joule::softmax(joule::matrix_view<const float>(x.data(), 2, 4, 3), joule::matrix_view<float>(y.data(), 2, 4)),
      joule::error);
    // online_softmax
    joule::softmax_options t2;
    t2.temperature = 2.0f;
    joule::online_softmax a, b(t2);
    CHECK_THROWS_WITH_AS(
      a.merge(b), "joule::online_softmax::merge: other's temperature (2) != this temperature (1)", joule::error);
    joule::softmax_options zeros;
    zeros.masked = joule::masked_row::zeros;
    joule::online_softmax z(zeros);
    CHECK_THROWS_WITH_AS(
      a.merge(z), "joule::online_softmax::merge: other's masked mode (zeros) != this masked mode (nan)", joule::error);
    CHECK_THROWS_WITH_AS(a.add(joule_test::opaque_null<const float>(), 5),
                         "joule::online_softmax::add: x is null but n is 5",
                         joule::error);
    CHECK_THROWS_AS(a.normalize(x.data(), x.data() + 2, 4), joule::error);
}
