#!/usr/bin/python3
"""Draws joule-bench's pictures from a results folder (joule-bench.csv and limits.json):

  roofline.png / .svg   every kernel and peer against the machine limits measured in the run:
                        GFLOP/s against arithmetic intensity under the FMA and bandwidth roofs,
                        and the purely memory-bound kernels in GB/s against the bandwidth lines;
  per_watt.png / .svg   throughput per joule (GFLOP/J or GB/J) per kernel, joule beside its peers,
                        labelled with the energy source and whether it is measured or estimated.

Usage: plot_bench.py RESULTS_DIR   (Debian's python3-matplotlib: run with /usr/bin/python3)
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(results):
    with open(os.path.join(results, "limits.json")) as f:
        limits = json.load(f)
    best = {}
    with open(os.path.join(results, "joule-bench.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["error"] or row["aggregate"] not in ("", "median"):
                continue
            key = (row["kernel"], row["impl"], row["shape"], row["threads"])
            if key not in best or row["aggregate"] == "median":
                best[key] = row
    return limits, list(best.values())


def number(row, field):
    try:
        return float(row[field])
    except (KeyError, ValueError):
        return 0.0


def is_joule(impl):
    return impl == "joule" or impl.startswith("joule_")


def impl_style(impls):
    markers = ["o", "s", "^", "D", "v", "P", "X", "<", ">"]
    styles, k = {}, 0
    for impl in sorted(impls, key=lambda i: (not is_joule(i), i)):
        if is_joule(impl):
            styles[impl] = dict(marker="*", s=140, color="#d62728", zorder=5)
        else:
            styles[impl] = dict(marker=markers[k % len(markers)], s=50, color=plt.cm.tab10(k % 10 if k % 10 != 3 else 9))
            k += 1
    return styles


def energy_label(rows):
    if not rows:
        return "no results"
    r = rows[0]
    text = "energy: %s (%s scope, %s)" % (r["energy_source"], r["energy_scope"], r["energy_quality"])
    if r["energy_quality"] == "estimated":
        text = "ESTIMATED, not measured - " + text
    return text


def roofline(limits, rows, out):
    compute = [r for r in rows if number(r, "flops_per_iteration") > 0 and number(r, "bytes_per_iteration") > 0]
    memory = [r for r in rows if number(r, "flops_per_iteration") == 0 and number(r, "gbs") > 0]
    styles = impl_style({r["impl"] for r in rows})
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6.5), gridspec_kw={"width_ratios": [3, 2]})
    fig.suptitle("joule-bench roofline on %s (%d CPUs, limits measured %s)" %
                 (limits["cpu_model"], limits["cpus"], limits["measured_at"]))

    # Compute roofline: min(peak, intensity x bandwidth), one core and all cores.
    intensities = [number(r, "flops_per_iteration") / number(r, "bytes_per_iteration") for r in compute] or [1.0]
    lo, hi = min(intensities + [0.05]) / 2, max(intensities + [100.0]) * 2
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    for peak, bw, label, style in ((limits["fma_gflops_1"], limits["read_gbs_1"], "1 core", "-"),
                                   (limits["fma_gflops_all"], limits["read_gbs_all"], "%d cores" % limits["cpus"], "--")):
        left.plot(xs, [min(peak, x * bw) for x in xs], style, color="black", lw=1.5,
                  label="fp32 FMA %.0f GFLOP/s, read %.1f GB/s (%s)" % (peak, bw, label))
    if limits.get("int8_gops_1"):
        left.axhline(limits["int8_gops_1"], color="gray", ls=":", lw=1,
                     label="int8 dot %.0f GOP/s (1 core)" % limits["int8_gops_1"])
    seen, labelled = set(), set()
    for r in compute:
        x = number(r, "flops_per_iteration") / number(r, "bytes_per_iteration")
        st = styles[r["impl"]]
        left.scatter([x], [number(r, "gflops")], label=None if r["impl"] in seen else r["impl"], **st)
        seen.add(r["impl"])
        group = (r["kernel"], r["shape"], r["threads"])
        if group in labelled:
            continue  # one label per kernel/shape/threads: the peers sit beside it
        labelled.add(group)
        left.annotate("%s %s t%s" % (r["kernel"], r["shape"], r["threads"]), (x, number(r, "gflops")), fontsize=7,
                      xytext=(4, 3), textcoords="offset points")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("arithmetic intensity (FLOP per byte that must cross the memory bus)")
    left.set_ylabel("GFLOP/s (GOP/s for int8)")
    left.set_title("compute kernels")
    if not compute:
        left.text(0.5, 0.5, "no compute kernels in this run", transform=left.transAxes, ha="center")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="lower right")

    # Memory-only kernels: GB/s against the bandwidth limits.
    for value, label, style in ((limits["read_gbs_1"], "read, 1 core", "-"), (limits["read_gbs_all"], "read, all cores", "--"),
                                (limits["triad_gbs_1"], "triad, 1 core", "-."), (limits["triad_gbs_all"], "triad, all cores", ":")):
        right.axhline(value, color="black", ls=style, lw=1, label="%s %.1f GB/s" % (label, value))
    seen = set()
    for i, r in enumerate(memory):
        st = styles[r["impl"]]
        right.scatter([i], [number(r, "gbs")], label=None if r["impl"] in seen else r["impl"], **st)
        seen.add(r["impl"])
    right.set_xticks(range(len(memory)))
    right.set_xticklabels(["%s %s t%s%s" % (r["kernel"], r["shape"], r["threads"], " (in cache)" if r["in_cache"] == "1" else "")
                           for r in memory], rotation=60, ha="right", fontsize=7)
    right.set_yscale("log")
    right.set_ylabel("GB/s")
    right.set_title("memory kernels (no arithmetic to speak of)")
    if not memory:
        right.text(0.5, 0.5, "no memory-only kernels in this run", transform=right.transAxes, ha="center")
    right.grid(True, axis="y", which="both", alpha=0.3)
    right.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, "roofline." + ext), dpi=110)
    plt.close(fig)


def per_watt(rows, out):
    styles = impl_style({r["impl"] for r in rows})
    panels = [("GFLOP per joule", "gflop_per_joule", [r for r in rows if number(r, "flops_per_iteration") > 0]),
              ("GB per joule", "gb_per_joule", [r for r in rows if number(r, "flops_per_iteration") == 0 and number(r, "bytes_per_iteration") > 0])]
    panels = [p for p in panels if p[2]] or [("per joule", "gflop_per_joule", [])]
    fig, axes = plt.subplots(len(panels), 1, figsize=(14, 5 * len(panels)), squeeze=False)
    fig.suptitle("throughput per joule, joule against its peers\n" + energy_label(rows),
                 color="#b00000" if rows and rows[0]["energy_quality"] == "estimated" else "black")
    for ax, (title, field, subset) in zip(axes[:, 0], panels):
        groups = []
        for r in subset:
            g = (r["kernel"], r["shape"], r["threads"])
            if g not in groups:
                groups.append(g)
        impls = sorted({r["impl"] for r in subset}, key=lambda i: (not is_joule(i), i))
        width = 0.8 / max(2, len(impls))
        any_value = False
        for k, impl in enumerate(impls):
            xs, ys = [], []
            for gi, g in enumerate(groups):
                for r in subset:
                    if (r["kernel"], r["shape"], r["threads"]) == g and r["impl"] == impl and number(r, field) > 0:
                        xs.append(gi + (k - (len(impls) - 1) / 2) * width)
                        ys.append(number(r, field))
            any_value = any_value or bool(ys)
            ax.bar(xs, ys, width=width, label=impl, color=styles[impl]["color"], edgecolor="black", lw=0.5)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(["%s\n%s t%s" % g for g in groups], fontsize=7, rotation=0 if len(groups) < 10 else 60)
        ax.set_ylabel(title)
        if any_value:
            ax.set_yscale("log")
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "energy unavailable for these results", transform=ax.transAxes, ha="center")
        ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, "per_watt." + ext), dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_bench.py RESULTS_DIR")
    results = sys.argv[1]
    limits, rows = load(results)
    roofline(limits, rows, results)
    per_watt(rows, results)


if __name__ == "__main__":
    main()
