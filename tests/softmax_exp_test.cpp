// Tests for joule::exp (joule/softmax.hpp) and the exp kernel the softmax passes use, against
// std::exp in double.
//
// The accuracy bounds (<= 1.5 ULP over [-87.3, 88.7], <= 1 ULP over [-16.7, 0]) are checked on a
// dense sample in every configuration: every 1021st float in the range, and every float in
// windows around the places where errors peak or behaviour changes. The exhaustive check of
// all 2.2e9 floats in the range is a separate test case, skipped by default (about a minute
// natively, far too long under qemu). Run it with
//     build/tests/softmax_exp_test --no-skip -tc='*exhaustive*'
// or `cmake --build build --target softmax_exp_exhaustive`.
#include <doctest/doctest.h>

#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include <joule/softmax.hpp>

#include "support/buffer.hpp"
#include "support/reference.hpp"
#include "support/shapes.hpp"
#include "support/softmax_reference.hpp"

using joule_test::bits_of;
using joule_test::float_of;

namespace
{
    struct ulp_stats
    {
        double worst = 0; ///< over everything checked
        float worst_at = 0;
        double worst_near = 0; ///< over [-16.7, 0]
        float worst_near_at = 0;
        std::size_t count = 0;

        void add(float x, float y)
        {
            const double e = joule_test::ulp_error(y, std::exp(double(x)));
            if (e > worst)
            {
                worst = e;
                worst_at = x;
            }
            if (x >= -16.7f && x <= 0.0f && e > worst_near)
            {
                worst_near = e;
                worst_near_at = x;
            }
            ++count;
        }
        void merge(const ulp_stats& o)
        {
            if (o.worst > worst)
            {
                worst = o.worst;
                worst_at = o.worst_at;
            }
            if (o.worst_near > worst_near)
            {
                worst_near = o.worst_near;
                worst_near_at = o.worst_near_at;
            }
            count += o.count;
        }
    };

    /// Runs joule::exp on xs and accumulates its errors.
    void measure(const std::vector<float>& xs, ulp_stats& stats)
    {
        std::vector<float> ys(xs.size());
        joule::exp(xs.data(), ys.data(), xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i)
            stats.add(xs[i], ys[i]);
    }

    /// Floats of [lo, hi] (same sign) by bit pattern, every `stride`th.
    void append_range(std::vector<float>& xs, float lo, float hi, std::uint32_t stride)
    {
        std::uint32_t a = bits_of(lo), b = bits_of(hi);
        if (a > b)
            std::swap(a, b);
        for (std::uint64_t u = a; u <= b; u += stride)
            xs.push_back(float_of(static_cast<std::uint32_t>(u)));
    }

    /// `half_width` floats either side of x (x != 0), by bit pattern, those in [lo, hi] only.
    void append_window(std::vector<float>& xs, float x, std::uint32_t half_width, float lo = -87.3f, float hi = 88.7f)
    {
        const std::uint32_t u = bits_of(x);
        for (std::uint32_t k = 0; k <= 2 * half_width; ++k)
        {
            const float v = float_of(u - half_width + k);
            if (v >= lo && v <= hi)
                xs.push_back(v);
        }
    }

    void report(const ulp_stats& s)
    {
        MESSAGE("exp: " << s.count << " floats, max " << s.worst << " ULP at " << s.worst_at << ", max over [-16.7, 0] "
                        << s.worst_near << " ULP at " << s.worst_near_at);
    }
} // namespace

TEST_CASE("exp: dense sample of [-87.3, 88.7] within 1.5 ULP, [-16.7, 0] within 1 ULP")
{
    std::vector<float> xs;
    append_range(xs, 0.0f, 88.7f, 1021);
    append_range(xs, -0.0f, -87.3f, 1021);
    // Where the error peaks (|r| near ln2/2, i.e. x near (k + 1/2) ln2), where the fast path
    // ends (|x| = 87) and at the ends of both ranges.
    for (float x : {0.3465736f,
                    -0.3465736f,
                    1.0397208f,
                    -1.0397208f,
                    -5.8918E0f,
                    -16.3f,
                    -16.7f,
                    -11.43f,
                    44.01f,
                    87.0f,
                    -87.0f,
                    88.7f,
                    -87.3f,
                    1e-30f,
                    -1e-30f,
                    1e-6f,
                    -1e-6f,
                    1.0f,
                    -1.0f})
        append_window(xs, x, 4096);
    ulp_stats stats;
    measure(xs, stats);
    report(stats);
    CHECK(stats.worst <= 1.5);
    CHECK(stats.worst_near <= 1.0);
}

