// weights.hpp: one linear layer's weights (Y = X * W^T + b) in the weight type the user picked.
//
//   f32, f16, bf16  joule::pack(W^T) once at load; joule::linear(X, packed, Y, {bias}) per call.
//   q8_0, q4_0      joule::quantize at load (ggml's block formats, 32 weights per block).
//                   INTERIM PATH: joule has no quantized linear yet (issue 5, branch
//                   issue-5-qlinear), so each call dequantizes the weights with joule::dequantize,
//                   64 rows at a time into a per-thread scratch, and runs joule::linear on them.
//                   That is correct but it is NOT how a quantized layer should run: it reads the
//                   small blocks and then streams float weights as the f32 path does, plus the
//                   dequantization. The single place to replace is linear_weight::apply_quantized.
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
        linear_weight(const std::vector<float>& w, std::size_t n, std::size_t k, std::vector<float> bias, weight_type type)
            : type_(type)
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
            case weight_type::q8_0: apply_quantized(q8_0_, X, Y, executor); break;
            case weight_type::q4_0: apply_quantized(q4_0_, X, Y, executor); break;
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

        // ---- THE PLACE WHERE THE QUANTIZED LINEAR PLUGS IN ------------------------------------
        // When joule::linear(X, joule::qmatrix_view<const Block>, Y, opts) lands (issue 5,
        // branch issue-5-qlinear), this whole function becomes
        //     joule::linear(X, joule::qmatrix_view<const Block>(q.data(), n_, k_), Y, o);
        // Until then: INTERIM dequantize-then-linear, 64 weight rows per task.
        template <class Block>
        void apply_quantized(const std::vector<Block>& q, joule::matrix_view<const float> X, joule::matrix_view<float> Y,
                             joule::executor_ref executor) const
        {
            constexpr std::size_t rows_per_task = 64;
            const std::size_t blocks_per_row = k_ / Block::block_size;
            const std::size_t tasks = (n_ + rows_per_task - 1) / rows_per_task;
            auto task = [&](std::size_t t) {
                const std::size_t n0 = t * rows_per_task, rows = std::min(rows_per_task, n_ - n0);
                thread_local std::vector<float> w;
                w.resize(rows * k_);
                joule::dequantize(q.data() + n0 * blocks_per_row, w.data(), rows * k_);
                joule::linear_options o;
                o.bias = bias_.data() + n0;
                joule::linear(X, joule::matrix_view<const float>(w.data(), rows, k_),
                              joule::matrix_view<float>(Y.data + n0, Y.rows, rows, Y.row_stride), o);
            };
            executor.run(tasks, task);
        }

        weight_type type_ = weight_type::f32;
        std::size_t n_ = 0, k_ = 0;
        std::vector<float> bias_;
        joule::packed_matrix<float> f32_;
        joule::packed_matrix<joule::f16> f16_;
        joule::packed_matrix<joule::bf16> bf16_;
        std::vector<joule::block_q8_0> q8_0_;
        std::vector<joule::block_q4_0> q4_0_;
    };
} // namespace minilm
