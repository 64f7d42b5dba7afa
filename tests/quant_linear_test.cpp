// Tests for joule/quant_linear.hpp: joule::linear with quantized weights, for every weight
// format, against a double-precision reference over the two quantized operands (W dequantized,
// each row of X quantized to W's dot format and dequantized): M = 0, 1, primes; N over every
// remainder of the 4-row kernel and the 16-row tile; several K; strided / transposed /
// misaligned views; bias; the int8 extremes (-128 weights, -128 activations); NaN; thread-count
// invariance; the dequantizing accuracy mode; argument errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <joule/executor.hpp>
#include <joule/quant_linear.hpp>

#include "support/block_names.hpp"
#include "support/buffer.hpp"
#include "support/shapes.hpp"

namespace
{
    using joule_test::format_name;
    using joule::matrix_view;
    using joule::qmatrix_view;

    using joule_test::qemu_like_slow;

    std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f)
    {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<float> u(lo, hi);
        std::vector<float> v(n);
        for (auto& x : v)
            x = u(rng);
        return v;
    }

    /// N rows of quantized weights, row_stride blocks apart (the gap filled with garbage), and
    /// their dequantized values.
    template <class Block>
    struct test_weights
    {
        std::size_t n, k, stride;
        std::vector<Block> blocks;
        std::vector<double> values; ///< n x k

        test_weights(std::size_t n_, std::size_t k_, std::size_t extra_blocks, std::uint32_t seed)
            : n(n_)
            , k(k_)
            , stride(k_ / Block::block_size + extra_blocks)
            , blocks(n_ * stride + 1)
            , values(n_ * k_)
        {
            std::memset(static_cast<void*>(blocks.data()), 0x7b, blocks.size() * sizeof(Block));
            std::vector<float> f(k), back(k);
            for (std::size_t r = 0; r < n; ++r)
            {
                // Rows of different magnitudes and offsets, so minimums and scales vary.
                f = random_floats(k, seed + std::uint32_t(r), -1.0f + 0.1f * float(r % 5), 1.0f + 0.3f * float(r % 3));
                joule::quantize(f.data(), blocks.data() + r * stride, k);
                joule::dequantize(blocks.data() + r * stride, back.data(), k);
                for (std::size_t j = 0; j < k; ++j)
                    values[r * k + j] = back[j];
            }
        }
        qmatrix_view<const Block> view(std::size_t rows) const { return {blocks.data(), rows, k, stride}; }
    };

    /// Row m of x quantized to the dot format and dequantized (what the integer path multiplies).
    template <class Block>
    std::vector<double> quantized_row(const float* x, std::size_t k)
    {
        using Dot = typename Block::dot_block;
        std::vector<Dot> b(k / Dot::block_size);
        std::vector<float> back(k);
        joule::quantize(x, b.data(), k);
        joule::dequantize(b.data(), back.data(), k);
        return std::vector<double>(back.begin(), back.end());
    }

    /// Checks y (M x N) against sum_k w[n][k] * xq[m][k] (+ bias) for the integer path, with a
    /// bound of float summation error over K / 16 sub-block terms.
    template <class Block>
    void check_against_reference(const std::vector<std::vector<double>>& xq, const test_weights<Block>& w,
                                 std::size_t N, const float* bias, const matrix_view<float>& y, double rel_tol)
    {
        const std::size_t K = w.k;
        for (std::size_t m = 0; m < xq.size(); ++m)
            for (std::size_t n = 0; n < N; ++n)
            {
                double ref = bias ? bias[n] : 0.0, wmax = 0, xabs = 0;
                for (std::size_t k = 0; k < K; ++k)
                {
                    ref += w.values[n * K + k] * xq[m][k];
                    wmax = std::max(wmax, std::fabs(w.values[n * K + k]));
                    xabs += std::fabs(xq[m][k]);
                }
                // |scale * q| and |offset| are each at most about twice the row's largest |w|.
                const double bound = rel_tol * 2 * wmax * xabs + (bias ? 1e-7 * std::fabs(bias[n]) : 0.0) + 1e-30;
                const double got = y(m, n);
                if (!(std::fabs(got - ref) <= bound))
                {
                    INFO(format_name<Block>(), " M=", xq.size(), " N=", N, " K=", K, " at (", m, ", ", n, ")");
                    CHECK(got == doctest::Approx(ref));
                    CHECK(std::fabs(got - ref) <= bound);
                    return;
                }
            }
    }

    double integer_tolerance(std::size_t K) { return double(K / 16 + 32) * 1.2e-7; }

    enum class y_layout
    {
        dense,
        strided,   ///< row_stride N + 5
        transposed ///< a column-major view
    };

    template <class Block>
    void sweep_shapes()
    {
        constexpr std::size_t bs = Block::block_size;
        const std::vector<std::size_t> ks = bs == 32 ? std::vector<std::size_t>{32, 64, 160, 416}
                                                     : std::vector<std::size_t>{256, 512, 768};
        const std::vector<std::size_t> ns = qemu_like_slow()
                                                ? std::vector<std::size_t>{1, 3, 4, 5, 7, 16, 17, 19, 35}
                                                : std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8, 11, 15, 16, 17, 19, 31, 33, 35};
        const std::size_t ms[] = {0, 1, 2, 3, 5, 13};
        std::uint32_t seed = 1;
        for (std::size_t K : ks)
        {
            const std::size_t max_n = ns.back(), max_m = 13;
            const test_weights<Block> w(max_n, K, K == ks[1] ? 3 : 0, 100 + seed);
            const std::size_t x_stride = K + 7, misalign = 4 * (seed % 4);
            joule_test::guarded_buffer<float> xbuf(max_m * x_stride, misalign);
            const auto xf = random_floats(max_m * x_stride, 7 * seed++, -2.0f, 2.0f);
            std::memcpy(xbuf.data(), xf.data(), xf.size() * sizeof(float));
            const auto bias = random_floats(max_n, seed);
            for (std::size_t M : ms)
            {
                std::vector<std::vector<double>> xq;
                for (std::size_t m = 0; m < M; ++m)
                    xq.push_back(quantized_row<Block>(xbuf.data() + m * x_stride, K));
                const matrix_view<const float> X(xbuf.data(), M, K, x_stride);
                for (std::size_t N : ns)
                    for (y_layout layout : {y_layout::dense, y_layout::strided, y_layout::transposed})
                    {
                        const bool with_bias = layout == y_layout::strided;
                        const std::size_t y_rs = layout == y_layout::strided ? N + 5 : N;
                        joule_test::guarded_buffer<float> ybuf(M * y_rs + 1, 4);
                        std::memset(ybuf.data(), 0xff, (M * y_rs + 1) * sizeof(float)); // NaN: Y is write-only
                        matrix_view<float> Y = layout == y_layout::transposed
                                                   ? matrix_view<float>(ybuf.data(), N, M).t()
                                                   : matrix_view<float>(ybuf.data(), M, N, y_rs);
                        joule::linear_options opts;
                        opts.bias = with_bias ? bias.data() : nullptr;
                        joule::linear(X, w.view(N), Y, opts);
                        check_against_reference(xq, w, N, opts.bias, Y, integer_tolerance(K));
                        CHECK(ybuf.guards_intact());
                        CHECK(xbuf.guards_intact());
                    }
            }
        }
    }
} // namespace