TEST_CASE("exp: subnormal results, overflow, infinities and NaN")
{
    // Results below FLT_MIN are subnormals (or 0), within 1 ULP of the subnormal spacing.
    std::vector<float> xs;
    append_range(xs, -87.3f, -110.0f, 257);
    append_window(xs, -87.33655f, 2048, -200.0f);  // FLT_MIN
    append_window(xs, -103.27893f, 2048, -200.0f); // the smallest subnormal
    append_window(xs, -103.97208f, 2048, -200.0f); // half of it: rounds to 0
    std::vector<float> ys(xs.size());
    joule::exp(xs.data(), ys.data(), xs.size());
    double worst = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
        worst = std::max(worst, joule_test::ulp_error(ys[i], std::exp(double(xs[i]))));
    MESSAGE("exp below -87.3: max " << worst << " ULP");
    CHECK(worst <= 1.0);

    // Overflow: exp(x) > FLT_MAX exactly when x > ln(FLT_MAX) (88.7228391); the float just
    // below still gives a finite value.
    const float x_big = 88.72283f, x_over = 88.72284f;
    REQUIRE(std::exp(double(x_big)) < double(FLT_MAX));
    REQUIRE(std::exp(double(x_over)) > double(FLT_MAX));
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float in[] = {x_big,
                        x_over,
                        89.0f,
                        100.0f,
                        1e30f,
                        FLT_MAX,
                        inf,
                        -inf,
                        -FLT_MAX,
                        -200.0f,
                        nan,
                        -nan,
                        0.0f,
                        -0.0f,
                        float_of(0x7f800001u),
                        float_of(0xffc12345u)};
    constexpr std::size_t n = sizeof in / sizeof in[0];
    float out[n];
    joule::exp(in, out, n);
    CHECK(std::isfinite(out[0]));
    CHECK(joule_test::ulp_error(out[0], std::exp(double(x_big))) <= 1.0);
    for (std::size_t i = 1; i <= 6; ++i)
        CHECK(out[i] == inf);
    for (std::size_t i = 7; i <= 9; ++i)
        CHECK(bits_of(out[i]) == 0u);
    for (std::size_t i : {10u, 11u, 14u, 15u})
        CHECK(std::isnan(out[i]));
    CHECK(out[12] == 1.0f);
    CHECK(out[13] == 1.0f);
}

TEST_CASE("exp: every size and misalignment, in place, nothing written outside")
{
    for (std::size_t n : joule_test::awkward_sizes(70, 1100))
    {
        for (std::size_t skew : joule_test::misalignments(4))
        {
            CAPTURE(n);
            CAPTURE(skew);
            joule_test::guarded_buffer<float> x(n, skew), y(n, skew);
            for (std::size_t i = 0; i < n; ++i)
                x[i] = static_cast<float>(i % 37) * 4.9f - 90.0f + (i % 5 == 0 ? 0.001f : 0.0f);
            if (n > 3)
                x[n - 2] = std::numeric_limits<float>::quiet_NaN(); // a NaN in the tail
            joule::exp(x.data(), y.data(), n);
            bool ok = true;
            for (std::size_t i = 0; i < n; ++i)
            {
                const double want = std::exp(double(x[i]));
                ok = ok && (std::isnan(x[i]) ? std::isnan(y[i]) : joule_test::ulp_error(y[i], want) <= 1.5);
            }
            CHECK(ok);
            CHECK(y.guards_intact());
            std::vector<float> copy(y.data(), y.data() + n);
            joule::exp(x.data(), x.data(), n); // in place
            CHECK((n == 0 || std::memcmp(copy.data(), x.data(), n * sizeof(float)) == 0));
            CHECK(x.guards_intact());
        }
    }
}

