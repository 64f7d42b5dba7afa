// Reads the test data files under tests/data (JOULE_TEST_DATA_DIR is set by CMake).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace joule_test
{
    inline std::string data_path(const std::string& relative)
    {
        return std::string(JOULE_TEST_DATA_DIR) + "/" + relative;
    }

    template <class T>
    std::vector<T> read_file(const std::string& relative)
    {
        const std::string path = data_path(relative);
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        if (!in)
            throw std::runtime_error("cannot open test data " + path);
        const auto bytes = static_cast<std::size_t>(in.tellg());
        if (bytes % sizeof(T) != 0)
            throw std::runtime_error("test data " + path + " is not a whole number of elements");
        std::vector<T> out(bytes / sizeof(T));
        in.seekg(0);
        in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(bytes));
        return out;
    }
} // namespace joule_test