TEST_CASE_TEMPLATE("quantized linear matches the double reference over awkward shapes", Block, joule::block_q4_0,
                   joule::block_q4_1, joule::block_q5_0, joule::block_q5_1, joule::block_q8_0, joule::block_iq4_nl,
                   joule::block_q2_K, joule::block_q3_K, joule::block_q4_K, joule::block_q5_K, joule::block_q6_K,
                   joule::block_iq4_xs)
{
    sweep_shapes<Block>();
}

TEST_CASE_TEMPLATE("quantized linear over a long K (M = 1 and M > 1)", Block, joule::block_q4_0, joule::block_q8_0,
                   joule::block_q4_1, joule::block_q4_K, joule::block_q6_K)
{
    const std::size_t K = 4096, N = 21;
    const test_weights<Block> w(N, K, 0, 5);
    for (std::size_t M : {1, 3, 20}) // 20: two 16-row panels where there are (panels_x86.hpp)
    {
        const auto x = random_floats(M * K, 9, -3.0f, 1.0f);
        std::vector<std::vector<double>> xq;
        for (std::size_t m = 0; m < M; ++m)
            xq.push_back(quantized_row<Block>(x.data() + m * K, K));
        std::vector<float> y(M * N);
        joule::linear(matrix_view<const float>(x.data(), M, K), w.view(N), matrix_view<float>(y.data(), M, N));
        check_against_reference(xq, w, N, nullptr, matrix_view<float>(y.data(), M, N), integer_tolerance(K));
    }
}

