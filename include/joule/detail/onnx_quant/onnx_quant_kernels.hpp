// Kernels behind joule/onnx_quant.hpp. Values are computed in runs that share one scale and
// zero point: quantize_values turns floats into saturated int32 with SIMD float arithmetic
// (division, round-to-nearest-even, clamp), store_values writes them in the element type;
// dequantization widens the stored values to int8 (uint8 and 4-bit with a shifted zero point,
// which keeps q - zero_point exact) and computes (q - zero_point) * scale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "joule/detail/quant/dequant_generic.hpp"
#include "joule/detail/simd/simd.hpp"
#include "joule/error.hpp"

namespace joule
{
    struct int4x2;
    struct uint4x2;
    struct quant_axis;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        // ---- element types -----------------------------------------------------------------------
        template <class Q>
        struct onnx_type
        {
            static constexpr bool is_onnx = false;
        };
        template <class Q, int Lo, int Hi, bool Packed>
        struct onnx_type_base
        {
            static constexpr bool is_onnx = true;
            static constexpr int lo = Lo, hi = Hi;
            static constexpr bool packed = Packed;
            /// Bytes that hold n elements.
            static constexpr std::size_t bytes(std::size_t n) noexcept { return Packed ? n / 2 + n % 2 : n; }
        };
        template <>
        struct onnx_type<std::int8_t> : onnx_type_base<std::int8_t, -128, 127, false>
        {
            static constexpr const char* name = "int8";
        };
        template <>
        struct onnx_type<std::uint8_t> : onnx_type_base<std::uint8_t, 0, 255, false>
        {
            static constexpr const char* name = "uint8";
        };
        template <>
        struct onnx_type<int4x2> : onnx_type_base<int4x2, -8, 7, true>
        {
            static constexpr const char* name = "int4";
        };
        template <>
        struct onnx_type<uint4x2> : onnx_type_base<uint4x2, 0, 15, true>
        {
            static constexpr const char* name = "uint4";
        };

        /// Element i of an array of Q, as an int.
        template <class Q>
        JOULE_ALWAYS_INLINE int element_at(const Q* p, std::size_t i) noexcept
        {
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(p);
            if constexpr (!onnx_type<Q>::packed)
                return static_cast<int>(reinterpret_cast<const Q*>(bytes)[i]);
            else
            {
                const int nibble = (bytes[i / 2] >> (4 * (i % 2))) & 15;
                return onnx_type<Q>::lo < 0 ? nibble - ((nibble & 8) << 1) : nibble; // sign-extend int4
            }
        }
        /// The zero point of scale entry g (0 without a zero-point array).
        template <class Q>
        JOULE_ALWAYS_INLINE int zero_point_at(const Q* zp, std::size_t g) noexcept
        {
            return zp != nullptr ? element_at(zp, g) : 0;
        }

        // ---- quantization --------------------------------------------------------------------------
        /// One value: clamp(rint(x / scale) + zp, lo, hi); NaN gives zp.
        JOULE_ALWAYS_INLINE std::int32_t quantize_one(float x, float scale, float zp, float lo, float hi) noexcept
        {
            const float v = x / scale;
            if (v != v)
                return static_cast<std::int32_t>(zp);
            const float r = std::nearbyint(v) + zp;
            return static_cast<std::int32_t>(r < lo ? lo : (r > hi ? hi : r));
        }

        /// q[i] = quantize_one(x[i], ...) for i < n, with registers of arch A.
        template <class A>
        void quantize_values(const float* x, std::size_t n, float scale, float zp, float lo, float hi,
                             std::int32_t* q) noexcept
        {
            std::size_t i = 0;
#if !(defined(__arm__) && !defined(__aarch64__)) // 32-bit NEON has no vector division at all
            constexpr std::size_t w = simd::width<float, A>;
            const auto vs = simd::splat<A>(scale), vzp = simd::splat<A>(zp);
            const auto vlo = simd::splat<A>(lo), vhi = simd::splat<A>(hi);
            const std::size_t whole = n - n % w;
            for (; i < whole; i += w)
            {
                const auto v = simd::div(simd::load<A>(x + i), vs); // IEEE division on every arch
                auto r = simd::min(simd::max(simd::round_nearest(v) + vzp, vlo), vhi);
                r = simd::select(v == v, r, vzp); // NaN -> zero point
                simd::store(q + i, simd::convert<std::int32_t>(r));
            }
#endif
            for (; i < n; ++i)
                q[i] = quantize_one(x[i], scale, zp, lo, hi);
        }

