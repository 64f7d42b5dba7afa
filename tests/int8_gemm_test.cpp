// Tests for joule/int8_gemm.hpp: integer matmul against an int64 reference (exact equality) for
// uint8 and int8 A, per-tensor and per-column B zero points, the -128 / 255 extremes, K long
// enough to leave int16 far behind, every row and column remainder of every micro-kernel tile
// (4 x 8 generic, 4 x 16 AVX2, 6 x 32 AVX-512 VNNI, 6 x 16 AVX-VNNI, 5 x 16 NEON sdot, 8 x 8
// NEON usmmla: so every M up to 17 and N up to 33) and of the K group (2, 4 or 8),
// strided / transposed / misaligned views, thread-count invariance; the NEON and 256-bit VNNI
// kernels directly, extremes and int32 wrap included; requantization with float and
// fixed-point multipliers against independent references (ties, saturation); errors.
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
#include <joule/int8_gemm.hpp>

#include "support/buffer.hpp"
#include "support/shapes.hpp"

namespace
{
    using joule::matrix_view;

    using joule_test::qemu_like_slow;

    enum class fill
    {
        random,
        extremes, ///< only the type's minimum and maximum
        min_only,
        max_only
    };

    template <class T>
    T value_of(fill f, std::mt19937& rng)
    {
        constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
        switch (f)
        {
        case fill::extremes: return static_cast<T>(rng() % 2 ? lo : hi);
        case fill::min_only: return static_cast<T>(lo);
        case fill::max_only: return static_cast<T>(hi);
        default: return static_cast<T>(lo + int(rng() % std::uint32_t(hi - lo + 1)));
        }
    }

    /// A rows x cols matrix of T in a guarded buffer: row-major with a padded stride, or a
    /// transposed view of a col-major array.
    template <class T>
    struct int_matrix
    {
        std::size_t rows, cols;
        bool transposed;
        std::size_t stride;
        joule_test::guarded_buffer<T> buf;
        matrix_view<T> view;

        int_matrix(std::size_t r, std::size_t c, bool t, std::size_t misalign, fill f, std::uint32_t seed)
            : rows(r)
            , cols(c)
            , transposed(t)
            , stride((t ? r : c) + 3)
            , buf(std::max<std::size_t>(1, (t ? c : r) * stride), misalign)
            , view(t ? matrix_view<T>(buf.data(), c, r, stride).t() : matrix_view<T>(buf.data(), r, c, stride))
        {
            std::mt19937 rng(seed);
            for (std::size_t i = 0; i < buf.size(); ++i)
                buf[i] = value_of<T>(f, rng);
        }
    };

    template <class TA>
    std::int64_t reference(const matrix_view<const TA>& a, const matrix_view<const std::int8_t>& b, std::size_t m,
                           std::size_t n, std::int32_t za, std::int32_t zb)
    {
        std::int64_t s = 0;
        for (std::size_t k = 0; k < a.cols; ++k)
            s += (std::int64_t(a(m, k)) - za) * (std::int64_t(b(k, n)) - zb);
        return s;
    }

