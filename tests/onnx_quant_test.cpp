// Tests for joule/onnx_quant.hpp: QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
// against values worked out by hand from the ONNX specification (ties to even, saturation,
// x / scale as a division, 4-bit packing, per-axis and blocked layouts), the ONNX conformance
// examples for DynamicQuantizeLinear, the SIMD paths against the scalar formula on every size,
// and argument errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <joule/onnx_quant.hpp>

#include "support/buffer.hpp"
#include "support/shapes.hpp"

namespace
{
    const float inf = std::numeric_limits<float>::infinity();
    const float qnan = std::numeric_limits<float>::quiet_NaN();

    /// The specification's formula, one value at a time: saturate(rint(x / s) + zp); NaN -> zp.
    int spec_quantize(float x, float s, int zp, int lo, int hi)
    {
        volatile float v = x / s;
        if (std::isnan(v))
            return zp;
        const double r = std::nearbyint(double(v)) + zp; // v is a float: rint is exact in double
        return int(r < lo ? lo : (r > hi ? hi : r));
    }

    std::vector<std::uint8_t> nibbles(const std::vector<int>& values)
    {
        std::vector<std::uint8_t> out((values.size() + 1) / 2, 0);
        for (std::size_t i = 0; i < values.size(); ++i)
            out[i / 2] = static_cast<std::uint8_t>(out[i / 2] | ((values[i] & 15) << (4 * (i % 2))));
        return out;
    }
} // namespace

TEST_CASE("int8 per tensor: ties to even, saturation, NaN, infinities")
{
    // scale 0.5: x / scale = 2x exactly, so each x below is an exact tie or an exact integer.
    const std::vector<float> x = {0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 63.75f, 64.25f, -64.25f, -64.75f,
                                  1000.0f, -1000.0f, inf, -inf, qnan, 0.0f, -0.0f};
    const std::vector<int> want = {0, 2, 0, -2, 2, 127, 127, -128, -128, 127, -128, 127, -128, 0, 0, 0};
    std::vector<std::int8_t> q(x.size());
    joule::quantize_linear(x.data(), q.data(), x.size(), 0.5f);
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        CAPTURE(x[i]);
        CHECK(int(q[i]) == want[i]);
    }
    // With a zero point the tie is decided before adding it: rint(2.5) + 3 = 5, rint(3.5) + 3 = 7.
    const float y[] = {2.5f, 3.5f, -130.0f, 124.5f, qnan};
    std::int8_t r[5];
    joule::quantize_linear(y, r, 5, 1.0f, 3);
    CHECK(int(r[0]) == 5);
    CHECK(int(r[1]) == 7);
    CHECK(int(r[2]) == -127);
    CHECK(int(r[3]) == 127); // rint(124.5) = 124, + 3 = 127
    CHECK(int(r[4]) == 3);   // NaN -> the zero point
}

TEST_CASE("x / scale is a division, not a multiplication by 1 / scale")
{
    // 0x1.c7fffep+4 = 28.4999981: / 3 = 9.49999905 -> 9, but * (1 / 3.0f) = 9.5 exactly -> 10.
    const float x[] = {0x1.c7fffep+4f, -0x1.c7fffep+4f, 0x1.a3fffep+5f, 7.5f};
    std::int8_t q[4];
    joule::quantize_linear(x, q, 4, 3.0f);
    CHECK(int(q[0]) == 9);
    CHECK(int(q[1]) == -9);
    CHECK(int(q[2]) == 17); // 52.4999962 / 3 = 17.4999981 (multiplying gives 17.5 -> 18)
    CHECK(int(q[3]) == 2);  // 7.5 / 3 = 2.5 exactly -> 2 (even)
    // The same through the SIMD path (a run longer than any register).
    std::vector<float> many(64, 0x1.c7fffep+4f);
    std::vector<std::int8_t> qm(64);
    joule::quantize_linear(many.data(), qm.data(), 64, 3.0f);
    CHECK(std::all_of(qm.begin(), qm.end(), [](std::int8_t v) { return v == 9; }));
}

