// joule::simd: the thin layer every kernel is written against.
//
// It maps onto xsimd batches where xsimd has an architecture for the compile-time target and
// onto a one-lane scalar_batch where it has none, and it hides the API differences between
// Debian's xsimd 8.1 and xsimd 13/14 (hadd -> reduce_add, bitwise_cast's template argument,
// reduce_max missing before 9.0, bitwise_cast taking a batch type before 11.0). Kernels are templates on an arch tag `A`; `native_arch` is the
// best one the compiler flags allow. Define JOULE_FORCE_SCALAR to build the scalar path on any
// target (the tests do, so it is covered on x86 too).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "joule/detail/config.hpp"
#include "joule/detail/simd/scalar_batch.hpp"

#if defined(__SSE2__) || defined(_M_X64)
#include <immintrin.h>
#endif
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#include <arm_neon.h>
#endif

#if defined(XSIMD_NO_SUPPORTED_ARCHITECTURE) || defined(JOULE_FORCE_SCALAR)
#define JOULE_SIMD_SCALAR_ONLY 1
#else
#define JOULE_SIMD_SCALAR_ONLY 0
#endif

#if !defined(XSIMD_VERSION_MAJOR) || XSIMD_VERSION_MAJOR < 8 || (XSIMD_VERSION_MAJOR == 8 && XSIMD_VERSION_MINOR < 1)
#error "joule needs xsimd 8.1 or newer"
#endif

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace simd
    {
#if JOULE_SIMD_SCALAR_ONLY
        using native_arch = scalar_arch;
#else
        using native_arch = xsimd::default_arch;
#endif

        template <class T, class A>
        struct batch_of
        {
            using type = xsimd::batch<T, A>;
        };
        template <class T>
        struct batch_of<T, scalar_arch>
        {
            using type = scalar_batch<T>;
        };

        /// The register type of T for arch A: xsimd::batch<T, A>, or scalar_batch<T>.
        template <class T, class A = native_arch>
        using batch = typename batch_of<T, A>::type;

        /// Lanes of T in one register of arch A.
        template <class T, class A = native_arch>
        constexpr std::size_t width = batch<T, A>::size;

        template <class A>
        constexpr const char* arch_name() noexcept
        {
            return A::name();
        }

        // ---- memory -----------------------------------------------------------------------------
        template <class A, class T>
        JOULE_ALWAYS_INLINE batch<T, A> load(const T* p) noexcept
        {
            return batch<T, A>::load_unaligned(p);
        }
        template <class A, class T>
        JOULE_ALWAYS_INLINE batch<T, A> load_aligned(const T* p) noexcept
        {
            return batch<T, A>::load_aligned(p);
        }
        template <class A, class T>
        JOULE_ALWAYS_INLINE batch<T, A> splat(T v) noexcept
        {
            return batch<T, A>(v);
        }
        template <class T>
        JOULE_ALWAYS_INLINE void store(T* p, const scalar_batch<T>& b) noexcept
        {
            *p = b.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE void store_aligned(T* p, const scalar_batch<T>& b) noexcept
        {
            *p = b.value;
        }

        // ---- arithmetic on the scalar fallback -------------------------------------------------
        /// a * b + c rounded once, like the SIMD instructions (kernels such as exp rely on it).
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> fma(scalar_batch<T> a, scalar_batch<T> b, scalar_batch<T> c) noexcept
        {
            return std::fma(a.value, b.value, c.value);
        }
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> max(scalar_batch<T> a, scalar_batch<T> b) noexcept
        {
            return a.value > b.value ? a.value : b.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> min(scalar_batch<T> a, scalar_batch<T> b) noexcept
        {
            return a.value < b.value ? a.value : b.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> abs(scalar_batch<T> a) noexcept
        {
            return std::abs(a.value);
        }
        template <class T>
        JOULE_ALWAYS_INLINE T reduce_add(scalar_batch<T> a) noexcept
        {
            return a.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE T reduce_max(scalar_batch<T> a) noexcept
        {
            return a.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE T reduce_min(scalar_batch<T> a) noexcept
        {
            return a.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> select(scalar_batch_bool<T> m, scalar_batch<T> a, scalar_batch<T> b) noexcept
        {
            return m.value ? a : b;
        }
        template <class T>
        JOULE_ALWAYS_INLINE bool any(scalar_batch_bool<T> m) noexcept
        {
            return m.value;
        }
        template <class T>
        JOULE_ALWAYS_INLINE bool all(scalar_batch_bool<T> m) noexcept
        {
            return m.value;
        }
        /// Reinterprets the bits of each lane as U (same lane size).
        template <class U, class T>
        JOULE_ALWAYS_INLINE scalar_batch<U> bitcast(scalar_batch<T> a) noexcept
        {
            static_assert(sizeof(U) == sizeof(T), "bitcast needs lanes of equal size");
            U u;
            std::memcpy(&u, &a.value, sizeof(U));
            return u;
        }
        /// Converts each lane to U by value (float <-> int32 truncates toward zero, as static_cast).
        template <class U, class T>
        JOULE_ALWAYS_INLINE scalar_batch<U> convert(scalar_batch<T> a) noexcept
        {
            return static_cast<U>(a.value);
        }
        /// a / b correctly rounded on every arch. Use it, not operator/, where the quotient must be
        /// IEEE's: xsimd (8.1 to 14) divides floats on AArch64 NEON with a reciprocal estimate and
        /// Newton steps, which is off in the last bits.
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> div(scalar_batch<T> a, scalar_batch<T> b) noexcept
        {
            return a.value / b.value;
        }
        /// Rounds each lane to the nearest integer, ties to even (the default FP environment).
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> round_nearest(scalar_batch<T> a) noexcept
        {
            return std::nearbyint(a.value);
        }
        /// max(x, lo) for a bound lo that is not NaN; a NaN lane of x stays NaN. (xsimd::max gives
        /// no such promise: its NaN behaviour depends on the version and the instruction set.)
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> clamp_low(scalar_batch<T> x, scalar_batch<T> lo) noexcept
        {
            return x.value < lo.value ? lo : x;
        }
        /// min(x, hi) for a bound hi that is not NaN; a NaN lane of x stays NaN.
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> clamp_high(scalar_batch<T> x, scalar_batch<T> hi) noexcept
        {
            return x.value > hi.value ? hi : x;
        }

        /// Stores bypassing the caches where the instruction set has them (x86 MOVNTPS); p must be
        /// aligned to the register size. For outputs much larger than the last-level cache: they
        /// skip the read-for-ownership a normal store costs. Call stream_fence() before the data
        /// is used by another thread.
        template <class T>
        JOULE_ALWAYS_INLINE void store_stream(T* p, const scalar_batch<T>& b) noexcept
        {
            *p = b.value;
        }
        JOULE_ALWAYS_INLINE void stream_fence() noexcept
        {
#if defined(__SSE2__) || defined(_M_X64)
            _mm_sfence();
#endif
        }

        /// Each lane shifted left by N bits (unsigned lanes: no signed overflow).
        template <int N, class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> shift_left(scalar_batch<T> a) noexcept
        {
            static_assert(std::is_unsigned<T>::value, "shift unsigned lanes");
            return static_cast<T>(a.value << N);
        }

        // ---- float <-> double registers --------------------------------------------------------
        /// Double registers that hold one float register's lanes: 2, or 1 on the scalar path.
        template <class A>
        constexpr std::size_t widened_parts = width<float, A> / width<double, A>;

        /// The lanes of a float register as doubles (exact), lowest lanes first.
        template <class A>
        JOULE_ALWAYS_INLINE std::array<batch<double, A>, widened_parts<A>> widen(const batch<float, A>& x) noexcept;
        /// The inverse of widen, each lane rounded to float once.
        template <class A>
        JOULE_ALWAYS_INLINE batch<float, A> narrow(const std::array<batch<double, A>, widened_parts<A>>& d) noexcept;

        template <>
        JOULE_ALWAYS_INLINE std::array<scalar_batch<double>, 1> widen<scalar_arch>(const scalar_batch<float>& x) noexcept
        {
            return {scalar_batch<double>(static_cast<double>(x.value))};
        }
        template <>
        JOULE_ALWAYS_INLINE scalar_batch<float> narrow<scalar_arch>(const std::array<scalar_batch<double>, 1>& d) noexcept
        {
            return static_cast<float>(d[0].value);
        }

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
        // ---- the same operations on xsimd batches -------------------------------------------
        template <class T, class A>
        JOULE_ALWAYS_INLINE void store(T* p, const xsimd::batch<T, A>& b) noexcept
        {
            b.store_unaligned(p);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE void store_aligned(T* p, const xsimd::batch<T, A>& b) noexcept
        {
            b.store_aligned(p);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                                                   const xsimd::batch<T, A>& c) noexcept
        {
#if XSIMD_VERSION_MAJOR < 11 && defined(__AVX512F__)
            // xsimd gained AVX-512 fma in 11.0; before, it is a multiply and an add (two roundings,
            // half the throughput).
            if constexpr (std::is_base_of<xsimd::avx512f, A>::value && std::is_same<T, float>::value)
                return _mm512_fmadd_ps(a, b, c);
            else if constexpr (std::is_base_of<xsimd::avx512f, A>::value && std::is_same<T, double>::value)
                return _mm512_fmadd_pd(a, b, c);
            else
#endif
                return xsimd::fma(a, b, c);
        }
        // max and min: which operand a NaN lane gives depends on the xsimd version and the
        // instruction set; never rely on it (see clamp_low / clamp_high for NaN-keeping bounds).
        // AVX-512 floats use the masked instruction with every lane selected: GCC 12's unmasked
        // intrinsic starts from _mm512_undefined_ps() and trips -Wuninitialized (GCC bug 105593).
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 16)
                return _mm512_mask_max_ps(a, __mmask16(0xffff), a, b);
#endif
            return xsimd::max(a, b);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> min(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 16)
                return _mm512_mask_min_ps(a, __mmask16(0xffff), a, b);
#endif
            return xsimd::min(a, b);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> abs(const xsimd::batch<T, A>& a) noexcept
        {
            return xsimd::abs(a);
        }
#if defined(__AVX__)
        // Horizontal sums and maxima of x86 registers in shuffles (log2(lanes) steps). AVX-512 ones
        // halve the register first with the masked extract (GCC bug 105593, as for max below).
        namespace x86
        {
            JOULE_ALWAYS_INLINE float sum128(__m128 s) noexcept
            {
                s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
            }
            JOULE_ALWAYS_INLINE float max128(__m128 s) noexcept
            {
                s = _mm_max_ps(s, _mm_movehl_ps(s, s));
                return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
            }
            JOULE_ALWAYS_INLINE double sum128(__m128d s) noexcept
            {
                return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
            }
            JOULE_ALWAYS_INLINE __m128 halves_add(__m256 v) noexcept
            {
                return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            }
            JOULE_ALWAYS_INLINE __m128 halves_max(__m256 v) noexcept
            {
                return _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            }
            JOULE_ALWAYS_INLINE __m128d halves_add(__m256d v) noexcept
            {
                return _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
            }
#if defined(__AVX512F__)
            JOULE_ALWAYS_INLINE __m256 half(__m512 v, int upper) noexcept
            {
                const __m256d zero = _mm256_setzero_pd();
                return _mm256_castpd_ps(upper ? _mm512_mask_extractf64x4_pd(zero, __mmask8(0xf), _mm512_castps_pd(v), 1)
                                              : _mm512_mask_extractf64x4_pd(zero, __mmask8(0xf), _mm512_castps_pd(v), 0));
            }
            JOULE_ALWAYS_INLINE __m256d half(__m512d v, int upper) noexcept
            {
                const __m256d zero = _mm256_setzero_pd();
                return upper ? _mm512_mask_extractf64x4_pd(zero, __mmask8(0xf), v, 1)
                             : _mm512_mask_extractf64x4_pd(zero, __mmask8(0xf), v, 0);
            }
#endif
        } // namespace x86
#endif

        template <class T, class A>
        JOULE_ALWAYS_INLINE T reduce_add(const xsimd::batch<T, A>& a) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 16)
                return x86::sum128(x86::halves_add(_mm256_add_ps(x86::half(a, 0), x86::half(a, 1))));
            if constexpr (std::is_same<T, double>::value && xsimd::batch<T, A>::size == 8)
                return x86::sum128(x86::halves_add(_mm256_add_pd(x86::half(a, 0), x86::half(a, 1))));
#endif
#if defined(__AVX__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 8)
                return x86::sum128(x86::halves_add(a));
            if constexpr (std::is_same<T, double>::value && xsimd::batch<T, A>::size == 4)
                return x86::sum128(x86::halves_add(a));
#endif
#if XSIMD_VERSION_MAJOR < 9 // renamed reduce_add in 9.0
            return xsimd::hadd(a);
#else
            return xsimd::reduce_add(a);
#endif
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE T reduce_max(const xsimd::batch<T, A>& a) noexcept
        {
#if defined(__AVX512F__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 16)
                return x86::max128(x86::halves_max(_mm256_max_ps(x86::half(a, 0), x86::half(a, 1))));
#endif
#if defined(__AVX__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 8)
                return x86::max128(x86::halves_max(a));
#endif
#if XSIMD_VERSION_MAJOR < 9
            alignas(64) T lanes[xsimd::batch<T, A>::size];
            a.store_aligned(lanes);
            T m = lanes[0];
            for (std::size_t i = 1; i < xsimd::batch<T, A>::size; ++i)
                m = lanes[i] > m ? lanes[i] : m;
            return m;
#else
            return xsimd::reduce_max(a);
#endif
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE T reduce_min(const xsimd::batch<T, A>& a) noexcept
        {
#if XSIMD_VERSION_MAJOR < 9
            alignas(64) T lanes[xsimd::batch<T, A>::size];
            a.store_aligned(lanes);
            T m = lanes[0];
            for (std::size_t i = 1; i < xsimd::batch<T, A>::size; ++i)
                m = lanes[i] < m ? lanes[i] : m;
            return m;
#else
            return xsimd::reduce_min(a);
#endif
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> select(const xsimd::batch_bool<T, A>& m, const xsimd::batch<T, A>& a,
                                                      const xsimd::batch<T, A>& b) noexcept
        {
            return xsimd::select(m, a, b);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE bool any(const xsimd::batch_bool<T, A>& m) noexcept
        {
            return xsimd::any(m);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE bool all(const xsimd::batch_bool<T, A>& m) noexcept
        {
            return xsimd::all(m);
        }
        template <class U, class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<U, A> bitcast(const xsimd::batch<T, A>& a) noexcept
        {
            static_assert(sizeof(U) == sizeof(T), "bitcast needs lanes of equal size");
#if XSIMD_VERSION_MAJOR < 11 // bitwise_cast took the batch type before 11.0
            return xsimd::bitwise_cast<xsimd::batch<U, A>>(a);
#else
            return xsimd::bitwise_cast<U>(a);
#endif
        }
        template <class U, class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<U, A> convert(const xsimd::batch<T, A>& a) noexcept
        {
            return xsimd::batch_cast<U>(a);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> div(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
        {
            // xsimd's float division on AArch64 is a reciprocal estimate refined by Newton steps,
            // up to an ULP off; FDIV is exact.
#if defined(__ARM_NEON) && defined(__aarch64__)
            if constexpr (std::is_same<T, float>::value && xsimd::batch<T, A>::size == 4)
                return vdivq_f32(a, b);
            else
#endif
                return a / b;
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> round_nearest(const xsimd::batch<T, A>& a) noexcept
        {
            return xsimd::nearbyint(a);
        }

        // x86 MAXPS/MINPS return their second operand when either is NaN, so max(lo, x) keeps a NaN
        // x in one instruction; NEON FMAX/FMIN return NaN when either operand is NaN. (AVX-512: the
        // masked forms, as in max above.)
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> clamp_low(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& lo) noexcept
        {
            if constexpr (std::is_same<T, float>::value)
            {
#if defined(__AVX512F__)
                if constexpr (xsimd::batch<T, A>::size == 16)
                    return _mm512_mask_max_ps(x, __mmask16(0xffff), lo, x);
#endif
#if defined(__AVX__)
                if constexpr (xsimd::batch<T, A>::size == 8)
                    return _mm256_max_ps(lo, x);
#endif
#if defined(__SSE2__) || defined(_M_X64)
                if constexpr (xsimd::batch<T, A>::size == 4)
                    return _mm_max_ps(lo, x);
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
                if constexpr (xsimd::batch<T, A>::size == 4)
                    return vmaxq_f32(x, lo);
#endif
            }
            return xsimd::select(x < lo, lo, x);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> clamp_high(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& hi) noexcept
        {
            if constexpr (std::is_same<T, float>::value)
            {
#if defined(__AVX512F__)
                if constexpr (xsimd::batch<T, A>::size == 16)
                    return _mm512_mask_min_ps(x, __mmask16(0xffff), hi, x);
#endif
#if defined(__AVX__)
                if constexpr (xsimd::batch<T, A>::size == 8)
                    return _mm256_min_ps(hi, x);
#endif
#if defined(__SSE2__) || defined(_M_X64)
                if constexpr (xsimd::batch<T, A>::size == 4)
                    return _mm_min_ps(hi, x);
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
                if constexpr (xsimd::batch<T, A>::size == 4)
                    return vminq_f32(x, hi);
#endif
            }
            return xsimd::select(x > hi, hi, x);
        }

        template <class T, class A>
        JOULE_ALWAYS_INLINE void store_stream(T* p, const xsimd::batch<T, A>& b) noexcept
        {
            if constexpr (std::is_same<T, float>::value)
            {
#if defined(__AVX512F__)
                if constexpr (xsimd::batch<T, A>::size == 16)
                    return _mm512_stream_ps(p, b);
#endif
#if defined(__AVX__)
                if constexpr (xsimd::batch<T, A>::size == 8)
                    return _mm256_stream_ps(p, b);
#endif
#if defined(__SSE2__) || defined(_M_X64)
                if constexpr (xsimd::batch<T, A>::size == 4)
                    return _mm_stream_ps(p, b);
#endif
            }
            b.store_aligned(p);
        }

        template <int N, class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> shift_left(const xsimd::batch<T, A>& a) noexcept
        {
            static_assert(std::is_unsigned<T>::value, "shift unsigned lanes");
#if defined(__AVX512F__)
            // Masked forms with every lane selected: GCC bug 105593, as in max above.
            if constexpr (sizeof(T) == 4 && xsimd::batch<T, A>::size == 16)
                return _mm512_mask_slli_epi32(a, __mmask16(0xffff), a, N);
            if constexpr (sizeof(T) == 8 && xsimd::batch<T, A>::size == 8)
                return _mm512_mask_slli_epi64(a, __mmask8(0xff), a, N);
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
            // The immediate form (xsimd 8.1 takes a run-time count).
            if constexpr (sizeof(T) == 4 && xsimd::batch<T, A>::size == 4)
                return vshlq_n_u32(a, N);
            if constexpr (sizeof(T) == 8 && xsimd::batch<T, A>::size == 2)
                return vshlq_n_u64(a, N);
#endif
            return a << N;
        }

        template <class A>
        JOULE_ALWAYS_INLINE std::array<batch<double, A>, widened_parts<A>> widen(const batch<float, A>& x) noexcept
        {
            static_assert(widened_parts<A> == 2, "a double register holds half a float register's lanes");
#if defined(__AVX512F__)
            if constexpr (width<float, A> == 16)
            {
                // Masked forms with every lane selected: GCC bug 105593, as in max above.
                const __m512d v = _mm512_castps_pd(x);
                const __m256d zero4 = _mm256_setzero_pd();
                const __m256 lo = _mm256_castpd_ps(_mm512_mask_extractf64x4_pd(zero4, __mmask8(0xf), v, 0));
                const __m256 hi = _mm256_castpd_ps(_mm512_mask_extractf64x4_pd(zero4, __mmask8(0xf), v, 1));
                const __m512d zero = _mm512_setzero_pd();
                return {_mm512_mask_cvtps_pd(zero, __mmask8(0xff), lo), _mm512_mask_cvtps_pd(zero, __mmask8(0xff), hi)};
            }
#endif
#if defined(__AVX__)
            if constexpr (width<float, A> == 8)
            {
                const __m256 v = x;
                return {_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))};
            }
#endif
#if defined(__SSE2__) || defined(_M_X64)
            if constexpr (width<float, A> == 4)
            {
                const __m128 v = x;
                return {_mm_cvtps_pd(v), _mm_cvtps_pd(_mm_movehl_ps(v, v))};
            }
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
            if constexpr (width<float, A> == 4)
            {
                const float32x4_t v = x;
                return {vcvt_f64_f32(vget_low_f32(v)), vcvt_high_f64_f32(v)};
            }
#endif
            constexpr std::size_t half = width<double, A>;
            alignas(64) float f[2 * half];
            alignas(64) double d[2 * half];
            x.store_aligned(f);
            for (std::size_t i = 0; i < 2 * half; ++i)
                d[i] = f[i];
            return {batch<double, A>::load_aligned(d), batch<double, A>::load_aligned(d + half)};
        }

        template <class A>
        JOULE_ALWAYS_INLINE batch<float, A> narrow(const std::array<batch<double, A>, widened_parts<A>>& d) noexcept
        {
            static_assert(widened_parts<A> == 2, "a double register holds half a float register's lanes");
#if defined(__AVX512F__)
            if constexpr (width<float, A> == 16)
            {
                const __m256 zero = _mm256_setzero_ps();
                const __m256 lo = _mm512_mask_cvtpd_ps(zero, __mmask8(0xff), d[0]);
                const __m256 hi = _mm512_mask_cvtpd_ps(zero, __mmask8(0xff), d[1]);
                const __m512d lo_wide = _mm512_castpd256_pd512(_mm256_castps_pd(lo));
                return _mm512_castpd_ps(_mm512_mask_insertf64x4(lo_wide, __mmask8(0xff), lo_wide, _mm256_castps_pd(hi), 1));
            }
#endif
#if defined(__AVX__)
            if constexpr (width<float, A> == 8)
                return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(d[0])), _mm256_cvtpd_ps(d[1]), 1);
#endif
#if defined(__SSE2__) || defined(_M_X64)
            if constexpr (width<float, A> == 4)
                return _mm_movelh_ps(_mm_cvtpd_ps(d[0]), _mm_cvtpd_ps(d[1]));
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
            if constexpr (width<float, A> == 4)
                return vcvt_high_f32_f64(vcvt_f32_f64(d[0]), d[1]);
#endif
            constexpr std::size_t half = width<double, A>;
            alignas(64) double v[2 * half];
            alignas(64) float f[2 * half];
            d[0].store_aligned(v);
            d[1].store_aligned(v + half);
            for (std::size_t i = 0; i < 2 * half; ++i)
                f[i] = static_cast<float>(v[i]);
            return batch<float, A>::load_aligned(f);
        }
#endif
    } // namespace simd
    JOULE_END_ARCH_NS
} // namespace joule
