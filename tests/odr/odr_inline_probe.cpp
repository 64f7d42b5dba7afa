// Compiled at -O0, so that every inline function joule's public API uses is emitted out of line
// as a weak symbol, the way a debug build of a user's program emits them. check_weak_symbols.cmake
// then requires each weak joule:: symbol to be instruction-set specific (inside the arch
// namespace or carrying its abi tag): a neutral weak symbol is one the linker may share between
// translation units built for different instruction sets, handing AVX code to a baseline caller.
// Add every public family's entry points and options structs here as they land.
#include <cstdint>

#include <joule/joule.hpp>

void odr_inline_probe(float* a, float* c)
{
    joule::matrix_view<const float> A(a, 4, 4, 4);
    joule::matrix_view<float> empty_view; // the default constructors too
    joule::qmatrix_view<const joule::block_q8_0> empty_qview;
    (void)empty_view;
    (void)empty_qview;
    joule::matrix_view<float> C(c, 4, 4, 4);
    joule::gemm_options g;
    g.alpha = 2;
    joule::matmul(A, A, C, g);
    joule::matmul(A, A, C);
    joule::linear_options l;
    joule::linear(A, A, C, l);
    const auto packed = joule::pack(A);
    joule::matmul(A, packed, C);
    joule::convert(a, reinterpret_cast<joule::f16*>(c), 4);
    joule::softmax_options so;
    so.temperature = 0.5f;
    joule::softmax(a, c, 4, so);
    joule::log_softmax(a, c, 4);
    joule::softmax(joule::matrix_view<const float>(a, 2, 2, 2), joule::matrix_view<float>(c, 2, 2, 2), so);
    joule::online_softmax state;
    state.add(a, 4);
    state.normalize(a, c, 4);
    joule::exp(a, c, 4);
    joule::block_q4_0 q4[1];
    joule::quantize(a, q4, 32);
    joule::dequantize(q4, c, 32);
    joule::block_q4_K qk[1];
    joule::quantize(a, qk, 256);
    joule::dequantize(qk, c, 256);
    std::int8_t i8[4];
    joule::quantize_linear(a, i8, 4, 0.5f, 1);
    joule::dequantize_linear(i8, c, 4, 0.5f, 1);
    joule::quant_axis axis;
    axis.size = 4;
    joule::quantize_linear(a, i8, axis, a, 4);
    std::uint8_t u8[4];
    joule::dynamic_quantize_linear(a, u8, 4);
    joule::linear_options lq;
    lq.dequantize_weights = false;
    const joule::qmatrix_view<const joule::block_q4_0> W(q4, 1, 32);
    joule::linear(joule::matrix_view<const float>(a, 1, 32), W, joule::matrix_view<float>(c, 1, 1), lq);
    joule::linear(joule::matrix_view<const float>(a, 1, 256),
                  joule::qmatrix_view<const joule::block_q4_K>(qk, 1, 256), joule::matrix_view<float>(c, 1, 1));
    joule::int8_gemm_options io;
    io.a_zero_point = 3;
    std::int32_t acc[4] = {};
    joule::matmul(joule::matrix_view<const std::uint8_t>(u8, 2, 2), joule::matrix_view<const std::int8_t>(i8, 2, 2),
                  joule::matrix_view<std::int32_t>(acc, 2, 2), io);
    joule::matmul(joule::matrix_view<const std::int8_t>(i8, 2, 2), joule::matrix_view<const std::int8_t>(i8, 2, 2),
                  joule::matrix_view<std::int32_t>(acc, 2, 2));
    joule::requantize(acc, i8, 4, 0.5f, 0);
    joule::requantize(acc, u8, 4, joule::fixed_point_multiplier_of(0.25), 0);
    try
    {
        joule::matmul(A, A, joule::matrix_view<float>(c, 3, 3, 3));
    }
    catch (const joule::error&)
    {
    }
}
