// Entry points behind joule/matmul.hpp (declarations; the definitions follow in this file as
// the implementation lands).
#pragma once

#include <cstddef>

#include "joule/detail/simd/simd.hpp"

namespace joule
{
    struct gemm_options;
    struct linear_options;
    template <class T>
    struct matrix_view;
    template <class T>
    class packed_matrix;

    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        template <class A, class TA, class TB>
        void matmul_entry(matrix_view<const TA> A_, matrix_view<const TB> B, matrix_view<float> C,
                          const gemm_options& opts);
        template <class A, class TB>
        packed_matrix<TB> pack_entry(matrix_view<const TB> B);
        template <class A, class TA, class TB>
        void matmul_packed_entry(matrix_view<const TA> A_, const packed_matrix<TB>& B, matrix_view<float> C,
                                 const gemm_options& opts);
        template <class A, class TX, class TW>
        void linear_entry(matrix_view<const TX> X, matrix_view<const TW> W, matrix_view<float> Y,
                          const linear_options& opts);
        template <class A, class TX, class TW>
        void linear_packed_entry(matrix_view<const TX> X, const packed_matrix<TW>& Wp, matrix_view<float> Y,
                                 const linear_options& opts);
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
