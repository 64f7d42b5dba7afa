// weights.hpp: one linear layer's weights (Y = X * W^T + b) in the weight type the user picked.
//
//   f32, f16, bf16  joule::pack(W^T) once at load; joule::linear(X, packed, Y, {bias}) per call.
//   q8_0, q4_0      joule::quantize at load (ggml's block formats, 32 weights per block);
//                   joule::linear(X, qmatrix_view<const Block>, Y, opts) per call
//                   (joule/quant_linear.hpp), in one of two ways (`activations`):
//     f32 (default)   linear_options::dequantize_weights: the weights are dequantized to float on
//                     every call and multiplied with X as it is. Only the weights are rounded.
//     q8_0            ggml's way: every row of X is rounded to q8_0 blocks and multiplied with the
//                     weight blocks by exact integer dot products. Faster, but the activations'
//                     rounding costs accuracy: on the fixture its lowest cosine with PyTorch is
//                     below the 0.999 for q8_0 weights (README.md), so it is not the default.
//
// The bias always stays f32. Embeddings and LayerNorm parameters are not linear layers and stay
// f32 for every weight type (see encoder.hpp).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <joule/joule.hpp>

#include "safetensors.hpp"

namespace minilm
{
    enum class weight_type
    {
        f32,
        f16,
        bf16,
        q8_0,
        q4_0,
    };

    inline const char* to_string(weight_type t)
    {
        switch (t)
        {
        case weight_type::f32: return "f32";
        case weight_type::f16: return "f16";
        case weight_type::bf16: return "bf16";
        case weight_type::q8_0: return "q8_0";
        case weight_type::q4_0: return "q4_0";
        }
        return "?";
    }

    /// How a quantized layer (q8_0, q4_0) treats its input X; float weight types ignore it.
    enum class activations
    {
        f32,  ///< X stays float; the weights are dequantized per call (only the weights are rounded)
        q8_0, ///< X rounded to q8_0 blocks, integer dot products (ggml's way; faster, less accurate)
    };

    inline const char* to_string(activations a) { return a == activations::f32 ? "f32" : "q8_0"; }

    inline activations parse_activations(const std::string& s)
    {
        for (activations a : {activations::f32, activations::q8_0})
            if (s == to_string(a))
                return a;
        fail("unknown activations '", s, "' (expected f32 or q8_0)");
    }

    inline weight_type parse_weight_type(const std::string& s)
    {
        for (weight_type t : {weight_type::f32, weight_type::f16, weight_type::bf16, weight_type::q8_0, weight_type::q4_0})
            if (s == to_string(t))
                return t;
        fail("unknown weight type '", s, "' (expected f32, f16, bf16, q8_0 or q4_0)");
    }

    class linear_weight
    {
    public:
        linear_weight() = default;

        /// w: n x k row-major floats (nn.Linear's layout), bias: n floats.
        /// acts: how q8_0 / q4_0 layers treat X (see activations).
        linear_weight(const std::vector<float>& w, std::size_t n, std::size_t k, std::vector<float> bias, weight_type type,
                      activations acts = activations::f32)
            : type_(type)
            , activations_(acts)
            , n_(n)
            , k_(k)
            , bias_(std::move(bias))
        {
            const joule::matrix_view<const float> W(w.data(), n, k);
            switch (type)
            {
            case weight_type::f32: f32_ = joule::pack(W.t()); break;
            case weight_type::f16: f16_ = pack_converted<joule::f16>(w); break;
            case weight_type::bf16: bf16_ = pack_converted<joule::bf16>(w); break;
            case weight_type::q8_0: q8_0_ = quantize<joule::block_q8_0>(w); break;
            case weight_type::q4_0: q4_0_ = quantize<joule::block_q4_0>(w); break;
            }
        }

        std::size_t rows() const { return n_; } ///< N (outputs)
        std::size_t cols() const { return k_; } ///< K (inputs)

        /// Bytes of weight storage (what one batch-1 call streams).
        std::size_t bytes() const
        {
            return f32_.size_bytes() + f16_.size_bytes() + bf16_.size_bytes() + q8_0_.size() * sizeof(joule::block_q8_0) +
                   q4_0_.size() * sizeof(joule::block_q4_0);
        }

        /// Y (M x N) = X (M x K) * W^T + bias.
        void apply(joule::matrix_view<const float> X, joule::matrix_view<float> Y, joule::executor_ref executor) const
        {
            joule::linear_options o;
            o.bias = bias_.data();
            o.executor = executor;
            switch (type_)
            {
            case weight_type::f32: joule::linear(X, f32_, Y, o); break;
            case weight_type::f16: joule::linear(X, f16_, Y, o); break;
            case weight_type::bf16: joule::linear(X, bf16_, Y, o); break;
            case weight_type::q8_0: joule::linear(X, quantized_view(q8_0_), Y, quantized(o)); break;
            case weight_type::q4_0: joule::linear(X, quantized_view(q4_0_), Y, quantized(o)); break;
            }
        }

    private:
        template <class T>
        joule::packed_matrix<T> pack_converted(const std::vector<float>& w) const
        {
            std::vector<T> h(w.size());
            joule::convert(w.data(), h.data(), w.size());
            return joule::pack(joule::matrix_view<const T>(h.data(), n_, k_).t());
        }

        template <class Block>
        std::vector<Block> quantize(const std::vector<float>& w) const
        {
            if (k_ % Block::block_size != 0)
                fail("a layer with K = ", k_, " cannot be quantized to blocks of ", Block::block_size);
            std::vector<Block> q(w.size() / Block::block_size);
            joule::quantize(w.data(), q.data(), w.size());
            return q;
        }

        template <class Block>
        joule::qmatrix_view<const Block> quantized_view(const std::vector<Block>& q) const
        {
            return joule::qmatrix_view<const Block>(q.data(), n_, k_);
        }

        joule::linear_options quantized(joule::linear_options o) const
        {
            o.dequantize_weights = activations_ == activations::f32;
            return o;
        }

        weight_type type_ = weight_type::f32;
        activations activations_ = activations::f32;
        std::size_t n_ = 0, k_ = 0;
        std::vector<float> bias_;
        joule::packed_matrix<float> f32_;
        joule::packed_matrix<joule::f16> f16_;
        joule::packed_matrix<joule::bf16> bf16_;
        std::vector<joule::block_q8_0> q8_0_;
        std::vector<joule::block_q4_0> q4_0_;
    };
} // namespace minilm
