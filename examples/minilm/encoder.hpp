// encoder.hpp: all-MiniLM-L6-v2 (BERT: 6 layers, hidden 384, 12 heads of 32, FFN 1536, GELU,
// post-LayerNorm) with mean pooling and L2 normalization, on joule kernels:
//   joule::linear   the Q/K/V (fused into one 1152 x 384 layer), attention output and FFN layers
//   joule::matmul   attention scores Q_h K_h^T / sqrt(32) and the weighted values P_h V_h
//   joule::softmax  the attention rows
//   joule::exp      inside GELU's erf
// LayerNorm, the embedding sum and pooling are plain loops here.
//
//     minilm::encoder enc("build/minilm/model", minilm::weight_type::q8_0);
//     std::vector<float> e = enc.embed(ids);             // 384 floats, |e| = 1
//
// One sentence at a time (batch 1, no padding, so every token is attended to and pooled).
// With a thread_pool as executor, linear layers split over output tiles and attention over
// heads; results do not depend on the executor.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <joule/joule.hpp>

#include "safetensors.hpp"
#include "weights.hpp"

namespace minilm
{
    struct config
    {
        static constexpr std::size_t vocab = 30522, max_positions = 512, types = 2;
        static constexpr std::size_t hidden = 384, heads = 12, head_dim = 32, ffn = 1536, layers = 6;
        static constexpr float layer_norm_eps = 1e-12f;
    };

    class encoder
    {
    public:
        /// Loads `dir`/model.safetensors and converts the linear layers to `type`; `acts` says
        /// how q8_0 / q4_0 layers treat their input (weights.hpp).
        encoder(const std::string& dir, weight_type type, activations acts = activations::q8_0)
            : type_(type)
            , activations_(acts)
        {
            const safetensors_file f(dir + "/model.safetensors");
            constexpr std::size_t H = config::hidden;
            word_ = f32(f, "embeddings.word_embeddings.weight", {config::vocab, H});
            position_ = f32(f, "embeddings.position_embeddings.weight", {config::max_positions, H});
            token_type_ = f32(f, "embeddings.token_type_embeddings.weight", {config::types, H});
            embed_norm_ = norm(f, "embeddings.LayerNorm");
            for (std::size_t l = 0; l < config::layers; ++l)
            {
                const std::string p = "encoder.layer." + std::to_string(l) + ".";
                layer L;
                // Q, K and V as one layer: rows 0-383 Q, 384-767 K, 768-1151 V.
                std::vector<float> qkv, qkv_bias;
                for (const char* part : {"query", "key", "value"})
                {
                    const auto w = f32(f, p + "attention.self." + part + ".weight", {H, H});
                    const auto b = f32(f, p + "attention.self." + part + ".bias", {H});
                    qkv.insert(qkv.end(), w.begin(), w.end());
                    qkv_bias.insert(qkv_bias.end(), b.begin(), b.end());
                }
                L.qkv = linear_weight(qkv, 3 * H, H, qkv_bias, type, acts);
                L.attention_out = dense(f, p + "attention.output.dense", H, H, type, acts);
                L.attention_norm = norm(f, p + "attention.output.LayerNorm");
                L.ffn_in = dense(f, p + "intermediate.dense", config::ffn, H, type, acts);
                L.ffn_out = dense(f, p + "output.dense", H, config::ffn, type, acts);
                L.ffn_norm = norm(f, p + "output.LayerNorm");
                layers_.push_back(std::move(L));
            }
        }

        weight_type type() const { return type_; }
        activations activation_mode() const { return activations_; }

        /// Bytes of the linear layers' weights (the part the weight type changes).
        std::size_t linear_bytes() const
        {
            std::size_t b = 0;
            for (const layer& L : layers_)
                b += L.qkv.bytes() + L.attention_out.bytes() + L.ffn_in.bytes() + L.ffn_out.bytes();
            return b;
        }

