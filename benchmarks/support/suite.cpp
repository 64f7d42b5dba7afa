// See suite.hpp.
#include "support/suite.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace joule_bench
{
    namespace
    {
        std::vector<std::string> split(const std::string& s, char sep)
        {
            std::vector<std::string> out;
            std::string cur;
            for (char c : s)
            {
                if (c == sep)
                {
                    out.push_back(cur);
                    cur.clear();
                }
                else
                    cur += c;
            }
            out.push_back(cur);
            return out;
        }

        bool is_joule_impl(const std::string& impl) { return impl == "joule" || impl.rfind("joule_", 0) == 0; }

        double median_of(std::vector<double> v)
        {
            if (v.empty())
                return 0;
            std::sort(v.begin(), v.end());
            const std::size_t n = v.size();
            return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
        }

        double aggregate_of(const std::string& what, const std::vector<double>& v)
        {
            if (v.empty())
                return 0;
            double mean = 0;
            for (double x : v)
                mean += x;
            mean /= double(v.size());
            if (what == "mean")
                return mean;
            if (what == "median")
                return median_of(v);
            double var = 0;
            for (double x : v)
                var += (x - mean) * (x - mean);
            const double sd = v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) : 0.0;
            if (what == "stddev")
                return sd;
            if (what == "cv")
                return mean != 0 ? sd / mean : 0.0;
            return mean;
        }

        std::string fmt(double v, int precision = 3)
        {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.*g", precision, v);
            return buf;
        }

        /// A part Google Benchmark appends to the registered name (threads:T aside).
        bool added_by_google_benchmark(const std::string& part)
        {
            return part == "real_time" || part == "manual_time" || part.rfind("min_time:", 0) == 0 ||
                   part.rfind("iterations:", 0) == 0 || part.rfind("repeats:", 0) == 0 ||
                   part.rfind("min_warmup_time:", 0) == 0;
        }
    } // namespace

    bool natural_less(const std::string& a, const std::string& b)
    {
        std::size_t i = 0, j = 0;
        while (i < a.size() && j < b.size())
        {
            if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j])))
            {
                std::size_t i2 = i, j2 = j;
                while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2])))
                    ++i2;
                while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2])))
                    ++j2;
                const double x = std::atof(a.substr(i, i2 - i).c_str()), y = std::atof(b.substr(j, j2 - j).c_str());
                if (x != y)
                    return x < y;
                i = i2;
                j = j2;
            }
            else
            {
                if (a[i] != b[j])
                    return a[i] < b[j];
                ++i;
                ++j;
            }
        }
        return a.size() - i < b.size() - j;
    }

    std::string registered_name(const std::string& full_name)
    {
        std::string out;
        for (const std::string& part : split(full_name, '/'))
            if (!added_by_google_benchmark(part))
                out += (out.empty() ? "" : "/") + part;
        return out;
    }

    name_parts parse_name(const std::string& full_name)
    {
        name_parts p;
        std::vector<std::string> rest;
        for (const std::string& part : split(full_name, '/'))
        {
            if (part.rfind("threads:", 0) == 0)
                p.threads = std::max(1, std::atoi(part.c_str() + 8));
            else if (added_by_google_benchmark(part))
                continue;
            else
                rest.push_back(part);
        }
        p.kernel = rest.size() > 0 ? rest[0] : "?";
        p.impl = rest.size() > 1 ? rest[1] : "?";
        for (std::size_t i = 2; i < rest.size(); ++i)
            p.shape += (i > 2 ? "/" : "") + rest[i];
        if (p.shape.empty())
            p.shape = "-";
        return p;
    }

    name_parts parse_name(const benchmark::BenchmarkReporter::Run& run)
    {
        std::string base = run.run_name.function_name;
        if (!run.run_name.args.empty())
            base += "/" + run.run_name.args;
        if (!run.run_name.threads.empty())
            base += "/" + run.run_name.threads;
        return parse_name(base);
    }

    // ---- energy timeline ----------------------------------------------------------------------

    energy_timeline::energy_timeline(joule::energy::meter& m, double period_seconds)
        : meter_(m)
    {
        take();
        thread_ = std::thread([this, period_seconds] {
            for (;;)
            {
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    if (stop_)
                        return;
                }
                std::this_thread::sleep_for(std::chrono::duration<double>(period_seconds));
                take();
            }
        });
    }

    energy_timeline::~energy_timeline()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        thread_.join();
    }

    void energy_timeline::take()
    {
        const joule::energy::reading r = meter_.read();
        const double t = detail::steady_seconds();
        std::lock_guard<std::mutex> lock(mutex_);
        samples_.push_back({t, r.joules, r.failures, r.valid});
        if (!r.valid)
            last_error_ = r.error;
    }

    energy_timeline::window energy_timeline::between(double t0, double t1)
    {
        take(); // a sample after t1
        std::lock_guard<std::mutex> lock(mutex_);
        window w;
        if (samples_.empty() || t0 < samples_.front().t)
        {
            w.note = "window starts before the meter's first sample";
            return w;
        }
        // i0: last sample at or before t0; i1: first sample at or after t1.
        auto after = [&](double t) {
            return std::lower_bound(samples_.begin(), samples_.end(), t,
                                    [](const sample& s, double v) { return s.t < v; });
        };
        auto hi1 = after(t1);
        if (hi1 == samples_.end())
        {
            w.note = "no sample after the window";
            return w;
        }
        auto lo0 = after(t0);
        if (lo0 != samples_.begin() && lo0->t > t0)
            --lo0;
        for (auto it = lo0; it <= hi1; ++it)
            if (!it->valid || it->failures != lo0->failures)
            {
                w.note = "meter failed during the window: " + (last_error_.empty() ? "gap" : last_error_);
                return w;
            }
        auto interpolate = [&](double t) {
            auto b = after(t);
            if (b == samples_.begin() || b->t == t)
                return b->joules;
            auto a = b - 1;
            const double f = (t - a->t) / (b->t - a->t);
            return a->joules + f * (b->joules - a->joules);
        };
        w.joules = interpolate(t1) - interpolate(t0);
        w.ok = true;
        return w;
    }

    // ---- the reporter ---------------------------------------------------------------------------

    suite_reporter::suite_reporter(suite_settings settings, benchmark::BenchmarkReporter* display)
        : s_(std::move(settings))
        , display_(display)
    {
    }

    bool suite_reporter::ReportContext(const Context& context)
    {
        if (context_reported_)
            return true;
        context_reported_ = true;
        return display_->ReportContext(context);
    }

    void suite_reporter::Finalize() {}

    result_row suite_reporter::row_for(const Run& run, const loop_record* record) const
    {
        result_row r;
        const name_parts p = parse_name(run);
        r.name = run.benchmark_name();
        r.kernel = p.kernel;
        r.impl = p.impl;
        r.shape = p.shape;
        r.threads = std::max<int>(p.threads, static_cast<int>(run.threads));
        r.error = run.error_occurred;
        r.error_message = run.error_message;
        r.iterations = static_cast<double>(run.iterations);
        const double seconds = run.real_accumulated_time;
        const double gb_threads = static_cast<double>(std::max<std::int64_t>(1, run.threads));
        r.seconds_per_iteration = r.iterations > 0 ? seconds / r.iterations : 0;
        if (r.error)
            return r;
        if (!record)
        {
            r.energy_note = "no joule_bench::report() in this benchmark";
            return r;
        }
        const machine_limits& L = s_.limits;
        r.has_work = true;
        r.w = record->w;
        const double loops = r.iterations * gb_threads; // each Google Benchmark thread runs `iterations`
        const double flops = r.w.flops * loops, bytes = r.w.bytes * loops;
        r.gflops = seconds > 0 ? flops / seconds * 1e-9 : 0;
        r.gbs = seconds > 0 ? bytes / seconds * 1e-9 : 0;

        const int t = r.threads;
        auto scaled = [&](double one, double all) { return t <= 1 ? one : std::min(all, one * t); };
        const std::string cores = t <= 1 ? "1 core" : std::to_string(std::min(t, L.cpus)) + " cores";
        switch (r.w.limit)
        {
        case bound::compute_f32:
            r.limit_name = "fp32 FMA peak, " + cores;
            r.limit_value = scaled(L.fma_gflops_1, L.fma_gflops_all);
            r.pct_of_limit = r.limit_value > 0 ? 100 * r.gflops / r.limit_value : 0;
            break;
        case bound::compute_int8:
            r.limit_name = "int8 dot peak, " + cores;
            r.limit_value = scaled(L.int8_gops_1, L.int8_gops_all);
            r.pct_of_limit = r.limit_value > 0 ? 100 * r.gflops / r.limit_value : 0;
            break;
        case bound::memory_read:
        case bound::memory_triad:
        {
            const bool read = r.w.limit == bound::memory_read;
            r.limit_name = std::string(read ? "read" : "triad") + " bandwidth, " + cores;
            r.limit_value = read ? scaled(L.read_gbs_1, L.read_gbs_all) : scaled(L.triad_gbs_1, L.triad_gbs_all);
            r.pct_of_limit = r.limit_value > 0 ? 100 * r.gbs / r.limit_value : 0;
            const double llc = L.last_level_cache_bytes();
            r.in_cache = llc > 0 && r.w.bytes <= llc;
            break;
        }
        case bound::none: break;
        }

        // Energy over the loop's wall-clock window [end - seconds, end].
        const joule::energy::meter& m = *s_.meter;
        if (seconds < m.min_window_seconds())
        {
            char buf[160];
            std::snprintf(buf, sizeof buf, "window %.3g s is shorter than the %.3g s %s needs", seconds,
                          m.min_window_seconds(), energy_tag(m).c_str());
            r.energy_note = buf;
            return r;
        }
        double joules = 0;
        if (s_.estimate_from_model)
            joules = joule::energy::estimate_joules(s_.model, seconds, std::min(t, L.cpus), flops, bytes);
        else if (s_.constant_watts > 0)
            joules = s_.constant_watts * seconds;
        else
        {
            const energy_timeline::window e = s_.timeline->between(record->end_seconds - seconds, record->end_seconds);
            if (!e.ok)
            {
                r.energy_note = e.note;
                return r;
            }
            joules = e.joules;
        }
        if (!(joules > 0))
        {
            r.energy_note = "the meter saw no energy in the window";
            return r;
        }
        r.energy_ok = true;
        r.joules_per_iteration = joules / loops;
        r.watts = joules / seconds;
        r.gflop_per_joule = flops > 0 ? flops * 1e-9 / joules : 0;
        r.gb_per_joule = bytes > 0 ? bytes * 1e-9 / joules : 0;
        return r;
    }

    void suite_reporter::ReportRuns(const std::vector<Run>& reports)
    {
        std::vector<Run> enriched = reports;
        std::vector<loop_record> records;
        {
            auto& log = detail::loops();
            std::lock_guard<std::mutex> lock(log.mutex);
            records = log.records;
        }
        auto set_counters = [](Run& run, const result_row& row) {
            using C = benchmark::Counter;
            if (row.has_work && row.limit_value > 0)
                run.counters["pct_of_limit"] = C(row.pct_of_limit);
            if (row.energy_ok)
            {
                run.counters["J_per_iter"] = C(row.joules_per_iteration);
                run.counters["W"] = C(row.watts);
                if (row.w.flops > 0)
                    run.counters["GFLOP_per_J"] = C(row.gflop_per_joule);
                else if (row.w.bytes > 0)
                    run.counters["GB_per_J"] = C(row.gb_per_joule);
            }
            else if (!row.energy_note.empty() && !row.error)
                run.report_label += (run.report_label.empty() ? "" : "; ") + std::string("energy n/a: ") + row.energy_note;
        };
        for (Run& run : enriched)
        {
            if (run.run_type != Run::RT_Iteration)
                continue;
            const loop_record* record = nullptr;
            auto id = run.counters.find(detail::loop_id_counter());
            if (id != run.counters.end())
            {
                const auto index = static_cast<std::size_t>(id->second.value);
                if (index < records.size())
                    record = &records[index];
                run.counters.erase(id);
            }
            result_row row = row_for(run, record);
            set_counters(run, row);
            auto& kept = iteration_rows_[{run.family_index, run.per_family_instance_index}];
            if (run.repetition_index <= 0)
                kept.clear();
            kept.push_back(row);
            rows_.push_back(row);
        }
        for (Run& run : enriched)
        {
            if (run.run_type != Run::RT_Aggregate)
                continue;
            run.counters.erase(detail::loop_id_counter());
            // Google Benchmark reports the repetitions and their aggregates in two calls.
            const std::vector<result_row>& iteration_rows =
                iteration_rows_[{run.family_index, run.per_family_instance_index}];
            if (iteration_rows.empty() || run.aggregate_name == "BigO" || run.aggregate_name == "RMS")
                continue;
            // The aggregate of each figure over the repetitions, like Google Benchmark's own.
            result_row row = iteration_rows.front();
            row.aggregate = run.aggregate_name;
            row.name = run.benchmark_name();
            std::vector<double> t, g, b, pct, j, w, gj, bj;
            bool energy_ok = true, any_error = false;
            for (const result_row& r : iteration_rows)
            {
                any_error = any_error || r.error;
                energy_ok = energy_ok && r.energy_ok;
                t.push_back(r.seconds_per_iteration);
                g.push_back(r.gflops);
                b.push_back(r.gbs);
                pct.push_back(r.pct_of_limit);
                j.push_back(r.joules_per_iteration);
                w.push_back(r.watts);
                gj.push_back(r.gflop_per_joule);
                bj.push_back(r.gb_per_joule);
                if (!r.energy_ok && row.energy_note.empty())
                    row.energy_note = r.energy_note;
            }
            const std::string& a = run.aggregate_name;
            row.error = any_error;
            row.seconds_per_iteration = aggregate_of(a, t);
            row.gflops = aggregate_of(a, g);
            row.gbs = aggregate_of(a, b);
            row.pct_of_limit = aggregate_of(a, pct);
            row.energy_ok = energy_ok;
            row.joules_per_iteration = aggregate_of(a, j);
            row.watts = aggregate_of(a, w);
            row.gflop_per_joule = aggregate_of(a, gj);
            row.gb_per_joule = aggregate_of(a, bj);
            if (energy_ok)
                row.energy_note.clear();
            set_counters(run, row);
            rows_.push_back(row);
        }
        runs_.insert(runs_.end(), enriched.begin(), enriched.end());

        // --benchmark_display_aggregates_only: the repetitions are not shown when aggregates follow.
        const bool only_repetitions = std::all_of(enriched.begin(), enriched.end(), [](const Run& r) {
            return r.run_type == Run::RT_Iteration && r.repetitions > 1;
        });
        if (!(s_.display_aggregates_only && only_repetitions) && !enriched.empty())
            display_->ReportRuns(enriched);
    }

    std::vector<result_row> suite_reporter::table_rows() const
    {
        // One row per benchmark: the median of repetitions when there are several.
        std::vector<result_row> out;
        std::map<std::string, std::size_t> index;
        auto base_name = [](const result_row& r) {
            return r.kernel + "\x1f" + r.impl + "\x1f" + r.shape + "\x1f" + std::to_string(r.threads);
        };
        auto rank = [](const std::string& a) { return a == "median" ? 0 : a == "" ? 1 : a == "mean" ? 2 : 9; };
        for (const result_row& r : rows_)
        {
            if (rank(r.aggregate) == 9)
                continue;
            const std::string key = base_name(r);
            auto it = index.find(key);
            if (it == index.end())
            {
                index[key] = out.size();
                out.push_back(r);
            }
            else if (rank(r.aggregate) < rank(out[it->second].aggregate))
                out[it->second] = r;
        }
        // joule vs the best peer of the same kernel, shape and threads (time ratio, > 1: joule faster).
        for (result_row& r : out)
        {
            if (!is_joule_impl(r.impl) || r.error || r.seconds_per_iteration <= 0)
                continue;
            for (const result_row& p : out)
                if (!is_joule_impl(p.impl) && !p.error && p.kernel == r.kernel && p.shape == r.shape &&
                    p.threads == r.threads && p.seconds_per_iteration > 0)
                {
                    const double ratio = p.seconds_per_iteration / r.seconds_per_iteration;
                    if (r.vs_best_peer == 0 || ratio < r.vs_best_peer)
                    {
                        r.vs_best_peer = ratio;
                        r.best_peer = p.impl;
                    }
                }
        }
        std::stable_sort(out.begin(), out.end(), [](const result_row& a, const result_row& b) {
            if (a.kernel != b.kernel)
                return a.kernel < b.kernel;
            if (a.shape != b.shape)
                return natural_less(a.shape, b.shape);
            if (a.threads != b.threads)
                return a.threads < b.threads;
            if (is_joule_impl(a.impl) != is_joule_impl(b.impl))
                return is_joule_impl(a.impl);
            return a.impl < b.impl;
        });
        return out;
    }

    std::string energy_tag(const joule::energy::meter& m)
    {
        const std::string& s = m.source();
        const auto space = s.find(' ');
        return space == std::string::npos ? s : s.substr(0, space);
    }

    // ---- table and CSV -------------------------------------------------------------------------

    std::string format_table(const std::vector<result_row>& rows, const machine_limits& L,
                             const joule::energy::meter& m, double idle_watts)
    {
        std::ostringstream o;
        const std::string quality = joule::energy::to_string(m.quality());
        const std::string energy_col = energy_tag(m) + " " + joule::energy::to_string(m.scope()) + ", " + quality;
        std::size_t wk = 6, ws = 5, wi = 4;
        for (const result_row& r : rows)
        {
            wk = std::max(wk, r.kernel.size());
            ws = std::max(ws, r.shape.size());
            wi = std::max(wi, r.impl.size());
        }
        char line[512];
        std::snprintf(line, sizeof line, "%-*s  %-*s  %3s  %-*s  %-16s  %-14s  %-8s  %7s  %-13s  %s\n", int(wk),
                      "kernel", int(ws), "shape", "thr", int(wi), "impl", "joule/best peer", "throughput", "% limit",
                      "W", "per joule", "energy");
        o << line << std::string(std::min<std::size_t>(sizeof line, wk + ws + wi + 100), '-') << "\n";
        bool any_in_cache = false;
        for (const result_row& r : rows)
        {
            std::string ratio = "";
            if (is_joule_impl(r.impl))
                ratio = r.vs_best_peer > 0 ? fmt(r.vs_best_peer, 3) + "x " + r.best_peer : "(no peer)";
            std::string throughput = "-", pct = "-", watts = "-", per_joule = "-", energy = energy_col;
            if (r.error)
                throughput = "error: " + r.error_message;
            else if (r.has_work)
            {
                const bool compute = r.w.flops > 0;
                throughput = compute ? fmt(r.gflops) + (r.w.limit == bound::compute_int8 ? " GOP/s" : " GFLOP/s")
                                     : fmt(r.gbs) + " GB/s";
                if (r.limit_value > 0)
                {
                    char p[32];
                    std::snprintf(p, sizeof p, r.pct_of_limit >= 100 ? "%.0f%%" : "%.3g%%", r.pct_of_limit);
                    pct = p;
                    if (r.in_cache)
                    {
                        pct += "*";
                        any_in_cache = true;
                    }
                }
                if (r.energy_ok)
                {
                    watts = fmt(r.watts);
                    per_joule = compute ? fmt(r.gflop_per_joule) + " GFLOP/J" : fmt(r.gb_per_joule) + " GB/J";
                }
                else
                    energy = "n/a: " + r.energy_note;
            }
            else
            {
                char t[64];
                std::snprintf(t, sizeof t, "%.4g us/it", r.seconds_per_iteration * 1e6);
                throughput = t;
                energy = "n/a: " + r.energy_note;
            }
            std::snprintf(line, sizeof line, "%-*s  %-*s  %3d  %-*s  %-16s  %-14s  %-8s  %7s  %-13s  %s\n", int(wk),
                          r.kernel.c_str(), int(ws), r.shape.c_str(), r.threads, int(wi), r.impl.c_str(),
                          ratio.c_str(), throughput.c_str(), pct.c_str(), watts.c_str(), per_joule.c_str(),
                          energy.c_str());
            o << line;
        }
        o << "\n";
        std::snprintf(line, sizeof line,
                      "limits (%s, %d CPUs, measured %s): fp32 FMA %.1f / %.1f GFLOP/s, int8 dot %.1f / %.1f GOP/s, "
                      "read %.1f / %.1f GB/s, triad %.1f / %.1f GB/s (1 core / all), clock %.2f GHz\n",
                      L.cpu_model.c_str(), L.cpus, L.measured_at.c_str(), L.fma_gflops_1, L.fma_gflops_all,
                      L.int8_gops_1, L.int8_gops_all, L.read_gbs_1, L.read_gbs_all, L.triad_gbs_1, L.triad_gbs_all,
                      L.clock_ghz);
        o << line;
        if (L.others_busy >= 0.2)
        {
            std::snprintf(line, sizeof line,
                          "WARNING: other programs used %.0f%% of the CPUs while the limits were measured: %% of limit "
                          "may read high; --remeasure-limits on a quiet machine\n",
                          100 * L.others_busy);
            o << line;
        }
        o << "joule/best peer: the best peer's time over joule's for the same kernel, shape and threads (> 1: joule "
             "is faster)\n";
        if (any_in_cache)
            o << "*: the working set fits in the last-level cache, so DRAM bandwidth does not bound it (> 100% "
                 "is possible)\n";
        o << "energy: " << m.source() << ", scope " << joule::energy::to_string(m.scope()) << ", " << quality << "\n";
        if (idle_watts > 0)
        {
            char idle[160];
            std::snprintf(idle, sizeof idle, "idle: %.3g W measured at start-up (W above is gross; the CSV has net of idle)\n",
                          idle_watts);
            o << idle;
        }
        if (m.quality() == joule::energy::quality::estimated)
            o << "ESTIMATED: no power sensor was read; W and per-joule figures come from the stated model above "
                 "(set it with --power-model, or give a meter: README 'Real power numbers'). Do not compare them "
                 "with measured figures.\n";
        return o.str();
    }

    std::string format_csv(const std::vector<result_row>& rows, const joule::energy::meter& m, double idle_watts)
    {
        auto q = [](const std::string& s) {
            std::string out = "\"";
            for (char c : s)
                out += c == '"' ? std::string("\"\"") : std::string(1, c);
            return out + "\"";
        };
        auto num = [](double v) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.6g", v);
            return std::string(buf);
        };
        auto bound_name = [](bound b) {
            switch (b)
            {
            case bound::compute_f32: return "compute_f32";
            case bound::compute_int8: return "compute_int8";
            case bound::memory_read: return "memory_read";
            case bound::memory_triad: return "memory_triad";
            default: return "none";
            }
        };
        std::ostringstream o;
        o << "name,kernel,impl,shape,threads,aggregate,iterations,seconds_per_iteration,flops_per_iteration,"
             "bytes_per_iteration,gflops,gbs,bound,limit,limit_value,pct_of_limit,in_cache,vs_best_peer,best_peer,"
             "joules_per_iteration,watts,gflop_per_joule,gb_per_joule,energy_source,energy_scope,energy_quality,"
             "energy_note,error,idle_watts,watts_net_of_idle\n";
        for (const result_row& r : rows)
        {
            o << q(r.name) << ',' << q(r.kernel) << ',' << q(r.impl) << ',' << q(r.shape) << ',' << r.threads << ','
              << q(r.aggregate) << ',' << num(r.iterations) << ',' << num(r.seconds_per_iteration) << ','
              << (r.has_work ? num(r.w.flops) : "") << ',' << (r.has_work ? num(r.w.bytes) : "") << ','
              << (r.has_work ? num(r.gflops) : "") << ',' << (r.has_work ? num(r.gbs) : "") << ','
              << (r.has_work ? bound_name(r.w.limit) : "") << ',' << q(r.limit_name) << ','
              << (r.limit_value > 0 ? num(r.limit_value) : "") << ','
              << (r.limit_value > 0 ? num(r.pct_of_limit) : "") << ',' << (r.in_cache ? "1" : "0") << ','
              << (r.vs_best_peer > 0 ? num(r.vs_best_peer) : "") << ',' << q(r.best_peer) << ','
              << (r.energy_ok ? num(r.joules_per_iteration) : "") << ',' << (r.energy_ok ? num(r.watts) : "") << ','
              << (r.energy_ok && r.w.flops > 0 ? num(r.gflop_per_joule) : "") << ','
              << (r.energy_ok && r.w.bytes > 0 ? num(r.gb_per_joule) : "") << ',' << q(m.source()) << ','
              << joule::energy::to_string(m.scope()) << ',' << joule::energy::to_string(m.quality()) << ','
              << q(r.energy_note) << ',' << q(r.error ? r.error_message : "") << ','
              << (idle_watts > 0 ? num(idle_watts) : "") << ','
              << (idle_watts > 0 && r.energy_ok ? num(r.watts - idle_watts) : "") << '\n';
        }
        return o.str();
    }
} // namespace joule_bench
