// joule::energy::meter: turns a backend's samples into cumulative joules (unwrapping counters,
// integrating power with the trapezoid rule), samples from a background thread, and marks
// readings invalid when the sensor fails.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "joule/detail/energy/common.hpp"
#include "joule/detail/energy/external.hpp"
#include "joule/detail/energy/hwmon.hpp"
#include "joule/detail/energy/rapl.hpp"

namespace joule
{
    namespace energy
    {
        JOULE_BEGIN_ARCH_NS

        class meter
        {
        public:
            /// Finds the best readable source: external (when given) > hwmon > RAPL > perf >
            /// estimate. Prints one line (to options.notice) when a better source exists but is
            /// denied, saying how to allow it. Throws joule::error for bad options.
            static meter detect(const options& o = {})
            {
                using namespace detail;
                options opts = o;
                if (!opts.read_file)
                    opts.read_file = read_small_file;
                if (!opts.run_command)
                    opts.run_command = run_shell_command;
                if (!opts.clock)
                    opts.clock = monotonic_seconds;
                if (!(opts.poll_seconds >= 0) || !std::isfinite(opts.poll_seconds))
                    ::joule::detail::fail("energy::meter::detect", "poll_seconds (", opts.poll_seconds, ") must be >= 0");
                static const char* const known[] = {"", "hwmon", "rapl", "perf", "estimate"};
                if (std::find(std::begin(known), std::end(known), opts.only) == std::end(known))
                    ::joule::detail::fail("energy::meter::detect", "only ('", opts.only,
                                          "') must be empty, hwmon, rapl, perf or estimate");

                std::vector<std::string> log;
                std::vector<std::string> hints;
                probe_result found = probe_external(opts);
                if (!found.found)
                {
                    log.push_back(found.why_not);
                    using probe_fn = probe_result (*)(const options&);
                    const std::pair<const char*, probe_fn> order[] = {
                        {"hwmon", probe_hwmon}, {"rapl", probe_rapl}, {"perf", probe_perf}};
                    for (const auto& step : order)
                    {
                        if (!opts.only.empty() && opts.only != step.first)
                            continue;
                        found = step.second(opts);
                        if (found.found)
                            break;
                        log.push_back(found.why_not);
                        if (!found.grant_hint.empty())
                            hints.push_back(found.grant_hint);
                    }
                }
                if (!found.found)
                {
                    if (!opts.only.empty() && opts.only != "estimate")
                        ::joule::detail::fail("energy::meter::detect", "only = ", opts.only, " but ", log.back());
                    found.found = std::make_unique<estimate>(opts);
                }
                if (!hints.empty())
                {
                    std::string line = "joule::energy: using " + found.found->source + "; for measured figures: ";
                    for (std::size_t i = 0; i < hints.size(); ++i)
                        line += (i ? "; or " : "") + hints[i];
                    if (opts.notice)
                        opts.notice(line);
                    else
                        std::fprintf(stderr, "%s\n", line.c_str());
                }
                meter m(std::move(found.found), opts);
                m.state_->log = std::move(log);
                return m;
            }

            /// Cumulative energy and time since the meter started (samples the source now).
            reading read()
            {
                std::lock_guard<std::mutex> lock(state_->mutex);
                state_->sample_now();
                return state_->current();
            }

            /// Takes a sample now (what the background thread does periodically).
            void poll()
            {
                std::lock_guard<std::mutex> lock(state_->mutex);
                state_->sample_now();
            }

            /// For estimated meters: adds declared work to the model's energy (ignored when measured).
            void add_work(double flops, double bytes)
            {
                if (auto* e = dynamic_cast<detail::estimate*>(state_->source.get()))
                    e->add_work(flops, bytes);
            }

            const std::string& source() const { return state_->source->source; }
            energy::scope scope() const { return state_->source->scope; }
            energy::quality quality() const { return state_->source->quality; }
            /// The shortest interval whose joules are worth reporting for this source.
            double min_window_seconds() const { return state_->source->min_window_seconds; }
            /// Seconds between background samples (0 without a background thread).
            double poll_seconds() const { return state_->poller.joinable() ? state_->period : 0.0; }
            /// What detection tried before this source, and why each was not used.
            const std::vector<std::string>& detection_log() const { return state_->log; }

