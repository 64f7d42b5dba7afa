// Dequantization of every block format in two steps: unpack the block's quants into int8 and its
// sub-block scales (and offsets) into floats, as ggml's dequantize_row_* computes them; then
// y = scale * q (- offset / + offset) over each sub-block with SIMD registers of arch A. With
// A = scalar_arch this is the scalar reference; the per-ISA files replace it for the formats
// where a fused kernel is faster.
//
// Float steps, per format (ggml's; each product is rounded before an offset is applied):
//   q4_0, q5_0, q8_0, q8_1, q8_K, iq4_nl:  y = d * q
//   q4_1, q5_1:                            y = q * d + m
//   q2_K, q4_K, q5_K:   y = (d * sc) * q - (dmin * m)
//   q3_K:               y = (d * (sc - 32)) * q
//   q6_K:               y = (d * sc) * q
//   iq4_xs:             y = (d * (ls - 32)) * kvalues[q]
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/quant/float_rules.hpp"
#include "joule/detail/quant/int8_codec.hpp"
#include "joule/detail/quant/kquant_ref.hpp"
#include "joule/detail/quant/legacy_ref.hpp"
#include "joule/detail/simd/simd.hpp"
#include "joule/quant_blocks.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// rounded() for SIMD batches (see float_rules.hpp).
        JOULE_ALWAYS_INLINE simd::scalar_batch<float> rounded(simd::scalar_batch<float> v) noexcept
        {
            return rounded(v.value);
        }
#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
        template <class A>
        JOULE_ALWAYS_INLINE xsimd::batch<float, A> rounded(const xsimd::batch<float, A>& v) noexcept
        {
            typename xsimd::batch<float, A>::register_type r = v;
            return xsimd::batch<float, A>(rounded(r));
        }
