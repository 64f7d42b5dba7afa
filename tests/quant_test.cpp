// Tests for joule/quant.hpp: the GGUF block formats against ggml's own output (golden files),
// dequantization against an independent layout reference, the SIMD paths against the scalar
// reference on awkward data and sizes, rounding ties, NaN / inf, and argument errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <joule/executor.hpp>
#include <joule/quant.hpp>

#include "support/block_names.hpp"
#include "support/buffer.hpp"
#include "support/data.hpp"
#include "support/quant_reference.hpp"
#include "support/shapes.hpp"

using joule_test::bits_of;

namespace
{
    using joule_test::format_name;
    const char* const golden_cases[] = {"cos4096", "normal4096", "mixed1024"};

    template <class Block>
    std::vector<unsigned char> bytes_of(const std::vector<Block>& blocks)
    {
        std::vector<unsigned char> out(blocks.size() * sizeof(Block));
        std::memcpy(out.data(), blocks.data(), out.size());
        return out;
    }

    /// Same float bits, or both NaN (NaN payloads may legitimately differ with operand order).
    bool same_float(float a, float b) { return bits_of(a) == bits_of(b) || (std::isnan(a) && std::isnan(b)); }

    /// Index of the first differing float, or -1.
    long first_float_difference(const float* a, const float* b, std::size_t n)
    {
        for (std::size_t i = 0; i < n; ++i)
            if (!same_float(a[i], b[i]))
                return static_cast<long>(i);
        return -1;
    }

    /// A tie t, a neighbour of it, or +-0.49999997 (the float just below 0.5, where adding 0.5 to
    /// round would go wrong).
    float near_tie(float t, std::mt19937& rng)
    {
        switch (rng() % 6)
        {
        case 0: return std::nextafter(t, INFINITY);
        case 1: return std::nextafter(t, -INFINITY);
        case 2: return 0.49999997f;
        case 3: return -0.49999997f;
        default: return t;
        }
    }

    /// Blocks of test data whose values stress one rule each; `kind` picks the rule.
    void fill_block(float* x, std::size_t bs, int kind, std::mt19937& rng)
    {
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::uniform_int_distribution<int> level(-127, 127);
        std::uniform_int_distribution<std::uint32_t> any_bits;
        const float scale = std::ldexp(1.0f, std::uniform_int_distribution<int>(-30, 20)(rng));
        for (std::size_t j = 0; j < bs; ++j)
        {
            float v = 0;
            switch (kind)
            {
            case 0: v = normal(rng); break;
            case 1: v = normal(rng) * scale; break;
            case 2: v = near_tie(static_cast<float>(level(rng)) + 0.5f, rng); break; // q8 ties, d = 1 (below)
            case 3: v = near_tie(static_cast<float>(level(rng) % 8) - 0.5f, rng); break; // q4 / q5: x / d + 8.5 integral
            case 4: v = (j % 3 == 0) ? 0.0f : -0.0f; break;                 // signed zeros only
            case 5: v = j == bs / 2 ? -3.0f : 0.0f; break;                  // one value
            case 6: v = (j % 2 ? 1.0f : -1.0f) * 2.5f; break;              // equal magnitudes, both signs
            case 7: v = std::ldexp(normal(rng), -130); break;               // subnormals
            case 8: v = normal(rng) * 1e-38f; break;                        // scales that overflow 1/d
            case 9: v = (j % 2 ? FLT_MAX : -FLT_MAX) * (j % 5 ? 1.0f : 0.5f); break; // max - min = inf
            case 10: v = normal(rng) * 1e7f; break;                         // f16 scale overflow
            case 11: v = 1.25f; break;                                      // constant
            case 12: v = (j % 4 == 0) ? 0.0f : std::fabs(normal(rng)); break; // min = +0 (ReLU-like)
            case 13: v = (j == 5) ? -0.0f : 1.0f + std::fabs(normal(rng)); break; // min = -0
            case 14: v = std::fabs(near_tie(static_cast<float>(std::abs(level(rng)) % 15) + 0.5f, rng)); break; // q4_1
            default:
            {
                std::uint32_t b;
                do
                    b = any_bits(rng);
                while ((b & 0x7f800000u) == 0x7f800000u); // any finite float
                std::memcpy(&v, &b, 4);
            }
            }
            x[j] = v;
        }
        if (kind == 2) // make the largest magnitude exactly 127: d = 1, every other value a tie
            x[bs - 1] = (bs % 2) ? -127.0f : 127.0f;
        if (kind == 3)
            x[0] = -8.0f;
        if (kind == 14) // min 0, max 15: q4_1's d = 1, so (x - min) / d is x itself
        {
            x[0] = 0.0f;
            x[1] = 15.0f;
        }
    }

