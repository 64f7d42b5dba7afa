// The two integer operands of the quantized linear layer, in one plain layout whatever the
// block format, so that a single int8 dot kernel per instruction set serves every format:
//
//   weights (a row of K values):  q[K] int8, scale[K / 4] float, offset[K / 16] float
//       value k = scale[k / 4] * q[k] + offset[k / 16]
//     scale holds each 16-value sub-block's scale four times (one per 32-bit lane of an int8
//     dot product: lane j of a 32-value chunk sums elements 4j .. 4j + 3), offset is only
//     written for formats with a minimum (q4_1, q5_1, q2_K, q4_K, q5_K).
//   activations (a row of K values, quantized to the weight's dot format as ggml does):
//     q[K] int8, d[K / 32] float (the block scale of each 32-value chunk),
//     sum[K / 16] float = d * (sum of the 16 quants), for the offsets.
//
// Then  w . x = sum over 32-chunks c of  sum over lanes  int32_lane * scale * d[c]
//             + sum over 16-groups g of  offset[g] * sum[g].
// The integer lane sums are exact; the float steps are per sub-block, as in ggml's dot products.
//
// Which operand can hold -128 matters to x86's vpmaddubsw (see dot_x86.hpp): q8_0 weights can
// (any byte is a valid q8_0 quant), q8_K activations can (ggml's q8_K rounds the largest value
// of a block to -128 when it is negative), q8_0 / q8_1 activations and every other weight
// format cannot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/quant/dequant_generic.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class Block>
        constexpr bool is_linear_weight_format =
            !std::is_same<Block, block_q8_1>::value && !std::is_same<Block, block_q8_K>::value;

        /// Whether the unpacked weights of this format carry offsets (a minimum per sub-block).
        template <class Block>
        constexpr bool has_weight_offset =
            std::is_same<Block, block_q4_1>::value || std::is_same<Block, block_q5_1>::value ||
            std::is_same<Block, block_q2_K>::value || std::is_same<Block, block_q4_K>::value ||
            std::is_same<Block, block_q5_K>::value;

        /// Whether unpacked weights can hold -128 (then activations never do, and vice versa).
        template <class Block>
        constexpr bool weights_may_hold_int8_min = std::is_same<Block, block_q8_0>::value;

        /// Writes scale s for the 16-value group g (four lanes).
        JOULE_ALWAYS_INLINE void set_group_scale(float* scale, int g, float s) noexcept
        {
            scale[4 * g] = scale[4 * g + 1] = scale[4 * g + 2] = scale[4 * g + 3] = s;
        }
        JOULE_ALWAYS_INLINE void set_scale_32(float* scale, float s) noexcept
        {
            for (int i = 0; i < 8; ++i)
                scale[i] = s;
        }

        /// unpack_nibbles_32 into a caller's buffer through local copies, so that the compiler
        /// sees no aliasing between the block's bytes and q (both are char types) and vectorizes.
        JOULE_ALWAYS_INLINE void nibbles_to_int8(const std::uint8_t* qs_in, int bias, std::int8_t* JOULE_RESTRICT q) noexcept
        {
            std::uint8_t qs[16];
            std::memcpy(qs, qs_in, 16);
            std::int8_t out[32];
            for (int j = 0; j < 16; ++j)
            {
                out[j] = static_cast<std::int8_t>((qs[j] & 0x0f) - bias);
                out[j + 16] = static_cast<std::int8_t>((qs[j] >> 4) - bias);
            }
            std::memcpy(q, out, 32);
        }

        // ---- unpack_block: one block into q[block_size], scale[block_size / 4], offset[block_size / 16]
        inline void unpack_block(const block_q4_0& b, std::int8_t* q, float* scale, float*) noexcept
        {
            nibbles_to_int8(b.qs, 8, q);
            set_scale_32(scale, float_of(b.d));
        }
        inline void unpack_block(const block_q4_1& b, std::int8_t* q, float* scale, float* offset) noexcept
        {
            nibbles_to_int8(b.qs, 0, q);
            set_scale_32(scale, float_of(b.d));
            offset[0] = offset[1] = float_of(b.m);
        }
        inline void unpack_block(const block_q5_0& b, std::int8_t* q, float* scale, float*) noexcept
        {
            unpack_nibbles_32(b.qs, 0, q);
            add_fifth_bits(b.qh, 16, q);
            set_scale_32(scale, float_of(b.d));
        }
        inline void unpack_block(const block_q5_1& b, std::int8_t* q, float* scale, float* offset) noexcept
        {
            unpack_nibbles_32(b.qs, 0, q);
            add_fifth_bits(b.qh, 0, q);
            set_scale_32(scale, float_of(b.d));
            offset[0] = offset[1] = float_of(b.m);
        }
        inline void unpack_block(const block_q8_0& b, std::int8_t* q, float* scale, float*) noexcept
        {
            std::memcpy(q, b.qs, 32);
            set_scale_32(scale, float_of(b.d));
        }
        inline void unpack_block(const block_iq4_nl& b, std::int8_t* q, float* scale, float*) noexcept
        {
            for (int j = 0; j < 16; ++j)
            {
                q[j] = kvalues_iq4nl[b.qs[j] & 0x0f];
                q[j + 16] = kvalues_iq4nl[b.qs[j] >> 4];
            }
            set_scale_32(scale, float_of(b.d));
        }
        inline void unpack_block(const block_iq4_xs& b, std::int8_t* q, float* scale, float*) noexcept
        {
            const float d = float_of(b.d);
            for (int ib = 0; ib < 8; ++ib)
            {
                const int ls = ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((b.scales_h >> (2 * ib)) & 3) << 4);
                for (int j = 0; j < 16; ++j)
                {
                    q[32 * ib + j] = kvalues_iq4nl[b.qs[16 * ib + j] & 0x0f];
                    q[32 * ib + j + 16] = kvalues_iq4nl[b.qs[16 * ib + j] >> 4];
                }
                set_scale_32(scale + 8 * ib, d * static_cast<float>(ls - 32));
            }
        }
        // K-quants: element layouts as in dequant_generic.hpp.
        inline void unpack_block(const block_q2_K& b, std::int8_t* q, float* scale, float* offset) noexcept
        {
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 16; ++s)
            {
                const int e0 = 16 * s, shift = 2 * ((e0 % 128) / 32);
                const std::uint8_t* qs = b.qs + 32 * (e0 / 128) + e0 % 32;
                for (int l = 0; l < 16; ++l)
                    q[e0 + l] = static_cast<std::int8_t>((qs[l] >> shift) & 3);
                set_group_scale(scale, s, d * static_cast<float>(b.scales[s] & 0xF));
                offset[s] = -mul(dmin, static_cast<float>(b.scales[s] >> 4));
            }
        }
        inline void unpack_block(const block_q3_K& b, std::int8_t* q, float* scale, float*) noexcept
        {
            const float d = float_of(b.d);
            for (int s = 0; s < 16; ++s)
            {
                const int e0 = 16 * s, shift = 2 * ((e0 % 128) / 32), bit = e0 / 32;
                const std::uint8_t* qs = b.qs + 32 * (e0 / 128) + e0 % 32;
                const std::uint8_t* hm = b.hmask + e0 % 32;
                for (int l = 0; l < 16; ++l)
                    q[e0 + l] = static_cast<std::int8_t>(((qs[l] >> shift) & 3) - (((hm[l] >> bit) & 1) ? 0 : 4));
                set_group_scale(scale, s, d * static_cast<float>(scale_q3_K(s, b.scales)));
            }
        }
        inline void unpack_block(const block_q4_K& b, std::int8_t* q, float* scale, float* offset) noexcept
        {
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 8; ++s)
            {
                std::uint8_t qs[32];
                std::int8_t out[32];
                std::memcpy(qs, b.qs + 32 * (s / 2), 32);
                const int shift = 4 * (s % 2);
                for (int l = 0; l < 32; ++l)
                    out[l] = static_cast<std::int8_t>((qs[l] >> shift) & 0xF);
                std::memcpy(q + 32 * s, out, 32);
                std::uint8_t sc, m;
                scale_min_k4(s, b.scales, sc, m);
                set_scale_32(scale + 8 * s, d * static_cast<float>(sc));
                offset[2 * s] = offset[2 * s + 1] = -mul(dmin, static_cast<float>(m));
            }
        }
        inline void unpack_block(const block_q5_K& b, std::int8_t* q, float* scale, float* offset) noexcept
        {
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 8; ++s)
            {
                const std::uint8_t* qs = b.qs + 32 * (s / 2);
                const int shift = 4 * (s % 2);
                for (int l = 0; l < 32; ++l)
                    q[32 * s + l] = static_cast<std::int8_t>(((qs[l] >> shift) & 0xF) | (((b.qh[l] >> s) & 1) << 4));
                std::uint8_t sc, m;
                scale_min_k4(s, b.scales, sc, m);
                set_scale_32(scale + 8 * s, d * static_cast<float>(sc));
                offset[2 * s] = offset[2 * s + 1] = -mul(dmin, static_cast<float>(m));
            }
        }
        inline void unpack_block(const block_q6_K& b, std::int8_t* q, float* scale, float*) noexcept
        {
            const float d = float_of(b.d);
            for (int s = 0; s < 16; ++s)
            {
                const int e0 = 16 * s;
                const std::uint8_t* ql = b.ql + 64 * (e0 / 128) + e0 % 64;
                const std::uint8_t* qh = b.qh + 32 * (e0 / 128) + e0 % 32;
                const int low_shift = (e0 % 128) >= 64 ? 4 : 0;
                const int high_shift = 2 * ((e0 % 128) / 32);
                for (int l = 0; l < 16; ++l)
                    q[e0 + l] =
                        static_cast<std::int8_t>((((ql[l] >> low_shift) & 0xF) | (((qh[l] >> high_shift) & 3) << 4)) - 32);
                set_group_scale(scale, s, d * static_cast<float>(b.scales[s]));
            }
        }

        /// Unpacks `blocks` blocks of a weight row (see the top of this file). A trait so that
        /// unpack_x86.hpp can replace it per format; the generic version is the scalar reference.
        template <class A, class Block, class Enable = void>
        struct unpack_weight_row
        {
            static void run(const Block* w, std::size_t blocks, std::int8_t* q, float* scale, float* offset) noexcept
            {
                constexpr std::size_t bs = Block::block_size;
                float unused[bs / 16];
                for (std::size_t i = 0; i < blocks; ++i)
                    unpack_block(w[i], q + i * bs, scale + i * bs / 4,
                                 has_weight_offset<Block> ? offset + i * bs / 16 : unused);
            }
        };

        // ---- activations: the dot-format blocks expanded into the plain layout -------------------
        JOULE_ALWAYS_INLINE void sums_of_16(const std::int8_t* q, float d, float* sum) noexcept
        {
            int s0 = 0, s1 = 0;
            for (int j = 0; j < 16; ++j)
            {
                s0 += q[j];
                s1 += q[16 + j];
            }
            sum[0] = d * static_cast<float>(s0);
            sum[1] = d * static_cast<float>(s1);
        }
        inline void expand_activation(const block_q8_0& b, std::int8_t* q, float* d, float* sum) noexcept
        {
            for (int j = 0; j < 32; ++j)
                q[j] = b.qs[j];
            d[0] = float_of(b.d);
            sums_of_16(b.qs, d[0], sum);
        }
        inline void expand_activation(const block_q8_1& b, std::int8_t* q, float* d, float* sum) noexcept
        {
            for (int j = 0; j < 32; ++j)
                q[j] = b.qs[j];
            d[0] = float_of(b.d);
            sums_of_16(b.qs, d[0], sum);
        }
        inline void expand_activation(const block_q8_K& b, std::int8_t* q, float* d, float* sum) noexcept
        {
            for (int j = 0; j < 256; ++j)
                q[j] = b.qs[j];
            for (int c = 0; c < 8; ++c)
                d[c] = b.d;
            for (int g = 0; g < 16; ++g)
                sum[g] = b.d * static_cast<float>(b.bsums[g]);
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
