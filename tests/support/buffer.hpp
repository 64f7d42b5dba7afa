// A test buffer whose data starts at a chosen byte offset from a 64-byte boundary, surrounded
// by guard bytes that the tests check afterwards: a kernel that writes past its end or
// before its start fails the test instead of corrupting memory silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

namespace joule_test
{
    template <class T>
    class guarded_buffer
    {
    public:
        static constexpr std::size_t guard_bytes = 64;
        static constexpr unsigned char guard_value = 0xA5;

        guarded_buffer(std::size_t count, std::size_t misalign_bytes = 0)
            : count_(count)
            , offset_(guard_bytes + misalign_bytes)
            , total_(offset_ + count * sizeof(T) + guard_bytes)
            , storage_(static_cast<unsigned char*>(::operator new(total_, std::align_val_t(64))))
        {
            std::memset(storage_.get(), guard_value, total_);
        }

        T* data() noexcept { return reinterpret_cast<T*>(storage_.get() + offset_); }
        const T* data() const noexcept { return reinterpret_cast<const T*>(storage_.get() + offset_); }
        std::size_t size() const noexcept { return count_; }
        T& operator[](std::size_t i) noexcept { return data()[i]; }
        const T& operator[](std::size_t i) const noexcept { return data()[i]; }

        /// True when no byte outside [data(), data() + size()) was written.
        bool guards_intact() const noexcept
        {
            const unsigned char* p = storage_.get();
            for (std::size_t i = 0; i < offset_; ++i)
                if (p[i] != guard_value)
                    return false;
            for (std::size_t i = offset_ + count_ * sizeof(T); i < total_; ++i)
                if (p[i] != guard_value)
                    return false;
            return true;
        }

    private:
        struct deleter
        {
            void operator()(unsigned char* p) const noexcept { ::operator delete(p, std::align_val_t(64)); }
        };
        std::size_t count_, offset_, total_;
        std::unique_ptr<unsigned char, deleter> storage_;
    };
} // namespace joule_test

namespace joule_test
{
    /// A null pointer the optimizer cannot see through. Tests of argument errors pass it instead
    /// of a literal nullptr: GCC 12 otherwise follows the (unreachable) path past the check into
    /// the kernel and reports -Warray-bounds there.
    template <class T>
    T* opaque_null() noexcept
    {
        T* p = nullptr;
#if defined(__GNUC__)
        asm volatile("" : "+r"(p));
#endif
        return p;
    }
} // namespace joule_test