    constexpr int n_kinds = 16;

    std::vector<float> awkward_data(std::size_t n, std::size_t bs, unsigned seed)
    {
        std::mt19937 rng(seed);
        std::vector<float> x(n);
        for (std::size_t b = 0; b * bs < n; ++b)
            fill_block(x.data() + b * bs, bs, static_cast<int>((b + seed) % n_kinds), rng);
        return x;
    }

    /// A size the optimizer cannot see (see opaque_null in support/buffer.hpp).
    std::size_t opaque_size(std::size_t n)
    {
#if defined(__GNUC__)
        asm volatile("" : "+r"(n));
#endif
        return n;
    }

    using joule_test::qemu_like_slow;
} // namespace

#define ALL_BLOCKS                                                                                 \
    joule::block_q4_0, joule::block_q4_1, joule::block_q5_0, joule::block_q5_1, joule::block_q8_0, joule::block_q8_1,   \
        joule::block_q2_K, joule::block_q3_K, joule::block_q4_K, joule::block_q5_K, joule::block_q6_K,                  \
        joule::block_q8_K, joule::block_iq4_nl, joule::block_iq4_xs

TEST_CASE("block layouts are GGUF's")
{
    CHECK(joule::block_q4_0::block_size == 32);
    CHECK(joule::block_q8_K::block_size == 256);
    CHECK(offsetof(joule::block_q4_K, scales) == 4);
    CHECK(offsetof(joule::block_q4_K, qs) == 16);
    CHECK(offsetof(joule::block_q5_K, qh) == 16);
    CHECK(offsetof(joule::block_q5_K, qs) == 48);
    CHECK(offsetof(joule::block_q6_K, scales) == 192);
    CHECK(offsetof(joule::block_q6_K, d) == 208);
    CHECK(offsetof(joule::block_q2_K, d) == 80);
    CHECK(offsetof(joule::block_q3_K, d) == 108);
    CHECK(offsetof(joule::block_q8_K, bsums) == 260);
    CHECK(offsetof(joule::block_iq4_xs, qs) == 8);
    CHECK(offsetof(joule::block_q5_0, qs) == 6);
    CHECK(offsetof(joule::block_q8_1, qs) == 4);
}

TEST_CASE_TEMPLATE("quantize is byte-exact with ggml's reference (golden files)", Block, ALL_BLOCKS)
{
    for (const char* name : golden_cases)
    {
        const std::string base = std::string("ggml-golden/") + name;
        CAPTURE(base);
        CAPTURE(format_name<Block>());
        const auto x = joule_test::read_file<float>(base + ".input.f32");
        const auto want = joule_test::read_file<unsigned char>(base + "." + format_name<Block>() + ".bin");
        std::vector<Block> q(x.size() / Block::block_size);
        REQUIRE(want.size() == q.size() * sizeof(Block));
        joule::quantize(x.data(), q.data(), x.size());
        const auto got = bytes_of(q);
        const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin());
        if (mismatch.first != got.end())
            FAIL_CHECK("first differing byte " << (mismatch.first - got.begin()) << " (block "
                                               << (mismatch.first - got.begin()) / long(sizeof(Block)) << ")");
        // The scalar reference on its own, whatever the build's native path is.
        std::vector<Block> ref(q.size());
        joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), ref.size());
        CHECK(bytes_of(ref) == want);
    }
}