    /// Runs matmul and compares every element with the int64 reference (which must fit int32).
    template <class TA>
    void check_product(std::size_t M, std::size_t N, std::size_t K, fill fa, fill fb, bool ta, bool tb,
                       std::int32_t za, std::int32_t zb, bool per_column, std::uint32_t seed)
    {
        int_matrix<TA> a(M, K, ta, seed % 4, fa, seed);
        int_matrix<std::int8_t> b(K, N, tb, (seed / 4) % 4, fb, seed + 1);
        std::vector<std::int8_t> zbs(N);
        std::mt19937 rng(seed + 2);
        for (auto& z : zbs)
            z = static_cast<std::int8_t>(int(rng() % 256) - 128);
        const std::size_t c_stride = N + 1;
        joule_test::guarded_buffer<std::int32_t> cbuf(std::max<std::size_t>(1, M * c_stride), 4);
        std::memset(cbuf.data(), 0x5a, cbuf.size() * sizeof(std::int32_t));
        matrix_view<std::int32_t> C(cbuf.data(), M, N, c_stride);
        joule::int8_gemm_options opts;
        opts.a_zero_point = za;
        opts.b_zero_point = zb;
        opts.b_zero_points = per_column ? zbs.data() : nullptr;
        joule::matmul(matrix_view<const TA>(a.view), matrix_view<const std::int8_t>(b.view), C, opts);
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t n = 0; n < N; ++n)
            {
                const std::int64_t ref = reference(matrix_view<const TA>(a.view), matrix_view<const std::int8_t>(b.view),
                                                   m, n, za, per_column ? zbs[n] : zb);
                if (C(m, n) != ref)
                {
                    INFO("M=", M, " N=", N, " K=", K, " at (", m, ", ", n, ") za=", za, " zb=", zb, " per_column=",
                         per_column, " ta=", ta, " tb=", tb);
                    CHECK(C(m, n) == ref);
                    return;
                }
            }
        CHECK(cbuf.guards_intact());
    }
} // namespace

TEST_CASE_TEMPLATE("int8 matmul is exact over every tile remainder and K padding", TA, std::uint8_t, std::int8_t)
{
    const std::size_t ms[] = {0, 1, 2, 3, 5, 8};
    const std::vector<std::size_t> ns = qemu_like_slow() ? std::vector<std::size_t>{1, 3, 4, 5, 9, 67}
                                                         : std::vector<std::size_t>{1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 131};
    const std::size_t ks[] = {0, 1, 3, 15, 16, 17, 63, 64, 65, 130};
    const std::int32_t za = std::is_same<TA, std::uint8_t>::value ? 131 : -7;
    std::uint32_t seed = 1;
    for (std::size_t M : ms)
        for (std::size_t N : ns)
            for (std::size_t K : ks)
            {
                check_product<TA>(M, N, K, fill::random, fill::random, seed % 2 == 1, seed % 3 == 1, za, -5,
                                  seed % 2 == 0, seed);
                ++seed;
            }
}

TEST_CASE_TEMPLATE("int8 matmul is exact for every M remainder up to 2 x 8 rows and N up to 2 x 16 + 1", TA,
                   std::uint8_t, std::int8_t)
{
    // Every M in [0, 17] and N in [1, 33] (each remainder of every tile above, twice over), K
    // cycling through remainders of every K group; extremes on every third shape.
    const std::size_t ks[] = {1, 2, 3, 5, 7, 8, 9, 12, 17, 31};
    const std::int32_t za = std::is_same<TA, std::uint8_t>::value ? 255 : -128;
    std::uint32_t seed = 1000;
    for (std::size_t M = 0; M <= 17; ++M)
        for (std::size_t N = 1; N <= 33; ++N)
        {
            const fill f = seed % 3 == 0 ? fill::extremes : fill::random;
            check_product<TA>(M, N, ks[seed % 10], f, f, seed % 2 == 1, seed % 5 == 1, seed % 4 == 0 ? za : 3,
                              seed % 7 == 0 ? -128 : 127, seed % 3 == 1, seed);
            ++seed;
        }
}

TEST_CASE_TEMPLATE("int8 matmul: -128 / 255 extremes and long K (int16 intermediates would overflow)", TA, std::uint8_t,
                   std::int8_t)
{
    constexpr bool u8 = std::is_same<TA, std::uint8_t>::value;
    const std::int32_t a_lo = u8 ? 0 : -128, a_hi = u8 ? 255 : 127;
    // Random extremes with every zero point extreme.
    for (std::int32_t za : {a_lo, a_hi})
        for (std::int32_t zb : {-128, 127})
        {
            check_product<TA>(3, 5, 4099, fill::extremes, fill::extremes, false, false, za, zb, false, 3);
            check_product<TA>(2, 6, 1000, fill::extremes, fill::extremes, true, true, za, zb, true, 4);
        }
    // The largest |sum| that int32 holds for any data: K = 33025 products of 255 * -255 (uint8
    // A = 255 with za = 0, B = -128 with zb = 127) or 255 * 255.
    if (u8)
    {
        check_product<TA>(2, 5, 33025, fill::max_only, fill::min_only, false, false, 0, 127, false, 5);
        check_product<TA>(2, 5, 33025, fill::min_only, fill::min_only, false, false, 255, 127, false, 6);
    }
    else
    {
        check_product<TA>(2, 5, 33025, fill::min_only, fill::min_only, false, false, 127, 127, false, 7);
        check_product<TA>(2, 5, 33025, fill::max_only, fill::max_only, false, false, -128, -128, false, 8);
    }
}

