// Tests for joule/error.hpp: the error type and the argument-check helpers every entry point uses.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include <joule/error.hpp>

TEST_CASE("joule::error is a std::invalid_argument carrying the message")
{
    try
    {
        joule::detail::fail("matmul", "A.cols (", 64, ") != B.rows (", 65, ")");
        FAIL("fail() returned");
    }
    catch (const std::invalid_argument& e)
    {
        CHECK(std::string(e.what()) == "joule::matmul: A.cols (64) != B.rows (65)");
        CHECK(dynamic_cast<const joule::error*>(&e) != nullptr);
    }
}

TEST_CASE("check helpers name the function, the arguments and the values")
{
    using namespace joule::detail;
    CHECK_NOTHROW(check_equal("matmul", "A.cols", 64, "B.rows", 64));
    CHECK_THROWS_WITH_AS(check_equal("matmul", "A.cols", 64, "B.rows", 65), "joule::matmul: A.cols (64) != B.rows (65)",
                         joule::error);

    int value = 0;
    CHECK_NOTHROW(check_pointer("softmax", "x", &value, "n", 4));
    CHECK_NOTHROW(check_pointer("softmax", "x", nullptr, "n", 0));
    CHECK_THROWS_WITH_AS(check_pointer("softmax", "x", nullptr, "n", 4), "joule::softmax: x is null but n is 4",
                         joule::error);

    char bytes[64] = {};
    CHECK_NOTHROW(check_disjoint("f", "x", bytes, 16, "y", bytes + 16, 16));
    CHECK_NOTHROW(check_disjoint("f", "x", bytes, 0, "y", bytes, 16)); // empty ranges never overlap
    CHECK_THROWS_WITH_AS(check_disjoint("f", "x", bytes, 17, "y", bytes + 16, 16), doctest::Contains("overlap"),
                         joule::error);
    CHECK_THROWS_AS(check_disjoint("f", "x", bytes + 20, 4, "y", bytes + 16, 16), joule::error);
}