TEST_CASE("uint8 per tensor")
{
    // scale 2, zero point 128.
    const float x[] = {-3.0f, 255.0f, -257.0f, -259.0f, 1.0f, 3.0f, 5.0f, qnan, inf, -inf};
    const int want[] = {126, 255, 0, 0, 128, 130, 130, 128, 255, 0};
    // -3/2 = -1.5 -> -2 -> 126; 255/2 = 127.5 -> 128 -> 256 -> 255; -257/2 = -128.5 -> -128 -> 0;
    // 1/2 = 0.5 -> 0 -> 128; 3/2 = 1.5 -> 2 -> 130; 5/2 = 2.5 -> 2 -> 130.
    std::uint8_t q[10];
    joule::quantize_linear(x, q, 10, 2.0f, 128);
    for (int i = 0; i < 10; ++i)
    {
        CAPTURE(x[i]);
        CHECK(int(q[i]) == want[i]);
    }
    float back[10];
    joule::dequantize_linear(q, back, 10, 2.0f, 128);
    CHECK(back[0] == -4.0f);
    CHECK(back[1] == 254.0f);
    CHECK(back[2] == -256.0f);
}

TEST_CASE("int4 and uint4: saturation, ties, first element in the low nibble")
{
    const float x[] = {-9.0f, -8.5f, -7.5f, 0.5f, 1.5f, 6.5f, 7.5f, 100.0f, -0.5f};
    // rint: -9, -8 (tie), -8 (tie), 0 (tie), 2 (tie), 6 (tie), 8 (tie) -> 7, 100 -> 7, -0 -> 0.
    const std::vector<int> want = {-8, -8, -8, 0, 2, 6, 7, 7, 0};
    std::vector<joule::int4x2> q(5);
    q[4].bits = 0xff; // the unused high nibble of an odd count must come out 0
    joule::quantize_linear(x, q.data(), 9, 1.0f);
    const auto packed = nibbles(want);
    for (std::size_t b = 0; b < 5; ++b)
    {
        CAPTURE(b);
        CHECK(int(q[b].bits) == int(packed[b]));
    }
    CHECK(int(q[0].bits) == 0x88);
    CHECK(int(q[4].bits) == 0x00);
    float back[9];
    joule::dequantize_linear(q.data(), back, 9, 1.0f);
    for (int i = 0; i < 9; ++i)
        CHECK(back[i] == float(want[std::size_t(i)]));
    // Sign extension: nibble 0xF is -1, with a zero point of -2: (-1 - -2) * 0.25 = 0.25.
    joule::int4x2 f{0xF9}; // low -7, high -1
    float two[2];
    joule::dequantize_linear(&f, two, 2, 0.25f, -2);
    CHECK(two[0] == -1.25f);
    CHECK(two[1] == 0.25f);

    // uint4, scale 0.5, zero point 8: -5 / 0.5 = -10 -> -2 -> 0; 0.25 / 0.5 = 0.5 -> 0 -> 8;
    // 3.75 / 0.5 = 7.5 -> 8 -> 16 -> 15; -1.25 / 0.5 = -2.5 -> -2 -> 6.
    const float u[] = {-5.0f, 0.25f, 3.75f, -1.25f};
    joule::uint4x2 uq[2];
    joule::quantize_linear(u, uq, 4, 0.5f, 8);
    CHECK(int(uq[0].bits) == (0 | 8 << 4));
    CHECK(int(uq[1].bits) == (15 | 6 << 4));
    float ub[4];
    joule::dequantize_linear(uq, ub, 4, 0.5f, 8);
    CHECK(ub[0] == -4.0f);
    CHECK(ub[1] == 0.0f);
    CHECK(ub[2] == 3.5f);
    CHECK(ub[3] == -1.0f);
}

TEST_CASE("per axis: one scale and zero point per index along the axis")
{
    // Shape [2, 3, 2], axis 1: outer 2, size 3, inner 2.
    const joule::quant_axis axis{2, 3, 2, 0};
    const float scale[3] = {1.0f, 2.0f, 4.0f};
    const std::int8_t zp[3] = {0, 1, -1};
    const float x[12] = {0.5f, 1.5f, 3.0f, 5.0f, 10.0f, -10.0f, // o = 0: a = 0, 1, 2
                         -0.5f, 2.5f, -3.0f, 1000.0f, 2.0f, 6.0f};
    // (o, a, i) uses scale[a], zp[a]. By hand: 3 / 2 = 1.5 -> 2, + 1 = 3; 5 / 2 = 2.5 -> 2, + 1 = 3;
    // 10 / 4 = 2.5 -> 2, - 1 = 1; -10 / 4 = -2.5 -> -2, - 1 = -3; -3 / 2 = -1.5 -> -2, + 1 = -1;
    // 1000 / 2 + 1 saturates to 127; 2 / 4 = 0.5 -> 0, - 1 = -1; 6 / 4 = 1.5 -> 2, - 1 = 1.
    const int want[12] = {0, 2, 3, 3, 1, -3, 0, 2, -1, 127, -1, 1};
    std::int8_t q[12];
    joule::quantize_linear(x, q, axis, scale, 3, zp);
    for (int e = 0; e < 12; ++e)
    {
        const int a = (e / 2) % 3;
        CAPTURE(e);
        CHECK(int(q[e]) == want[e]);
        CHECK(int(q[e]) == spec_quantize(x[e], scale[a], zp[a], -128, 127));
    }
    float back[12];
    joule::dequantize_linear(q, back, axis, scale, 3, zp);
    CHECK(back[3] == 4.0f);  // (3 - 1) * 2
    CHECK(back[5] == -8.0f); // (-3 - -1) * 4
    for (int e = 0; e < 12; ++e)
    {
        const int a = (e / 2) % 3;
        CHECK(back[e] == float(int(q[e]) - zp[a]) * scale[a]);
    }
}