TEST_CASE("int8 matmul wraps modulo 2^32 past int32 (as ONNX runtimes)")
{
    const std::size_t K = 40000;
    std::vector<std::uint8_t> a(K, 255);
    std::vector<std::int8_t> b(K, -128);
    std::int32_t c = 0;
    joule::int8_gemm_options opts;
    opts.b_zero_point = 127;
    joule::matmul(matrix_view<const std::uint8_t>(a.data(), 1, K), matrix_view<const std::int8_t>(b.data(), K, 1),
                  matrix_view<std::int32_t>(&c, 1, 1), opts);
    const std::int64_t exact = std::int64_t(K) * 255 * -255;
    CHECK(c == static_cast<std::int32_t>(static_cast<std::uint32_t>(exact)));
}

TEST_CASE("int8 matmul gives the same result with any number of threads")
{
    int_matrix<std::uint8_t> a(37, 300, false, 0, fill::random, 1);
    int_matrix<std::int8_t> b(300, 333, false, 0, fill::random, 2);
    std::vector<std::int32_t> c1(37 * 333), c3(37 * 333);
    joule::int8_gemm_options opts;
    opts.a_zero_point = 100;
    opts.b_zero_point = 3;
    joule::matmul(matrix_view<const std::uint8_t>(a.view), matrix_view<const std::int8_t>(b.view),
                  matrix_view<std::int32_t>(c1.data(), 37, 333), opts);
    joule::thread_pool pool(3);
    opts.executor = pool;
    joule::matmul(matrix_view<const std::uint8_t>(a.view), matrix_view<const std::int8_t>(b.view),
                  matrix_view<std::int32_t>(c3.data(), 37, 333), opts);
    CHECK(c1 == c3);
}

namespace
{
    template <class T>
    T ref_requantize_float(std::int32_t acc, float multiplier, std::int32_t zp)
    {
        const float p = static_cast<float>(acc) * multiplier; // float steps, as specified
        // Round half to even, independently of the library's nearbyint.
        const double fl = std::floor(double(p)), frac = double(p) - fl;
        double r = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : (std::fmod(fl, 2.0) == 0 ? fl : fl + 1);
        r += zp;
        const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
        return static_cast<T>(r < lo ? lo : r > hi ? hi : r);
    }

    /// gemmlowp's fixed-point pipeline in exact int64 arithmetic.
    template <class T>
    T ref_requantize_fixed(std::int32_t acc, std::int32_t mult, int shift, std::int32_t zp)
    {
        // floor((acc * mult + 2^30) / 2^31): round half up, as ARM's SQRDMULH and gemmlowp.
        const std::int64_t num = std::int64_t(acc) * mult + (std::int64_t(1) << 30), den = std::int64_t(1) << 31;
        std::int64_t hi = num / den;
        if (num % den != 0 && num < 0)
            --hi;
        // round(hi / 2^shift), ties away from zero.
        const std::int64_t m2 = hi < 0 ? -hi : hi;
        std::int64_t q = shift == 0 ? m2 : (m2 + (std::int64_t(1) << (shift - 1))) >> shift;
        if (hi < 0)
            q = -q;
        const std::int64_t r = q + zp;
        const std::int64_t lo = std::numeric_limits<T>::min(), top = std::numeric_limits<T>::max();
        return static_cast<T>(r < lo ? lo : r > top ? top : r);
    }