        /// Writes q[0 .. n) as elements offset .. offset + n of y. Packed types are written in
        /// increasing order: an even element sets its whole byte, an odd one adds the high nibble.
        template <class Q>
        JOULE_ALWAYS_INLINE void store_values(const std::int32_t* q, std::size_t n, Q* y, std::size_t offset) noexcept
        {
            if constexpr (!onnx_type<Q>::packed)
            {
                for (std::size_t i = 0; i < n; ++i)
                    y[offset + i] = static_cast<Q>(q[i]);
            }
            else
            {
                auto* bytes = reinterpret_cast<std::uint8_t*>(y);
                for (std::size_t i = 0; i < n; ++i)
                {
                    const std::size_t e = offset + i;
                    const auto nibble = static_cast<std::uint8_t>(q[i] & 15);
                    if (e % 2 == 0)
                        bytes[e / 2] = nibble;
                    else
                        bytes[e / 2] = static_cast<std::uint8_t>(bytes[e / 2] | (nibble << 4));
                }
            }
        }

        constexpr std::size_t onnx_chunk = 512;

        /// Elements offset .. offset + n of y from x[0 .. n), one scale and zero point.
        template <class A, class Q>
        void quantize_run(const float* x, Q* y, std::size_t offset, std::size_t n, float scale, int zero_point) noexcept
        {
            alignas(64) std::int32_t q[onnx_chunk];
            const auto lo = static_cast<float>(onnx_type<Q>::lo), hi = static_cast<float>(onnx_type<Q>::hi);
            for (std::size_t done = 0; done < n; done += onnx_chunk)
            {
                const std::size_t count = std::min(onnx_chunk, n - done);
                quantize_values<A>(x + done, count, scale, static_cast<float>(zero_point), lo, hi, q);
                store_values(q, count, y, offset + done);
            }
        }

        template <class A, class Q>
        void quantize_per_tensor(const float* x, Q* y, std::size_t n, float scale, int zero_point) noexcept
        {
            quantize_run<A>(x, y, 0, n, scale, zero_point);
        }

        // ---- dequantization -----------------------------------------------------------------------------
        /// y[i] = (q[i] - zp) * scale for n int8 values.
        template <class A>
        void dequantize_values(const std::int8_t* q, std::size_t n, float zp, float scale, float* y) noexcept
        {
            std::size_t i = 0;
            constexpr std::size_t w = simd::width<float, A>;
            const auto vs = simd::splat<A>(scale), vzp = simd::splat<A>(zp);
            const std::size_t whole = n - n % w;
            for (; i < whole; i += w)
                simd::store(y + i, (int8_codec<A>::load(q + i) - vzp) * vs); // the difference is exact
            for (; i < n; ++i)
                y[i] = (static_cast<float>(q[i]) - zp) * scale;
        }

        /// Elements offset .. offset + n of x, dequantized into y[0 .. n).
        template <class A, class Q>
        void dequantize_run(const Q* x, std::size_t offset, std::size_t n, float scale, int zero_point, float* y) noexcept
        {
            if constexpr (std::is_same<Q, std::int8_t>::value)
                dequantize_values<A>(x + offset, n, static_cast<float>(zero_point), scale, y);
            else
            {
                // Shift every value by the same amount into int8: q - zp is unchanged.
                constexpr int shift = std::is_same<Q, std::uint8_t>::value ? 128 : onnx_type<Q>::lo < 0 ? 0 : 8;
                alignas(64) std::int8_t q[onnx_chunk];
                for (std::size_t done = 0; done < n; done += onnx_chunk)
                {
                    const std::size_t count = std::min(onnx_chunk, n - done);
                    for (std::size_t i = 0; i < count; ++i)
                        q[i] = static_cast<std::int8_t>(element_at(x, offset + done + i) - shift);
                    dequantize_values<A>(q, count, static_cast<float>(zero_point - shift), scale, y + done);
                }
            }
        }