TEST_CASE("quantized linear: column-strided X is read element by element")
{
    const std::size_t M = 3, N = 6, K = 64;
    const test_weights<joule::block_q4_0> w(N, K, 0, 3);
    const auto xt = random_floats(K * M, 4); // K x M, so X = its transpose
    const matrix_view<const float> X = matrix_view<const float>(xt.data(), K, M).t();
    std::vector<std::vector<double>> xq;
    for (std::size_t m = 0; m < M; ++m)
    {
        std::vector<float> row(K);
        for (std::size_t k = 0; k < K; ++k)
            row[k] = X(m, k);
        xq.push_back(quantized_row<joule::block_q4_0>(row.data(), K));
    }
    std::vector<float> y(M * N);
    joule::linear(X, w.view(N), matrix_view<float>(y.data(), M, N));
    check_against_reference(xq, w, N, nullptr, matrix_view<float>(y.data(), M, N), integer_tolerance(K));
}

TEST_CASE("quantized linear: int8 extremes are multiplied exactly (no int16 saturation)")
{
    // q8_0 weights of -128 (any byte is a valid q8_0 quant) against activations of +-127.
    {
        const std::size_t K = 256, N = 5;
        std::vector<joule::block_q8_0> w(N * K / 32);
        for (std::size_t i = 0; i < w.size(); ++i)
        {
            w[i].d = joule::f16::from_bits(0x3c00); // 1.0
            for (int j = 0; j < 32; ++j)
                w[i].qs[j] = static_cast<std::int8_t>(i % 2 == 0 ? -128 : (j % 2 ? 127 : -128));
        }
        std::vector<float> x(K);
        for (std::size_t k = 0; k < K; ++k)
            x[k] = (k / 2) % 2 ? 1.0f : -1.0f; // quantizes to +-127 with d = 1/127
        std::vector<float> y(N);
        joule::linear(matrix_view<const float>(x.data(), 1, K), qmatrix_view<const joule::block_q8_0>(w.data(), N, K),
                      matrix_view<float>(y.data(), 1, N));
        for (std::size_t n = 0; n < N; ++n)
        {
            double ref = 0;
            for (std::size_t k = 0; k < K; ++k)
            {
                const auto& b = w[n * K / 32 + k / 32];
                ref += double(b.qs[k % 32]) * (x[k] < 0 ? -127.0 : 127.0);
            }
            const double d_x = double(float(joule::f16(1.0f / 127.0f))); // the f16 scale of x
            CHECK(double(y[n]) == doctest::Approx(ref * d_x).epsilon(1e-6));
        }
        // The same with M = 2 (the unpacked path) and M = 5 (activation panels where there are).
        for (std::size_t M : {2, 5})
        {
            std::vector<float> xm(M * K), ym(M * N);
            for (std::size_t m = 0; m < M; ++m)
                std::memcpy(xm.data() + m * K, x.data(), K * sizeof(float));
            joule::linear(matrix_view<const float>(xm.data(), M, K), qmatrix_view<const joule::block_q8_0>(w.data(), N, K),
                          matrix_view<float>(ym.data(), M, N));
            for (std::size_t m = 0; m < M; ++m)
                for (std::size_t n = 0; n < N; ++n)
                    CHECK(ym[m * N + n] == doctest::Approx(y[n]).epsilon(1e-6));
        }
    }
    // iq4_nl weights of -127 against activations of 127: pair sums of 2 * 127 * 127.
    // q6_K weights of -32 against q8_K activations of -128 (a block whose largest value is
    // negative), q4_K weights of 15 likewise.
    const std::size_t K = 512;
    std::vector<float> x(2 * K);
    for (std::size_t k = 0; k < K; ++k)
    {
        x[k] = 1.0f;       // q8_0: 127; q8_K: -128 scaled by a negative d
        x[K + k] = -1.0f;
    }
    {
        std::vector<joule::block_iq4_nl> w(3 * K / 32);
        for (auto& b : w)
        {
            b.d = joule::f16::from_bits(0x3c00);
            std::memset(b.qs, 0, sizeof b.qs); // index 0: -127
        }
        std::vector<float> y(2 * 3);
        joule::linear(matrix_view<const float>(x.data(), 2, K), qmatrix_view<const joule::block_iq4_nl>(w.data(), 3, K),
                      matrix_view<float>(y.data(), 2, 3));
        const double d_x = double(float(joule::f16(1.0f / 127.0f)));
        for (std::size_t n = 0; n < 3; ++n)
        {
            CHECK(double(y[n]) == doctest::Approx(-127.0 * 127.0 * double(K) * d_x).epsilon(1e-6));
            CHECK(double(y[3 + n]) == doctest::Approx(127.0 * 127.0 * double(K) * d_x).epsilon(1e-6));
        }
    }
    {
        std::vector<joule::block_q6_K> w(3 * K / 256);
        for (auto& b : w)
        {
            std::memset(b.ql, 0, sizeof b.ql);
            std::memset(b.qh, 0, sizeof b.qh); // q = 0 - 32
            std::memset(b.scales, 127, sizeof b.scales);
            b.d = joule::f16::from_bits(0x3c00);
        }
        std::vector<float> y(2 * 3);
        for (std::size_t M : {1, 2})
        {
            joule::linear(matrix_view<const float>(x.data() + K * (2 - M), M, K),
                          qmatrix_view<const joule::block_q6_K>(w.data(), 3, K), matrix_view<float>(y.data(), M, 3));
            // x = -1: q8_K d = -1/128, q = -128 -> value -1 exactly; x = 1 likewise (d = 1/128... q = 128 clamps to 127)
            for (std::size_t n = 0; n < 3; ++n)
            {
                const double ref = -32.0 * 127.0 * double(K) * -1.0;
                CHECK(double(y[(M - 1) * 3 + n]) == doctest::Approx(ref).epsilon(1e-6));
            }
        }
    }
    {
        std::vector<joule::block_q4_K> w(2 * K / 256);
        for (auto& b : w)
        {
            std::memset(b.qs, 0xff, sizeof b.qs);     // q = 15
            std::memset(b.scales, 0xff, sizeof b.scales); // every 6-bit sc and m = 63
            b.d = joule::f16::from_bits(0x3c00);
            b.dmin = joule::f16::from_bits(0); // no minimum
        }
        std::vector<float> y(2);
        joule::linear(matrix_view<const float>(x.data() + K, 1, K), qmatrix_view<const joule::block_q4_K>(w.data(), 2, K),
                      matrix_view<float>(y.data(), 1, 2));
        for (std::size_t n = 0; n < 2; ++n)
            CHECK(double(y[n]) == doctest::Approx(-63.0 * 15.0 * double(K)).epsilon(1e-6));
    }
}