#endif

        enum class offset_kind
        {
            none,  ///< y = s * q
            minus, ///< y = s * q - m
            plus   ///< y = s * q + m
        };

        /// y[i] = s * q[i] (-/+ m) for i < count (a multiple of the register width, or 16 / 32).
        template <class A, offset_kind K>
        JOULE_ALWAYS_INLINE void scale_run(const std::int8_t* q, float s, float m, float* y, std::size_t count) noexcept
        {
            constexpr std::size_t w = simd::width<float, A>;
            const auto vs = simd::splat<A>(s);
            const auto vm = simd::splat<A>(m);
            for (std::size_t i = 0; i < count; i += w)
            {
                auto v = int8_codec<A>::load(q + i) * vs;
                if (K == offset_kind::minus)
                    v = rounded(v) - vm;
                else if (K == offset_kind::plus)
                    v = rounded(v) + vm;
                simd::store(y + i, v);
            }
        }

        /// Unpacks 32 4-bit values, element j from the low nibble of qs[j] and element j + 16
        /// from the high nibble, minus `bias`.
        JOULE_ALWAYS_INLINE void unpack_nibbles_32(const std::uint8_t* qs, int bias, std::int8_t* q) noexcept
        {
            for (int j = 0; j < 16; ++j)
            {
                q[j] = static_cast<std::int8_t>((qs[j] & 0x0f) - bias);
                q[j + 16] = static_cast<std::int8_t>((qs[j] >> 4) - bias);
            }
        }

        /// Adds the fifth bits of q5_0 / q5_1 (bit j of the little-endian qh is element j's).
        JOULE_ALWAYS_INLINE void add_fifth_bits(const std::uint8_t* qh_bytes, int bias, std::int8_t* q) noexcept
        {
            const std::uint32_t qh = std::uint32_t(qh_bytes[0]) | std::uint32_t(qh_bytes[1]) << 8 |
                                     std::uint32_t(qh_bytes[2]) << 16 | std::uint32_t(qh_bytes[3]) << 24;
            for (int j = 0; j < 32; ++j)
                q[j] = static_cast<std::int8_t>(q[j] + int((qh >> j) & 1u) * 16 - bias);
        }

        template <class A>
        void dequantize_block(const block_q4_0& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            unpack_nibbles_32(b.qs, 8, q);
            scale_run<A, offset_kind::none>(q, float_of(b.d), 0, y, 32);
        }
        template <class A>
        void dequantize_block(const block_q4_1& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            unpack_nibbles_32(b.qs, 0, q);
            scale_run<A, offset_kind::plus>(q, float_of(b.d), float_of(b.m), y, 32);
        }
        template <class A>
        void dequantize_block(const block_q5_0& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            unpack_nibbles_32(b.qs, 0, q);
            add_fifth_bits(b.qh, 16, q);
            scale_run<A, offset_kind::none>(q, float_of(b.d), 0, y, 32);
        }
        template <class A>
        void dequantize_block(const block_q5_1& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            unpack_nibbles_32(b.qs, 0, q);
            add_fifth_bits(b.qh, 0, q);
            scale_run<A, offset_kind::plus>(q, float_of(b.d), float_of(b.m), y, 32);
        }
        template <class A>
        void dequantize_block(const block_q8_0& b, float* y) noexcept
        {
            scale_run<A, offset_kind::none>(b.qs, float_of(b.d), 0, y, 32);
        }
        /// ggml has no q8_1 dequantizer; joule's is q8_0's (s is not needed).
        template <class A>
        void dequantize_block(const block_q8_1& b, float* y) noexcept
        {
            scale_run<A, offset_kind::none>(b.qs, float_of(b.d), 0, y, 32);
        }
        template <class A>
        void dequantize_block(const block_q8_K& b, float* y) noexcept
        {
            scale_run<A, offset_kind::none>(b.qs, b.d, 0, y, 256);
        }
        template <class A>
        void dequantize_block(const block_iq4_nl& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            for (int j = 0; j < 16; ++j)
            {
                q[j] = kvalues_iq4nl[b.qs[j] & 0x0f];
                q[j + 16] = kvalues_iq4nl[b.qs[j] >> 4];
            }
            scale_run<A, offset_kind::none>(q, float_of(b.d), 0, y, 32);
        }
        template <class A>
        void dequantize_block(const block_iq4_xs& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            const float d = float_of(b.d);
            for (int ib = 0; ib < 8; ++ib)
            {
                const int ls = ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((b.scales_h >> (2 * ib)) & 3) << 4);
                for (int j = 0; j < 16; ++j)
                {
                    q[j] = kvalues_iq4nl[b.qs[16 * ib + j] & 0x0f];
                    q[j + 16] = kvalues_iq4nl[b.qs[16 * ib + j] >> 4];
                }
                scale_run<A, offset_kind::none>(q, d * static_cast<float>(ls - 32), 0, y + 32 * ib, 32);
            }
        }

        // ---- K-quants: element e of a 256-value block ---------------------------------------------
        // q2_K / q3_K: two bits at shift 2 * ((e % 128) / 32) of qs[32 * (e / 128) + e % 32];
        //              q3_K's third bit is bit e / 32 of hmask[e % 32] (set: +0, clear: -4).
        // q4_K / q5_K: the low (e % 64 < 32) or high nibble of qs[32 * (e / 64) + e % 32];
        //              q5_K's fifth bit is bit e / 32 of qh[e % 32].
        // q6_K:        low nibble of ql[64 * (e / 128) + e % 64] (high nibble for e % 128 >= 64),
        //              top two bits at shift 2 * ((e % 128) / 32) of qh[32 * (e / 128) + e % 32].
        template <class A>
        void dequantize_block(const block_q2_K& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[16];
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 16; ++s) // sub-block s holds elements 16 s .. 16 s + 15
            {
                const int e0 = 16 * s;
                const int shift = 2 * ((e0 % 128) / 32);
                const std::uint8_t* qs = b.qs + 32 * (e0 / 128) + e0 % 32;
                for (int l = 0; l < 16; ++l)
                    q[l] = static_cast<std::int8_t>((qs[l] >> shift) & 3);
                const float dl = d * static_cast<float>(b.scales[s] & 0xF);
                const float ml = mul(dmin, static_cast<float>(b.scales[s] >> 4));
                scale_run<A, offset_kind::minus>(q, dl, ml, y + e0, 16);
            }
        }
        template <class A>
        void dequantize_block(const block_q3_K& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[16];
            const float d = float_of(b.d);
            for (int s = 0; s < 16; ++s)
            {
                const int e0 = 16 * s;
                const int shift = 2 * ((e0 % 128) / 32);
                const std::uint8_t* qs = b.qs + 32 * (e0 / 128) + e0 % 32;
                const std::uint8_t* hm = b.hmask + e0 % 32;
                const int bit = e0 / 32;
                for (int l = 0; l < 16; ++l)
                    q[l] = static_cast<std::int8_t>(((qs[l] >> shift) & 3) - (((hm[l] >> bit) & 1) ? 0 : 4));
                scale_run<A, offset_kind::none>(q, d * static_cast<float>(scale_q3_K(s, b.scales)), 0, y + e0, 16);
            }
        }
        template <class A>
        void dequantize_block(const block_q4_K& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 8; ++s)
            {
                const std::uint8_t* qs = b.qs + 32 * (s / 2);
                const int shift = 4 * (s % 2);
                for (int l = 0; l < 32; ++l)
                    q[l] = static_cast<std::int8_t>((qs[l] >> shift) & 0xF);
                std::uint8_t sc, m;
                scale_min_k4(s, b.scales, sc, m);
                scale_run<A, offset_kind::minus>(q, d * static_cast<float>(sc), mul(dmin, static_cast<float>(m)),
                                                 y + 32 * s, 32);
            }
        }
        template <class A>
        void dequantize_block(const block_q5_K& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[32];
            const float d = float_of(b.d), dmin = float_of(b.dmin);
            for (int s = 0; s < 8; ++s)
            {
                const std::uint8_t* qs = b.qs + 32 * (s / 2);
                const int shift = 4 * (s % 2);
                for (int l = 0; l < 32; ++l)
                    q[l] = static_cast<std::int8_t>(((qs[l] >> shift) & 0xF) | (((b.qh[l] >> s) & 1) << 4));
                std::uint8_t sc, m;
                scale_min_k4(s, b.scales, sc, m);
                scale_run<A, offset_kind::minus>(q, d * static_cast<float>(sc), mul(dmin, static_cast<float>(m)),
                                                 y + 32 * s, 32);
            }
        }
        template <class A>
        void dequantize_block(const block_q6_K& b, float* y) noexcept
        {
            alignas(64) std::int8_t q[16];
            const float d = float_of(b.d);
            for (int s = 0; s < 16; ++s)
            {
                const int e0 = 16 * s;
                const std::uint8_t* ql = b.ql + 64 * (e0 / 128) + e0 % 64;
                const std::uint8_t* qh = b.qh + 32 * (e0 / 128) + e0 % 32;
                const int low_shift = (e0 % 128) >= 64 ? 4 : 0;
                const int high_shift = 2 * ((e0 % 128) / 32);
                for (int l = 0; l < 16; ++l)
                    q[l] = static_cast<std::int8_t>((((ql[l] >> low_shift) & 0xF) | (((qh[l] >> high_shift) & 3) << 4)) - 32);
                scale_run<A, offset_kind::none>(q, d * static_cast<float>(b.scales[s]), 0, y + e0, 16);
            }
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
