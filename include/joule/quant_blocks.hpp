// joule/quant_blocks.hpp: the GGUF block types, as plain data (no code). joule/quant.hpp
// quantizes to and from them; this header alone is enough to hold or pass quantized weights.
//
// Each type is a POD with ggml's field names and `sizeof` equal to GGUF's type size, so a GGUF
// tensor's bytes are an array of blocks as they are. `block_size` is the number of values one
// block holds; `dot_block` is the activation format ggml pairs it with for integer dot products.
// Layouts are ggml's (ggml-common.h); the value formulas are listed in joule/quant.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/convert.hpp"

namespace joule
{
    // ---- activation formats (the right-hand side of integer dot products) ----------------------
    struct block_q8_0
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_0;
        f16 d;               ///< scale: max|x| / 127
        std::int8_t qs[32];  ///< round(x / d), ties away from zero
    };
    struct block_q8_1
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_1;
        f16 d;              ///< scale: max|x| / 127
        f16 s;              ///< d * sum(qs)
        std::int8_t qs[32]; ///< round(x / d), ties away from zero
    };
    struct block_q8_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        float d;                ///< scale (float, not f16)
        std::int8_t qs[256];    ///< nearest_int(x / d), at most 127
        std::int16_t bsums[16]; ///< sum of each 16 consecutive qs
    };

    // ---- 32-value legacy formats ------------------------------------------------------------
    struct block_q4_0
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_0;
        f16 d;
        std::uint8_t qs[16]; ///< element j: qs[j] & 15, element j + 16: qs[j] >> 4
    };
    struct block_q4_1
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_1;
        f16 d;
        f16 m; ///< the block's minimum
        std::uint8_t qs[16];
    };
    struct block_q5_0
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_0;
        f16 d;
        std::uint8_t qh[4]; ///< fifth bits: bit j of the little-endian uint32 is element j's
        std::uint8_t qs[16];
    };
    struct block_q5_1
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_1;
        f16 d;
        f16 m;
        std::uint8_t qh[4];
        std::uint8_t qs[16];
    };
    struct block_iq4_nl
    {
        static constexpr std::size_t block_size = 32;
        using dot_block = block_q8_0;
        f16 d;
        std::uint8_t qs[16]; ///< indices into the table kvalues_iq4nl, nibbles as in q4_0
    };

    // ---- 256-value K-quant formats ------------------------------------------------------------
    struct block_q2_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        std::uint8_t scales[16]; ///< low nibble: scale, high nibble: min, per 16 values
        std::uint8_t qs[64];
        f16 d;
        f16 dmin;
    };
    struct block_q3_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        std::uint8_t hmask[32]; ///< third bits
        std::uint8_t qs[64];    ///< low two bits
        std::uint8_t scales[12]; ///< sixteen 6-bit scales
        f16 d;
    };
    struct block_q4_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        f16 d;
        f16 dmin;
        std::uint8_t scales[12]; ///< eight 6-bit scales and eight 6-bit mins
        std::uint8_t qs[128];
    };
    struct block_q5_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        f16 d;
        f16 dmin;
        std::uint8_t scales[12];
        std::uint8_t qh[32]; ///< fifth bits
        std::uint8_t qs[128];
    };
    struct block_q6_K
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        std::uint8_t ql[128]; ///< low four bits
        std::uint8_t qh[64];  ///< high two bits
        std::int8_t scales[16];
        f16 d;
    };
    struct block_iq4_xs
    {
        static constexpr std::size_t block_size = 256;
        using dot_block = block_q8_K;
        f16 d;
        std::uint16_t scales_h;  ///< high two bits of the eight 6-bit scales
        std::uint8_t scales_l[4]; ///< low four bits
        std::uint8_t qs[128];
    };

    /// The non-linear table of iq4_nl and iq4_xs (ggml's kvalues_iq4nl).
    inline constexpr std::int8_t kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};

#define JOULE_DETAIL_CHECK_BLOCK(type, bytes)                                                      \
    static_assert(sizeof(type) == (bytes), #type " must have GGUF's size");                          \
    static_assert(std::is_trivial<type>::value && std::is_standard_layout<type>::value, #type " must be POD")
    JOULE_DETAIL_CHECK_BLOCK(block_q4_0, 18);
    JOULE_DETAIL_CHECK_BLOCK(block_q4_1, 20);
    JOULE_DETAIL_CHECK_BLOCK(block_q5_0, 22);
    JOULE_DETAIL_CHECK_BLOCK(block_q5_1, 24);
    JOULE_DETAIL_CHECK_BLOCK(block_q8_0, 34);
    JOULE_DETAIL_CHECK_BLOCK(block_q8_1, 36);
    JOULE_DETAIL_CHECK_BLOCK(block_q2_K, 84);
    JOULE_DETAIL_CHECK_BLOCK(block_q3_K, 110);
    JOULE_DETAIL_CHECK_BLOCK(block_q4_K, 144);
    JOULE_DETAIL_CHECK_BLOCK(block_q5_K, 176);
    JOULE_DETAIL_CHECK_BLOCK(block_q6_K, 210);
    JOULE_DETAIL_CHECK_BLOCK(block_q8_K, 292);
    JOULE_DETAIL_CHECK_BLOCK(block_iq4_nl, 18);
    JOULE_DETAIL_CHECK_BLOCK(block_iq4_xs, 136);
#undef JOULE_DETAIL_CHECK_BLOCK
} // namespace joule