        template <class A, class Q>
        void dequantize_per_tensor(const Q* x, float* y, std::size_t n, float scale, int zero_point) noexcept
        {
            dequantize_run<A>(x, 0, n, scale, zero_point, y);
        }

        // ---- per axis and blocked -------------------------------------------------------------------
        /// Calls run(offset, count, scale_index) for every run of elements sharing one scale.
        /// Runs are contiguous: `inner` elements per axis index (per axis), up to block_size
        /// elements along a last axis (blocked, inner == 1), single elements otherwise.
        template <class Run>
        void for_each_run(const quant_axis& axis, Run&& run)
        {
            const std::size_t outer = axis.outer, size = axis.size, inner = axis.inner, bs = axis.block_size;
            if (bs == 0)
            {
                for (std::size_t o = 0; o < outer; ++o)
                    for (std::size_t a = 0; a < size; ++a)
                        run((o * size + a) * inner, inner, a);
                return;
            }
            const std::size_t blocks = (size + bs - 1) / bs;
            for (std::size_t o = 0; o < outer; ++o)
            {
                for (std::size_t a = 0; a < size; a += (inner == 1 ? bs : 1))
                {
                    const std::size_t base = (o * size + a) * inner;
                    const std::size_t group = (o * blocks + a / bs) * inner;
                    if (inner == 1)
                        run(base, std::min(bs, size - a), group);
                    else
                        for (std::size_t i = 0; i < inner; ++i)
                            run(base + i, 1, group + i);
                }
            }
        }

        template <class A, class Q>
        void quantize_per_axis(const float* x, Q* y, const quant_axis& axis, const float* scale, const Q* zp) noexcept
        {
            const auto lo = static_cast<float>(onnx_type<Q>::lo), hi = static_cast<float>(onnx_type<Q>::hi);
            for_each_run(axis, [&](std::size_t offset, std::size_t count, std::size_t g) {
                const int z = zero_point_at(zp, g);
                if (count < 8)
                {
                    std::int32_t q[8];
                    for (std::size_t i = 0; i < count; ++i)
                        q[i] = quantize_one(x[offset + i], scale[g], static_cast<float>(z), lo, hi);
                    store_values(q, count, y, offset);
                }
                else
                    quantize_run<A>(x + offset, y, offset, count, scale[g], z);
            });
        }

        template <class A, class Q>
        void dequantize_per_axis(const Q* x, float* y, const quant_axis& axis, const float* scale, const Q* zp) noexcept
        {
            for_each_run(axis, [&](std::size_t offset, std::size_t count, std::size_t g) {
                const int z = zero_point_at(zp, g);
                if (count < 8)
                    for (std::size_t i = 0; i < count; ++i)
                        y[offset + i] = static_cast<float>(element_at(x, offset + i) - z) * scale[g];
                else
                    dequantize_run<A>(x, offset, count, scale[g], z, y + offset);
            });
        }

        // ---- DynamicQuantizeLinear --------------------------------------------------------------------
        struct dynamic_params
        {
            float scale;
            int zero_point;
        };

        /// Scale and zero point from min(0, min x) and max(0, max x) over the finite values.
        template <class A>
        dynamic_params dynamic_parameters(const float* x, std::size_t n) noexcept
        {
            // Non-finite values are replaced by 0, which the range includes anyway.
            float lo = 0, hi = 0;
            std::size_t i = 0;
            constexpr std::size_t w = simd::width<float, A>;
            const std::size_t whole = n - n % w;
            if (whole != 0)
            {
                auto vlo = simd::splat<A>(0.0f), vhi = vlo;
                const auto zero = vlo, big = simd::splat<A>(std::numeric_limits<float>::max());
                for (; i < whole; i += w)
                {
                    const auto v = simd::load<A>(x + i);
                    const auto finite = simd::select(simd::abs(v) <= big, v, zero);
                    vlo = simd::min(vlo, finite);
                    vhi = simd::max(vhi, finite);
                }
                lo = simd::reduce_min(vlo);
                hi = simd::reduce_max(vhi);
            }
            for (; i < n; ++i)
            {
                if (std::fabs(x[i]) <= std::numeric_limits<float>::max())
                {
                    lo = std::min(lo, x[i]);
                    hi = std::max(hi, x[i]);
                }
            }
            const float range = hi - lo;
            const float scale = (range == 0 ? 1.0f : range) / 255.0f;
            const float zp = std::min(255.0f, std::max(0.0f, 0.0f - lo / scale));
            return {scale, static_cast<int>(std::nearbyint(zp))};
        }