    std::vector<std::int32_t> accumulators()
    {
        std::vector<std::int32_t> acc = {0, 1, -1, 2, -2, 3, -3, 100, -100, 127, 128, -128, -129, 255, 256, 1000000,
                                         -1000000, 16777217, -16777217, std::numeric_limits<std::int32_t>::max(),
                                         std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::min() + 1};
        std::mt19937 rng(9);
        for (int i = 0; i < 2000; ++i)
            acc.push_back(static_cast<std::int32_t>(rng()) >> (rng() % 31));
        return acc;
    }
} // namespace

TEST_CASE_TEMPLATE("requantize with a float multiplier: half to even, saturation", T, std::int8_t, std::uint8_t)
{
    const auto acc = accumulators();
    std::vector<T> y(acc.size());
    const std::int32_t zp = std::is_same<T, std::int8_t>::value ? -3 : 131;
    for (float mult : {0.5f, 0.25f, 1.0f / 64, 0.0123f, 1.0f, 3.5f, 1e-9f})
    {
        joule::requantize(acc.data(), y.data(), acc.size(), mult, zp);
        for (std::size_t i = 0; i < acc.size(); ++i)
            if (y[i] != ref_requantize_float<T>(acc[i], mult, zp))
            {
                INFO("acc=", acc[i], " mult=", mult);
                CHECK(int(y[i]) == int(ref_requantize_float<T>(acc[i], mult, zp)));
                break;
            }
    }
    // Exact ties: 5 * 0.5 = 2.5 -> 2, 7 * 0.5 = 3.5 -> 4, -5 * 0.5 = -2.5 -> -2.
    const std::int32_t ties[] = {5, 7, -5, -7};
    T out[4];
    joule::requantize(ties, out, 4, 0.5f, 10);
    CHECK(int(out[0]) == 12);
    CHECK(int(out[1]) == 14);
    CHECK(int(out[2]) == 8);
    CHECK(int(out[3]) == 6);
}

TEST_CASE_TEMPLATE("requantize with a fixed-point multiplier matches gemmlowp's rounding", T, std::int8_t, std::uint8_t)
{
    const auto acc = accumulators();
    std::vector<T> y(acc.size());
    const std::int32_t zp = std::is_same<T, std::int8_t>::value ? 5 : 100;
    for (double real : {0.5, 0.999999, 0.0123, 1.0 / 3, 1e-6, 3e-10})
    {
        const auto m = joule::fixed_point_multiplier_of(real);
        CHECK(m.multiplier >= (1 << 30));
        CHECK(std::fabs(double(m.multiplier) / 2147483648.0 * std::ldexp(1.0, -m.shift) - real) <= real * 1e-9);
        joule::requantize(acc.data(), y.data(), acc.size(), m, zp);
        for (std::size_t i = 0; i < acc.size(); ++i)
            if (y[i] != ref_requantize_fixed<T>(acc[i], m.multiplier, m.shift, zp))
            {
                INFO("acc=", acc[i], " real=", real);
                CHECK(int(y[i]) == int(ref_requantize_fixed<T>(acc[i], m.multiplier, m.shift, zp)));
                break;
            }
    }
    // Ties away from zero: multiplier 2^30 (0.5), shift 1: 6 * 0.25 = 1.5 -> 2, -6 -> -2, 2 * 0.25 = 0.5 -> 1.
    joule::fixed_point_multiplier half;
    half.multiplier = 1 << 30;
    half.shift = 1;
    const std::int32_t ties[] = {6, -6, 2, -2};
    T out[4];
    joule::requantize(ties, out, 4, half, 10);
    CHECK(int(out[0]) == 12);
    CHECK(int(out[1]) == 8);
    CHECK(int(out[2]) == 11);
    CHECK(int(out[3]) == 9);
}

