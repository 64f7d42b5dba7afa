#!/usr/bin/env python3
"""Medians and ratios of examples/minilm/bench.sh's JSON lines, as a Markdown table."""
import json
import statistics
import sys
from collections import defaultdict


ORDER = ["f32", "f16", "bf16", "q8_0", "q4_0", "q8_0 x q8_0", "q4_0 x q8_0"]
LABELS = {
    "q8_0": "q8_0 (f32 activations)",
    "q4_0": "q4_0 (f32 activations)",
    "q8_0 x q8_0": "q8_0 (q8_0 activations, the default)",
    "q4_0 x q8_0": "q4_0 (q8_0 activations, the default)",
}


def main():
    path, cpu = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "?"
    runs = defaultdict(list)
    extra = {}
    loads = []
    for line in open(path):
        line = line.strip()
        if line.startswith("# load"):
            loads.append(line[2:])
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        # Quantized weights: "q8_0 x q8_0" (activations rotated and rounded to q8_0 too: the
        # integer path, the default) or "q8_0" (float activations).
        weights = r["weights"] + (" x q8_0" if r.get("activations") == "q8_0" else "")
        key = (r["engine"], weights, r["threads"])
        runs[key].append(r)
        extra[key] = r
    med = {k: statistics.median(x["sentences_per_s"] for x in v) for k, v in runs.items()}
    watts = {}  # joule's power figure per thread count (same model for every engine, see below)
    for k, v in runs.items():
        if k[0] == "joule" and "joules" in v[0]:
            watts[k[2]] = statistics.median(x["joules"] / x["seconds"] for x in v)
    quality = next((r.get("energy_quality") for r in extra.values() if "energy_quality" in r), None)
    source = next((r.get("energy_source") for r in extra.values() if "energy_source" in r), "none")

    print(f"all-MiniLM-L6-v2, batch 1, median of {len(next(iter(runs.values())))} runs, CPU: {cpu}")
    print(f"energy: {source} ({quality})")
    for load in loads:
        print(f"{load} (1, 5, 15 min load averages; above ~0.5 other work shared the cores and the figures are noisy)")
    if quality == "estimated":
        print("  (an estimate from a constant power model: sentences/J ratios equal the sentences/s ratios)")
    print()
    print("| engine | weights | threads | sentences/s | sentences/J | x PyTorch | x onnxruntime |")
    print("|---|---|---|---|---|---|---|")
    for threads in sorted({k[2] for k in med}):
        pt, ox = med.get(("pytorch", "f32", threads)), med.get(("onnxruntime", "f32", threads))
        rows = sorted((k for k in med if k[2] == threads), key=lambda k: (k[0] != "joule", k[0],
                      ORDER.index(k[1])))
        for k in rows:
            s = med[k]
            w = watts.get(threads)
            per_j = f"{s / w:.2f}" if w and (k[0] == "joule" or quality == "estimated") else "n/a"
            label = LABELS.get(k[1], k[1])
            print(f"| {k[0]} | {label} | {threads} | {s:.1f} | {per_j} | "
                  f"{s / pt:.2f} | {s / ox:.2f} |" if pt and ox else f"| {k[0]} | {label} | {threads} | {s:.1f} | {per_j} | | |")
    print()
    for threads in sorted({k[2] for k in med}):
        pt, ox = med.get(("pytorch", "f32", threads)), med.get(("onnxruntime", "f32", threads))
        f32 = med.get(("joule", "f32", threads))
        q8, q8q = med.get(("joule", "q8_0", threads)), med.get(("joule", "q8_0 x q8_0", threads))
        if not (pt and ox and f32 and q8q):
            continue
        line = (f"goals, {threads} thread(s): joule f32 = {f32 / pt:.2f}x PyTorch (goal >= 1.5 at batch 1: "
                f"{'met' if f32 / pt >= 1.5 else 'MISSED'}), {f32 / ox:.2f}x onnxruntime (goal >= 1.0: "
                f"{'met' if f32 / ox >= 1.0 else 'MISSED'}); joule q8_0 = {q8q / pt:.2f}x PyTorch (goal >= 2: "
                f"{'met' if q8q / pt >= 2 else 'MISSED'}, q8_0 activations, the default)")
        if q8:
            line += f", {q8 / pt:.2f}x with float activations"
        print(line)
        # The same ratios taken repetition by repetition (each repetition runs every engine back
        # to back) and then the median: less sensitive to the VM's slow spells, which hit one
        # engine's run and not the other's.
        def paired(a, b):
            xs, ys = runs.get(a, []), runs.get(b, [])
            return statistics.median(x["sentences_per_s"] / y["sentences_per_s"] for x, y in zip(xs, ys)) if xs and ys else None
        f32_ox = paired(("joule", "f32", threads), ("onnxruntime", "f32", threads))
        q8_pt = paired(("joule", "q8_0 x q8_0", threads), ("pytorch", "f32", threads))
        if f32_ox and q8_pt:
            print(f"  per repetition, median of the ratios: joule f32 = {f32_ox:.2f}x onnxruntime, "
                  f"joule q8_0 = {q8_pt:.2f}x PyTorch")


if __name__ == "__main__":
    main()
