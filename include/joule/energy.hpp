// joule/energy.hpp: measure the energy your own code uses, as joule-bench does.
//
//     auto meter = joule::energy::meter::detect();   // external > hwmon > RAPL > perf > estimate
//     auto r0 = meter.read();
//     run_my_model();
//     auto d = meter.read() - r0;                     // an interval
//     if (d.valid)
//         std::printf("%.3f J in %.3f s (%.1f W), %s, %s scope, %s\n", d.joules, d.seconds, d.watts(),
//                     d.source.c_str(), joule::energy::to_string(d.scope), joule::energy::to_string(d.quality));
//
// Sources, in the order detect() tries them (the first usable one wins):
// 1. external: options.watts (a stated constant: figures are labelled *estimated*), or
//    options.command / options.file printing watts ("12.5", "12.5 W", "800 mW") or cumulative
//    joules ("3400 J", "1.2 Wh"): a USB-C or wall meter, `vcgencmd pmic_read_adc` on a Pi 5, ...
//    Its readings have scope options.external_scope: wall by default (a plug meter); set board
//    for a USB-C meter at a board's input or a board's PMIC.
// 2. hwmon board sensors: energy*_input (uJ) or power*_input (uW); Jetson INA3221 rails (hwmon
//    in*_input x curr*_input, or the older iio rail_name_N / in_powerN_input), choosing the board's
//    total input rail by label (VDD_IN, POM_5V_IN) or summing the rails. Devices are found by name,
//    not by hwmonN.
// 3. powercap RAPL: zones by name (options.rapl_zones, default the package zones, summed over
//    sockets), the intel-rapl-mmio duplicate ignored, each counter unwrapped at
//    max_energy_range_uj.
// 4. perf_event power PMU: events/energy-pkg scaled by its .scale (unit Joules).
// 5. estimate: options.model (E = (idle + core_watts x cores) x T + pJ/flop x W + pJ/byte x Q),
//    always labelled estimated; its source says "default model" while options.model is left at
//    its defaults (a stated guess). Estimated and measured figures must never be compared.
//
// Readings: joules and seconds (cumulative since detect(), or an interval after subtracting),
// source, scope (core / package / dram / board / wall) and quality (measured / estimated). When
// the sensor fails, the reading is marked invalid (`valid == false`, `error` says why), and so is
// every interval that spans the failure: never trust `joules` of an invalid reading.
//
// Resolution: RAPL updates about every millisecond, so measure windows of >= 50 ms
// (meter.min_window_seconds() says what the chosen source needs); power-only sensors are sampled
// every 0.1 s and integrated with the trapezoid rule, so they need seconds.
//
// Permissions: RAPL's energy_uj is root-only since Linux 5.10 and perf power events need
// kernel.perf_event_paranoid <= 0. When access is denied, detect() falls back to the next source
// and prints one line (to options.notice, default stderr) saying how to allow it.
//
// Threads: a meter samples from its own background thread when the source needs it (power
// sensors, wrapping counters); read() and poll() may be called from any thread. Moving a meter is
// fine; copying is not.
//
// Errors: detect() throws joule::error for contradictory or invalid options (two external
// meters, watts <= 0, an external command or file that yields no watts or joules, an unknown
// `only`). An unreadable optional source is never an error: it is skipped and logged
// (meter.detection_log()).
//
// Testing: options.sysfs_root points every /sys path at a fake tree; options.read_file,
// run_command, clock and open_perf_counter replace the system (tests/energy_test.cpp).
#pragma once

#include "joule/detail/energy/common.hpp"
#include "joule/detail/energy/meter.hpp"
