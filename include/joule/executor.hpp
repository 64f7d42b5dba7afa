// joule/executor.hpp: who runs a kernel's parallel work.
//
// A kernel splits its work into independent tasks 0 .. n-1 and hands them to an executor,
// which runs each task exactly once and returns when all are done. Kernels choose their tasks
// so that every output element is computed by one task in a fixed order: results are
// bit-identical whatever the executor and however many threads it has.
//
//     joule::thread_pool pool;               // std::thread workers, created once, reused
//     joule::gemm_options opt; opt.executor = pool;
//
//     // a caller's own pool: any callable taking (task count, task) where task(i) runs task i
//     auto mine = [&](std::size_t n, joule::task_ref task) { my_pool.parallel_for(n, task); };
//     opt.executor = joule::executor_ref(mine, my_pool.size());
//
//     opt.executor = joule::openmp{};        // with -fopenmp
//
// Executors:
// - joule::sequential: the calling thread, in order. The default everywhere.
// - joule::thread_pool: `threads` threads including the caller (0 = the hardware's count).
//   The caller works too; workers spin briefly, then sleep. run() from several threads at once
//   is serialized; run() from inside one of the pool's own tasks runs inline (no deadlock).
//   The first exception a task throws is rethrown by run() once every task has finished or
//   been skipped.
// - joule::executor_ref: a non-owning handle to any of the above or to a callable. It must not
//   outlive what it refers to.
// - joule::openmp: `#pragma omp parallel for` (only when compiled with OpenMP).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "joule/detail/config.hpp"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace joule
{
    /// A non-owning reference to a callable `void(std::size_t task_index)`.
    class task_ref
    {
    public:
        template <class F, class = std::enable_if_t<!std::is_same<std::decay_t<F>, task_ref>::value>>
        JOULE_ARCH_TAG task_ref(F& f) noexcept // NOLINT: implicit on purpose
            : object_(static_cast<void*>(&f))
            , call_([](void* o, std::size_t i) { (*static_cast<F*>(o))(i); })
        {
        }
        JOULE_ARCH_TAG void operator()(std::size_t i) const { call_(object_, i); }

    private:
        void* object_;
        void (*call_)(void*, std::size_t);
    };

    /// Runs every task on the calling thread, in order.
    struct sequential
    {
        JOULE_ARCH_TAG void run(std::size_t n, task_ref task) const
        {
            for (std::size_t i = 0; i < n; ++i)
                task(i);
        }
        static constexpr std::size_t concurrency() noexcept { return 1; }
    };

    /// A fixed set of std::thread workers, created once and reused by every run().
    class thread_pool
    {
    public:
        /// `threads` counts the calling thread too; 0 means std::thread::hardware_concurrency().
        JOULE_ARCH_TAG explicit thread_pool(std::size_t threads = 0)
        {
            if (threads == 0)
                threads = std::thread::hardware_concurrency();
            if (threads == 0)
                threads = 1;
            workers_.reserve(threads - 1);
            for (std::size_t w = 0; w + 1 < threads; ++w)
                workers_.emplace_back([this] { worker_loop(); });
        }

        JOULE_ARCH_TAG ~thread_pool()
        {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                stopping_ = true;
                generation_.fetch_add(1, std::memory_order_release);
            }
            wake_.notify_all();
            for (auto& t : workers_)
                t.join();
        }

        thread_pool(const thread_pool&) = delete;
        thread_pool& operator=(const thread_pool&) = delete;

        /// Threads that run tasks, the caller included.
        JOULE_ARCH_TAG std::size_t concurrency() const noexcept { return workers_.size() + 1; }

        /// Runs task(0) .. task(n-1) on the pool and the calling thread; returns when all are done.
        JOULE_ARCH_TAG void run(std::size_t n, task_ref task)
        {
            if (n == 0)
                return;
            if (current_pool() == this || workers_.empty() || n == 1)
            {
                sequential{}.run(n, task); // nested call from one of our tasks, or nothing to share
                return;
            }
            std::lock_guard<std::mutex> one_job_at_a_time(run_mutex_);
            task_ = &task;
            n_ = n;
            next_.store(0, std::memory_order_relaxed);
            finished_workers_.store(0, std::memory_order_relaxed);
            error_ = nullptr;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                generation_.fetch_add(1, std::memory_order_release);
            }
            wake_.notify_all();
            work_on_job();
            while (finished_workers_.load(std::memory_order_acquire) != workers_.size())
                pause();
            if (error_)
                std::rethrow_exception(error_);
        }

    private:
        JOULE_ARCH_TAG static thread_pool*& current_pool() noexcept
        {
            static thread_local thread_pool* pool = nullptr;
            return pool;
        }

        JOULE_ARCH_TAG static void pause() noexcept
        {
#if defined(__SSE2__) || defined(_M_X64)
            _mm_pause();
#else
            std::this_thread::yield();
#endif
        }

        JOULE_ARCH_TAG void work_on_job() noexcept
        {
            thread_pool* const outer = current_pool();
            current_pool() = this;
            for (;;)
            {
                const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
                if (i >= n_)
                    break;
                try
                {
                    (*task_)(i);
                }
                catch (...)
                {
                    std::lock_guard<std::mutex> lock(error_mutex_);
                    if (!error_)
                        error_ = std::current_exception();
                    next_.store(n_, std::memory_order_relaxed); // skip the remaining tasks
                }
            }
            current_pool() = outer;
        }

        JOULE_ARCH_TAG void worker_loop()
        {
            std::size_t seen = 0;
            for (;;)
            {
                // Spin a little first: kernels often issue runs back to back.
                std::size_t now = generation_.load(std::memory_order_acquire);
                for (int spin = 0; now == seen && spin < 4000; ++spin)
                {
                    pause();
                    now = generation_.load(std::memory_order_acquire);
                }
                if (now == seen)
                {
                    std::unique_lock<std::mutex> lock(mutex_);
                    wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
                    now = generation_.load(std::memory_order_acquire);
                }
                seen = now;
                if (stopping_.load(std::memory_order_acquire))
                    return;
                work_on_job();
                finished_workers_.fetch_add(1, std::memory_order_acq_rel);
            }
        }

        std::vector<std::thread> workers_;
        std::mutex run_mutex_;
        std::mutex mutex_;
        std::condition_variable wake_;
        std::atomic<std::size_t> generation_{0};
        std::atomic<bool> stopping_{false};
        const task_ref* task_ = nullptr; // the current run's task; set before generation_ moves
        std::size_t n_ = 0;
        std::atomic<std::size_t> next_{0};
        std::atomic<std::size_t> finished_workers_{0};
        std::mutex error_mutex_;
        std::exception_ptr error_;
    };

