// The table of kernels runtime dispatch chooses between: one instance per instruction-set
// level, built in a translation unit compiled for that level (see cmake/jouleDispatch.cmake).
//
// JOULE_DISPATCH_KERNELS lists every dispatched kernel once: X(field, signature, implementation).
// The table type is arch-neutral (plain function pointers over arch-neutral types), so every
// translation unit sees the same type; `implementation` is only expanded inside the per-level
// translation units, where it names that level's instantiation (parenthesised when it has
// commas).
//
// What is dispatched is the work behind the argument checks: the entry points check their
// arguments in the caller's translation unit and then call through the table, so a call that
// fails its checks never selects a level.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "joule/arch.hpp"

// The GGUF block formats (joule/quant_blocks.hpp) quantize and dequantize handle, and those a
// quantized linear layer takes as weights (all but the activation-only q8_1 and q8_K). Each list
// expands M(X, name) per entry.
#define JOULE_DISPATCH_LINEAR_BLOCKS(M, X)                                                                             \
    M(X, q4_0) M(X, q4_1) M(X, q5_0) M(X, q5_1) M(X, q8_0) M(X, q2_K) M(X, q3_K) M(X, q4_K) M(X, q5_K) M(X, q6_K)      \
        M(X, iq4_nl) M(X, iq4_xs)
#define JOULE_DISPATCH_QUANT_BLOCKS(M, X) JOULE_DISPATCH_LINEAR_BLOCKS(M, X) M(X, q8_1) M(X, q8_K)
// The ONNX quantized element types (joule/onnx_quant.hpp): M(X, field name, type).
#define JOULE_DISPATCH_ONNX_TYPES(M, X)                                                                                \
    M(X, int8, std::int8_t) M(X, uint8, std::uint8_t) M(X, int4, ::joule::int4x2) M(X, uint4, ::joule::uint4x2)

namespace joule
{
    // Declared only: convert.hpp includes this header and must not pull in the others.
    struct f16;
    struct bf16;
    template <class T>
    struct matrix_view;
    template <class T>
    class packed_matrix;
    class executor_ref;
    struct softmax_options;
    struct linear_options;
    struct quant_axis;
    struct dynamic_quantization;
    struct int4x2;
    struct uint4x2;
#define JOULE_DISPATCH_DECLARE_BLOCK(X, B) struct block_##B;
    JOULE_DISPATCH_QUANT_BLOCKS(JOULE_DISPATCH_DECLARE_BLOCK, )
#undef JOULE_DISPATCH_DECLARE_BLOCK

    namespace dispatch
    {
        /// C and the scalars of one product (C = alpha * A * B + beta * C + bias), as the
        /// dispatched matmul kernels take them; shapes come from the views.
        struct product_args
        {
            float* c;
            std::size_t rsc, csc; ///< C's row and column strides
            float alpha, beta;
            const float* bias; ///< N floats or null
            const executor_ref* executor; ///< never null
        };

        /// The state of a joule::online_softmax, as its dispatched kernels take it.
        struct online_softmax_state
        {
            float max;
            double count, rest;
            bool nan;
            float temperature;
            bool masked_zeros;
        };

        /// A level's matmul register tile (mr x nr) and loop blocks, for tests that need to
        /// reach every edge of the kernels that actually run.
        struct matmul_tiling
        {
            std::size_t mr, nr;
            std::size_t kc, mc, nc, nc_small;
        };
    } // namespace dispatch
} // namespace joule

// The (A, B) element type pairs of matmul and linear, and the B types of pack.
#define JOULE_DISPATCH_MATMUL_PAIRS(P)                                                                                 \
    P(float, float) P(float, f16) P(float, bf16) P(f16, float) P(f16, f16) P(f16, bf16) P(bf16, float) P(bf16, f16)   \
        P(bf16, bf16)
#define JOULE_DISPATCH_MATMUL_TYPES(P) P(float) P(f16) P(bf16)

