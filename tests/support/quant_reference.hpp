// An independent dequantizer for the GGUF block formats, written from the layouts in
// joule/quant_blocks.hpp (ggml-common.h): it reads each element's bits directly instead of
// unpacking sub-blocks. Every float operation is stored to a volatile, so it rounds exactly
// as ggml's dequantize_row_* does and the compiler cannot fuse a multiply with an add.
#pragma once

#include <cstdint>
#include <cstring>

#include <joule/quant_blocks.hpp>

#include "support/reference.hpp"

namespace joule_test
{
    inline float ref_f16(joule::f16 h) { return float_of(ref_f16_to_f32_bits(h.bits)); }

    /// p * q rounded to float (volatile: no contraction with what follows).
    inline float ref_mul(float p, float q)
    {
        volatile float r = p * q;
        return r;
    }
    inline float ref_add(float a, float b)
    {
        volatile float r = a + b;
        return r;
    }

    inline std::uint32_t ref_u32_le(const std::uint8_t* p)
    {
        return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
    }
    /// Element j of 32 nibble-packed values: low nibbles hold 0..15, high nibbles 16..31.
    inline int ref_nibble(const std::uint8_t* qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; }

    inline void ref_dequantize(const joule::block_q4_0& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
            y[j] = ref_mul(float(ref_nibble(b.qs, j) - 8), ref_f16(b.d));
    }
    inline void ref_dequantize(const joule::block_q4_1& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
            y[j] = ref_add(ref_mul(float(ref_nibble(b.qs, j)), ref_f16(b.d)), ref_f16(b.m));
    }
    inline void ref_dequantize(const joule::block_q5_0& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
        {
            const int q = ref_nibble(b.qs, j) | int((ref_u32_le(b.qh) >> j) & 1) << 4;
            y[j] = ref_mul(float(q - 16), ref_f16(b.d));
        }
    }
    inline void ref_dequantize(const joule::block_q5_1& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
        {
            const int q = ref_nibble(b.qs, j) | int((ref_u32_le(b.qh) >> j) & 1) << 4;
            y[j] = ref_add(ref_mul(float(q), ref_f16(b.d)), ref_f16(b.m));
        }
    }
    inline void ref_dequantize(const joule::block_q8_0& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
            y[j] = ref_mul(float(b.qs[j]), ref_f16(b.d));
    }
    inline void ref_dequantize(const joule::block_q8_1& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
            y[j] = ref_mul(float(b.qs[j]), ref_f16(b.d));
    }
    inline void ref_dequantize(const joule::block_q8_K& b, float* y)
    {
        for (int j = 0; j < 256; ++j)
            y[j] = ref_mul(b.d, float(b.qs[j]));
    }
    inline void ref_dequantize(const joule::block_iq4_nl& b, float* y)
    {
        for (int j = 0; j < 32; ++j)
            y[j] = ref_mul(ref_f16(b.d), float(joule::kvalues_iq4nl[ref_nibble(b.qs, j)]));
    }
    inline void ref_dequantize(const joule::block_iq4_xs& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            const int ib = e / 32;
            const int ls = ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 15) | (((b.scales_h >> (2 * ib)) & 3) << 4);
            const float dl = ref_mul(ref_f16(b.d), float(ls - 32));
            y[e] = ref_mul(dl, float(joule::kvalues_iq4nl[ref_nibble(b.qs + 16 * ib, e % 32)]));
        }
    }

    // K-quants: element e of 256. Two-bit fields (q2_K, q3_K): byte 32 * (e / 128) + e % 32 of
    // qs, shift 2 * ((e % 128) / 32).
    inline int ref_2bit(const std::uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3; }

    inline void ref_dequantize(const joule::block_q2_K& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            const std::uint8_t sc = b.scales[e / 16];
            const float dl = ref_mul(ref_f16(b.d), float(sc & 15));
            const float ml = ref_mul(ref_f16(b.dmin), float(sc >> 4));
            y[e] = ref_add(ref_mul(dl, float(ref_2bit(b.qs, e))), -ml);
        }
    }
    inline void ref_dequantize(const joule::block_q3_K& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            const int s = e / 16;
            const int low = s < 8 ? b.scales[s] & 15 : b.scales[s - 8] >> 4;
            const int high = (b.scales[8 + s % 4] >> (2 * (s / 4))) & 3;
            const float dl = ref_mul(ref_f16(b.d), float((low | high << 4) - 32));
            const int hbit = (b.hmask[e % 32] >> (e / 32)) & 1;
            y[e] = ref_mul(dl, float(ref_2bit(b.qs, e) - (hbit ? 0 : 4)));
        }
    }
    /// 6-bit scale and min number j of q4_K / q5_K's 12 scale bytes.
    inline void ref_scale_min(const std::uint8_t* s, int j, int& sc, int& m)
    {
        if (j < 4)
        {
            sc = s[j] & 63;
            m = s[j + 4] & 63;
        }
        else
        {
            sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
            m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
    }
    inline void ref_dequantize(const joule::block_q4_K& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            int sc, m;
            ref_scale_min(b.scales, e / 32, sc, m);
            const std::uint8_t byte = b.qs[32 * (e / 64) + e % 32];
            const int q = (e % 64) < 32 ? byte & 15 : byte >> 4;
            y[e] = ref_add(ref_mul(ref_mul(ref_f16(b.d), float(sc)), float(q)), -ref_mul(ref_f16(b.dmin), float(m)));
        }
    }
    inline void ref_dequantize(const joule::block_q5_K& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            int sc, m;
            ref_scale_min(b.scales, e / 32, sc, m);
            const std::uint8_t byte = b.qs[32 * (e / 64) + e % 32];
            const int q = ((e % 64) < 32 ? byte & 15 : byte >> 4) | (((b.qh[e % 32] >> (e / 32)) & 1) << 4);
            y[e] = ref_add(ref_mul(ref_mul(ref_f16(b.d), float(sc)), float(q)), -ref_mul(ref_f16(b.dmin), float(m)));
        }
    }
    inline void ref_dequantize(const joule::block_q6_K& b, float* y)
    {
        for (int e = 0; e < 256; ++e)
        {
            const int r = e % 128;
            const std::uint8_t low = b.ql[64 * (e / 128) + e % 64];
            const int q = (r < 64 ? low & 15 : low >> 4) | (((b.qh[32 * (e / 128) + e % 32] >> (2 * (r / 32))) & 3) << 4);
            y[e] = ref_mul(ref_mul(ref_f16(b.d), float(b.scales[e / 16])), float(q - 32));
        }
    }
} // namespace joule_test
