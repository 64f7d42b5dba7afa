// Tests for joule/executor.hpp: every executor runs each task exactly once, propagates
// exceptions, handles nesting, and a caller's own pool plugs in through executor_ref.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <joule/executor.hpp>

namespace
{
    void check_runs_each_task_once(joule::executor_ref ex, std::size_t n)
    {
        std::vector<std::atomic<int>> hits(n);
        for (auto& h : hits)
            h.store(0);
        auto task = [&](std::size_t i) { hits[i].fetch_add(1); };
        ex.run(n, task);
        std::size_t wrong = 0;
        for (auto& h : hits)
            wrong += h.load() != 1;
        CHECK(wrong == 0);
    }
} // namespace

TEST_CASE("sequential runs tasks in order on the calling thread")
{
    std::vector<std::size_t> order;
    const auto caller = std::this_thread::get_id();
    bool same_thread = true;
    auto task = [&](std::size_t i) {
        same_thread = same_thread && std::this_thread::get_id() == caller;
        order.push_back(i);
    };
    joule::sequential{}.run(5, task);
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 3, 4});
    CHECK(same_thread);
    joule::executor_ref ex; // default: sequential
    CHECK(ex.concurrency() == 1);
    check_runs_each_task_once(ex, 100);
}

TEST_CASE("thread_pool runs every task once, for any size, repeatedly")
{
    for (std::size_t threads : {1u, 2u, 3u, 4u})
    {
        CAPTURE(threads);
        joule::thread_pool pool(threads);
        CHECK(pool.concurrency() == threads);
        for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 64u, 1000u})
            for (int repeat = 0; repeat < 20; ++repeat)
                check_runs_each_task_once(pool, n);
    }
    joule::thread_pool hardware;
    CHECK(hardware.concurrency() >= 1);
}

TEST_CASE("thread_pool uses more than one thread")
{
    joule::thread_pool pool(2);
    std::mutex m;
    std::vector<std::thread::id> ids;
    auto task = [&](std::size_t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard<std::mutex> lock(m);
        ids.push_back(std::this_thread::get_id());
    };
    pool.run(16, task);
    std::sort(ids.begin(), ids.end());
    CHECK(std::unique(ids.begin(), ids.end()) - ids.begin() == 2);
}

TEST_CASE("thread_pool rethrows a task's exception and stays usable")
{
    joule::thread_pool pool(3);
    std::atomic<int> ran{0};
    auto failing = [&](std::size_t i) {
        ran.fetch_add(1);
        if (i == 5)
            throw std::runtime_error("task 5 failed");
    };
    CHECK_THROWS_WITH_AS(pool.run(50, failing), "task 5 failed", std::runtime_error);
    CHECK(ran.load() >= 1);
    check_runs_each_task_once(pool, 200);
}

TEST_CASE("nested runs inside a pool task run inline")
{
    joule::thread_pool pool(2);
    std::atomic<int> inner{0};
    auto outer = [&](std::size_t) {
        auto leaf = [&](std::size_t) { inner.fetch_add(1); };
        pool.run(4, leaf);
    };
    pool.run(8, outer);
    CHECK(inner.load() == 32);
}

TEST_CASE("run from several threads at once is serialized safely")
{
    joule::thread_pool pool(2);
    std::atomic<int> total{0};
    auto task = [&](std::size_t) { total.fetch_add(1); };
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&] {
            for (int r = 0; r < 50; ++r)
                pool.run(10, task);
        });
    for (auto& c : callers)
        c.join();
    CHECK(total.load() == 4 * 50 * 10);
}

TEST_CASE("a caller's own pool plugs in through executor_ref")
{
    std::size_t calls = 0;
    auto my_pool = [&](std::size_t n, joule::task_ref task) {
        ++calls;
        std::thread helper([&] {
            for (std::size_t i = 1; i < n; i += 2)
                task(i);
        });
        for (std::size_t i = 0; i < n; i += 2)
            task(i);
        helper.join();
    };
    joule::executor_ref ex(my_pool, 2);
    CHECK(ex.concurrency() == 2);
    check_runs_each_task_once(ex, 101);
    CHECK(calls == 1);
    joule::executor_ref zero_tasks(my_pool);
    auto never = [](std::size_t) { FAIL("a task ran for n == 0"); };
    zero_tasks.run(0, never);
    CHECK(calls == 1);
}

#if defined(_OPENMP)
TEST_CASE("openmp runs every task once")
{
    joule::openmp omp{2};
    CHECK(joule::executor_ref(omp).concurrency() == 2);
    check_runs_each_task_once(omp, 333);
}
#endif
