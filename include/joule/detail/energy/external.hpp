// External meter: what the user gives (a constant wattage, or a command or file that yields watts
// or joules), and the estimate used when nothing can be read.
#pragma once

#include <atomic>
#include <cctype>

#include "joule/detail/energy/common.hpp"

namespace joule
{
    namespace energy
    {
        JOULE_BEGIN_ARCH_NS
        namespace detail
        {
            /// A quantity with its unit: "12.5", "12.5 W", "800mW", "3400 J", "2.5 kJ", "1.2 Wh".
            struct quantity
            {
                bool ok = false;
                bool is_energy = false; ///< joules (cumulative) rather than watts
                double value = 0;       ///< in W or J
            };

            inline quantity parse_quantity(const std::string& text)
            {
                quantity q;
                const std::string t = trim(text);
                char* end = nullptr;
                const double v = std::strtod(t.c_str(), &end);
                if (t.empty() || end == t.c_str() || !std::isfinite(v))
                    return q;
                std::string unit = trim(std::string(end));
                struct factor
                {
                    const char* name;
                    bool energy;
                    double scale;
                };
                static const factor units[] = {{"", false, 1},      {"W", false, 1},    {"mW", false, 1e-3},
                                               {"uW", false, 1e-6}, {"kW", false, 1e3}, {"J", true, 1},
                                               {"mJ", true, 1e-3},  {"uJ", true, 1e-6}, {"kJ", true, 1e3},
                                               {"Wh", true, 3600},  {"mWh", true, 3.6}};
                for (const factor& f : units)
                    if (unit == f.name)
                    {
                        q.ok = true;
                        q.is_energy = f.energy;
                        q.value = v * f.scale;
                    }
                return q;
            }

            /// A constant stated wattage: joules = watts * seconds. Labelled estimated: it does
            /// not follow what the machine really draws during each window.
            class constant_power final : public backend
            {
            public:
                constant_power(double watts, energy::scope measured_scope)
                    : watts_(watts)
                {
                    value_kind = kind::power;
                    std::ostringstream s;
                    s << "external " << watts << " W (stated constant)";
                    source = s.str();
                    scope = measured_scope;
                    quality = energy::quality::estimated;
                    default_poll_seconds = 3600;
                }
                sample read() override { return {true, {watts_}, {}}; }

            private:
                double watts_;
            };

            /// A command or a file yielding watts (sampled and integrated) or joules (a counter).
            class external_reading final : public backend
            {
            public:
                external_reading(const options& o, bool is_command, const std::string& what, bool is_energy)
                    : options_(o)
                    , is_command_(is_command)
                    , what_(what)
                    , is_energy_(is_energy)
                {
                    value_kind = is_energy ? kind::energy_counter : kind::power;
                    wrap_joules = {0};
                    source = std::string("external ") + (is_command ? "command '" : "file '") + what + "' (" +
                             (is_energy ? "joules" : "watts") + ")";
                    scope = o.external_scope;
                    quality = energy::quality::measured;
                    default_poll_seconds = is_energy ? 1.0 : 0.25;
                    min_window_seconds = is_energy ? 1.0 : 2.5; // >= 10 power samples
                }

                sample read() override
                {
                    const file_result r = is_command_ ? options_.run_command(what_) : options_.read_file(what_);
                    if (!r.ok)
                        return {false, {}, describe_failure(r)};
                    const quantity q = parse_quantity(r.text);
                    if (!q.ok || q.is_energy != is_energy_)
                        return {false, {}, what_ + " gave '" + trim(r.text) + "', not " + (is_energy_ ? "joules" : "watts")};
                    return {true, {q.value}, {}};
                }

                std::string describe_failure(const file_result& r) const
                {
                    if (is_command_)
                        return "command '" + what_ + "' failed";
                    return what_ + ": " + std::strerror(r.error_number ? r.error_number : EIO);
                }

            private:
                options options_;
                bool is_command_;
                std::string what_;
                bool is_energy_;
            };

            /// The user's external meter, if any was given. Bad values throw joule::error: a meter
            /// the user asked for must not be replaced silently by another.
            inline probe_result probe_external(const options& o)
            {
                probe_result p;
                const int given = (o.watts != 0) + !o.command.empty() + !o.file.empty();
                if (given == 0)
                {
                    p.why_not = "external: none given";
                    return p;
                }
                if (given > 1)
                    ::joule::detail::fail("energy::meter::detect", "give one external meter: watts (", o.watts,
                                          "), command ('", o.command, "') or file ('", o.file, "')");
                if (o.watts != 0)
                {
                    if (!(o.watts > 0) || !std::isfinite(o.watts))
                        ::joule::detail::fail("energy::meter::detect", "watts (", o.watts, ") must be a finite number > 0");
                    p.found = std::make_unique<constant_power>(o.watts, o.external_scope);
                    return p;
                }
                const bool is_command = !o.command.empty();
                const std::string& what = is_command ? o.command : o.file;
                const file_result r = is_command ? o.run_command(what) : o.read_file(what);
                if (!r.ok)
                    ::joule::detail::fail("energy::meter::detect", is_command ? "command '" : "file '", what,
                                          "' cannot be read: ",
                                          is_command ? "it failed" : std::strerror(r.error_number ? r.error_number : EIO));
                const quantity q = parse_quantity(r.text);
                if (!q.ok)
                    ::joule::detail::fail("energy::meter::detect", is_command ? "command '" : "file '", what, "' gave '",
                                          trim(r.text), "', not watts or joules (e.g. '12.5 W', '3400 J')");
                p.found = std::make_unique<external_reading>(o, is_command, what, q.is_energy);
                return p;
            }

            /// The estimate: joules from the power model, a cumulative counter that never wraps.
            class estimate final : public backend
            {
            public:
                estimate(const options& o)
                    : model_(o.model)
                    , clock_(o.clock)
                    , start_(o.clock())
                {
                    value_kind = kind::energy_counter;
                    wrap_joules = {0};
                    source = std::string("estimate (") + (model_.is_default() ? "default model: " : "model: ") +
                             model_.describe() + ")";
                    scope = energy::scope::package;
                    quality = energy::quality::estimated;
                    default_poll_seconds = 3600;
                }

                sample read() override
                {
                    const double t = clock_() - start_;
                    return {true,
                            {estimate_joules(model_, t, model_.active_cores, flops_.load(), bytes_.load())},
                            {}};
                }

                void add_work(double flops, double bytes)
                {
                    // fetch_add on atomic<double> is C++20; a CAS loop keeps C++17.
                    for (double f = flops_.load(); !flops_.compare_exchange_weak(f, f + flops);)
                    {
                    }
                    for (double b = bytes_.load(); !bytes_.compare_exchange_weak(b, b + bytes);)
                    {
                    }
                }

            private:
                power_model model_;
                std::function<double()> clock_;
                double start_;
                std::atomic<double> flops_{0};
                std::atomic<double> bytes_{0};
            };
        } // namespace detail
        JOULE_END_ARCH_NS
    } // namespace energy
} // namespace joule
