// The floating-point rules every quantizer follows, so that its bytes do not depend on the
// compiler, the flags or the instruction set.
//
// Why a barrier: GCC fuses a multiply and a following add into one FMA whenever the target has
// FMA (-ffp-contract=fast is its default, even in ISO C++ mode, and it fuses across statements
// and through intrinsics such as _mm256_add_ps(_mm256_mul_ps(a, b), c)); Clang fuses within one
// expression. A fused a*b + c rounds once instead of twice, so x86-64-v3 or aarch64 builds would
// quantize differently from ggml's reference (built without FMA) and from each other. Every
// product that feeds an addition or a subtraction therefore goes through `rounded()`, an empty
// asm statement that the compiler cannot see through: the product is rounded to float first.
//
// Rounding helpers reproduce ggml's rules exactly (its q8_0 / q8_1 reference quantizers use C's
// roundf, ties away from zero, which the scalar code calls as std::round):
//   - nearest_int(): ggml's magic-number rounding (ties to even for |x| <= 4194303), used by the
//     K-quants, with ggml's bit-exact result for any other input (including NaN and inf);
//   - truncate_to_int(): a C float -> int conversion with x86's answer (INT32_MIN) for NaN and
//     out-of-range values, where C leaves the conversion undefined.
//
// The environment is the default one: round to nearest even, no flush-to-zero. -ffast-math
// (or -fassociative-math, -freciprocal-math) breaks byte-compatibility and is not supported.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/config.hpp"
#include "joule/detail/convert/convert_scalar.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__F16C__) || defined(__AVX512F__))
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Returns v unchanged, but the compiler must materialize it rounded in a register: a
        /// multiply before this point cannot be fused with an add after it. Works on float and
        /// on SIMD register types (__m128, __m256, __m512, float32x4_t).
        template <class T, class = std::enable_if_t<!std::is_class<T>::value>>
        JOULE_ALWAYS_INLINE T rounded(T v) noexcept
        {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__)))
            __asm__("" : "+v"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
            __asm__("" : "+w"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__riscv) && defined(__riscv_flen)
            __asm__("" : "+f"(v));
#else
            volatile T pinned = v; // portable fallback: a store and a load
            v = pinned;
#endif
            return v;
        }

        /// a * b rounded to float, never fused with what follows.
        JOULE_ALWAYS_INLINE float mul(float a, float b) noexcept { return rounded(a * b); }

        /// ggml's nearest_int: round to nearest even through the float adder (|x| <= 4194303),
        /// bit for bit ggml's answer elsewhere. Branch-free and defined for every input.
        JOULE_ALWAYS_INLINE int nearest_int(float x) noexcept
        {
            const float shifted = rounded(x) + 12582912.0f; // 1.5 * 2^23
            std::int32_t i;
            std::memcpy(&i, &shifted, sizeof i);
            return (i & 0x007fffff) - 0x00400000;
        }

        /// (int)x with truncation toward zero; INT32_MIN for NaN and values outside int32 (the
        /// x86 answer, so every target agrees with ggml's x86 build where C is undefined).
        JOULE_ALWAYS_INLINE std::int32_t truncate_to_int(float x) noexcept
        {
            if (x > -2147483648.0f && x < 2147483648.0f)
                return static_cast<std::int32_t>(x);
            return INT32_MIN;
        }

        /// C's (int8_t)(float) / (uint8_t)(float) as ggml's x86 build computes it: truncate to
        /// int32, keep the low byte.
        JOULE_ALWAYS_INLINE std::int8_t truncate_to_i8(float x) noexcept
        {
            return static_cast<std::int8_t>(static_cast<std::uint8_t>(truncate_to_int(x) & 0xff));
        }
        JOULE_ALWAYS_INLINE std::uint8_t truncate_to_u8(float x) noexcept
        {
            return static_cast<std::uint8_t>(truncate_to_int(x) & 0xff);
        }

        // ---- one f16 at a time, with the hardware converter where there is one ------------------
        // Same bits as convert_scalar.hpp's functions (round to nearest even, NaN kept quiet).
        JOULE_ALWAYS_INLINE std::uint16_t to_f16(float x) noexcept
        {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__F16C__)
            return static_cast<std::uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
#elif defined(__aarch64__)
            return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(x))), 0);
#else
            return f32_to_f16_bits(x);
#endif
        }
        JOULE_ALWAYS_INLINE float from_f16(std::uint16_t h) noexcept
        {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__F16C__)
            return _cvtsh_ss(h);
#elif defined(__aarch64__)
            return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
#else
            return f16_bits_to_f32(h);
#endif
        }

        /// The f16 bits of a quiet NaN: the scale of a block whose input held NaN or inf.
        constexpr std::uint16_t f16_nan_bits = 0x7e00;

        JOULE_ALWAYS_INLINE std::uint32_t abs_bits(float x) noexcept { return float_bits(x) & 0x7fffffffu; }
        /// True for NaN and +-inf.
        JOULE_ALWAYS_INLINE bool not_finite(float x) noexcept { return abs_bits(x) >= 0x7f800000u; }
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
