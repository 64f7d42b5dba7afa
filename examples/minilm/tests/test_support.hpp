// Shared helpers of the MiniLM example's tests.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
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

    /// A fixture embedding: base64 of little-endian float32 values (make_fixture.py).
    inline std::vector<double> embedding(const nlohmann::json& sentence, const char* key)
    {
        const std::string text = sentence.at(key).get<std::string>();
        std::vector<unsigned char> bytes;
        unsigned buffer = 0;
        int bits = 0;
        for (char c : text)
        {
            int v = -1;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '+') v = 62;
            else if (c == '/') v = 63;
            if (v < 0)
                continue; // '=' padding
            buffer = (buffer << 6) | static_cast<unsigned>(v);
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.push_back(static_cast<unsigned char>(buffer >> bits));
            }
        }
        REQUIRE(bytes.size() % 4 == 0);
        std::vector<double> out(bytes.size() / 4);
        for (std::size_t i = 0; i < out.size(); ++i)
        {
            const std::uint32_t u = bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) |
                                    (static_cast<std::uint32_t>(bytes[4 * i + 3]) << 24);
            float f;
            std::memcpy(&f, &u, 4);
            out[i] = f;
        }
        return out;
    }

    /// `text` shortened and with control characters escaped, for failure messages.
    inline std::string printable(const std::string& text)
    {
        std::size_t cut = std::min<std::size_t>(text.size(), 60);
        while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut; // not inside a UTF-8 sequence
        std::string out;
        for (unsigned char c : text.substr(0, cut))
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
        return cut < text.size() ? out + "..." : out;
    }

    /// A path for a scratch file or directory, inside a folder of its own under the system's
    /// temporary directory, removed when the test program exits. (Relative to the working
    /// directory, a run from the source tree once left a corrupted 90 MB model copy there.)
    inline std::string scratch_path(const std::string& name)
    {
        static const std::string root = [] {
            std::string pattern = (std::filesystem::temp_directory_path() / "joule-minilm-test-XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr)
                throw std::runtime_error("minilm tests: cannot create a scratch folder " + pattern);
            static std::string made;
            made = pattern;
            std::atexit([] {
                std::error_code ignored;
                std::filesystem::remove_all(made, ignored);
            });
            return pattern;
        }();
        return root + "/" + name;
    }
} // namespace minilm_test