TEST_CASE_TEMPLATE("dequantize is bit-exact with ggml (golden files)", Block, joule::block_q4_0, joule::block_q4_1,
                   joule::block_q5_0, joule::block_q5_1, joule::block_q8_0, joule::block_q2_K, joule::block_q3_K,
                   joule::block_q4_K, joule::block_q5_K, joule::block_q6_K, joule::block_iq4_nl, joule::block_iq4_xs)
{
    for (const char* name : golden_cases)
    {
        const std::string base = std::string("ggml-golden/") + name + "." + format_name<Block>();
        CAPTURE(base);
        const auto bytes = joule_test::read_file<unsigned char>(base + ".bin");
        const auto want = joule_test::read_file<float>(base + ".dequant.f32");
        std::vector<Block> q(bytes.size() / sizeof(Block));
        std::memcpy(q.data(), bytes.data(), bytes.size());
        std::vector<float> y(want.size());
        joule::dequantize(q.data(), y.data(), y.size());
        CHECK(first_float_difference(y.data(), want.data(), y.size()) == -1);
        CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
    }
}

TEST_CASE_TEMPLATE("dequantize matches the layout reference on random blocks", Block, ALL_BLOCKS)
{
    // Random bytes are valid blocks of every format; f16 scales include inf and NaN patterns.
    std::mt19937 rng(11);
    const std::size_t blocks = qemu_like_slow() ? 40 : 200;
    std::vector<Block> q(blocks);
    auto* raw = reinterpret_cast<unsigned char*>(q.data());
    for (std::size_t i = 0; i < blocks * sizeof(Block); ++i)
        raw[i] = static_cast<unsigned char>(rng());
    const std::size_t n = blocks * Block::block_size;
    std::vector<float> got(n), want(n);
    joule::dequantize(q.data(), got.data(), n);
    for (std::size_t i = 0; i < blocks; ++i)
        joule_test::ref_dequantize(q[i], want.data() + i * Block::block_size);
    CAPTURE(format_name<Block>());
    const long at = first_float_difference(got.data(), want.data(), n);
    if (at >= 0)
        FAIL_CHECK("element " << at << ": got " << got[std::size_t(at)] << ", want " << want[std::size_t(at)]);
}

TEST_CASE_TEMPLATE("SIMD paths give the scalar path's bytes, every size and alignment", Block, ALL_BLOCKS)
{
    constexpr std::size_t bs = Block::block_size;
    std::vector<std::size_t> counts;
    const std::size_t dense = bs == 32 ? (qemu_like_slow() ? 33 : 67) : (qemu_like_slow() ? 9 : 17);
    for (std::size_t k = 0; k <= dense; ++k)
        counts.push_back(k);
    counts.push_back(bs == 32 ? 131 : 31);
    for (std::size_t blocks : counts)
    {
        const std::size_t n = blocks * bs;
        const auto data = awkward_data(n, bs, static_cast<unsigned>(blocks));
        for (std::size_t skew : {std::size_t(0), std::size_t(4), std::size_t(60)})
        {
            CAPTURE(format_name<Block>());
            CAPTURE(blocks);
            CAPTURE(skew);
            joule_test::guarded_buffer<float> x(n, skew);
            std::copy(data.begin(), data.end(), x.data());
            joule_test::guarded_buffer<Block> q(blocks, skew % alignof(Block) == 0 ? skew : 0);
            std::vector<Block> ref(blocks);
            joule::quantize(x.data(), q.data(), n);
            joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), blocks);
            const bool same = blocks == 0 || std::memcmp(q.data(), ref.data(), blocks * sizeof(Block)) == 0;
            if (!same)
            {
                for (std::size_t b = 0; b < blocks; ++b)
                    if (std::memcmp(&q[b], &ref[b], sizeof(Block)) != 0)
                    {
                        FAIL_CHECK("block " << b << " differs (data kind " << (b + blocks) % n_kinds << ")");
                        break;
                    }
            }
            CHECK(q.guards_intact());

            joule_test::guarded_buffer<float> y(n, skew);
            std::vector<float> y_ref(n);
            joule::dequantize(q.data(), y.data(), n);
            joule::detail::dequantize_blocks<joule::simd::scalar_arch>(ref.data(), y_ref.data(), blocks);
            CHECK(first_float_difference(y.data(), y_ref.data(), n) == -1);
            CHECK(y.guards_intact());
        }
    }
}

