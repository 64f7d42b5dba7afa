// The safetensors reader and the model loader on small synthetic files: every corruption the
// issue names (truncated file, bad header, wrong dtype or shape, missing tensor) is a clear
// minilm::model_error naming the file and the tensor, never a crash.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "encoder.hpp"
#include "safetensors.hpp"
#include "test_support.hpp"

namespace
{
    using bytes = std::vector<unsigned char>;

    bytes file_with(const std::string& header, const bytes& data)
    {
        bytes out(8 + header.size() + data.size());
        const std::uint64_t n = header.size();
        for (std::size_t i = 0; i < 8; ++i)
            out[i] = static_cast<unsigned char>(n >> (8 * i));
        if (!header.empty())
            std::memcpy(out.data() + 8, header.data(), header.size());
        if (!data.empty())
            std::memcpy(out.data() + 8 + header.size(), data.data(), data.size());
        return out;
    }

    bytes floats(const std::vector<float>& v)
    {
        bytes b(v.size() * sizeof(float));
        std::memcpy(b.data(), v.data(), b.size());
        return b;
    }

    // w: F32 [2, 3] = 0..5, b: F32 [3] = 6..8
    const std::string good_header = R"({"__metadata__":{"format":"pt"},)"
                                    R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                                    R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}})";
    bytes good_file() { return file_with(good_header, floats({0, 1, 2, 3, 4, 5, 6, 7, 8})); }

    minilm::safetensors_file open(bytes b) { return minilm::safetensors_file(std::move(b), "test.safetensors"); }

    void expect_error(bytes b, const std::string& message)
    {
        CHECK_THROWS_WITH_AS(open(std::move(b)), doctest::Contains(message.c_str()), minilm::model_error);
    }
} // namespace

TEST_CASE("safetensors: reads tensors")
{
    const auto f = open(good_file());
    CHECK(f.contains("w"));
    CHECK(f.contains("b"));
    CHECK_FALSE(f.contains("__metadata__"));
    const auto w = f.tensor("w", "F32", {2, 3});
    CHECK(w.copy<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
    CHECK(f.tensor("b", "F32", {3}).copy<float>() == std::vector<float>{6, 7, 8});
}

TEST_CASE("safetensors: truncated files")
{
    expect_error(bytes{1, 2, 3}, "test.safetensors: truncated: 3 bytes, fewer than the 8-byte header length");
    bytes b = good_file();
    b.resize(8 + good_header.size() / 2);
    expect_error(b, "the header length is " + std::to_string(good_header.size()) + " bytes but only");
    b = good_file();
    b.resize(b.size() - 4); // the data section loses b's last float
    expect_error(b, "test.safetensors: truncated: tensor 'b' ends at byte 36 of the data section, which holds only 32 bytes");
}

TEST_CASE("safetensors: bad headers")
{
    expect_error(file_with("{\"w\": [1, 2", {}), "test.safetensors: bad header: not valid JSON");
    expect_error(file_with("[1, 2]", {}), "bad header: expected a JSON object, found array");
    expect_error(file_with(R"({"w": 5})", {}), "bad header: tensor 'w' is not an object");
    expect_error(file_with(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                 "bad header: tensor 'w' has no \"dtype\" string");
    expect_error(file_with(R"({"w": {"dtype": "F8_E9", "shape": [1], "data_offsets": [0, 4]}})", floats({1})),
                 "tensor 'w' has unknown dtype 'F8_E9'");
    expect_error(file_with(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", floats({1})),
                 "tensor 'w' has a shape entry that is not a non-negative integer: -1");
    expect_error(file_with(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", floats({1})),
                 "tensor 'w' has no \"data_offsets\" pair");
    expect_error(file_with(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", floats({1, 2})),
                 "tensor 'w' has data_offsets [4, 0] that end before they begin");
    expect_error(file_with(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", floats({1, 2, 3, 4, 5})),
                 "tensor 'w' holds 20 bytes but F32 [2, 3] needs 24");
}

TEST_CASE("safetensors: a tensor with another name, dtype or shape than the model expects")
{
    const auto f = open(good_file());
    CHECK_THROWS_WITH_AS(f.tensor("x", "F32", {2, 3}), "minilm: test.safetensors: tensor 'x' is missing", minilm::model_error);
    CHECK_THROWS_WITH_AS(f.tensor("w", "F16", {2, 3}), "minilm: test.safetensors: tensor 'w' has dtype F32, expected F16",
                         minilm::model_error);
    CHECK_THROWS_WITH_AS(f.tensor("w", "F32", {3, 2}),
                         "minilm: test.safetensors: tensor 'w' has shape [2, 3], expected [3, 2]", minilm::model_error);
}

TEST_CASE("safetensors: missing file")
{
    CHECK_THROWS_WITH_AS(minilm::safetensors_file("no/such/model.safetensors"),
                         doctest::Contains("no/such/model.safetensors: cannot open (missing file? examples/minilm/fetch.sh"),
                         minilm::model_error);
}

TEST_CASE("encoder: loading a file that is not this model names the first tensor it lacks")
{
    const std::string dir = minilm_test::scratch_path("not_minilm");
    std::string mkdir = "mkdir -p " + dir;
    REQUIRE(std::system(mkdir.c_str()) == 0);
    const bytes b = good_file();
    std::ofstream(dir + "/model.safetensors", std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                                                      static_cast<std::streamsize>(b.size()));
    CHECK_THROWS_WITH_AS(minilm::encoder(dir, minilm::weight_type::f32),
                         doctest::Contains("tensor 'embeddings.word_embeddings.weight' is missing"), minilm::model_error);
    CHECK_THROWS_WITH_AS(minilm::encoder("no/such/dir", minilm::weight_type::f32),
                         doctest::Contains("no/such/dir/model.safetensors: cannot open"), minilm::model_error);
}