TEST_CASE("int8 matmul and requantize: bad arguments get joule::error")
{
    std::vector<std::uint8_t> a(4 * 5);
    std::vector<std::int8_t> b(5 * 6), zbs(6);
    std::vector<std::int32_t> c(4 * 6);
    matrix_view<const std::uint8_t> A(a.data(), 4, 5);
    matrix_view<const std::int8_t> B(b.data(), 5, 6);
    matrix_view<std::int32_t> C(c.data(), 4, 6);
    CHECK_THROWS_WITH_AS(joule::matmul(A, matrix_view<const std::int8_t>(b.data(), 6, 5), C),
                         "joule::matmul: A.cols (5) != B.rows (6)", joule::error);
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, matrix_view<std::int32_t>(c.data(), 3, 6)),
                         "joule::matmul: C.rows (3) != A.rows (4)", joule::error);
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, matrix_view<std::int32_t>(c.data(), 4, 5)),
                         "joule::matmul: C.cols (5) != B.cols (6)", joule::error);
    CHECK_THROWS_WITH_AS(joule::matmul(matrix_view<const std::uint8_t>(joule_test::opaque_null<const std::uint8_t>(), 4, 5), B, C),
                         "joule::matmul: A.data is null but A is 4 x 5", joule::error);
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, matrix_view<std::int32_t>(c.data(), 4, 6, 5)),
                         doctest::Contains("joule::matmul: C (4 x 6) has row_stride 5"), joule::error);
    CHECK_THROWS_WITH_AS(joule::matmul(matrix_view<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(c.data()), 4, 5), B, C),
                         doctest::Contains("overlap"), joule::error);
    joule::int8_gemm_options opts;
    opts.a_zero_point = 256;
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, C, opts), "joule::matmul: a_zero_point (256) is outside A's range [0, 255]",
                         joule::error);
    opts.a_zero_point = -129;
    CHECK_THROWS_WITH_AS(joule::matmul(matrix_view<const std::int8_t>(b.data(), 4, 5), B, C, opts),
                         "joule::matmul: a_zero_point (-129) is outside A's range [-128, 127]", joule::error);
    opts.a_zero_point = 0;
    opts.b_zero_point = 128;
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, C, opts), "joule::matmul: b_zero_point (128) is outside B's range [-128, 127]",
                         joule::error);
    opts.b_zero_point = 0;
    opts.b_zero_points = reinterpret_cast<const std::int8_t*>(c.data());
    CHECK_THROWS_WITH_AS(joule::matmul(A, B, C, opts), doctest::Contains("bytes) and b_zero_points ["), joule::error);
    for (auto v : c)
        CHECK(v == 0);

    std::int32_t acc[2] = {1, 2};
    std::int8_t y[2];
    std::uint8_t u[2];
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, 0.0f, 0), "joule::requantize: multiplier (0) must be positive and finite",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, std::numeric_limits<float>::quiet_NaN(), 0),
                         doctest::Contains("must be positive and finite"), joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, std::numeric_limits<float>::infinity(), 0),
                         doctest::Contains("must be positive and finite"), joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, 0.5f, 128),
                         "joule::requantize: zero_point (128) is outside the output's range [-128, 127]", joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, u, 2, 0.5f, -1),
                         "joule::requantize: zero_point (-1) is outside the output's range [0, 255]", joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, joule_test::opaque_null<std::int8_t>(), 2, 0.5f, 0),
                         "joule::requantize: y is null but n is 2", joule::error);
    joule::fixed_point_multiplier bad;
    bad.multiplier = 1000;
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, bad, 0), "joule::requantize: multiplier (1000) is outside [2^30, 2^31)",
                         joule::error);
    bad.multiplier = 1 << 30;
    bad.shift = 32;
    CHECK_THROWS_WITH_AS(joule::requantize(acc, y, 2, bad, 0), "joule::requantize: shift (32) is outside [0, 31]", joule::error);
    CHECK_THROWS_WITH_AS(joule::fixed_point_multiplier_of(1.0), "joule::fixed_point_multiplier_of: real (1) must be in (0, 1)",
                         joule::error);
    CHECK_THROWS_WITH_AS(joule::fixed_point_multiplier_of(1e-12), doctest::Contains("is too small"), joule::error);
    CHECK_THROWS_WITH_AS(joule::requantize(acc, reinterpret_cast<std::int8_t*>(acc), 2, 0.5f, 0), doctest::Contains("overlap"),
                         joule::error);
}