        private:
            struct state
            {
                std::unique_ptr<detail::backend> source;
                std::function<double()> clock;
                double start = 0;
                double period = 1;
                std::mutex mutex;
                // integration
                bool have_last = false;
                std::vector<double> last_raw;
                std::vector<double> total;
                double last_t = 0, last_watts = 0, integrated = 0;
                double last_sample_t = 0;
                std::uint64_t failures = 0;
                bool failed = false;
                std::string error;
                std::vector<std::string> log;
                // background sampling
                std::thread poller;
                std::condition_variable wake;
                bool stopping = false;

                void fail_now(const std::string& why)
                {
                    if (!failed)
                        ++failures;
                    failed = true;
                    error = why;
                    have_last = false; // the gap's energy is unknown: restart from the next sample
                }

                void sample_now()
                {
                    const double t = clock() - start;
                    detail::sample s = source->read();
                    if (!s.ok)
                        return fail_now(s.error);
                    if (s.values.size() != (source->wrap_joules.empty() ? s.values.size() : source->wrap_joules.size()))
                        return fail_now("the source changed its channels");
                    failed = false;
                    if (!have_last)
                    {
                        last_raw = s.values;
                        total.resize(s.values.size(), 0.0);
                        last_t = t;
                        last_watts = 0;
                        for (double v : s.values)
                            last_watts += v;
                        have_last = true;
                        last_sample_t = t;
                        return;
                    }
                    if (source->value_kind == detail::backend::kind::energy_counter)
                    {
                        for (std::size_t i = 0; i < s.values.size(); ++i)
                        {
                            double d = s.values[i] - last_raw[i];
                            if (d < 0)
                            {
                                const double wrap = i < source->wrap_joules.size() ? source->wrap_joules[i] : 0.0;
                                if (wrap <= 0)
                                    return fail_now("energy counter went backwards (" + std::to_string(last_raw[i]) +
                                                    " -> " + std::to_string(s.values[i]) + " J)");
                                d += wrap; // wrapped once; the poller keeps samples closer than one wrap
                            }
                            total[i] += d;
                        }
                        last_raw = s.values;
                    }
                    else
                    {
                        double watts = 0;
                        for (double v : s.values)
                            watts += v;
                        integrated += 0.5 * (last_watts + watts) * (t - last_t); // trapezoid rule
                        last_watts = watts;
                        last_t = t;
                    }
                    last_sample_t = t;
                }

                reading current() const
                {
                    reading r;
                    r.seconds = clock() - start;
                    r.source = source->source;
                    r.scope = source->scope;
                    r.quality = source->quality;
                    r.failures = failures;
                    r.valid = !failed;
                    r.error = failed ? error : std::string();
                    if (source->value_kind == detail::backend::kind::energy_counter)
                        for (double v : total)
                            r.joules += v;
                    else
                        r.joules = integrated;
                    return r;
                }
            };

            meter(std::unique_ptr<detail::backend> source, const options& o)
                : state_(std::make_unique<state>())
            {
                state& s = *state_;
                s.source = std::move(source);
                s.clock = o.clock;
                s.start = s.clock();
                s.period = o.poll_seconds > 0 ? o.poll_seconds : s.source->default_poll_seconds;
                s.sample_now(); // the baseline
                if (o.background_polling && s.source->default_poll_seconds < 3600)
                {
                    state* p = &s;
                    s.poller = std::thread([p] {
                        std::unique_lock<std::mutex> lock(p->mutex);
                        while (!p->stopping)
                        {
                            p->wake.wait_for(lock, std::chrono::duration<double>(p->period));
                            if (!p->stopping)
                                p->sample_now();
                        }
                    });
                }
            }

        public:
            meter(meter&&) noexcept = default;
            meter& operator=(meter&& other) noexcept
            {
                stop();
                state_ = std::move(other.state_);
                return *this;
            }
            ~meter() { stop(); }

        private:
            void stop()
            {
                if (!state_ || !state_->poller.joinable())
                    return;
                {
                    std::lock_guard<std::mutex> lock(state_->mutex);
                    state_->stopping = true;
                }
                state_->wake.notify_all();
                state_->poller.join();
            }

            std::unique_ptr<state> state_;
        };

        JOULE_END_ARCH_NS
    } // namespace energy
} // namespace joule