TEST_CASE_TEMPLATE("q8_0 and q8_1 beyond 16 MiB (the x86 memory-bound path) equal the reference", Block,
                   joule::block_q8_0, joule::block_q8_1)
{
    if (qemu_like_slow())
        return; // an x86-only path; emulated targets cover the same blocks in smaller tests
    const std::size_t blocks = (std::size_t(17) << 20) / 128 + 13; // 17 MiB of floats, ragged end
    std::vector<float> x(blocks * 32);
    std::mt19937 rng(21);
    for (std::size_t b = 0; b < blocks; b += 997) // every rule's data somewhere, normal data elsewhere
        fill_block(x.data() + 32 * b, 32, static_cast<int>(b % n_kinds), rng);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    for (std::size_t i = 0; i < x.size(); ++i)
        if ((i / 32) % 997 != 0)
            x[i] = normal(rng);
    x[32 * (blocks - 2) + 5] = std::numeric_limits<float>::quiet_NaN();
    std::vector<Block> q(blocks), ref(blocks);
    joule::quantize(x.data(), q.data(), x.size());
    joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), blocks);
    CHECK(std::memcmp(q.data(), ref.data(), blocks * sizeof(Block)) == 0);
}

TEST_CASE_TEMPLATE("q8_0 and q8_1 beyond 16 MiB, at every output alignment and chunk tail, equal the reference",
                   Block, joule::block_q8_0, joule::block_q8_1)
{
    // The x86 memory-bound path writes aligned chunks of 64 blocks with non-temporal stores after
    // a head of ordinary blocks (up to 15) and before a tail: every output alignment a Block can
    // have, and ends that leave 0, 1 and 63 blocks after the last chunk.
    if (qemu_like_slow())
        return; // an x86-only path; emulated targets cover the same blocks in smaller tests
    const std::size_t base = (std::size_t(17) << 20) / 128;
    std::mt19937 rng(23);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x((base + 128) * 32);
    for (auto& v : x)
        v = normal(rng);
    for (std::size_t b = 0; b < x.size() / 32; b += 1009)
        fill_block(x.data() + 32 * b, 32, static_cast<int>(b % n_kinds), rng);
    std::vector<Block> ref(x.size() / 32);
    joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), ref.size());
    for (std::size_t misalign : {0, 2, 4, 6, 14, 30})
        for (std::size_t extra : {0, 1, 63, 64 + 13})
        {
            const std::size_t blocks = base + extra;
            CAPTURE(misalign);
            CAPTURE(blocks);
            joule_test::guarded_buffer<Block> q(blocks, misalign);
            joule::quantize(x.data(), q.data(), blocks * 32);
            CHECK(std::memcmp(q.data(), ref.data(), blocks * sizeof(Block)) == 0);
            CHECK(q.guards_intact());
        }
}

TEST_CASE_TEMPLATE("q8_0 and q8_1 with 2 / d overflowing (but 1 / d not) equal the reference", Block, joule::block_q8_0,
                   joule::block_q8_1)
{
    // max|x| between 127 * 2^-128 and 127 * 2^-127: 1 / d lies in [2^127, 2^128), finite, but
    // twice it (what the x86 kernels multiply by) overflows; such blocks must take the scalar
    // path. Blocks just outside the window on both sides too; in groups (in cache) and out.
    std::vector<float> window_maxima;
    for (float m = 127 * std::ldexp(1.0f, -129); m < 127 * std::ldexp(1.0f, -126); m *= 1.0625f)
        window_maxima.push_back(m);
    window_maxima.push_back(127 * std::ldexp(1.0f, -128));
    window_maxima.push_back(std::nextafter(127 * std::ldexp(1.0f, -128), 0.0f));
    window_maxima.push_back(127 * std::ldexp(1.0f, -127));
    window_maxima.push_back(std::nextafter(127 * std::ldexp(1.0f, -127), 1.0f));
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> fraction(-1.0f, 1.0f);
    const bool big = !qemu_like_slow();
    const std::size_t blocks = big ? (std::size_t(17) << 20) / 128 + 5 : 8 * window_maxima.size() + 3;
    std::vector<float> x(blocks * 32);
    for (std::size_t b = 0; b < blocks; ++b)
    {
        const float m = window_maxima[b % window_maxima.size()];
        for (int j = 0; j < 32; ++j)
            x[32 * b + j] = m * fraction(rng);
        x[32 * b + (b % 32)] = (b % 2) ? -m : m;
    }
    for (std::size_t n : {std::size_t(8 * window_maxima.size() + 3), blocks})
    {
        CAPTURE(n);
        std::vector<Block> q(n), ref(n);
        joule::quantize(x.data(), q.data(), n * 32);
        joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), n);
        CHECK(std::memcmp(q.data(), ref.data(), n * sizeof(Block)) == 0);
    }
}

