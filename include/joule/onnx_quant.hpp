// joule/onnx_quant.hpp: ONNX QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
//
//     std::vector<std::int8_t> q(n);
//     joule::quantize_linear(x, q.data(), n, 0.05f, /*zero_point=*/-3);   // per tensor
//     joule::dequantize_linear(q.data(), y, n, 0.05f, -3);
//     auto p = joule::dynamic_quantize_linear(x, u8.data(), n);          // p.scale, p.zero_point
//
// Element types: std::int8_t, std::uint8_t, joule::int4x2 and joule::uint4x2. The 4-bit types
// hold two elements per byte, the first in the low nibble (ONNX's packing); n elements take
// (n + 1) / 2 bytes and an odd last element leaves the high nibble 0.
//
// Granularity (ONNX's y_scale shapes), chosen by the overload:
// - per tensor: one scale and one zero point (an int, checked against the type's range);
// - per axis:   the tensor is [outer, size, inner] (joule::quant_axis), one scale per index
//               along the axis: scale[size];
// - blocked:    quant_axis::block_size = B > 0 (opset 21): scale and zero point have the shape
//               [outer, ceil(size / B), inner]; element (o, a, i) uses entry (o, a / B, i).
//   Zero points for per-axis / blocked are an array of the element type (packed for 4-bit),
//   with as many entries as scales, or null for all zeros.
//
// Semantics, exactly as the ONNX specification states them:
// - quantize:   y = saturate(round_half_to_even(x / scale) + zero_point). x / scale is an IEEE
//   float division (not a multiplication by 1 / scale), so ties are the spec's ties.
// - dequantize: y = (x - zero_point) * scale, one rounding.
// - dynamic (uint8): range = max(0, max x) - min(0, min x); scale = range / 255 (1 / 255 when the
//   range is 0, as ONNX's reference implementation); zero_point = round_half_to_even(
//   clamp(0 - min(0, min x) / scale, 0, 255)); then quantize with them.
// - NaN quantizes to the zero point (ONNX leaves it undefined; its value 0 is the least
//   surprising). +-inf saturate. dynamic_quantize_linear takes its range over the finite values.
// - Memory: outputs must not overlap inputs; any alignment.
// - Thread safety: reads inputs and writes y only.
// - Errors (joule::error, nothing written): a scale <= 0, NaN or infinite; a zero point outside
//   the type's range; a scale count that does not match the axis (mismatched shapes); null
//   pointers with elements to process; overlapping input and output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/error.hpp"

namespace joule
{
    /// Two ONNX int4 values in one byte: element 2k in the low nibble, 2k + 1 in the high one.
    struct int4x2
    {
        std::uint8_t bits;
    };
    /// Two ONNX uint4 values in one byte, packed as int4x2.
    struct uint4x2
    {
        std::uint8_t bits;
    };
    static_assert(sizeof(int4x2) == 1 && sizeof(uint4x2) == 1, "packed 4-bit types are one byte");

    /// The tensor seen as [outer, size, inner] around the quantization axis.
    struct quant_axis
    {
        std::size_t outer = 1;      ///< product of the dimensions before the axis
        std::size_t size = 1;       ///< the axis' dimension
        std::size_t inner = 1;      ///< product of the dimensions after the axis
        std::size_t block_size = 0; ///< 0: per axis; B > 0: blocks of B along the axis (opset 21)
    };

    /// What dynamic_quantize_linear chose.
    struct dynamic_quantization
    {
        float scale;
        std::uint8_t zero_point;
    };
} // namespace joule

// The kernels are written for the types above.
#include "joule/detail/dispatch/kernel_table.hpp"
#include "joule/detail/onnx_quant/onnx_quant_kernels.hpp"

namespace joule
{

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class Q>
        using if_onnx_q = std::enable_if_t<onnx_type<Q>::is_onnx>;
        template <class T>
        struct identity
        {
            using type = T;
        };

        /// DynamicQuantizeLinear behind the checks: the parameters, then the values.
        template <class A>
        dynamic_quantization dynamic_quantize_kernel(const float* x, std::uint8_t* y, std::size_t n) noexcept
        {
            const dynamic_params p = dynamic_parameters<A>(x, n);
            quantize_per_tensor<A>(x, y, n, p.scale, p.zero_point);
            return {p.scale, static_cast<std::uint8_t>(p.zero_point)};
        }
    } // namespace detail

    /// Per-tensor QuantizeLinear of n values.
    template <class Q, class = detail::if_onnx_q<Q>>
    void quantize_linear(const float* x, Q* y, std::size_t n, float scale, int zero_point = 0)
    {
        detail::check_per_tensor<Q>("quantize_linear", x, y, n, scale, zero_point, true);
        const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::onnx_fields<Q>::quantize,
                                                    detail::quantize_per_tensor<simd::native_arch, Q>);
        kernel(x, y, n, scale, zero_point);
    }

    /// Per-axis or blocked QuantizeLinear of axis.outer * axis.size * axis.inner values.
    template <class Q, class = detail::if_onnx_q<Q>>
    void quantize_linear(const float* x, Q* y, const quant_axis& axis, const float* scale, std::size_t scale_count,
                         const typename detail::identity<Q>::type* zero_point = nullptr)
    {
        detail::check_per_axis<Q>("quantize_linear", x, y, axis, scale, scale_count, zero_point, true);
        const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::onnx_fields<Q>::quantize_axis,
                                                    detail::quantize_per_axis<simd::native_arch, Q>);
        kernel(x, y, axis, scale, zero_point);
    }

    /// Per-tensor DequantizeLinear of n values.
    template <class Q, class = detail::if_onnx_q<Q>>
    void dequantize_linear(const Q* x, float* y, std::size_t n, float scale, int zero_point = 0)
    {
        detail::check_per_tensor<Q>("dequantize_linear", x, y, n, scale, zero_point, false);
        const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::onnx_fields<Q>::dequantize,
                                                    detail::dequantize_per_tensor<simd::native_arch, Q>);
        kernel(x, y, n, scale, zero_point);
    }

    /// Per-axis or blocked DequantizeLinear.
    template <class Q, class = detail::if_onnx_q<Q>>
    void dequantize_linear(const Q* x, float* y, const quant_axis& axis, const float* scale, std::size_t scale_count,
                           const typename detail::identity<Q>::type* zero_point = nullptr)
    {
        detail::check_per_axis<Q>("dequantize_linear", x, y, axis, scale, scale_count, zero_point, false);
        const auto kernel = JOULE_DISPATCHED_MEMBER(dispatch::onnx_fields<Q>::dequantize_axis,
                                                    detail::dequantize_per_axis<simd::native_arch, Q>);
        kernel(x, y, axis, scale, zero_point);
    }

    /// DynamicQuantizeLinear (uint8) of n values: returns the scale and zero point it used.
    inline dynamic_quantization dynamic_quantize_linear(const float* x, std::uint8_t* y, std::size_t n)
    {
        detail::check_onnx_pointers<std::uint8_t>("dynamic_quantize_linear", x, y, n, true);
        return JOULE_DISPATCHED(dynamic_quantize_linear, detail::dynamic_quantize_kernel<simd::native_arch>)(x, y, n);
    }
    JOULE_END_ARCH_NS
} // namespace joule
