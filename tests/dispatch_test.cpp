// Tests for joule/dispatch.hpp: which level runs, forcing levels, and the errors for levels
// that are not compiled in or that this CPU cannot run.
//
// With runtime dispatch (JOULE_TEST_DISPATCH) every level this CPU can run is forced in turn and
// must really be the one that runs: its kernels report the instruction set and vector width
// they were compiled for, and pack() produces that level's panel width, which only that level's
// code knows. scripts/test.sh runs this binary under emulated CPUs with JOULE_TEST_EXPECT_ARCH
// set to the level the selector must pick there (e.g. sse4.2 under qemu -cpu Nehalem).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <joule/convert.hpp>
#include <joule/dispatch.hpp>
#include <joule/int8_gemm.hpp>
#include <joule/matmul.hpp>
#include <joule/onnx_quant.hpp>
#include <joule/quant.hpp>
#include <joule/quant_linear.hpp>
#include <joule/softmax.hpp>

namespace
{
    /// What a level's kernels must look like from outside: the start of joule's ISA name, the
    /// floats per SIMD register and the matmul panel width (NR) of its code.
    struct level_expectation
    {
        const char* level;
        const char* isa_prefix;
        std::size_t float_lanes;
        std::size_t panel_width;
    };

    const level_expectation expectations[] = {
        {"sse2", "x86_64", 4, 8},
        {"sse4.2", "x86_64_v2", 4, 8},
        {"avx2", "x86_64_v3", 8, 16},
        {"avxvnni", "x86_64_v3_avxvnni", 8, 16},  // name: v3 + the extension
        {"x86-64-v4", "x86_64_v4", 16, 32},
        {"avx512", "x86_64_v4_avx512vnni", 16, 32},
        {"neon", "aarch64_neon", 4, 12},
        {"dotprod", "aarch64_neon_dotprod", 4, 12},
        {"i8mm", "aarch64_neon_dotprod_i8mm", 4, 12},
        {"armv7-neon", "armv7_neon_vfpv4", 4, 8}, // the generic 6 x 8 tile (tile_neon.hpp is AArch64 only)
        {"arm", "arm_generic", 1, 4},
    };

    const level_expectation* expectation_for(const std::string& level)
    {
        for (const auto& e : expectations)
            if (level == e.level)
                return &e;
        return nullptr;
    }

