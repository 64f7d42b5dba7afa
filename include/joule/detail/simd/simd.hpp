// joule::simd: the thin layer every kernel is written against.
//
// It maps onto xsimd batches where xsimd has an architecture for the compile-time target and
// onto a one-lane scalar_batch where it has none, and it hides the API differences between
// Debian's xsimd 8.1 and xsimd 13/14 (hadd -> reduce_add, bitwise_cast's template argument,
// reduce_max missing before 9.0, bitwise_cast taking a batch type before 11.0). Kernels are templates on an arch tag `A`; `native_arch` is the
// best one the compiler flags allow. Define JOULE_FORCE_SCALAR to build the scalar path on any
// target (the tests do, so it is covered on x86 too).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "joule/detail/config.hpp"
#include "joule/detail/simd/scalar_batch.hpp"

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
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> fma(scalar_batch<T> a, scalar_batch<T> b, scalar_batch<T> c) noexcept
        {
            return a.value * b.value + c.value;
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
        /// Rounds each lane to the nearest integer, ties to even (the default FP environment).
        template <class T>
        JOULE_ALWAYS_INLINE scalar_batch<T> round_nearest(scalar_batch<T> a) noexcept
        {
            return std::nearbyint(a.value);
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
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
        {
            return xsimd::max(a, b);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> min(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept
        {
            return xsimd::min(a, b);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> abs(const xsimd::batch<T, A>& a) noexcept
        {
            return xsimd::abs(a);
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE T reduce_add(const xsimd::batch<T, A>& a) noexcept
        {
#if XSIMD_VERSION_MAJOR < 9 // renamed reduce_add in 9.0
            return xsimd::hadd(a);
#else
            return xsimd::reduce_add(a);
#endif
        }
        template <class T, class A>
        JOULE_ALWAYS_INLINE T reduce_max(const xsimd::batch<T, A>& a) noexcept
        {
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
        JOULE_ALWAYS_INLINE xsimd::batch<T, A> round_nearest(const xsimd::batch<T, A>& a) noexcept
        {
            return xsimd::nearbyint(a);
        }
#endif
    } // namespace simd
    JOULE_END_ARCH_NS
} // namespace joule