TEST_CASE("exp kernel of the softmax passes: 2^bias exp(d) for d <= 0 within 2.2e-7 + |d| * 2.8e-9")
{
    // The softmax kernel trades accuracy softmax cannot use for speed (exp_generic.hpp): one-
    // constant reduction, degree-5 polynomial.
    using A = joule::simd::native_arch;
    using kernel = joule::detail::exp_kernel<A>;
    constexpr std::size_t w = joule::simd::width<float, A>;
    // [-104, 0]: below it the kernel returns at most 2^bias exp(-104), which normalizes to 0.
    std::vector<float> ds;
    append_range(ds, -0.0f, -104.0f, 1021);
    append_window(ds, -0.3465736f, 4096, -104.0f, 0.0f);
    append_window(ds, -1.0397208f, 4096, -104.0f, 0.0f);
    append_window(ds, -16.7f, 4096, -17.0f, 0.0f);
    append_window(ds, -87.33655f, 4096, -104.0f, 0.0f);
    const std::size_t checked = ds.size();
    for (float d : {-104.5f, -200.0f, -FLT_MAX, -std::numeric_limits<float>::infinity()})
        ds.push_back(d);
    while (ds.size() % (4 * w))
        ds.push_back(0.0f);
    double worst = 0;
    float worst_at = 0;
    bool below_ok = true;
    const double below_max = std::ldexp(std::exp(-104.0), kernel::bias) * (1 + 1e-6);
    for (std::size_t i = 0; i < ds.size(); i += 4 * w)
    {
        joule::detail::float_group<A, 4> v;
        for (std::size_t g = 0; g < 4; ++g)
            v[g] = joule::simd::load<A>(ds.data() + i + g * w);
        kernel::biased(v);
        alignas(64) float lanes[4 * w];
        for (std::size_t g = 0; g < 4; ++g)
            joule::simd::store_aligned(lanes + g * w, v[g]);
        for (std::size_t k = 0; k < 4 * w; ++k)
        {
            const float d = ds[i + k];
            if (i + k >= checked)
            {
                below_ok = below_ok && (d == 0.0f || (lanes[k] >= 0 && double(lanes[k]) <= below_max));
                continue;
            }
            const double want = std::ldexp(std::exp(double(d)), kernel::bias);
            // Relative error, or in units of the subnormal spacing below FLT_MIN (bias 0 kernels).
            const double err = std::fabs(double(lanes[k]) - want) / std::max(want, std::ldexp(double(FLT_MIN), 0)) /
                               (2.2e-7 + std::fabs(double(d)) * 2.8e-9);
            const double sub = std::fabs(double(lanes[k]) - want) / std::ldexp(1.0, -149);
            const double e = want >= double(FLT_MIN) ? err : std::min(err, sub);
            if (e > worst)
            {
                worst = e;
                worst_at = d;
            }
        }
    }
    MESSAGE("biased exp (bias " << kernel::bias << "): worst error " << worst << " of the bound, at d = " << worst_at);
    CHECK(worst <= 1.0);
    CHECK(below_ok);
    joule::detail::float_group<A, 1> nan = {joule::simd::splat<A>(std::numeric_limits<float>::quiet_NaN())};
    kernel::biased(nan);
    alignas(64) float lanes[w];
    joule::simd::store_aligned(lanes, nan[0]);
    CHECK(std::isnan(lanes[0]));
}

TEST_CASE("exp: bad arguments")
{
    std::vector<float> x(8, 1.0f);
    CHECK_THROWS_WITH_AS(
      joule::exp(x.data(), joule_test::opaque_null<float>(), 3), "joule::exp: y is null but n is 3", joule::error);
    CHECK_THROWS_WITH_AS(joule::exp(joule_test::opaque_null<const float>(), x.data(), 2),
                         "joule::exp: x is null but n is 2",
                         joule::error);
    CHECK_THROWS_AS(joule::exp(x.data(), x.data() + 1, 4), joule::error);
    joule::exp(joule_test::opaque_null<const float>(), joule_test::opaque_null<float>(), 0); // n = 0: nothing
}

// Every float in [-87.3, 88.7]; skipped by default (see the top of the file).
TEST_CASE("exp: exhaustive over [-87.3, 88.7]" * doctest::skip())
{
    const std::uint32_t pos_end = bits_of(88.7f) + 1, neg_end = bits_of(-87.3f) + 1;
    const std::uint64_t total = std::uint64_t(pos_end) + (neg_end - 0x80000000u);
    constexpr std::uint64_t chunk = 1u << 20;
    const std::size_t tasks = static_cast<std::size_t>((total + chunk - 1) / chunk);
    joule::thread_pool pool;
    std::mutex mutex;
    ulp_stats all;
    auto task = [&](std::size_t t)
    {
        std::vector<float> xs;
        xs.reserve(chunk);
        for (std::uint64_t k = t * chunk; k < std::min<std::uint64_t>(total, (t + 1) * chunk); ++k)
            xs.push_back(float_of(k < pos_end ? static_cast<std::uint32_t>(k)
                                              : static_cast<std::uint32_t>(0x80000000u + (k - pos_end))));
        ulp_stats s;
        measure(xs, s);
        std::lock_guard<std::mutex> lock(mutex);
        all.merge(s);
    };
    pool.run(tasks, task);
    report(all);
    CHECK(all.count == total);
    CHECK(all.worst <= 1.5);
    CHECK(all.worst_near <= 1.0);
}
