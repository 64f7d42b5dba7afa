// Tests for the portable SIMD layer (detail/simd): the same operations give the same answers on
// xsimd batches of every version and on the one-lane scalar fallback.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <joule/detail/simd/simd.hpp>

namespace simd = joule::simd;

template <class A>
void check_layer()
{
    constexpr std::size_t w = simd::width<float, A>;
    std::vector<float> v(w);
    for (std::size_t i = 0; i < w; ++i)
        v[i] = float(i) - 2.5f;
    const auto b = simd::load<A>(v.data());

    float sum = 0, mx = v[0], mn = v[0];
    for (float x : v)
    {
        sum += x;
        mx = std::fmax(mx, x);
        mn = std::fmin(mn, x);
    }
    CHECK(simd::reduce_add(b) == doctest::Approx(sum));
    CHECK(simd::reduce_max(b) == mx);
    CHECK(simd::reduce_min(b) == mn);

    std::vector<float> out(w);
    simd::store(out.data(), simd::fma(b, simd::splat<A>(2.0f), simd::splat<A>(1.0f)));
    for (std::size_t i = 0; i < w; ++i)
        CHECK(out[i] == v[i] * 2 + 1);

    // fma rounds once where the hardware has fused multiply-add: (1 + 2^-12)^2 - (1 + 2^-11) is
    // 2^-24 exactly, while a separate multiply rounds the square to 1 + 2^-11 and gives 0.
    const float e = 1.0f + std::ldexp(1.0f, -12);
    simd::store(out.data(), simd::fma(simd::splat<A>(e), simd::splat<A>(e), simd::splat<A>(-(1.0f + std::ldexp(1.0f, -11)))));
#if defined(__FMA__) || defined(__aarch64__)
    if (!std::is_same<A, simd::scalar_arch>::value)
        CHECK(out[w - 1] == std::ldexp(1.0f, -24));
#endif

    simd::store(out.data(), simd::select(b > simd::splat<A>(0.0f), b, simd::splat<A>(0.0f)));
    for (std::size_t i = 0; i < w; ++i)
        CHECK(out[i] == (v[i] > 0 ? v[i] : 0.0f));

    const auto bits = simd::bitcast<std::int32_t>(simd::splat<A>(1.0f));
    std::vector<std::int32_t> ib(w);
    simd::store(ib.data(), bits);
    CHECK(ib[w - 1] == 0x3f800000);
    std::vector<float> back(w);
    simd::store(back.data(), simd::bitcast<float>(bits));
    CHECK(back[0] == 1.0f);

    // div is IEEE division (xsimd's operator/ on AArch64 NEON is an approximation).
    const float num[] = {0x1.c7fffep+4f, 1.0f, 0.3f, 7.0f, 1e-30f, 3e38f, -5.5f, 0x1.a3fffep+5f};
    for (float a : num)
    {
        for (float d : {3.0f, 0.1f, 7.0f, 1.1f})
        {
            volatile float q = a / d;
            simd::store(out.data(), simd::div(simd::splat<A>(a), simd::splat<A>(d)));
            CHECK(out[w - 1] == q);
        }
    }

    simd::store(out.data(), simd::round_nearest(simd::splat<A>(2.5f)));
    CHECK(out[0] == 2.0f); // ties to even
    simd::store(ib.data(), simd::convert<std::int32_t>(simd::splat<A>(-3.75f)));
    CHECK(ib[0] == -3);
}

TEST_CASE("the SIMD layer on the native arch")
{
    check_layer<simd::native_arch>();
}

TEST_CASE("the SIMD layer on the scalar fallback")
{
    check_layer<simd::scalar_arch>();
}

template <class A>
void check_softmax_additions()
{
    constexpr std::size_t w = simd::width<float, A>;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> v(w), out(w);
    for (std::size_t i = 0; i < w; ++i)
        v[i] = (i % 3 == 0) ? nan : float(i) - 3.0f;
    const auto b = simd::load<A>(v.data());

    // NaN-keeping clamps.
    simd::store(out.data(), simd::clamp_high(simd::clamp_low(b, simd::splat<A>(-1.0f)), simd::splat<A>(2.0f)));
    for (std::size_t i = 0; i < w; ++i)
    {
        if (std::isnan(v[i]))
            CHECK(std::isnan(out[i]));
        else
            CHECK(out[i] == std::min(std::max(v[i], -1.0f), 2.0f));
    }

    // Division rounds like the scalar operator.
    for (std::size_t i = 0; i < w; ++i)
        v[i] = 1.0f + 0.37f * float(i);
    simd::store(out.data(), simd::div(simd::load<A>(v.data()), simd::splat<A>(0.6f)));
    for (std::size_t i = 0; i < w; ++i)
        CHECK(out[i] == v[i] / 0.6f);

    // float -> double -> float is exact both ways, lanes in order.
    const auto parts = simd::widen<A>(simd::load<A>(v.data()));
    constexpr std::size_t half = simd::width<double, A>;
    std::vector<double> d(w);
    for (std::size_t p = 0; p < parts.size(); ++p)
        simd::store(d.data() + p * half, parts[p]);
    for (std::size_t i = 0; i < w; ++i)
        CHECK(d[i] == double(v[i]));
    simd::store(out.data(), simd::narrow<A>(parts));
    CHECK(out == v);

    // Shifts of unsigned lanes.
    std::vector<std::uint32_t> u(w);
    simd::store(u.data(), simd::shift_left<23>(simd::splat<A>(std::uint32_t(127))));
    CHECK(u[0] == 0x3f800000u);
    std::vector<std::uint64_t> u64(half);
    simd::store(u64.data(), simd::shift_left<52>(simd::splat<A>(std::uint64_t(1023))));
    CHECK(u64[0] == 0x3ff0000000000000ull);
}

TEST_CASE("softmax's additions to the SIMD layer: clamps keep NaN, exact division, widening, shifts")
{
    check_softmax_additions<simd::native_arch>();
    check_softmax_additions<simd::scalar_arch>();
}