TEST_CASE("blocked (opset 21): along the last axis with a partial block, and along a middle axis")
{
    // Shape [2, 5], axis 1, block 2: scales [2, 3]; element (o, a) uses scale[o][a / 2].
    const joule::quant_axis last{2, 5, 1, 2};
    const float scale[6] = {1.0f, 2.0f, 4.0f, 0.5f, 0.25f, 8.0f};
    const std::uint8_t zp[6] = {0, 10, 20, 30, 40, 50};
    std::vector<float> x(10);
    for (int e = 0; e < 10; ++e)
        x[std::size_t(e)] = float(e) * 1.25f - 3.0f;
    std::vector<std::uint8_t> q(10);
    joule::quantize_linear(x.data(), q.data(), last, scale, 6, zp);
    for (int e = 0; e < 10; ++e)
    {
        const int g = (e / 5) * 3 + (e % 5) / 2;
        CAPTURE(e);
        CHECK(int(q[std::size_t(e)]) == spec_quantize(x[std::size_t(e)], scale[g], zp[g], 0, 255));
    }
    // Element 4 is alone in block 2 of row 0: x = 2, 2 / 4 = 0.5 -> 0, + 20 = 20.
    CHECK(int(q[4]) == 20);
    // Element 9 (row 1, block 2): x = 8.25, 8.25 / 8 = 1.03 -> 1, + 50 = 51.
    CHECK(int(q[9]) == 51);
    std::vector<float> back(10);
    joule::dequantize_linear(q.data(), back.data(), last, scale, 6, zp);
    for (int e = 0; e < 10; ++e)
    {
        const int g = (e / 5) * 3 + (e % 5) / 2;
        CHECK(back[std::size_t(e)] == float(int(q[std::size_t(e)]) - zp[g]) * scale[g]);
    }

    // Shape [5, 3], axis 0, block 2: scales [3, 3]; element (a, i) uses scale[a / 2][i]. int4.
    const joule::quant_axis first{1, 5, 3, 2};
    const float s2[9] = {1, 2, 4, 0.5f, 1, 2, 4, 8, 16};
    const std::vector<int> zp_values = {0, 1, -1, 2, -2, 3, -3, 4, -4};
    const auto zp_packed = nibbles(zp_values);
    std::vector<joule::int4x2> zp2(zp_packed.size());
    std::memcpy(zp2.data(), zp_packed.data(), zp_packed.size());
    std::vector<float> x2(15);
    for (int e = 0; e < 15; ++e)
        x2[std::size_t(e)] = float(e % 7) * 1.5f - 5.0f;
    std::vector<joule::int4x2> q2(8);
    joule::quantize_linear(x2.data(), q2.data(), first, s2, 9, zp2.data());
    std::vector<int> want2(15);
    for (int e = 0; e < 15; ++e)
    {
        const int a = e / 3, i = e % 3, g = (a / 2) * 3 + i;
        want2[std::size_t(e)] = spec_quantize(x2[std::size_t(e)], s2[g], zp_values[std::size_t(g)], -8, 7);
    }
    const auto packed2 = nibbles(want2);
    for (std::size_t b = 0; b < 8; ++b)
        CHECK(int(q2[b].bits) == int(packed2[b]));
    std::vector<float> back2(15);
    joule::dequantize_linear(q2.data(), back2.data(), first, s2, 9, zp2.data());
    for (int e = 0; e < 15; ++e)
    {
        const int a = e / 3, i = e % 3, g = (a / 2) * 3 + i;
        CHECK(back2[std::size_t(e)] == float(want2[std::size_t(e)] - zp_values[std::size_t(g)]) * s2[g]);
    }
}