    /// A small product checked against a double reference: proves the level's kernels work.
    bool matmul_works(std::size_t M, std::size_t N, std::size_t K)
    {
        std::vector<float> a(M * K), b(K * N), c(M * N, -1.0f);
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = float(int(i % 7) - 3) * 0.5f;
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = float(int(i % 5) - 2) * 0.25f;
        const joule::matrix_view<const float> A(a.data(), M, K), B(b.data(), K, N);
        joule::matmul(A, B, joule::matrix_view<float>(c.data(), M, N));
        std::vector<float> cp(M * N, -1.0f);
        joule::matmul(A, joule::pack(B), joule::matrix_view<float>(cp.data(), M, N));
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j)
            {
                double ref = 0;
                for (std::size_t k = 0; k < K; ++k)
                    ref += double(a[i * K + k]) * double(b[k * N + j]);
                // every product and partial sum is a small multiple of 1/8: exact in float
                if (c[i * N + j] != float(ref) || cp[i * N + j] != float(ref))
                    return false;
            }
        return true;
    }

    bool convert_works()
    {
        const float x[] = {1.0f, -2.5f, 65504.0f, 1e-8f, 3.14159f};
        joule::f16 h[5];
        joule::bf16 g[5];
        float back[5];
        joule::convert(x, h, 5);
        joule::convert(h, back, 5);
        if (back[0] != 1.0f || back[1] != -2.5f || back[2] != 65504.0f || h[3].bits != 0 || h[4].bits != 0x4248)
            return false;
        joule::convert(x, g, 5);
        joule::convert(g, back, 5);
        return back[0] == 1.0f && back[1] == -2.5f && g[4].bits == 0x4049;
    }

    /// softmax, log_softmax, exp and online_softmax of one row against a double reference.
    bool softmax_works(std::size_t n_)
    {
        // n through a volatile: with a constant n inlined into the kernels' loops, GCC 12 at -O2
        // warns (-Waggressive-loop-optimizations) about iterations no constant row reaches.
        volatile std::size_t opaque_n = n_;
        const std::size_t n = opaque_n;
        std::vector<float> x(n), y(n), ly(n), e(n), oy(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = float(int(i % 17) - 8) * 0.37f;
        joule::softmax(x.data(), y.data(), n);
        joule::log_softmax(x.data(), ly.data(), n);
        joule::exp(x.data(), e.data(), n);
        joule::online_softmax online;
        online.add(x.data(), n / 3);
        online.add(x.data() + n / 3, n - n / 3);
        online.normalize(x.data(), oy.data(), n);
        double max = x[0], sum = 0;
        for (float v : x)
            max = std::max(max, double(v));
        for (float v : x)
            sum += std::exp(double(v) - max);
        for (std::size_t i = 0; i < n; ++i)
        {
            const double p = std::exp(double(x[i]) - max) / sum;
            const double lp = double(x[i]) - max - std::log(sum);
            if (std::fabs(y[i] - p) > 1e-6 * p || std::fabs(oy[i] - p) > 1e-6 * p || std::fabs(ly[i] - lp) > 1e-6 ||
                std::fabs(e[i] - std::exp(double(x[i]))) > 1e-6 * std::exp(double(x[i])))
                return false;
        }
        return true;
    }

    /// What the quantization kernels produce from fixed inputs: GGUF blocks (whose bytes every
    /// level must reproduce exactly: they are ggml's), ONNX int8 values, an exact int8 GEMM and a
    /// quantized linear layer. Compared between levels by the caller.
    struct quant_results
    {
        std::vector<unsigned char> q8_0, q4_K;
        std::vector<std::int8_t> onnx;
        std::vector<std::int32_t> gemm;
        std::vector<float> linear;
        bool operator==(const quant_results& o) const
        {
            return q8_0 == o.q8_0 && q4_K == o.q4_K && onnx == o.onnx && gemm == o.gemm;
        }
    };

    template <class Block>
    std::vector<unsigned char> quantized_bytes(const std::vector<float>& x)
    {
        std::vector<Block> q(x.size() / Block::block_size);
        joule::quantize(x.data(), q.data(), x.size());
        const auto* p = reinterpret_cast<const unsigned char*>(q.data());
        return std::vector<unsigned char>(p, p + q.size() * sizeof(Block));
    }

    /// Runs the quantization kernels of the level in use and checks what can be checked alone:
    /// the int8 GEMM against an exact reference, the q8_0 round trip and the linear layer
    /// against a double reference over the dequantized weights.
    quant_results run_quant_kernels()
    {
        volatile std::size_t opaque = 0; // sizes through a volatile: see softmax_works
        const std::size_t n = 512 + opaque, M = 3 + opaque, N = 37 + opaque, K = 256 + opaque;
        std::vector<float> x(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = std::sin(0.37f * float(i)) * float(1 + i % 13);
        quant_results r;
        r.q8_0 = quantized_bytes<joule::block_q8_0>(x);
        r.q4_K = quantized_bytes<joule::block_q4_K>(x);
        r.onnx.resize(n);
        joule::quantize_linear(x.data(), r.onnx.data(), n, 0.05f, 3);

        std::vector<std::uint8_t> a(M * K);
        std::vector<std::int8_t> b(K * N);
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = std::uint8_t((i * 37) % 256);
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = std::int8_t(int((i * 91) % 256) - 128);
        r.gemm.assign(M * N, -1);
        joule::matmul(joule::matrix_view<const std::uint8_t>(a.data(), M, K),
                      joule::matrix_view<const std::int8_t>(b.data(), K, N),
                      joule::matrix_view<std::int32_t>(r.gemm.data(), M, N));
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j)
            {
                std::int32_t ref = 0;
                for (std::size_t k = 0; k < K; ++k)
                    ref += std::int32_t(a[i * K + k]) * std::int32_t(b[k * N + j]);
                CHECK(r.gemm[i * N + j] == ref);
            }

        std::vector<float> w(N * K), wd(N * K), xl(M * K);
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = std::cos(0.11f * float(i)) * 0.5f;
        for (std::size_t i = 0; i < xl.size(); ++i)
            xl[i] = std::sin(0.23f * float(i));
        std::vector<joule::block_q8_0> wq(N * K / 32);
        joule::quantize(w.data(), wq.data(), w.size());
        joule::dequantize(wq.data(), wd.data(), wd.size());
        for (std::size_t i = 0; i < w.size(); ++i)
            // half a step of the block scale (at most 0.5 / 127), plus 127 times its f16 rounding
            CHECK(std::fabs(wd[i] - w[i]) <= 0.5f / 127 * 0.6f);
        r.linear.assign(M * N, -1.0f);
        joule::linear(joule::matrix_view<const float>(xl.data(), M, K),
                      joule::qmatrix_view<const joule::block_q8_0>(wq.data(), N, K),
                      joule::matrix_view<float>(r.linear.data(), M, N));
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j)
            {
                double ref = 0, mag = 0;
                for (std::size_t k = 0; k < K; ++k)
                {
                    ref += double(xl[i * K + k]) * double(wd[j * K + k]);
                    mag += std::fabs(double(xl[i * K + k]) * double(wd[j * K + k]));
                }
                // activations are quantized to 8 bits per block: relative error of a few 1/127
                CHECK(std::fabs(r.linear[i * N + j] - ref) <= 0.02 * mag);
            }
        return r;
    }

    bool contains(const std::vector<std::string>& names, const std::string& name)
    {
        return std::find(names.begin(), names.end(), name) != names.end();
    }

    /// Restores the level in use at construction.
    struct restore_level
    {
        std::string level = joule::active_arch().level;
        ~restore_level() { joule::force_arch(level.c_str()); }
    };
} // namespace

