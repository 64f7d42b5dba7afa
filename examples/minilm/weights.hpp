// weights.hpp: one linear layer's weights (Y = X * W^T + b) in the weight type the user picked.
//
//   f32, f16, bf16  joule::pack(W^T) once at load; joule::linear(X, packed, Y, {bias}) per call.
//   q8_0, q4_0      joule::quantize at load (ggml's block formats, 32 weights per block);
//                   joule::linear(X, qmatrix_view<const Block>, Y, opts) per call
//                   (joule/quant_linear.hpp), in one of two ways (`activations`):
//     q8_0 (default)  ggml's way: every row of X is rounded to q8_0 blocks and multiplied with the
//                     weight blocks by exact integer dot products, after both operands are
//                     rotated block by block (below). The fast mode.
//     f32             linear_options::dequantize_weights: the weights are dequantized to float on
//                     every call and multiplied with X as it is. Only the weights are rounded;
//                     slower than f32 weights.
//
// The rotation. BERT's LayerNorm outputs have a few outlier channels (channel 99 reaches |x| ~ 28
// where the median channel's largest value is ~ 1.8): in the q8_0 block that holds one, the
// other 31 values are rounded with a step of ~ 0.2. Rounding X as it is leaves a lowest cosine
// with PyTorch of 0.9983 on the fixture (the 2-token empty sentence), below the 0.999.
// So in the integer mode each 32-value block of X and of every weight row is multiplied by the
// 32 x 32 Hadamard matrix H (entries +-1, symmetric, H H = 32 I) first: X W^T = (X H)(W H / 32)^T
// exactly, and H spreads an outlier over its whole block. The weights are rotated (and divided
// by 32, exact in binary) once at load, X on every call (5 add/subtract passes, ~1% of the
// layer's multiply-adds). Lowest cosine then 0.9996 for q8_0 weights (README.md). This is the
// idea behind QuaRot / QuIP#'s incoherence processing, at the block size of the format.
//
// The bias always stays f32. Embeddings and LayerNorm parameters are not linear layers and stay
// f32 for every weight type (see encoder.hpp).
#pragma once
#include <cstddef>
#include <cstring>
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
        q8_0, ///< X rotated and rounded to q8_0 blocks, integer dot products (ggml's way, the fast one)
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

    /// One pass of the fast Walsh-Hadamard transform on 32 values: sums and differences of the
    /// pairs Len apart (Len a compile-time constant, so that the compiler unrolls and vectorizes).
    template <std::size_t Len>
    inline void hadamard_pass(float* v) noexcept
    {
        for (std::size_t i = 0; i < 32; i += 2 * Len)
            for (std::size_t j = i; j < i + Len; ++j)
            {
                const float a = v[j], b = v[j + Len];
                v[j] = a + b;
                v[j + Len] = a - b;
            }
    }

    /// v <- H v for one block of 32 values, H the Sylvester-Hadamard matrix (entries +-1,
    /// symmetric, H H = 32 I), in a local copy (no aliasing for the vectorizer).
    inline void hadamard32(float* v) noexcept
    {
        float t[32];
        std::memcpy(t, v, sizeof t);
        hadamard_pass<1>(t);
        hadamard_pass<2>(t);
        hadamard_pass<4>(t);
        hadamard_pass<8>(t);
        hadamard_pass<16>(t);
        std::memcpy(v, t, sizeof t);
    }

    class linear_weight
    {
    public:
        linear_weight() = default;

        /// w: n x k row-major floats (nn.Linear's layout), bias: n floats.
        /// acts: how q8_0 / q4_0 layers treat X (see activations).
        linear_weight(const std::vector<float>& w, std::size_t n, std::size_t k, std::vector<float> bias, weight_type type,
                      activations acts = activations::q8_0)
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
            case weight_type::q8_0: q8_0_ = quantize<joule::block_q8_0>(rotated_if_integer(w)); break;
            case weight_type::q4_0: q4_0_ = quantize<joule::block_q4_0>(rotated_if_integer(w)); break;
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

        /// Y (M x N) = X (M x K) * W^T + bias. `scratch`: room for M x K floats (the rotated X of
        /// the integer mode; not read).
        void apply(joule::matrix_view<const float> X, joule::matrix_view<float> Y, joule::executor_ref executor,
                   float* scratch) const
        {
            if (rotates())
                X = rotate_rows(X, scratch);
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
        /// Whether both operands are rotated (the integer mode of a quantized type, see the top).
        bool rotates() const
        {
            return activations_ == activations::q8_0 && (type_ == weight_type::q8_0 || type_ == weight_type::q4_0);
        }

        /// W H / 32 block by block for the integer mode, else W.
        std::vector<float> rotated_if_integer(std::vector<float> w) const
        {
            if (!rotates())
                return w;
            if (k_ % 32 != 0)
                fail("a layer with K = ", k_, " cannot be rotated in blocks of 32");
            for (std::size_t i = 0; i < w.size(); i += 32)
            {
                hadamard32(&w[i]);
                for (std::size_t j = i; j < i + 32; ++j)
                    w[j] *= 1.0f / 32.0f; // a power of two: exact
            }
            return w;
        }

        /// X H block by block, into scratch.
        joule::matrix_view<const float> rotate_rows(joule::matrix_view<const float> X, float* scratch) const
        {
            for (std::size_t m = 0; m < X.rows; ++m)
            {
                float* row = scratch + m * k_;
                if (X.col_stride == 1)
                    std::memcpy(row, X.row(m), k_ * sizeof(float));
                else
                    for (std::size_t c = 0; c < k_; ++c)
                        row[c] = X(m, c);
                for (std::size_t c = 0; c < k_; c += 32)
                    hadamard32(row + c);
            }
            return joule::matrix_view<const float>(scratch, X.rows, k_);
        }

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
        activations activations_ = activations::q8_0;
        std::size_t n_ = 0, k_ = 0;
        std::vector<float> bias_;
        joule::packed_matrix<float> f32_;
        joule::packed_matrix<joule::f16> f16_;
        joule::packed_matrix<joule::bf16> bf16_;
        std::vector<joule::block_q8_0> q8_0_;
        std::vector<joule::block_q4_0> q4_0_;
    };
} // namespace minilm