// clang-format off
#define JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, TA, TB)                                                                  \
    X(matmul_##TA##_##TB,                                                                                              \
      void(const ::joule::matrix_view<const TA>&, const ::joule::matrix_view<const TB>&,                               \
           const ::joule::dispatch::product_args&),                                                                    \
      (detail::matmul_kernel<simd::native_arch, TA, TB>))                                                              \
    X(matmul_packed_##TA##_##TB,                                                                                       \
      void(const ::joule::matrix_view<const TA>&, const ::joule::packed_matrix<TB>&,                                   \
           const ::joule::dispatch::product_args&),                                                                    \
      (detail::matmul_packed_kernel<simd::native_arch, TA, TB>))
#define JOULE_DISPATCH_PACK_KERNEL(X, TB)                                                                              \
    X(pack_##TB, ::joule::packed_matrix<TB>(const ::joule::matrix_view<const TB>&),                                    \
      (detail::pack_kernel<simd::native_arch, TB>))

#define JOULE_DISPATCH_KERNELS(X)                                                                                      \
    X(f32_to_f16_row, void(const float*, std::uint16_t*, std::size_t), detail::f32_to_f16_row<simd::native_arch>)     \
    X(f16_to_f32_row, void(const std::uint16_t*, float*, std::size_t), detail::f16_to_f32_row<simd::native_arch>)     \
    X(f32_to_bf16_row, void(const float*, std::uint16_t*, std::size_t), detail::f32_to_bf16_row<simd::native_arch>)   \
    X(bf16_to_f32_row, void(const std::uint16_t*, float*, std::size_t), detail::bf16_to_f32_row<simd::native_arch>)   \
    JOULE_DISPATCH_MATMUL_KERNELS(X)                                                                                   \
    JOULE_DISPATCH_SOFTMAX_KERNELS(X)                                                                                  \
    JOULE_DISPATCH_QUANT_KERNELS(X)

#define JOULE_DISPATCH_MATMUL_KERNELS(X)                                                                               \
    JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, float, float) JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, float, f16)              \
    JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, float, bf16) JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, f16, float)               \
    JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, f16, f16) JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, f16, bf16)                   \
    JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, bf16, float) JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, bf16, f16)                \
    JOULE_DISPATCH_MATMUL_PAIR_KERNELS(X, bf16, bf16)                                                                  \
    JOULE_DISPATCH_PACK_KERNEL(X, float) JOULE_DISPATCH_PACK_KERNEL(X, f16) JOULE_DISPATCH_PACK_KERNEL(X, bf16)        \
    X(matmul_tiling_get, ::joule::dispatch::matmul_tiling(), detail::matmul_tiling_of<simd::native_arch>)             \
    X(matmul_tiling_set, void(const ::joule::dispatch::matmul_tiling&), detail::set_matmul_tiling<simd::native_arch>)

#define JOULE_DISPATCH_SOFTMAX_TYPE_KERNELS(X, T)                                                                      \
    X(softmax_row_##T, void(const T*, float*, std::size_t, const ::joule::softmax_options&),                           \
      (detail::softmax_row_kernel<simd::native_arch, T, false>))                                                       \
    X(log_softmax_row_##T, void(const T*, float*, std::size_t, const ::joule::softmax_options&),                       \
      (detail::softmax_row_kernel<simd::native_arch, T, true>))                                                        \
    X(softmax_rows_##T,                                                                                                \
      void(const ::joule::matrix_view<const T>&, const ::joule::matrix_view<float>&, const ::joule::softmax_options&), \
      (detail::softmax_rows_kernel<simd::native_arch, T, false>))                                                      \
    X(log_softmax_rows_##T,                                                                                            \
      void(const ::joule::matrix_view<const T>&, const ::joule::matrix_view<float>&, const ::joule::softmax_options&), \
      (detail::softmax_rows_kernel<simd::native_arch, T, true>))                                                       \
    X(online_add_##T, void(::joule::dispatch::online_softmax_state&, const T*, std::size_t),                           \
      (detail::online_add_kernel<simd::native_arch, T>))                                                               \
    X(online_normalize_##T, void(const ::joule::dispatch::online_softmax_state&, const T*, float*, std::size_t),       \
      (detail::online_normalize_kernel<simd::native_arch, false, T>))                                                  \
    X(online_log_normalize_##T, void(const ::joule::dispatch::online_softmax_state&, const T*, float*, std::size_t),   \
      (detail::online_normalize_kernel<simd::native_arch, true, T>))