        // ---- argument checks ------------------------------------------------------------------------------
        template <class Q>
        void check_onnx_pointers(const char* function, const void* x, const void* y, std::size_t n, bool to_q)
        {
            constexpr std::size_t max_n = std::numeric_limits<std::size_t>::max() / sizeof(float);
            if (JOULE_UNLIKELY(n > max_n))
                fail(function, "n (", n, ") is too large: its byte size overflows size_t");
            check_pointer(function, "x", x, "n", n);
            check_pointer(function, "y", y, "n", n);
            const std::size_t fbytes = n * sizeof(float), qbytes = onnx_type<Q>::bytes(n);
            check_disjoint(function, "x", x, to_q ? fbytes : qbytes, "y", y, to_q ? qbytes : fbytes);
        }

        inline void check_scale(const char* function, const char* name, float scale)
        {
            if (JOULE_UNLIKELY(!(scale > 0) || !(scale <= std::numeric_limits<float>::max())))
                fail(function, name, " (", scale, ") must be positive and finite");
        }

        template <class Q>
        void check_per_tensor(const char* function, const void* x, const void* y, std::size_t n, float scale,
                              int zero_point, bool to_q)
        {
            check_onnx_pointers<Q>(function, x, y, n, to_q);
            check_scale(function, "scale", scale);
            if (JOULE_UNLIKELY(zero_point < onnx_type<Q>::lo || zero_point > onnx_type<Q>::hi))
                fail(function, "zero_point (", zero_point, ") is outside ", onnx_type<Q>::name, "'s range [",
                     onnx_type<Q>::lo, ", ", onnx_type<Q>::hi, "]");
        }

        template <class Q>
        void check_per_axis(const char* function, const void* x, const void* y, const quant_axis& axis,
                            const float* scale, std::size_t scale_count, const Q* zero_point, bool to_q)
        {
            constexpr std::size_t max = std::numeric_limits<std::size_t>::max() / sizeof(float);
            const std::size_t outer = axis.outer, size = axis.size, inner = axis.inner, bs = axis.block_size;
            if (JOULE_UNLIKELY((size != 0 && outer > max / size) || (outer * size != 0 && inner > max / (outer * size))))
                fail(function, "axis.outer * axis.size * axis.inner (", outer, " * ", size, " * ", inner,
                     ") is too large");
            const std::size_t n = outer * size * inner;
            check_onnx_pointers<Q>(function, x, y, n, to_q);
            if (bs == 0)
            {
                if (JOULE_UNLIKELY(scale_count != size))
                    fail(function, "scale_count (", scale_count, ") != axis.size (", size,
                         "): per-axis quantization has one scale per index along the axis");
            }
            else
            {
                const std::size_t want = outer * ((size + bs - 1) / bs) * inner;
                if (JOULE_UNLIKELY(scale_count != want))
                    fail(function, "scale_count (", scale_count, ") != outer * ceil(size / block_size) * inner (",
                         outer, " * ceil(", size, " / ", bs, ") * ", inner, " = ", want, ")");
            }
            check_pointer(function, "scale", scale, "scale_count", scale_count);
            for (std::size_t g = 0; g < scale_count; ++g)
            {
                if (JOULE_UNLIKELY(!(scale[g] > 0) || !(scale[g] <= std::numeric_limits<float>::max())))
                    fail(function, "scale[", g, "] (", scale[g], ") must be positive and finite");
            }
            (void)zero_point; // typed zero points are always within the type's range
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
