// Thread counts and pools for the benchmark rows: "all cores" is what this machine reports
// (std::thread::hardware_concurrency(), at least 1), so a row named threads:T really runs on T
// threads, and one joule::thread_pool per count, created on first use and kept.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <joule/executor.hpp>

namespace joule_bench
{
    /// The machine's hardware threads (at least 1).
    inline std::size_t all_cores()
    {
        const unsigned n = std::thread::hardware_concurrency();
        return n ? n : 1;
    }

    /// A pool of exactly `threads` threads (the caller's included), shared by every row using
    /// that count.
    inline joule::thread_pool& pool(std::size_t threads)
    {
        static std::mutex mutex;
        static std::map<std::size_t, std::unique_ptr<joule::thread_pool>> pools;
        std::lock_guard<std::mutex> lock(mutex);
        auto& p = pools[threads];
        if (!p)
            p = std::make_unique<joule::thread_pool>(threads);
        return *p;
    }

    /// The executor for a row on `threads` threads: the calling thread alone for 1.
    inline joule::executor_ref executor_for_threads(std::size_t threads)
    {
        return threads > 1 ? joule::executor_ref(pool(threads)) : joule::executor_ref();
    }
} // namespace joule_bench