TEST_CASE("quantized linear: NaN in a block of X reaches the outputs that use it")
{
    const std::size_t K = 64, N = 5;
    const test_weights<joule::block_q4_0> w(N, K, 0, 2);
    for (std::size_t M : {2, 5, 17}) // the plain kernel, then activation panels where there are
    {
        auto x = random_floats(M * K, 3);
        x[K + 40] = std::numeric_limits<float>::quiet_NaN(); // row 1 only
        std::vector<float> y(M * N);
        joule::linear(matrix_view<const float>(x.data(), M, K), w.view(N), matrix_view<float>(y.data(), M, N));
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t n = 0; n < N; ++n)
            {
                CAPTURE(M);
                CAPTURE(m);
                CHECK(std::isnan(y[m * N + n]) == (m == 1));
            }
    }
}

TEST_CASE_TEMPLATE("quantized linear gives the same bits with any number of threads", Block, joule::block_q4_0,
                   joule::block_q8_0, joule::block_q4_K, joule::block_q6_K)
{
    const std::size_t K = 512, N = 203;
    const test_weights<Block> w(N, K, 0, 11);
    joule::thread_pool pools[] = {joule::thread_pool(1), joule::thread_pool(2), joule::thread_pool(3),
                                  joule::thread_pool(4)};
    // M = 1 (GEMV), 4 (one activation panel where the arch has panels), 17 (panels and a tail)
    for (std::size_t M : {1, 4, 17})
    {
        const auto x = random_floats(M * K, 12);
        std::vector<float> y1(M * N);
        joule::linear_options opts;
        joule::linear(matrix_view<const float>(x.data(), M, K), w.view(N), matrix_view<float>(y1.data(), M, N), opts);
        for (auto& pool : pools)
        {
            CAPTURE(M);
            CAPTURE(pool.concurrency());
            std::vector<float> yt(M * N, 7.0f);
            opts.executor = pool;
            joule::linear(matrix_view<const float>(x.data(), M, K), w.view(N), matrix_view<float>(yt.data(), M, N), opts);
            CHECK(std::memcmp(y1.data(), yt.data(), y1.size() * sizeof(float)) == 0);
        }
    }
}

