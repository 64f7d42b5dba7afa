// int8 -> float lanes: loads width<float, A> int8 values as one float batch of arch A. The
// generic dequantizer and the ONNX dequantizer run their float step on it. A generic version
// (one lane at a time) and the in-register widenings of AVX2, AVX-512 and AArch64 NEON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "joule/detail/simd/simd.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace detail
    {
        /// Loads width<float, A> int8 values as one float batch. This fallback converts one lane at
        /// a time; the specializations below widen in registers.
        template <class A, class Enable = void>
        struct int8_codec
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                constexpr std::size_t lanes = simd::width<float, A>;
                alignas(64) float f[lanes];
                for (std::size_t i = 0; i < lanes; ++i)
                    f[i] = static_cast<float>(q[i]);
                return simd::load_aligned<A>(f);
            }
        };

#if defined(__AVX2__)
#if defined(__AVX512F__)
        // GCC 12's unmasked AVX-512 conversions fill an "undefined" register that -Wuninitialized
        // reports (GCC bug 105593); the zero-masked forms with a full mask are the same instruction.
        JOULE_ALWAYS_INLINE __m512 i8x16_to_f32(__m128i q) noexcept
        {
            return _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, q));
        }
#endif

        template <class A>
        struct int8_codec<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 8>>
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
            }
        };
#if defined(__AVX512F__)
        template <class A>
        struct int8_codec<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 16>>
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                return i8x16_to_f32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
            }
        };
#endif

#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
        template <class A>
        struct int8_codec<A, std::enable_if_t<!std::is_same<A, simd::scalar_arch>::value && simd::width<float, A> == 4>>
        {
            static simd::batch<float, A> load(const std::int8_t* q) noexcept
            {
                std::int32_t four;
                std::memcpy(&four, q, 4);
                const int16x8_t wide = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(four)));
                return vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
            }
        };

#endif
    } // namespace detail
    JOULE_END_ARCH_NS
} // namespace joule