#if defined(_OPENMP)
    /// Runs tasks with `#pragma omp parallel for`; `threads` = 0 uses OpenMP's default.
    struct openmp
    {
        int threads = 0;
        JOULE_ARCH_TAG void run(std::size_t n, task_ref task) const
        {
            std::exception_ptr error;
            const long long count = static_cast<long long>(n);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
            for (long long i = 0; i < count; ++i)
            {
                try
                {
                    task(static_cast<std::size_t>(i));
                }
                catch (...)
                {
#pragma omp critical(joule_openmp_error)
                    if (!error)
                        error = std::current_exception();
                }
            }
            if (error)
                std::rethrow_exception(error);
        }
        JOULE_ARCH_TAG std::size_t concurrency() const noexcept
        {
            return static_cast<std::size_t>(threads > 0 ? threads : omp_get_max_threads());
        }
    };
#endif

    /// A non-owning handle to an executor: sequential (the default), a thread_pool, openmp, or
    /// a caller's own pool given as a callable `pool(std::size_t n_tasks, joule::task_ref task)`.
    class executor_ref
    {
    public:
        JOULE_ARCH_TAG executor_ref() noexcept
            : executor_ref(sequential_instance())
        {
        }
        JOULE_ARCH_TAG executor_ref(const sequential& s) noexcept // NOLINT: implicit on purpose
            : object_(const_cast<sequential*>(&s))
            , run_([](void* o, std::size_t n, task_ref t) { static_cast<sequential*>(o)->run(n, t); })
            , concurrency_(1)
        {
        }
        JOULE_ARCH_TAG executor_ref(thread_pool& pool) noexcept // NOLINT: implicit on purpose
            : object_(&pool)
            , run_([](void* o, std::size_t n, task_ref t) { static_cast<thread_pool*>(o)->run(n, t); })
            , concurrency_(pool.concurrency())
        {
        }
#if defined(_OPENMP)
        JOULE_ARCH_TAG executor_ref(const openmp& omp) noexcept // NOLINT: implicit on purpose
            : object_(const_cast<openmp*>(&omp))
            , run_([](void* o, std::size_t n, task_ref t) { static_cast<openmp*>(o)->run(n, t); })
            , concurrency_(omp.concurrency())
        {
        }
#endif
        /// A caller's pool: `pool(n_tasks, task)` must run task(0) .. task(n_tasks - 1), each
        /// once, and return when all are done. `concurrency` is a hint for how finely kernels
        /// split work (0: the hardware's thread count); it never changes results.
        template <class Pool, class = std::enable_if_t<std::is_invocable<Pool&, std::size_t, task_ref>::value>>
        JOULE_ARCH_TAG executor_ref(Pool& pool, std::size_t concurrency = 0) noexcept
            : object_(static_cast<void*>(&pool))
            , run_([](void* o, std::size_t n, task_ref t) { (*static_cast<Pool*>(o))(n, t); })
            , concurrency_(concurrency ? concurrency : hardware_threads())
        {
        }

        /// Runs task(0) .. task(n-1); returns when all are done.
        JOULE_ARCH_TAG void run(std::size_t n, task_ref task) const
        {
            if (n != 0)
                run_(object_, n, task);
        }
        /// How many tasks may run at once.
        JOULE_ARCH_TAG std::size_t concurrency() const noexcept { return concurrency_; }

    private:
        JOULE_ARCH_TAG static const sequential& sequential_instance() noexcept
        {
            static const sequential s{};
            return s;
        }
        JOULE_ARCH_TAG static std::size_t hardware_threads() noexcept
        {
            const unsigned n = std::thread::hardware_concurrency();
            return n ? n : 1;
        }

        void* object_;
        void (*run_)(void*, std::size_t, task_ref);
        std::size_t concurrency_;
    };
} // namespace joule
