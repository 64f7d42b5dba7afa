// Tests for joule/matrix_view.hpp: indexing, transposes, const conversion and the layout checks
// every kernel family runs on its arguments.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include <joule/matrix_view.hpp>

TEST_CASE("row-major views, transposes and element access")
{
    std::vector<float> a(3 * 5);
    for (std::size_t i = 0; i < a.size(); ++i)
        a[i] = float(i);
    joule::matrix_view<float> v(a.data(), 3, 4, 5); // 3 x 4 inside rows of 5
    CHECK(v(2, 3) == 13.0f);
    CHECK(v.row(1) == a.data() + 5);
    CHECK(v.row_major());
    CHECK_FALSE(v.col_major());

    const auto t = v.t();
    CHECK(t.rows == 4);
    CHECK(t.cols == 3);
    CHECK(t(3, 2) == 13.0f);
    CHECK(t.col_major());
    CHECK(t.t()(2, 3) == 13.0f);

    joule::matrix_view<const float> c = v; // implicit const conversion
    CHECK(c(1, 1) == 6.0f);
    static_assert(!std::is_convertible<joule::matrix_view<const float>, joule::matrix_view<float>>::value,
                  "no const_cast by conversion");

    joule::matrix_view<float> dense(a.data(), 3, 5);
    CHECK(dense.row_stride == 5);
    CHECK(joule::matrix_view<float>().empty());
}

TEST_CASE("layout checks accept valid views and name the problem otherwise")
{
    using joule::detail::check_view;
    std::vector<float> a(100);
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 4, 5, 5)) == 20);
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 4, 5, 7)) == 26);
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 4, 5, 5).t()) == 20);
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 1, 5, 0)) == 5);  // one row: stride free
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 5, 1, 3, 0)) == 13); // one column
    CHECK(check_view("f", "A", joule::matrix_view<float>(a.data(), 3, 4, 10, 2)) == 27);
    CHECK(check_view("f", "A", joule::matrix_view<float>(nullptr, 0, 5, 5)) == 0);

    CHECK_THROWS_WITH_AS(check_view("matmul", "A", joule::matrix_view<float>(a.data(), 4, 5, 4)),
                         doctest::Contains("joule::matmul: A (4 x 5) has row_stride 4 and col_stride 1"), joule::error);
    CHECK_THROWS_AS(check_view("f", "A", joule::matrix_view<float>(a.data(), 3, 4, 10, 3)), joule::error);
    CHECK_THROWS_AS(check_view("f", "A", joule::matrix_view<float>(a.data(), 3, 4, 0, 0)), joule::error);
    CHECK_THROWS_WITH_AS(check_view("f", "B", joule::matrix_view<float>(nullptr, 2, 2, 2)),
                         "joule::f: B.data is null but B is 2 x 2", joule::error);
    const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
    CHECK_THROWS_WITH_AS(check_view("f", "A", joule::matrix_view<float>(a.data(), 3, huge, huge)),
                         doctest::Contains("spans more memory than size_t can address"), joule::error);
}

TEST_CASE("overlap checks between an output and an input view")
{
    std::vector<float> a(100);
    joule::matrix_view<float> x(a.data(), 4, 4);
    joule::matrix_view<float> y(a.data() + 16, 4, 4);
    joule::matrix_view<float> z(a.data() + 15, 4, 4);
    CHECK_NOTHROW(joule::detail::check_no_overlap("f", "y", y, 16, "x", x, 16));
    CHECK_THROWS_WITH_AS(joule::detail::check_no_overlap("f", "z", z, 16, "x", x, 16), doctest::Contains("overlap"),
                         joule::error);
}