TEST_CASE_TEMPLATE("quantized linear, accuracy mode: dequantized W times float X", Block, joule::block_q4_0,
                   joule::block_q4_1, joule::block_q4_K, joule::block_q6_K, joule::block_iq4_nl)
{
    constexpr std::size_t bs = Block::block_size;
    const std::size_t K = 2 * bs, N = 19;
    const test_weights<Block> w(N, K, 1, 21);
    const auto bias = random_floats(N, 22);
    for (std::size_t M : {1, 2, 7, 20})
    {
        const auto x = random_floats(M * K, 23);
        std::vector<float> y(M * N);
        joule::linear_options opts;
        opts.dequantize_weights = true;
        opts.bias = bias.data();
        joule::linear(matrix_view<const float>(x.data(), M, K), w.view(N), matrix_view<float>(y.data(), M, N), opts);
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t n = 0; n < N; ++n)
            {
                double ref = bias[n], mag = std::fabs(bias[n]);
                for (std::size_t k = 0; k < K; ++k)
                {
                    ref += w.values[n * K + k] * double(x[m * K + k]);
                    mag += std::fabs(w.values[n * K + k] * double(x[m * K + k]));
                }
                CHECK(std::fabs(double(y[m * N + n]) - ref) <= double(K + 2) * 1.2e-7 * mag);
            }
    }
}