TEST_CASE("the level in use is one this program can run, and the one the test matrix expects")
{
    const joule::arch_info arch = joule::active_arch();
    const std::vector<std::string> available = joule::available_archs();
    REQUIRE(!available.empty());
    CHECK(contains(available, arch.level));
    const char* forced = std::getenv("JOULE_ARCH");
    if (forced == nullptr || *forced == '\0')
        CHECK(std::string(arch.level) == available.front()); // the best usable level
    else
        CHECK(std::string(arch.level) == forced);
    if (const char* expected = std::getenv("JOULE_TEST_EXPECT_ARCH"))
        CHECK(std::string(arch.level) == expected);
    // matmul's kernels agree with the reported level
    CHECK(joule::detail::active_matmul_tiling().nr == joule::pack(joule::matrix_view<const float>(nullptr, 0, 1)).panel_width());
}

#if defined(JOULE_DISPATCH)

TEST_CASE("forcing each usable level runs that level's kernels")
{
    restore_level restore;
    const std::vector<std::string> compiled = joule::dispatch::compiled_levels();
    const std::vector<std::string> usable = joule::available_archs();
    quant_results first_quant;
    for (const std::string& level : usable)
    {
        CAPTURE(level);
        CHECK(contains(compiled, level));
        joule::force_arch(level.c_str());
        const joule::arch_info arch = joule::active_arch();
        CHECK(std::string(arch.level) == level);
        const level_expectation* e = expectation_for(level);
        REQUIRE(e != nullptr);
        CHECK(std::string(arch.isa).rfind(e->isa_prefix, 0) == 0);
        CHECK(arch.float_lanes == e->float_lanes);
        // pack() runs in the level's translation unit: its panel width is that code's NR
        const std::vector<float> b(3 * 5, 1.0f);
        const auto packed = joule::pack(joule::matrix_view<const float>(b.data(), 3, 5));
        CHECK(packed.panel_width() == e->panel_width);
        CHECK(joule::detail::active_matmul_tiling().nr == e->panel_width);
        CHECK(convert_works());
        CHECK(matmul_works(7, 2 * e->panel_width + 3, 13));
        CHECK(matmul_works(1, 33, 9)); // GEMV
        CHECK(softmax_works(128));
        CHECK(softmax_works(1000));
        const quant_results q = run_quant_kernels();
        if (level == usable.front())
            first_quant = q;
        else
            CHECK_MESSAGE(q == first_quant, "quantization results differ from those of ", usable.front());
    }
}