TEST_CASE("DynamicQuantizeLinear: the ONNX conformance examples")
{
    SUBCASE("test_dynamicquantizelinear: scale 0.0196078438, zero point 153")
    {
        const float x[] = {0, 2, -3, -2.5f, 1.34f, 0.5f};
        std::uint8_t y[6];
        const auto p = joule::dynamic_quantize_linear(x, y, 6);
        CHECK(p.scale == 5.0f / 255.0f);
        CHECK(int(p.zero_point) == 153);
        const int want[] = {153, 255, 0, 26, 221, 179}; // -2.5 / scale = -127.499992 -> -127; 25.5 -> 26
        for (int i = 0; i < 6; ++i)
            CHECK(int(y[i]) == want[i]);
    }
    SUBCASE("max adjusted: every value negative -> zero point 255")
    {
        const float x[] = {-1.0f, -2.1f, -1.3f, -2.5f, -3.34f, -4.0f};
        std::uint8_t y[6];
        const auto p = joule::dynamic_quantize_linear(x, y, 6);
        CHECK(p.scale == 4.0f / 255.0f);
        CHECK(int(p.zero_point) == 255);
        const int want[] = {191, 121, 172, 96, 42, 0};
        for (int i = 0; i < 6; ++i)
            CHECK(int(y[i]) == want[i]);
    }
    SUBCASE("min adjusted: every value positive -> zero point 0")
    {
        const float x[] = {1, 2.1f, 1.3f, 2.5f, 3.34f, 4.0f, 1.5f, 2.6f, 3.9f, 4.0f, 3.0f, 2.345f};
        std::uint8_t y[12];
        const auto p = joule::dynamic_quantize_linear(x, y, 12);
        CHECK(int(p.zero_point) == 0);
        const int want[] = {64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149};
        for (int i = 0; i < 12; ++i)
            CHECK(int(y[i]) == want[i]);
    }
    SUBCASE("all zeros: scale 1 / 255 (ONNX's reference), zero point 0")
    {
        const float x[] = {0.0f, -0.0f, 0.0f};
        std::uint8_t y[3] = {9, 9, 9};
        const auto p = joule::dynamic_quantize_linear(x, y, 3);
        CHECK(p.scale == 1.0f / 255.0f);
        CHECK(int(p.zero_point) == 0);
        CHECK(int(y[0]) == 0);
        CHECK(int(y[1]) == 0);
    }
    SUBCASE("NaN and inf: the range comes from the finite values")
    {
        std::vector<float> x(37, 1.0f);
        x[3] = -2.0f;
        x[10] = qnan;
        x[20] = inf;
        x[30] = -inf;
        std::vector<std::uint8_t> y(37);
        const auto p = joule::dynamic_quantize_linear(x.data(), y.data(), x.size());
        CHECK(p.scale == 3.0f / 255.0f);
        CHECK(int(p.zero_point) == 170); // 2 / (3 / 255) = 170
        CHECK(int(y[10]) == 170);
        CHECK(int(y[20]) == 255);
        CHECK(int(y[30]) == 0);
    }
}

