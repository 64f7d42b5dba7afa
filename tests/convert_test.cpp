// Tests for joule/convert.hpp: f16 / bf16 conversions against an independent double-precision
// reference (exhaustive on the 16-bit side, dense on the float side), row kernels on every
// size and alignment, byte compatibility with ggml, and argument errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <joule/convert.hpp>

#include "support/buffer.hpp"
#include "support/data.hpp"
#include "support/reference.hpp"
#include "support/shapes.hpp"

using joule_test::bits_of;
using joule_test::float_of;

namespace
{
    /// Floats that stress rounding to a 16-bit format whose positive magnitudes are `table`
    /// (indexed by bit pattern): every representable value, every midpoint between neighbours
    /// and the floats just either side of it, specials, and random bit patterns.
    std::vector<float> rounding_samples(const std::vector<double>& table, std::size_t random_count)
    {
        std::vector<float> xs;
        for (std::size_t b = 0; b + 1 < table.size(); ++b)
        {
            const auto lo = static_cast<float>(table[b]);
            const auto mid = static_cast<float>((table[b] + table[b + 1]) / 2); // exact in float
            for (float v : {lo, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY)})
            {
                xs.push_back(v);
                xs.push_back(-v);
            }
        }
        const float specials[] = {0.0f,
                                  -0.0f,
                                  std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::min(),
                                  std::numeric_limits<float>::max(),
                                  -std::numeric_limits<float>::max(),
                                  INFINITY,
                                  -INFINITY,
                                  65504.0f,
                                  65519.99f,
                                  65520.0f,
                                  65536.0f,
                                  1e10f,
                                  std::ldexp(1.0f, -25),
                                  std::ldexp(1.0f, -26),
                                  std::ldexp(1.5f, -24),
                                  std::ldexp(1.0f, -14)};
        xs.insert(xs.end(), std::begin(specials), std::end(specials));
        for (std::uint32_t nan : {0x7fc00000u, 0x7f800001u, 0xffa00001u, 0x7f802000u, 0x7fbfffffu, 0x7fffffffu,
                                  0xff801fffu, 0x7fc0ffffu})
            xs.push_back(float_of(nan));
        std::mt19937 rng(1234);
        for (std::size_t i = 0; i < random_count; ++i)
            xs.push_back(float_of(static_cast<std::uint32_t>(rng())));
        return xs;
    }

    template <class Half>
    std::vector<std::uint16_t> convert_bits(const std::vector<float>& xs)
    {
        std::vector<Half> h(xs.size());
        joule::convert(xs.data(), h.data(), xs.size());
        std::vector<std::uint16_t> out(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i)
            out[i] = h[i].bits;
        return out;
    }

    template <class Half>
    std::vector<std::uint32_t> widen_all_patterns()
    {
        std::vector<Half> h(65536);
        for (std::uint32_t b = 0; b < 65536; ++b)
            h[b] = Half::from_bits(static_cast<std::uint16_t>(b));
        std::vector<float> f(65536);
        joule::convert(h.data(), f.data(), h.size());
        std::vector<std::uint32_t> out(65536);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = bits_of(f[i]);
        return out;
    }

    std::string hex(std::uint32_t v)
    {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08x", v);
        return buf;
    }
} // namespace