        /// The normalized sentence embedding (384 floats) of token ids from the tokenizer.
        std::vector<float> embed(const std::vector<std::int32_t>& ids, joule::executor_ref executor = {}) const
        {
            const std::size_t T = ids.size(), H = config::hidden;
            if (T == 0 || T > config::max_positions)
                fail("embed: ", T, " tokens; this model takes 1 to ", config::max_positions);
            for (std::size_t t = 0; t < T; ++t)
                if (ids[t] < 0 || static_cast<std::size_t>(ids[t]) >= config::vocab)
                    fail("embed: token ", t, " has id ", ids[t], ", outside the vocabulary [0, ", config::vocab, ")");

            workspace w(T);
            for (std::size_t t = 0; t < T; ++t) // token type 0 throughout: one segment
            {
                const float* word = &word_[static_cast<std::size_t>(ids[t]) * H];
                const float* pos = &position_[t * H];
                for (std::size_t i = 0; i < H; ++i)
                    w.x[t * H + i] = word[i] + pos[i] + token_type_[i];
            }
            layer_norm_rows(w.x.data(), nullptr, embed_norm_, T);
            for (const layer& L : layers_)
                run_layer(L, w, executor);

            std::vector<float> e(H, 0.0f); // mean pooling, in double for long sentences
            for (std::size_t i = 0; i < H; ++i)
            {
                double s = 0;
                for (std::size_t t = 0; t < T; ++t)
                    s += w.x[t * H + i];
                e[i] = static_cast<float>(s / static_cast<double>(T));
            }
            double n2 = 0;
            for (float v : e)
                n2 += static_cast<double>(v) * v;
            const double scale = 1.0 / std::max(std::sqrt(n2), 1e-12);
            for (float& v : e)
                v = static_cast<float>(v * scale);
            return e;
        }

    private:
        struct layer_norm_params
        {
            std::vector<float> gamma, beta;
        };
        struct layer
        {
            linear_weight qkv, attention_out, ffn_in, ffn_out;
            layer_norm_params attention_norm, ffn_norm;
        };
        struct workspace
        {
            explicit workspace(std::size_t T)
                : x(T * config::hidden)
                , qkv(T * 3 * config::hidden)
                , context(T * config::hidden)
                , projected(T * config::hidden)
                , ffn(T * config::ffn)
                , scratch(T * config::ffn)
                , scores(config::heads * T * T)
                , tokens(T)
            {
            }
            std::vector<float> x, qkv, context, projected, ffn, scratch, scores;
            std::size_t tokens;
        };

        static std::vector<float> f32(const safetensors_file& f, const std::string& name, const std::vector<std::size_t>& shape)
        {
            return f.tensor(name, "F32", shape).copy<float>();
        }
        static layer_norm_params norm(const safetensors_file& f, const std::string& prefix)
        {
            return {f32(f, prefix + ".weight", {config::hidden}), f32(f, prefix + ".bias", {config::hidden})};
        }
        static linear_weight dense(const safetensors_file& f, const std::string& prefix, std::size_t n, std::size_t k,
                                   weight_type type, activations acts)
        {
            return linear_weight(f32(f, prefix + ".weight", {n, k}), n, k, f32(f, prefix + ".bias", {n}), type, acts);
        }

        /// The sum of f(row[i]) over a row of H values, in 16 interleaved partial sums: the compiler
        /// may not reorder one running float sum, so that form runs one add at a time; this one
        /// vectorizes.
        template <class F>
        static float lane_sum(const float* row, F f)
        {
            constexpr std::size_t lanes = 16;
            static_assert(config::hidden % lanes == 0, "hidden size must be a multiple of the lanes");
            float part[lanes] = {};
            for (std::size_t i = 0; i < config::hidden; i += lanes)
                for (std::size_t j = 0; j < lanes; ++j)
                    part[j] += f(row[i + j]);
            float sum = 0;
            for (float p : part)
                sum += p;
            return sum;
        }