namespace
{
    /// Runs a micro-kernel directly on one tile (packed A = A' - a_offset, with the type's
    /// extremes every few elements or everywhere) and compares with the int64 sum modulo 2^32.
    template <class Kernel>
    void check_kernel(std::size_t groups, bool all_extremes)
    {
        using a_type = typename Kernel::a_type;
        using b_type = typename Kernel::b_type;
        constexpr std::size_t mr = Kernel::mr, nr = Kernel::nr, kg = Kernel::kg;
        const std::size_t kp = groups * kg;
        constexpr a_type a_ext = std::is_signed<a_type>::value ? std::numeric_limits<a_type>::min()
                                                               : std::numeric_limits<a_type>::max();
        std::mt19937 rng(7);
        std::vector<a_type> a(mr * kp);
        std::vector<b_type> b(kp * nr); // element (k, n) at (k / kg) * nr * kg + n * kg + k % kg
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = all_extremes || i % 5 == 0 ? a_ext : a_type(rng());
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = all_extremes || i % 7 == 0 ? b_type(-128) : b_type(rng());
        std::vector<std::int32_t> c(mr * nr, -1);
        Kernel::run(a.data(), kp, b.data(), kp, c.data());
        for (std::size_t r = 0; r < mr; ++r)
            for (std::size_t n = 0; n < nr; ++n)
            {
                std::int64_t ref = 0;
                for (std::size_t k = 0; k < kp; ++k)
                    ref += std::int64_t(a[r * kp + k]) * std::int64_t(b[(k / kg * nr + n) * kg + k % kg]);
                CAPTURE(r);
                CAPTURE(n);
                CHECK(c[r * nr + n] == static_cast<std::int32_t>(static_cast<std::uint32_t>(ref)));
            }
    }
} // namespace

#if defined(JOULE_DETAIL_INT8_NEON_DOT)
// The dotprod (sdot on A' - 128) and i8mm (usdot, usmmla) kernels directly: only one of them
// is the driver's kernel in a build. 140000 products of 128 * 128 (or 255 * -128) pass 2^31:
// the int32 lanes must wrap.
TEST_CASE("the NEON int8 micro-kernels sum exactly, extremes and int32 wrap included")
{
#if defined(__ARM_FEATURE_DOTPROD)
    check_kernel<joule::detail::int8_kernel_dot_5x16<std::int8_t>>(37, false);
    check_kernel<joule::detail::int8_kernel_dot_5x16<std::int8_t>>(140000 / 4, true);
#endif
#if defined(JOULE_DETAIL_INT8_NEON_USMMLA)
    check_kernel<joule::detail::int8_kernel_dot_5x16<std::uint8_t>>(37, false);
    check_kernel<joule::detail::int8_kernel_dot_5x16<std::uint8_t>>(140000 / 4, true);
    check_kernel<joule::detail::int8_kernel_usmmla_8x8>(37, false);
    check_kernel<joule::detail::int8_kernel_usmmla_8x8>(140000 / 8, true);
#endif
}
#endif

#if defined(JOULE_DETAIL_INT8_VNNI256)
// The AVX-VNNI kernel (VEX vpdpbusd on ymm) runs on no machine here; on AVX-512 VNNI machines it
// is built with the EVEX form of the same instruction and tested here directly, since the driver
// there uses the 512-bit kernel.
TEST_CASE("the 256-bit VNNI int8 micro-kernel sums exactly, extremes included")
{
    check_kernel<joule::detail::int8_kernel_vnni256>(37, false);
    check_kernel<joule::detail::int8_kernel_vnni256>(140000 / 4, true);
}
#endif