TEST_CASE("SIMD paths equal the specification formula on every size and alignment")
{
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-300.0f, 300.0f);
    for (std::size_t n : joule_test::awkward_sizes(70, 1100))
    {
        for (std::size_t skew : {std::size_t(0), std::size_t(4), std::size_t(60)})
        {
            CAPTURE(n);
            CAPTURE(skew);
            joule_test::guarded_buffer<float> x(n, skew);
            for (std::size_t i = 0; i < n; ++i) // ties every few elements: k + 0.5 with scale 1 / 2 ...
                x[i] = (i % 5 == 0) ? std::floor(dist(rng)) * 0.5f + 0.25f : (i % 97 == 3 ? qnan : dist(rng));
            const float scale = 0.5f;
            joule_test::guarded_buffer<std::int8_t> q8(n, skew % 3);
            joule_test::guarded_buffer<std::uint8_t> u8(n, skew % 3);
            joule_test::guarded_buffer<joule::int4x2> q4((n + 1) / 2, skew % 3);
            joule::quantize_linear(x.data(), q8.data(), n, scale, -5);
            joule::quantize_linear(x.data(), u8.data(), n, scale, 200);
            joule::quantize_linear(x.data(), q4.data(), n, 40.0f, 1);
            bool same = true;
            for (std::size_t i = 0; i < n && same; ++i)
            {
                const int nib = (q4[i / 2].bits >> (4 * (i % 2))) & 15;
                same = int(q8[i]) == spec_quantize(x[i], scale, -5, -128, 127) &&
                       int(u8[i]) == spec_quantize(x[i], scale, 200, 0, 255) &&
                       nib == (spec_quantize(x[i], 40.0f, 1, -8, 7) & 15);
                if (!same)
                    FAIL_CHECK("element " << i << " x = " << x[i]);
            }
            CHECK((n % 2 == 0 || (q4[n / 2].bits >> 4) == 0));
            CHECK(q8.guards_intact());
            CHECK(u8.guards_intact());
            CHECK(q4.guards_intact());

            joule_test::guarded_buffer<float> y(n, skew);
            joule::dequantize_linear(u8.data(), y.data(), n, 0.3f, 200);
            for (std::size_t i = 0; i < n && same; ++i)
                same = y[i] == float(int(u8[i]) - 200) * 0.3f;
            joule::dequantize_linear(q8.data(), y.data(), n, 0.3f, -5);
            for (std::size_t i = 0; i < n && same; ++i)
                same = y[i] == float(int(q8[i]) + 5) * 0.3f;
            CHECK(same);
            CHECK(y.guards_intact());
        }
    }
}

TEST_CASE("bad arguments raise joule::error naming the argument and values")
{
    float x[8] = {};
    std::int8_t q[8];
    std::uint8_t u[8];
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, 8, 0.0f), "joule::quantize_linear: scale (0) must be positive and finite",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, 8, -1.0f), "joule::quantize_linear: scale (-1) must be positive and finite",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, 8, qnan), doctest::Contains("scale (nan) must be positive"), joule::error);
    CHECK_THROWS_WITH_AS(joule::dequantize_linear(q, x, 8, inf), doctest::Contains("scale (inf) must be positive"),
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, u, 8, 1.0f, 256),
                         "joule::quantize_linear: zero_point (256) is outside uint8's range [0, 255]", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, 8, 1.0f, -129),
                         "joule::quantize_linear: zero_point (-129) is outside int8's range [-128, 127]", joule::error);
    joule::int4x2 p[4];
    CHECK_THROWS_WITH_AS(joule::dequantize_linear(p, x, 8, 1.0f, 8),
                         "joule::dequantize_linear: zero_point (8) is outside int4's range [-8, 7]", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, joule_test::opaque_null<std::int8_t>(), 8, 1.0f),
                         "joule::quantize_linear: y is null but n is 8", joule::error);
    CHECK_THROWS_WITH_AS(joule::dynamic_quantize_linear(joule_test::opaque_null<const float>(), u, 3),
                         "joule::dynamic_quantize_linear: x is null but n is 3", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, reinterpret_cast<std::int8_t*>(x + 1), 8, 1.0f),
                         doctest::Contains("overlap"), joule::error);

    // Mismatched shapes.
    const float s[4] = {1, 1, 1, 1};
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, joule::quant_axis{2, 4, 1, 0}, s, 3),
                         doctest::Contains("scale_count (3) != axis.size (4)"), joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, joule::quant_axis{2, 4, 1, 3}, s, 3),
                         doctest::Contains("scale_count (3) != outer * ceil(size / block_size) * inner (2 * ceil(4 / 3) * 1 = 4)"),
                         joule::error);
    const float bad[4] = {1, 2, 0, 1};
    CHECK_THROWS_WITH_AS(joule::dequantize_linear(q, x, joule::quant_axis{2, 4, 1, 0}, bad, 4),
                         "joule::dequantize_linear: scale[2] (0) must be positive and finite", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize_linear(x, q, joule::quant_axis{2, 4, 1, 0}, joule_test::opaque_null<const float>(), 4),
                         "joule::quantize_linear: scale is null but scale_count is 4", joule::error);
    // Nothing is written when a check fails; empty calls are fine.
    q[0] = 42;
    CHECK_THROWS(joule::quantize_linear(x, q, 8, 0.0f));
    CHECK(q[0] == 42);
    CHECK_NOTHROW(joule::quantize_linear(joule_test::opaque_null<const float>(), joule_test::opaque_null<std::int8_t>(), 0, 1.0f));
}