TEST_CASE("q8_0 and q8_1 round ties away from zero, as ggml's reference")
{
    float x[32];
    for (int j = 0; j < 31; ++j)
        x[j] = static_cast<float>(j - 15) + 0.5f; // -14.5 .. 15.5: every value a tie
    x[31] = -127.0f;                             // d = 1 exactly
    x[30] = 0.49999997f;                         // the float below 0.5 rounds to 0 ...
    x[29] = -0.49999997f;                        // ... and so does its negative
    joule::block_q8_0 q;
    joule::quantize(x, &q, 32);
    CHECK(float(q.d) == 1.0f);
    for (int j = 0; j < 31; ++j)
    {
        CAPTURE(x[j]);
        CHECK(q.qs[j] == static_cast<int>(std::round(x[j])));
    }
    CHECK(q.qs[15] == 1);  // 0.5
    CHECK(q.qs[14] == -1); // -0.5
    CHECK(q.qs[17] == 3);  // 2.5
    CHECK(q.qs[29] == 0);
    CHECK(q.qs[30] == 0);
    joule::block_q8_1 q1;
    joule::quantize(x, &q1, 32);
    CHECK(std::memcmp(q1.qs, q.qs, 32) == 0);
    int sum = 0;
    for (int j = 0; j < 32; ++j)
        sum += q.qs[j];
    CHECK(float(q1.s) == float(joule::f16(static_cast<float>(sum))));
}

TEST_CASE("q4_1 and q5_1 add 0.5 and truncate, as ggml: (x - min) / d = 0.49999997 gives 1")
{
    // min = 0 and max = 15 (31): d = 1. The float below 0.5 plus 0.5 is 1 - 2^-25, a tie that
    // rounds to 1.0, so ggml's (int)(t + 0.5f) is 1 here; adding 0.49999997 instead would give 0.
    for (float top : {15.0f, 31.0f})
    {
        CAPTURE(top);
        std::vector<float> x(32 * 9, 0.0f);
        for (std::size_t b = 0; b < 9; ++b) // enough blocks for every SIMD path's grouping
        {
            x[32 * b + 1] = top;
            x[32 * b + 2] = 0.49999997f;
            x[32 * b + 3] = 1.49999988f; // the float below 1.5: 1.99999988 -> 1
            x[32 * b + 4] = 2.5f;
        }
        std::vector<float> y(x.size());
        if (top == 15.0f)
        {
            std::vector<joule::block_q4_1> q(9), ref(9);
            joule::quantize(x.data(), q.data(), x.size());
            joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), 9);
            CHECK(bytes_of(q) == bytes_of(ref));
            CHECK((q[0].qs[2] & 15) == 1);
            CHECK((q[0].qs[3] & 15) == 1);
            CHECK((q[0].qs[4] & 15) == 3);
            joule::dequantize(q.data(), y.data(), y.size());
        }
        else
        {
            std::vector<joule::block_q5_1> q(9), ref(9);
            joule::quantize(x.data(), q.data(), x.size());
            joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), 9);
            CHECK(bytes_of(q) == bytes_of(ref));
            CHECK((q[0].qs[2] & 15) == 1);
            joule::dequantize(q.data(), y.data(), y.size());
        }
        CHECK(y[2] == 1.0f);
        CHECK(y[3] == 1.0f);
        CHECK(y[4] == 3.0f);
    }
}

