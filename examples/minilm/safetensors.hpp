// safetensors.hpp: a small reader for the safetensors format, as the MiniLM example needs it.
//
// File layout: an 8-byte little-endian header length H, H bytes of JSON, then the data section.
// The JSON maps each tensor name to {"dtype": "F32", "shape": [r, c], "data_offsets": [b, e]}
// (byte offsets into the data section), plus an optional "__metadata__" object.
//
//     minilm::safetensors_file f("model.safetensors");
//     auto w = f.tensor("encoder.layer.0.attention.self.query.weight", "F32", {384, 384});
//     const float* p = w.as<float>();            // w.shape == {384, 384}
//
// Every problem (a missing or unreadable file, a truncated file, a header that is not the JSON
// above, a tensor that is missing or has another dtype or shape) throws minilm::model_error
// whose message names the file and, where there is one, the tensor. Nothing is trusted before
// it is checked: offsets and shapes are validated against the file's real size when opening.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace minilm
{
    /// A model file that cannot be used: what is wrong and where.
    class model_error : public std::runtime_error
    {
    public:
        explicit model_error(const std::string& message)
            : std::runtime_error(message)
        {
        }
    };

    template <class... Parts>
    [[noreturn]] void fail(const Parts&... parts)
    {
        std::ostringstream out;
        out << "minilm: ";
        (out << ... << parts);
        throw model_error(out.str());
    }

    inline std::string shape_string(const std::vector<std::size_t>& shape)
    {
        std::string s = "[";
        for (std::size_t i = 0; i < shape.size(); ++i)
            s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + "]";
    }

    /// Bytes per element of a safetensors dtype, 0 for one this reader does not know.
    inline std::size_t dtype_size(const std::string& dtype)
    {
        static const std::map<std::string, std::size_t> sizes = {
            {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
            {"I16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}};
        const auto it = sizes.find(dtype);
        return it == sizes.end() ? 0 : it->second;
    }

    struct tensor_info
    {
        std::string dtype;
        std::vector<std::size_t> shape;
        std::size_t begin = 0, end = 0; ///< byte offsets in the data section
    };

    /// A tensor's bytes inside a safetensors_file (valid while the file object lives).
    struct tensor_data
    {
        std::string name;
        std::string dtype;
        std::vector<std::size_t> shape;
        const unsigned char* bytes = nullptr;
        std::size_t size = 0; ///< bytes

        std::size_t elements() const { return size / dtype_size(dtype); }
        /// The elements as T (T must match the dtype; the data section gives no alignment
        /// guarantee, so copy() is the portable way to read).
        template <class T>
        std::vector<T> copy() const
        {
            std::vector<T> out(size / sizeof(T));
            if (size)
                std::memcpy(out.data(), bytes, size);
            return out;
        }
    };

    class safetensors_file
    {
    public:
        explicit safetensors_file(const std::string& path)
            : path_(path)
        {
            std::ifstream in(path, std::ios::binary | std::ios::ate);
            if (!in)
                fail(path, ": cannot open (missing file? examples/minilm/fetch.sh fetches the model)");
            const std::streamoff size = in.tellg();
            if (size < 0)
                fail(path, ": cannot read its size");
            bytes_.resize(static_cast<std::size_t>(size));
            in.seekg(0);
            if (size > 0 && !in.read(reinterpret_cast<char*>(bytes_.data()), size))
                fail(path, ": read error");
            parse();
        }

        /// Builds from bytes in memory (tests); `name` stands for the path in messages.
        safetensors_file(std::vector<unsigned char> bytes, const std::string& name)
            : path_(name)
            , bytes_(std::move(bytes))
        {
            parse();
        }

        const std::string& path() const { return path_; }
        bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
        const std::map<std::string, tensor_info>& tensors() const { return tensors_; }

        /// The tensor `name`, which must have dtype `dtype` and shape `shape`.
        tensor_data tensor(const std::string& name, const std::string& dtype,
                           const std::vector<std::size_t>& shape) const
        {
            const auto it = tensors_.find(name);
            if (it == tensors_.end())
                fail(path_, ": tensor '", name, "' is missing");
            const tensor_info& t = it->second;
            if (t.dtype != dtype)
                fail(path_, ": tensor '", name, "' has dtype ", t.dtype, ", expected ", dtype);
            if (t.shape != shape)
                fail(path_, ": tensor '", name, "' has shape ", shape_string(t.shape), ", expected ",
                     shape_string(shape));
            return {name, t.dtype, t.shape, bytes_.data() + data_start_ + t.begin, t.end - t.begin};
        }

    private:
        void parse()
        {
            if (bytes_.size() < 8)
                fail(path_, ": truncated: ", bytes_.size(), " bytes, fewer than the 8-byte header length");
            std::uint64_t header_len = 0;
            for (int i = 7; i >= 0; --i)
                header_len = (header_len << 8) | bytes_[static_cast<std::size_t>(i)];
            if (header_len > bytes_.size() - 8)
                fail(path_, ": truncated or not a safetensors file: the header length is ", header_len,
                     " bytes but only ", bytes_.size() - 8, " bytes follow it");
            data_start_ = 8 + static_cast<std::size_t>(header_len);
            const std::size_t data_size = bytes_.size() - data_start_;

            nlohmann::json header;
            try
            {
                header = nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + static_cast<std::ptrdiff_t>(data_start_));
            }
            catch (const nlohmann::json::exception& e)
            {
                fail(path_, ": bad header: not valid JSON (", e.what(), ")");
            }
            if (!header.is_object())
                fail(path_, ": bad header: expected a JSON object, found ", header.type_name());

            for (const auto& [name, entry] : header.items())
            {
                if (name == "__metadata__")
                    continue;
                tensors_[name] = parse_entry(name, entry, data_size);
            }
        }

        tensor_info parse_entry(const std::string& name, const nlohmann::json& entry, std::size_t data_size) const
        {
            const auto bad = [&](const auto&... what) { fail(path_, ": bad header: tensor '", name, "' ", what...); };
            if (!entry.is_object())
                bad("is not an object");
            tensor_info t;
            const auto dtype = entry.find("dtype");
            if (dtype == entry.end() || !dtype->is_string())
                bad("has no \"dtype\" string");
            t.dtype = dtype->get<std::string>();
            if (dtype_size(t.dtype) == 0)
                bad("has unknown dtype '", t.dtype, "'");
            const auto shape = entry.find("shape");
            if (shape == entry.end() || !shape->is_array())
                bad("has no \"shape\" array");
            std::size_t elements = 1;
            for (const auto& d : *shape)
            {
                if (!d.is_number_unsigned())
                    bad("has a shape entry that is not a non-negative integer: ", d.dump());
                const auto n = d.get<std::uint64_t>();
                if (n != 0 && elements > SIZE_MAX / n)
                    bad("has a shape whose element count overflows");
                elements *= static_cast<std::size_t>(n);
                t.shape.push_back(static_cast<std::size_t>(n));
            }
            const auto offsets = entry.find("data_offsets");
            if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
                !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
                bad("has no \"data_offsets\" pair of non-negative integers");
            const auto begin = (*offsets)[0].get<std::uint64_t>(), end = (*offsets)[1].get<std::uint64_t>();
            if (end < begin)
                bad("has data_offsets [", begin, ", ", end, "] that end before they begin");
            if (end > data_size)
                fail(path_, ": truncated: tensor '", name, "' ends at byte ", end, " of the data section, which holds only ",
                     data_size, " bytes");
            const std::size_t expected = elements * dtype_size(t.dtype);
            if (end - begin != expected)
                bad("holds ", end - begin, " bytes but ", t.dtype, " ", shape_string(t.shape), " needs ", expected);
            t.begin = static_cast<std::size_t>(begin);
            t.end = static_cast<std::size_t>(end);
            return t;
        }

        std::string path_;
        std::vector<unsigned char> bytes_;
        std::size_t data_start_ = 0;
        std::map<std::string, tensor_info> tensors_;
    };
} // namespace minilm
