// A one-lane "batch" with the operations joule's kernels use, for targets where xsimd has no
// SIMD architecture (riscv64 with xsimd 8.1, or a build that forces the scalar path). Kernels
// written against joule::simd run unchanged on it, one element per step.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/detail/config.hpp"

namespace joule
{
    JOULE_BEGIN_ARCH_NS
    namespace simd
    {
        /// Arch tag of the one-lane fallback.
        struct scalar_arch
        {
            static constexpr const char* name() noexcept { return "scalar"; }
            static constexpr std::size_t alignment() noexcept { return 16; }
        };

        template <class T>
        struct scalar_batch_bool
        {
            bool value;
        };

        template <class T>
        struct scalar_batch
        {
            using value_type = T;
            using arch_type = scalar_arch;
            static constexpr std::size_t size = 1;
            T value;

            scalar_batch() = default;
            constexpr scalar_batch(T v) noexcept // NOLINT: implicit, as xsimd::batch
                : value(v)
            {
            }
            static scalar_batch broadcast(T v) noexcept { return scalar_batch(v); }
            template <class U>
            static scalar_batch load_unaligned(const U* p) noexcept
            {
                return scalar_batch(static_cast<T>(*p));
            }
            template <class U>
            static scalar_batch load_aligned(const U* p) noexcept
            {
                return scalar_batch(static_cast<T>(*p));
            }
            template <class U>
            void store_unaligned(U* p) const noexcept
            {
                *p = static_cast<U>(value);
            }
            template <class U>
            void store_aligned(U* p) const noexcept
            {
                *p = static_cast<U>(value);
            }
            T get(std::size_t) const noexcept { return value; }

            scalar_batch& operator+=(scalar_batch o) noexcept { value += o.value; return *this; }
            scalar_batch& operator-=(scalar_batch o) noexcept { value -= o.value; return *this; }
            scalar_batch& operator*=(scalar_batch o) noexcept { value *= o.value; return *this; }
            scalar_batch& operator/=(scalar_batch o) noexcept { value /= o.value; return *this; }
        };

        // clang-format off
        template <class T> scalar_batch<T> operator+(scalar_batch<T> a, scalar_batch<T> b) noexcept { return a.value + b.value; }
        template <class T> scalar_batch<T> operator-(scalar_batch<T> a, scalar_batch<T> b) noexcept { return a.value - b.value; }
        template <class T> scalar_batch<T> operator*(scalar_batch<T> a, scalar_batch<T> b) noexcept { return a.value * b.value; }
        template <class T> scalar_batch<T> operator/(scalar_batch<T> a, scalar_batch<T> b) noexcept { return a.value / b.value; }
        template <class T> scalar_batch<T> operator-(scalar_batch<T> a) noexcept { return -a.value; }
        template <class T> scalar_batch<T> operator&(scalar_batch<T> a, scalar_batch<T> b) noexcept { return T(a.value & b.value); }
        template <class T> scalar_batch<T> operator|(scalar_batch<T> a, scalar_batch<T> b) noexcept { return T(a.value | b.value); }
        template <class T> scalar_batch<T> operator^(scalar_batch<T> a, scalar_batch<T> b) noexcept { return T(a.value ^ b.value); }
        template <class T> scalar_batch<T> operator>>(scalar_batch<T> a, int s) noexcept { return T(a.value >> s); }
        template <class T> scalar_batch<T> operator<<(scalar_batch<T> a, int s) noexcept { return T(a.value << s); }
        template <class T> scalar_batch_bool<T> operator<(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value < b.value}; }
        template <class T> scalar_batch_bool<T> operator<=(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value <= b.value}; }
        template <class T> scalar_batch_bool<T> operator>(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value > b.value}; }
        template <class T> scalar_batch_bool<T> operator>=(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value >= b.value}; }
        template <class T> scalar_batch_bool<T> operator==(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value == b.value}; }
        template <class T> scalar_batch_bool<T> operator!=(scalar_batch<T> a, scalar_batch<T> b) noexcept { return {a.value != b.value}; }
        template <class T> scalar_batch_bool<T> operator&&(scalar_batch_bool<T> a, scalar_batch_bool<T> b) noexcept { return {a.value && b.value}; }
        template <class T> scalar_batch_bool<T> operator||(scalar_batch_bool<T> a, scalar_batch_bool<T> b) noexcept { return {a.value || b.value}; }
        template <class T> scalar_batch_bool<T> operator!(scalar_batch_bool<T> a) noexcept { return {!a.value}; }
        // clang-format on
    } // namespace simd
    JOULE_END_ARCH_NS
} // namespace joule