TEST_CASE("quantized linear: K == 0 gives the bias, M == 0 and N == 0 write nothing")
{
    const float bias[3] = {1.5f, -2.0f, 0.25f};
    std::vector<float> y(6, -9.0f);
    joule::linear_options opts;
    opts.bias = bias;
    const float* x = joule_test::opaque_null<const float>();
    const auto* w = joule_test::opaque_null<const joule::block_q4_K>();
    joule::linear(matrix_view<const float>(x, 2, 0), qmatrix_view<const joule::block_q4_K>(w, 3, 0),
                  matrix_view<float>(y.data(), 2, 3), opts);
    for (std::size_t i = 0; i < 6; ++i)
        CHECK(y[i] == bias[i % 3]);
    std::vector<float> z(4, -9.0f);
    std::vector<joule::block_q4_0> wb(2);
    joule::linear(matrix_view<const float>(x, 0, 32), qmatrix_view<const joule::block_q4_0>(wb.data(), 2, 32),
                  matrix_view<float>(z.data(), 0, 2));
    CHECK(z[0] == -9.0f);
}

TEST_CASE("quantized linear: bad arguments get joule::error naming the function, argument and values")
{
    std::vector<float> x(4 * 64), y(4 * 8);
    std::vector<joule::block_q4_0> w(8 * 2);
    const matrix_view<const float> X(x.data(), 4, 64);
    const matrix_view<float> Y(y.data(), 4, 8);
    const qmatrix_view<const joule::block_q4_0> W(w.data(), 8, 64);

    CHECK_THROWS_WITH_AS(joule::linear(matrix_view<const float>(x.data(), 4, 32), W, Y),
                         "joule::linear: W.cols (64) != X.cols (32)", joule::error);
    std::vector<joule::block_q4_K> wk(8);
    CHECK_THROWS_WITH_AS(joule::linear(X, qmatrix_view<const joule::block_q4_K>(wk.data(), 8, 64, 1), Y),
                         "joule::linear: W.cols (64) is not a multiple of the block size (256)", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(matrix_view<const float>(x.data(), 4, 48),
                                       qmatrix_view<const joule::block_q4_0>(w.data(), 8, 48, 2), Y),
                         "joule::linear: W.cols (48) is not a multiple of the block size (32)", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, W, matrix_view<float>(y.data(), 3, 8)),
                         "joule::linear: Y.rows (3) != X.rows (4)", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, W, matrix_view<float>(y.data(), 4, 7)),
                         "joule::linear: Y.cols (7) != W.rows (8)", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, qmatrix_view<const joule::block_q4_0>(w.data(), 8, 64, 1), Y),
                         "joule::linear: W.row_stride (1 blocks) is less than a row (2 blocks)", joule::error);
    CHECK_THROWS_WITH_AS(
        joule::linear(X, qmatrix_view<const joule::block_q4_0>(joule_test::opaque_null<const joule::block_q4_0>(), 8, 64), Y),
        "joule::linear: W.data is null but W is 8 x 64", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(matrix_view<const float>(joule_test::opaque_null<const float>(), 4, 64), W, Y),
                         "joule::linear: X.data is null but X is 4 x 64", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, W, matrix_view<float>(joule_test::opaque_null<float>(), 4, 8)),
                         "joule::linear: Y.data is null but Y is 4 x 8", joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, W, matrix_view<float>(x.data() + 8, 4, 8)),
                         doctest::Contains("joule::linear: Y ["), joule::error);
    CHECK_THROWS_WITH_AS(joule::linear(X, W, matrix_view<float>(reinterpret_cast<float*>(w.data()), 4, 8)),
                         doctest::Contains("bytes) and W ["), joule::error);
    joule::linear_options opts;
    opts.bias = y.data() + 30;
    CHECK_THROWS_WITH_AS(joule::linear(X, W, Y, opts), doctest::Contains("bytes) and bias ["), joule::error);
    const std::size_t huge = std::numeric_limits<std::size_t>::max() / 8;
    CHECK_THROWS_WITH_AS(joule::linear(X, qmatrix_view<const joule::block_q4_0>(w.data(), 8, 64, huge), Y),
                         doctest::Contains("joule::linear: W (8 rows of 2 blocks, row_stride"), joule::error);
    // Nothing was written by the failing calls.
    for (float v : y)
        CHECK(v == 0.0f);
}