#define JOULE_DISPATCH_SOFTMAX_KERNELS(X)                                                                              \
    X(exp_row, void(const float*, float*, std::size_t), detail::exp_row<detail::softmax_arch<simd::native_arch>>)     \
    JOULE_DISPATCH_SOFTMAX_TYPE_KERNELS(X, float) JOULE_DISPATCH_SOFTMAX_TYPE_KERNELS(X, f16)                          \
    JOULE_DISPATCH_SOFTMAX_TYPE_KERNELS(X, bf16)

// Quantization: GGUF blocks (quant.hpp), the quantized linear layer (quant_linear.hpp), ONNX
// QuantizeLinear / DequantizeLinear (onnx_quant.hpp) and the exact int8 GEMM (int8_gemm.hpp).
#define JOULE_DISPATCH_BLOCK_KERNELS(X, B)                                                                             \
    X(quantize_##B, void(const float*, ::joule::block_##B*, std::size_t),                                             \
      (detail::quantize_blocks<simd::native_arch, ::joule::block_##B>))                                               \
    X(dequantize_##B, void(const ::joule::block_##B*, float*, std::size_t),                                           \
      (detail::dequantize_blocks<simd::native_arch, ::joule::block_##B>))
#define JOULE_DISPATCH_LINEAR_KERNEL(X, B)                                                                             \
    X(linear_##B,                                                                                                      \
      void(const ::joule::matrix_view<const float>&, const ::joule::block_##B*, std::size_t, std::size_t,              \
           const ::joule::matrix_view<float>&, const ::joule::linear_options&),                                        \
      (detail::qlinear_kernel<simd::native_arch, ::joule::block_##B>))
#define JOULE_DISPATCH_ONNX_KERNELS(X, id, Q)                                                                          \
    X(quantize_linear_##id, void(const float*, Q*, std::size_t, float, int),                                          \
      (detail::quantize_per_tensor<simd::native_arch, Q>))                                                             \
    X(dequantize_linear_##id, void(const Q*, float*, std::size_t, float, int),                                        \
      (detail::dequantize_per_tensor<simd::native_arch, Q>))                                                           \
    X(quantize_linear_axis_##id, void(const float*, Q*, const ::joule::quant_axis&, const float*, const Q*),          \
      (detail::quantize_per_axis<simd::native_arch, Q>))                                                               \
    X(dequantize_linear_axis_##id, void(const Q*, float*, const ::joule::quant_axis&, const float*, const Q*),        \
      (detail::dequantize_per_axis<simd::native_arch, Q>))
#define JOULE_DISPATCH_INT8_MATMUL_KERNEL(X, id, TA)                                                                   \
    X(int8_matmul_##id,                                                                                                \
      void(const ::joule::matrix_view<const TA>&, const ::joule::matrix_view<const std::int8_t>&,                      \
           const ::joule::matrix_view<std::int32_t>&, std::int32_t, std::int32_t, const std::int8_t*,                 \
           ::joule::executor_ref),                                                                                     \
      (detail::int8_matmul_checked<simd::native_arch, TA>))
#define JOULE_DISPATCH_QUANT_KERNELS(X)                                                                                \
    JOULE_DISPATCH_QUANT_BLOCKS(JOULE_DISPATCH_BLOCK_KERNELS, X)                                                       \
    JOULE_DISPATCH_LINEAR_BLOCKS(JOULE_DISPATCH_LINEAR_KERNEL, X)                                                      \
    JOULE_DISPATCH_ONNX_TYPES(JOULE_DISPATCH_ONNX_KERNELS, X)                                                          \
    X(dynamic_quantize_linear, ::joule::dynamic_quantization(const float*, std::uint8_t*, std::size_t),               \
      detail::dynamic_quantize_kernel<simd::native_arch>)                                                              \
    JOULE_DISPATCH_INT8_MATMUL_KERNEL(X, u8, std::uint8_t) JOULE_DISPATCH_INT8_MATMUL_KERNEL(X, s8, std::int8_t)
// clang-format on

namespace joule
{
    namespace dispatch
    {
        struct kernel_table
        {
            arch_info info; ///< what the level's translation unit was compiled for (info.level is its name)
#define JOULE_DISPATCH_DECLARE_FIELD(field, signature, implementation) std::add_pointer_t<signature> field = nullptr;
            JOULE_DISPATCH_KERNELS(JOULE_DISPATCH_DECLARE_FIELD)
#undef JOULE_DISPATCH_DECLARE_FIELD
        };

        /// The table in use; chosen at the first call (defined by joule_enable_dispatch's
        /// generated selector, once per program). Entry points read current_table first.
        const kernel_table& active();

        /// The table in use once chosen, null before; written only by the selector (at the first
        /// call, and by force_arch). Inline so that a dispatched call costs one load, a test
        /// and the indirect call, rather than a call into the selector.
        inline std::atomic<const kernel_table*> current_table{nullptr};

        /// The fields of the matmul kernels for element types TA and TB (pointers to members),
        /// for entry points templated on the types.
        template <class TA, class TB>
        struct matmul_fields;
        template <class TB>
        struct pack_field;
#define JOULE_DISPATCH_MATMUL_FIELDS(TA, TB)                                                                           \
    template <>                                                                                                        \
    struct matmul_fields<TA, TB>                                                                                       \
    {                                                                                                                  \
        static constexpr auto plain = &kernel_table::matmul_##TA##_##TB;                                               \
        static constexpr auto packed = &kernel_table::matmul_packed_##TA##_##TB;                                       \
    };
#define JOULE_DISPATCH_PACK_FIELD(TB)                                                                                  \
    template <>                                                                                                        \
    struct pack_field<TB>                                                                                              \
    {                                                                                                                  \
        static constexpr auto field = &kernel_table::pack_##TB;                                                        \
    };
        JOULE_DISPATCH_MATMUL_PAIRS(JOULE_DISPATCH_MATMUL_FIELDS)
        JOULE_DISPATCH_MATMUL_TYPES(JOULE_DISPATCH_PACK_FIELD)
#undef JOULE_DISPATCH_MATMUL_FIELDS
#undef JOULE_DISPATCH_PACK_FIELD

        /// The fields of softmax (Log = false) or log_softmax for element type T: one row, rows.
        template <class T, bool Log>
        struct softmax_fields;
#define JOULE_DISPATCH_SOFTMAX_FIELDS(T)                                                                               \
    template <>                                                                                                        \
    struct softmax_fields<T, false>                                                                                    \
    {                                                                                                                  \
        static constexpr auto row = &kernel_table::softmax_row_##T;                                                    \
        static constexpr auto rows = &kernel_table::softmax_rows_##T;                                                  \
        static constexpr auto online_add = &kernel_table::online_add_##T;                                              \
        static constexpr auto online_normalize = &kernel_table::online_normalize_##T;                                  \
    };                                                                                                                 \
    template <>                                                                                                        \
    struct softmax_fields<T, true>                                                                                     \
    {                                                                                                                  \
        static constexpr auto row = &kernel_table::log_softmax_row_##T;                                                \
        static constexpr auto rows = &kernel_table::log_softmax_rows_##T;                                              \
        static constexpr auto online_normalize = &kernel_table::online_log_normalize_##T;                              \
    };
        JOULE_DISPATCH_MATMUL_TYPES(JOULE_DISPATCH_SOFTMAX_FIELDS)
#undef JOULE_DISPATCH_SOFTMAX_FIELDS

        /// The fields of quantize and dequantize for a GGUF block type, and of linear for a
        /// weight block type.
        template <class Block>
        struct block_fields;
        template <class Block>
        struct linear_field;
#define JOULE_DISPATCH_BLOCK_FIELDS(X, B)                                                                              \
    template <>                                                                                                        \
    struct block_fields<block_##B>                                                                                     \
    {                                                                                                                  \
        static constexpr auto quantize = &kernel_table::quantize_##B;                                                  \
        static constexpr auto dequantize = &kernel_table::dequantize_##B;                                              \
    };
#define JOULE_DISPATCH_LINEAR_FIELD(X, B)                                                                              \
    template <>                                                                                                        \
    struct linear_field<block_##B>                                                                                     \
    {                                                                                                                  \
        static constexpr auto field = &kernel_table::linear_##B;                                                       \
    };
        JOULE_DISPATCH_QUANT_BLOCKS(JOULE_DISPATCH_BLOCK_FIELDS, )
        JOULE_DISPATCH_LINEAR_BLOCKS(JOULE_DISPATCH_LINEAR_FIELD, )
#undef JOULE_DISPATCH_BLOCK_FIELDS
#undef JOULE_DISPATCH_LINEAR_FIELD

        /// The fields of the ONNX (de)quantization kernels for element type Q.
        template <class Q>
        struct onnx_fields;
#define JOULE_DISPATCH_ONNX_FIELDS(X, id, Q)                                                                           \
    template <>                                                                                                        \
    struct onnx_fields<Q>                                                                                              \
    {                                                                                                                  \
        static constexpr auto quantize = &kernel_table::quantize_linear_##id;                                          \
        static constexpr auto dequantize = &kernel_table::dequantize_linear_##id;                                      \
        static constexpr auto quantize_axis = &kernel_table::quantize_linear_axis_##id;                                \
        static constexpr auto dequantize_axis = &kernel_table::dequantize_linear_axis_##id;                            \
    };
        JOULE_DISPATCH_ONNX_TYPES(JOULE_DISPATCH_ONNX_FIELDS, )
#undef JOULE_DISPATCH_ONNX_FIELDS

        /// The field of the exact int8 GEMM for A's element type (uint8 or int8).
        template <class TA>
        struct int8_matmul_field;
        template <>
        struct int8_matmul_field<std::uint8_t>
        {
            static constexpr auto field = &kernel_table::int8_matmul_u8;
        };
        template <>
        struct int8_matmul_field<std::int8_t>
        {
            static constexpr auto field = &kernel_table::int8_matmul_s8;
        };
    } // namespace dispatch
} // namespace joule

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// dispatch::active() with its fast path inline: the table once it has been chosen.
        inline const dispatch::kernel_table& dispatched_table()
        {
            const dispatch::kernel_table* t = dispatch::current_table.load(std::memory_order_acquire);
            return JOULE_LIKELY(t != nullptr) ? *t : dispatch::active();
        }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule

/// In a public entry point: the dispatched kernel when runtime dispatch is on, else `direct`.
/// JOULE_DISPATCHED_MEMBER takes a pointer to a kernel_table member (see matmul_fields).
#if defined(JOULE_DISPATCH)
#define JOULE_DISPATCHED(field, ...) (::joule::detail::dispatched_table().field)
#define JOULE_DISPATCHED_MEMBER(member, ...) (::joule::detail::dispatched_table().*(member))
#else
#define JOULE_DISPATCHED(field, ...) (__VA_ARGS__)
#define JOULE_DISPATCHED_MEMBER(member, ...) (__VA_ARGS__)
#endif