TEST_CASE("f16 -> float is exact for all 65536 bit patterns, NaN made quiet")
{
    const auto row = widen_all_patterns<joule::f16>();
    std::size_t mismatches = 0;
    for (std::uint32_t b = 0; b < 65536; ++b)
    {
        const std::uint32_t want = joule_test::ref_f16_to_f32_bits(static_cast<std::uint16_t>(b));
        const std::uint32_t scalar = bits_of(float(joule::f16::from_bits(static_cast<std::uint16_t>(b))));
        if (row[b] != want || scalar != want)
        {
            if (++mismatches <= 5)
                FAIL_CHECK("f16 " << hex(b) << ": row " << hex(row[b]) << ", scalar " << hex(scalar) << ", want "
                                  << hex(want));
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("bf16 -> float is exact for all 65536 bit patterns")
{
    const auto row = widen_all_patterns<joule::bf16>();
    for (std::uint32_t b = 0; b < 65536; ++b)
    {
        if (row[b] != b << 16)
        {
            FAIL_CHECK("bf16 " << hex(b) << " -> " << hex(row[b]));
            break;
        }
        CHECK_EQ(bits_of(float(joule::bf16::from_bits(static_cast<std::uint16_t>(b)))), b << 16);
    }
}

TEST_CASE("float -> f16 rounds to nearest even, overflows to inf, keeps NaN")
{
    const auto xs = rounding_samples(joule_test::f16_magnitudes(), 200000);
    const auto got = convert_bits<joule::f16>(xs);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
    {
        const std::uint16_t want = joule_test::ref_f32_to_f16(xs[i]);
        const std::uint16_t scalar = joule::f16(xs[i]).bits;
        if (got[i] != want || scalar != want)
        {
            if (++mismatches <= 5)
                FAIL_CHECK("float " << hex(bits_of(xs[i])) << " (" << xs[i] << "): row " << hex(got[i]) << ", scalar "
                                    << hex(scalar) << ", want " << hex(want));
        }
    }
    CHECK(mismatches == 0);
    CHECK(joule::f16(65519.99f).bits == 0x7bff);
    CHECK(joule::f16(65520.0f).bits == 0x7c00);
    CHECK(joule::f16(std::ldexp(1.0f, -25)).bits == 0x0000); // tie between 0 and the first subnormal
    CHECK(joule::f16(std::ldexp(1.5f, -24)).bits == 0x0002); // tie between subnormals 1 and 2
}

TEST_CASE("float -> bf16 rounds to nearest even, keeps subnormals and NaN")
{
    const auto xs = rounding_samples(joule_test::bf16_magnitudes(), 200000);
    const auto got = convert_bits<joule::bf16>(xs);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
    {
        const std::uint16_t want = joule_test::ref_f32_to_bf16(xs[i]);
        const std::uint16_t scalar = joule::bf16(xs[i]).bits;
        if (got[i] != want || scalar != want)
        {
            if (++mismatches <= 5)
                FAIL_CHECK("float " << hex(bits_of(xs[i])) << ": row " << hex(got[i]) << ", scalar " << hex(scalar)
                                    << ", want " << hex(want));
        }
    }
    CHECK(mismatches == 0);
    CHECK(joule::bf16(std::numeric_limits<float>::max()).bits == 0x7f80); // rounds up to inf
    CHECK(joule::bf16(std::numeric_limits<float>::denorm_min()).bits == 0x0000);
}

TEST_CASE("row conversions: every size and misalignment, nothing written outside")
{
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-70000.0f, 70000.0f);
    for (std::size_t n : joule_test::awkward_sizes(130, 4099))
    {
        for (std::size_t skew : joule_test::misalignments(2))
        {
            CAPTURE(n);
            CAPTURE(skew);
            joule_test::guarded_buffer<float> x(n, skew * 2);
            for (std::size_t i = 0; i < n; ++i)
                x[i] = (i % 7 == 0) ? dist(rng) * 1e-9f : dist(rng);
            joule_test::guarded_buffer<joule::f16> h(n, skew);
            joule_test::guarded_buffer<joule::bf16> b(n, skew);
            joule_test::guarded_buffer<float> back_h(n, skew * 2), back_b(n, skew * 2);
            joule::convert(x.data(), h.data(), n);
            joule::convert(x.data(), b.data(), n);
            joule::convert(h.data(), back_h.data(), n);
            joule::convert(b.data(), back_b.data(), n);
            bool same = true;
            for (std::size_t i = 0; i < n && same; ++i)
            {
                same = h[i].bits == joule::f16(x[i]).bits && b[i].bits == joule::bf16(x[i]).bits &&
                       bits_of(back_h[i]) == bits_of(float(h[i])) && bits_of(back_b[i]) == bits_of(float(b[i]));
            }
            CHECK(same);
            CHECK(h.guards_intact());
            CHECK(b.guards_intact());
            CHECK(back_h.guards_intact());
            CHECK(back_b.guards_intact());
        }
    }
}

TEST_CASE("byte-compatible with ggml's f16 and bf16 (golden files)")
{
    for (const char* name : {"cos4096", "normal4096", "mixed1024"})
    {
        CAPTURE(name);
        const std::string base = std::string("ggml-golden/") + name;
        const auto input = joule_test::read_file<float>(base + ".input.f32");
        const auto want_f16 = joule_test::read_file<std::uint16_t>(base + ".f16.bin");
        const auto want_bf16 = joule_test::read_file<std::uint16_t>(base + ".bf16.bin");
        const auto back_f16 = joule_test::read_file<float>(base + ".f16.dequant.f32");
        const auto back_bf16 = joule_test::read_file<float>(base + ".bf16.dequant.f32");
        REQUIRE(want_f16.size() == input.size());
        REQUIRE(want_bf16.size() == input.size());

        CHECK(convert_bits<joule::f16>(input) == want_f16);
        CHECK(convert_bits<joule::bf16>(input) == want_bf16);

        std::vector<float> got(input.size());
        joule::convert(reinterpret_cast<const joule::f16*>(want_f16.data()), got.data(), got.size());
        CHECK(std::memcmp(got.data(), back_f16.data(), got.size() * 4) == 0);
        joule::convert(reinterpret_cast<const joule::bf16*>(want_bf16.data()), got.data(), got.size());
        CHECK(std::memcmp(got.data(), back_bf16.data(), got.size() * 4) == 0);
    }
}

TEST_CASE("bad arguments raise joule::error naming the argument and values")
{
    std::vector<float> x(8, 1.0f);
    std::vector<joule::f16> h(8);
    CHECK_THROWS_WITH_AS(joule::convert(x.data(), joule_test::opaque_null<joule::f16>(), 3),
                         "joule::convert: y is null but n is 3", joule::error);
    CHECK_THROWS_WITH_AS(joule::convert(joule_test::opaque_null<const joule::bf16>(), x.data(), 2),
                         "joule::convert: x is null but n is 2", joule::error);
    auto* overlapping = reinterpret_cast<joule::f16*>(x.data() + 1);
    CHECK_THROWS_AS(joule::convert(x.data(), overlapping, 4), joule::error);
    try
    {
        joule::convert(x.data(), overlapping, 4);
    }
    catch (const std::invalid_argument& e) // joule::error is a std::invalid_argument
    {
        const std::string what = e.what();
        CHECK(what.find("joule::convert: x [") == 0);
        CHECK(what.find("overlap") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(joule::convert(x.data(), h.data(), std::numeric_limits<std::size_t>::max()),
                         doctest::Contains("is too large"), joule::error);
    // Null with n == 0 is a valid empty call, and the outputs stay untouched on error.
    CHECK_NOTHROW(joule::convert(joule_test::opaque_null<const float>(), joule_test::opaque_null<joule::f16>(), 0));
    h[0] = joule::f16::from_bits(0x1234);
    CHECK_THROWS(joule::convert(joule_test::opaque_null<const float>(), h.data(), 1));
    CHECK(h[0].bits == 0x1234);
}