TEST_CASE("a matrix packed for one level is refused by a level with another panel width")
{
    restore_level restore;
    const std::vector<std::string> usable = joule::available_archs();
    std::vector<float> b(4 * 6, 1.0f), a(2 * 4, 1.0f), c(2 * 6);
    const joule::matrix_view<const float> A(a.data(), 2, 4), B(b.data(), 4, 6);
    const joule::matrix_view<float> C(c.data(), 2, 6);
    int pairs = 0;
    for (const std::string& first : usable)
        for (const std::string& second : usable)
        {
            if (expectation_for(first)->panel_width == expectation_for(second)->panel_width)
                continue;
            CAPTURE(first);
            CAPTURE(second);
            joule::force_arch(first.c_str());
            const auto packed = joule::pack(B);
            joule::force_arch(second.c_str());
            const std::string isa = joule::active_arch().isa;
            const std::string expected = "joule::matmul: B was packed with panel width " +
                                         std::to_string(packed.panel_width()) + " but the kernels in use (" + isa +
                                         ") use " + std::to_string(expectation_for(second)->panel_width);
            CHECK_THROWS_WITH_AS(joule::matmul(A, packed, C), doctest::Contains(expected.c_str()), joule::error);
            CHECK_THROWS_WITH_AS(joule::linear(A, packed, C), doctest::Contains("joule::linear: Wp was packed"),
                                 joule::error);
            joule::force_arch(first.c_str());
            joule::matmul(A, packed, C); // the level it was packed for takes it
            CHECK(c[0] == 4.0f);
            ++pairs;
        }
    MESSAGE(pairs, " level pairs with different panel widths");
}

TEST_CASE("forcing a level that is not compiled in, or that this CPU cannot run, is an error naming what is available")
{
    restore_level restore;
    const std::string before = joule::active_arch().level;
    const std::vector<std::string> compiled = joule::dispatch::compiled_levels();
    const std::vector<std::string> usable = joule::available_archs();
    std::string usable_list;
    for (const auto& l : usable)
        usable_list += (usable_list.empty() ? "" : ", ") + l;
    std::string compiled_list;
    for (const auto& l : compiled)
        compiled_list += (compiled_list.empty() ? "" : ", ") + l;

    CHECK_THROWS_WITH_AS(joule::force_arch("avx1024"),
                         ("joule::force_arch: level avx1024: not compiled into this program; compiled: " + compiled_list +
                          "; usable on this CPU: " + usable_list)
                             .c_str(),
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::force_arch(nullptr), "joule::force_arch: level is null", joule::error);
    CHECK(joule::active_arch().level == before);

    // compiled but beyond this CPU: refused before any of its code runs (no SIGILL)
    int refused = 0;
    for (const std::string& level : compiled)
    {
        if (contains(usable, level))
            continue;
        CAPTURE(level);
        CHECK_THROWS_WITH_AS(joule::force_arch(level.c_str()),
                             ("joule::force_arch: level " + level +
                              ": this CPU cannot run those kernels; usable here: " + usable_list)
                                 .c_str(),
                             joule::error);
        CHECK(joule::active_arch().level == before);
        ++refused;
    }
    MESSAGE(refused, " compiled levels this CPU cannot run");
    CHECK(convert_works()); // and the level in use still works
}

#else

TEST_CASE("without runtime dispatch only the compiled level can be forced")
{
    const std::string level = joule::active_arch().level;
    CHECK(level == JOULE_ARCH_LEVEL);
    // the compiled level's kernels look like that level's (no expectation for scalar, riscv64)
    if (const level_expectation* e = expectation_for(level))
    {
        CHECK(std::string(joule::active_arch().isa).rfind(e->isa_prefix, 0) == 0);
        CHECK(joule::active_arch().float_lanes == e->float_lanes);
        CHECK(joule::detail::active_matmul_tiling().nr == e->panel_width);
    }
    CHECK(convert_works());
    CHECK(matmul_works(7, 2 * joule::detail::active_matmul_tiling().nr + 3, 13));
    CHECK(matmul_works(1, 33, 9));
    CHECK(softmax_works(128));
    run_quant_kernels();
    CHECK(joule::available_archs() == std::vector<std::string>{level});
    joule::force_arch(level.c_str());
    CHECK_THROWS_WITH_AS(joule::force_arch("avx1024"),
                         doctest::Contains("joule::force_arch: runtime dispatch is off in this build"), joule::error);
    CHECK_THROWS_WITH_AS(joule::force_arch(nullptr), doctest::Contains("not '(null)'"), joule::error);
}

#endif
