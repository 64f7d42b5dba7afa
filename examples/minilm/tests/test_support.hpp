// Shared helpers of the MiniLM example's tests.
#pragma once
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace minilm_test
{
    /// testdata/reference.json: sentences, the reference tokenizer's ids, PyTorch's embeddings.
    inline const nlohmann::json& reference()
    {
        static const nlohmann::json fixture = [] {
            std::ifstream in(std::string(MINILM_TEST_DATA) + "/reference.json");
            REQUIRE_MESSAGE(in.good(), "missing " MINILM_TEST_DATA "/reference.json");
            return nlohmann::json::parse(in);
        }();
        return fixture;
    }

    /// `text` shortened and with control characters escaped, for failure messages.
    inline std::string printable(const std::string& text)
    {
        std::string out;
        for (unsigned char c : text.substr(0, 60))
        {
            if (c < 0x20)
            {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
            }
            else
                out += static_cast<char>(c);
        }
        return text.size() > 60 ? out + "..." : out;
    }

    /// A path for a scratch file in the build tree's working directory.
    inline std::string scratch_path(const std::string& name) { return "minilm_test_scratch_" + name; }
} // namespace minilm_test