TEST_CASE("q8_K and the K-quants round ties to even (ggml's nearest_int)")
{
    std::vector<float> x(256, 0.0f);
    x[0] = -127.0f; // the signed maximum -127: iscale = -127 / max = 1, d = 1
    const float ties[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f};
    const int want[] = {0, 2, 2, 0, -2, -2, 126};
    for (int i = 0; i < 7; ++i)
        x[1 + i] = ties[i];
    joule::block_q8_K q;
    joule::quantize(x.data(), &q, 256);
    CHECK(q.d == 1.0f);
    for (int i = 0; i < 7; ++i)
    {
        CAPTURE(ties[i]);
        CHECK(q.qs[1 + i] == want[i]);
    }
    CHECK(q.bsums[0] == -127 + 0 + 2 + 2 + 0 - 2 - 2 + 126);
}

TEST_CASE_TEMPLATE("a NaN or inf poisons its own block only", Block, ALL_BLOCKS)
{
    constexpr std::size_t bs = Block::block_size;
    const std::size_t n = 4 * bs;
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()})
    {
        for (std::size_t pos : {std::size_t(0), bs / 2 + 1, bs - 1})
        {
            CAPTURE(format_name<Block>());
            CAPTURE(bad);
            CAPTURE(pos);
            auto x = awkward_data(n, bs, 3);
            std::vector<Block> clean(4), q(4);
            joule::quantize(x.data(), clean.data(), n);
            x[2 * bs + pos] = bad;
            joule::quantize(x.data(), q.data(), n);
            CHECK(std::memcmp(&q[0], &clean[0], 2 * sizeof(Block)) == 0);
            CHECK(std::memcmp(&q[3], &clean[3], sizeof(Block)) == 0);
            std::vector<Block> ref(4);
            joule::detail::quantize_blocks<joule::simd::scalar_arch>(x.data(), ref.data(), 4);
            CHECK(std::memcmp(q.data(), ref.data(), 4 * sizeof(Block)) == 0);
            std::vector<float> y(n);
            joule::dequantize(q.data(), y.data(), n);
            CHECK(std::all_of(y.begin() + 2 * bs, y.begin() + 3 * bs, [](float v) { return std::isnan(v); }));
            CHECK(std::none_of(y.begin(), y.begin() + 2 * bs, [](float v) { return std::isnan(v); }));
        }
    }
}

TEST_CASE_TEMPLATE("round trip error is small on normal data", Block, ALL_BLOCKS)
{
    // Relative RMS error of quantize -> dequantize on N(0, 1) data, bounded per bit width: catches
    // a kernel that is self-consistent but wrong (the golden tests catch any byte difference).
    constexpr std::size_t bs = Block::block_size;
    const std::size_t n = 16 * 256;
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(n), y(n);
    for (auto& v : x)
        v = normal(rng);
    std::vector<Block> q(n / bs);
    joule::quantize(x.data(), q.data(), n);
    joule::dequantize(q.data(), y.data(), n);
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < n; ++i)
    {
        err += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
        ref += double(x[i]) * x[i];
    }
    const double rel = std::sqrt(err / ref);
    const std::string name = format_name<Block>();
    // Measured here: q2_K 0.293, q3_K 0.148, 4-bit 0.071 .. 0.085, 5-bit 0.036 .. 0.042,
    // q6_K 0.018, 8-bit 0.005 .. 0.007.
    const double bound = name == "q2_K"                                          ? 0.32
                         : name == "q3_K"                                        ? 0.17
                         : name[1] == '4' || name == "iq4_nl" || name == "iq4_xs" ? 0.095
                         : name[1] == '5'                                        ? 0.05
                         : name == "q6_K"                                        ? 0.02
                                                                                 : 0.008;
    CAPTURE(name);
    CAPTURE(rel);
    CHECK(rel < bound);
    CHECK(rel > 0);
}

