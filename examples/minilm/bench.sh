#!/usr/bin/env bash
# Sentences per second and per joule for all-MiniLM-L6-v2: joule at every weight type against
# PyTorch (CPU) and onnxruntime, side by side in one run, on the same sentences
# (testdata/sentences.txt), one sentence at a time (batch 1), single thread and all cores.
#
#   examples/minilm/bench.sh [--seconds S] [--reps N]
#
# Installs what it needs (examples/minilm/fetch.sh --reference: a venv with torch,
# sentence-transformers and onnxruntime from PyPI), then holds /tmp/joule-bench.lock for the
# timed part so that no other benchmark shares the cores. Each figure is the median of N
# repetitions (default 3) of at least S seconds (default 1.5). Results: build/minilm/bench/.
#
# q8_0 and q4_0 run twice: with q8_0 activations (the example's default: rotated, ggml's integer
# path) and with float activations (weights dequantized per call); see weights.hpp.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

seconds=1.5 reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) die "usage: examples/minilm/bench.sh [--seconds S] [--reps N]" ;;
  esac
done

here="$JOULE_ROOT/examples/minilm"
data="${JOULE_MINILM_DIR:-$JOULE_ROOT/build/minilm}"
"$here/fetch.sh" --reference
build="$("$here/build.sh")"
binary="$build/examples/minilm/minilm"
sentences="$here/testdata/sentences.txt"
out="$data/bench"
mkdir -p "$out"
results="$out/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
all="$(nproc)"

timed_run() {
  local rep threads w
  for rep in $(seq "$reps"); do
    for threads in 1 "$all"; do
      for w in f32 f16 bf16; do
        "$binary" --model "$data/model" --weights "$w" --threads "$threads" --bench "$seconds" "$sentences"
      done
      for w in q8_0 q4_0; do
        for acts in q8_0 f32; do
          "$binary" --model "$data/model" --weights "$w" --activations "$acts" --threads "$threads" --bench "$seconds" "$sentences"
        done
      done
      "$data/venv/bin/python" "$here/bench_peers.py" --model "$data/model" --onnx "$data/onnx/model.onnx" \
        --threads "$threads" --seconds "$seconds" "$sentences" 2>/dev/null
    done
  done
}
export -f timed_run
export reps all binary data seconds sentences here

say "timing under /tmp/joule-bench.lock (waits while another benchmark runs) ..."
flock /tmp/joule-bench.lock bash -c 'echo "# load before: $(cat /proc/loadavg)"; timed_run; echo "# load after: $(cat /proc/loadavg)"' >"$results"
say "raw results: $results"
python3 "$here/bench_report.py" "$results" "$(lscpu | sed -n 's/^Model name: *//p')"