        /// x = LayerNorm(x + residual) row by row (residual may be null).
        static void layer_norm_rows(float* x, const float* residual, const layer_norm_params& p, std::size_t rows)
        {
            constexpr std::size_t H = config::hidden;
            for (std::size_t r = 0; r < rows; ++r)
            {
                float* row = x + r * H;
                if (residual)
                    for (std::size_t i = 0; i < H; ++i)
                        row[i] += residual[r * H + i];
                const float mean = lane_sum(row, [](float v) { return v; }) / H;
                const float var = lane_sum(row, [mean](float v) { return (v - mean) * (v - mean); }) / H;
                const float inv = 1.0f / std::sqrt(var + config::layer_norm_eps);
                for (std::size_t i = 0; i < H; ++i)
                    row[i] = (row[i] - mean) * inv * p.gamma[i] + p.beta[i];
            }
        }

        /// x = GELU(x) = x/2 (1 + erf(x / sqrt 2)), erf from Abramowitz & Stegun 7.1.26
        /// (|error| <= 1.5e-7) with exp(-x^2/2) from joule::exp; `tmp` holds n floats.
        static void gelu(float* x, float* tmp, std::size_t n)
        {
            for (std::size_t i = 0; i < n; ++i)
                tmp[i] = -0.5f * x[i] * x[i];
            joule::exp(tmp, tmp, n);
            for (std::size_t i = 0; i < n; ++i)
            {
                const float z = std::fabs(x[i]) * 0.70710678f;
                const float t = 1.0f / (1.0f + 0.3275911f * z);
                const float poly =
                    t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
                const float erf_abs = 1.0f - poly * tmp[i];
                const float erf = x[i] < 0 ? -erf_abs : erf_abs;
                x[i] = 0.5f * x[i] * (1.0f + erf);
            }
        }

        void run_layer(const layer& L, workspace& w, joule::executor_ref executor) const
        {
            using view = joule::matrix_view<float>;
            using cview = joule::matrix_view<const float>;
            constexpr std::size_t H = config::hidden, D = config::head_dim;
            const std::size_t T = w.tokens;

            L.qkv.apply(cview(w.x.data(), T, H), view(w.qkv.data(), T, 3 * H), executor, w.scratch.data());

            // Attention, one task per head: S = Q_h K_h^T / sqrt(D), P = softmax(S), C_h = P V_h.
            auto head = [&](std::size_t h) {
                const cview Q(w.qkv.data() + h * D, T, D, 3 * H);
                const cview K(w.qkv.data() + H + h * D, T, D, 3 * H);
                const cview V(w.qkv.data() + 2 * H + h * D, T, D, 3 * H);
                const view S(w.scores.data() + h * T * T, T, T);
                joule::gemm_options scaled;
                scaled.alpha = 1.0f / std::sqrt(static_cast<float>(D));
                joule::matmul(Q, K.t(), S, scaled);
                joule::softmax(cview(S), S);
                joule::matmul(cview(S), V, view(w.context.data() + h * D, T, D, H));
            };
            executor.run(config::heads, head);

            L.attention_out.apply(cview(w.context.data(), T, H), view(w.projected.data(), T, H), executor, w.scratch.data());
            layer_norm_rows(w.x.data(), w.projected.data(), L.attention_norm, T);

            L.ffn_in.apply(cview(w.x.data(), T, H), view(w.ffn.data(), T, config::ffn), executor, w.scratch.data());
            gelu(w.ffn.data(), w.scratch.data(), T * config::ffn);
            L.ffn_out.apply(cview(w.ffn.data(), T, config::ffn), view(w.projected.data(), T, H), executor, w.scratch.data());
            layer_norm_rows(w.x.data(), w.projected.data(), L.ffn_norm, T);
        }

        weight_type type_;
        activations activations_;
        std::vector<float> word_, position_, token_type_;
        layer_norm_params embed_norm_;
        std::vector<layer> layers_;
    };
} // namespace minilm