TEST_CASE_TEMPLATE("q2_K, q3_K and iq4_xs error is no worse than ggml's", Block, joule::block_q2_K, joule::block_q3_K,
                   joule::block_iq4_xs)
{
    for (const char* name : golden_cases)
    {
        const std::string base = std::string("ggml-golden/") + name;
        CAPTURE(base);
        const auto x = joule_test::read_file<float>(base + ".input.f32");
        const auto ggml = joule_test::read_file<float>(base + "." + format_name<Block>() + ".dequant.f32");
        std::vector<Block> q(x.size() / Block::block_size);
        std::vector<float> y(x.size());
        joule::quantize(x.data(), q.data(), x.size());
        joule::dequantize(q.data(), y.data(), y.size());
        double ours = 0, theirs = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
        {
            ours += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
            theirs += (double(x[i]) - ggml[i]) * (double(x[i]) - ggml[i]);
        }
        CHECK(ours <= theirs);
    }
}

TEST_CASE_TEMPLATE("an executor splits the work without changing a byte", Block, joule::block_q8_0, joule::block_q4_1,
                   joule::block_q6_K, joule::block_q8_K)
{
    // 1173 blocks of 256 values (521 under emulation): several tasks, a short last one.
    constexpr std::size_t bs = Block::block_size;
    const std::size_t n = (qemu_like_slow() ? 521 : 1173) * 256; // >= 2 tasks of 64 Ki values
    const auto x = awkward_data(n, bs, 9);
    std::vector<Block> seq(n / bs), par(n / bs);
    joule::quantize(x.data(), seq.data(), n);
    joule::thread_pool pool(3);
    joule::quantize(x.data(), par.data(), n, pool);
    CHECK(bytes_of(seq) == bytes_of(par));
    // A caller's pool that runs the tasks backwards.
    std::size_t tasks_seen = 0;
    auto backwards = [&](std::size_t count, joule::task_ref task) {
        tasks_seen = count;
        for (std::size_t t = count; t-- > 0;)
            task(t);
    };
    std::vector<Block> rev(n / bs);
    joule::quantize(x.data(), rev.data(), n, joule::executor_ref(backwards, 4));
    CHECK(tasks_seen > 1);
    CHECK(bytes_of(seq) == bytes_of(rev));
    std::vector<float> y_seq(n), y_par(n);
    joule::dequantize(seq.data(), y_seq.data(), n);
    joule::dequantize(seq.data(), y_par.data(), n, joule::executor_ref(backwards, 4));
    CHECK(first_float_difference(y_seq.data(), y_par.data(), n) == -1);
}

TEST_CASE("bad arguments raise joule::error naming the argument and values")
{
    std::vector<float> x(512, 1.0f);
    std::vector<joule::block_q4_0> q(16);
    std::vector<joule::block_q4_K> k(2);
    CHECK_THROWS_WITH_AS(joule::quantize(x.data(), q.data(), 33),
                         "joule::quantize: n (33) is not a multiple of the block size (32)", joule::error);
    CHECK_THROWS_WITH_AS(joule::dequantize(k.data(), x.data(), 300),
                         "joule::dequantize: n (300) is not a multiple of the block size (256)", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize(joule_test::opaque_null<const float>(), q.data(), 32),
                         "joule::quantize: x is null but n is 32", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize(x.data(), joule_test::opaque_null<joule::block_q4_0>(), 64),
                         "joule::quantize: y is null but n is 64", joule::error);
    CHECK_THROWS_WITH_AS(joule::dequantize(joule_test::opaque_null<const joule::block_q4_K>(), x.data(), 256),
                         "joule::dequantize: x is null but n is 256", joule::error);
    CHECK_THROWS_WITH_AS(joule::quantize(x.data(), q.data(), opaque_size(std::numeric_limits<std::size_t>::max() / 2)),
                         doctest::Contains("is too large"), joule::error);
    auto* overlapping = reinterpret_cast<joule::block_q8_0*>(x.data() + 4);
    CHECK_THROWS_WITH_AS(joule::quantize(x.data(), overlapping, 64), doctest::Contains("overlap"), joule::error);
    // n == 0 with null pointers is a valid empty call; a failed call writes nothing.
    CHECK_NOTHROW(joule::quantize(joule_test::opaque_null<const float>(), joule_test::opaque_null<joule::block_q8_K>(), 0));
    q[0].d = joule::f16::from_bits(0x1234);
    CHECK_THROWS(joule::quantize(x.data(), q.data(), 31));
    CHECK(q[0].d.bits == 0x1234);
}
