#!/usr/bin/env bash
# The main job: builds joule-bench in Release for this machine (-march=native), runs it, and
# draws the pictures. Installs what it needs first (scripts/deps.sh bench).
#
#   scripts/bench.sh                    the short default run (under 5 minutes on 2 cores)
#   scripts/bench.sh --full             every benchmark, 3 repetitions each (medians)
#   scripts/bench.sh --remeasure        measure the machine limits again (cached per machine)
#   scripts/bench.sh --avx2             hold joule and every peer to AVX2 + FMA (the instruction set
#                                       the issues' speed targets were set on), in build/bench-avx2:
#                                       joule and Eigen compiled with -march=x86-64-v3, OpenBLAS
#                                       with OPENBLAS_CORETYPE=Haswell; BLIS keeps the configuration
#                                       it picks (Debian's 0.9 has no working override: zen3, AVX2,
#                                       on AMD). Each sgemm row's label names the kernels that ran.
#   scripts/bench.sh --ggml             also build ggml from PyPI's llama-cpp-python sdist
#                                       (scripts/ggml_peer.sh) and run its rows side by side
#   scripts/bench.sh --results-dir DIR  where the timestamped results folder goes
#                                       (default build/bench/results)
#   scripts/bench.sh --watts W | --power-command CMD | --power-file PATH | --power-model SPEC
#                                       energy from an external meter, or the estimate's model
#                                       (README "Real power numbers"); --power-scope S says what
#                                       the external meter measures (wall, board, ...)
#   scripts/bench.sh -- ARGS...         extra arguments for joule-bench (Google Benchmark's
#                                       flags, e.g. --benchmark_filter=convert)
#
# Results (Google Benchmark JSON, CSV, the table, limits, roofline and per-watt plots in PNG and
# SVG, the console log) go to one folder, named on the last line printed. A failed run leaves
# no folder behind. Set JOULE_BENCH_LOCK=/path/to/lockfile to run the timed part under flock
# (machines shared by several people).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

full=0 ggml=0 avx2=0 results_root="$JOULE_ROOT/build/bench/results" extra=() energy=() remeasure=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1; shift ;;
    --remeasure) remeasure=(--remeasure-limits); shift ;;
    --ggml) ggml=1; shift ;;
    --avx2) avx2=1; shift ;;
    --results-dir) results_root="${2:?--results-dir needs a folder}"; shift 2 ;;
    --results-dir=*) results_root="${1#*=}"; shift ;;
    --watts|--power-command|--power-file|--power-model|--power-scope|--energy-source)
      [ $# -ge 2 ] || die "$1 needs a value"; energy+=("$1=$2"); shift 2 ;;
    --watts=*|--power-command=*|--power-file=*|--power-model=*|--power-scope=*|--energy-source=*)
      energy+=("$1"); shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

# The output folder must be writable before anything is built.
mkdir -p "$results_root" 2>/dev/null && [ -w "$results_root" ] ||
  die "cannot write to the results folder '$results_root'"

"$JOULE_ROOT/scripts/deps.sh" bench
peer_args=()
if [ $ggml -eq 1 ]; then
  peer_args+=(-DJOULE_GGML_PEER_PREFIX="$("$JOULE_ROOT/scripts/ggml_peer.sh" --jobs "$(nproc)")")
fi

build="$JOULE_ROOT/build/bench" march=native
if [ $avx2 -eq 1 ]; then
  build="$JOULE_ROOT/build/bench-avx2" march=x86-64-v3
  export OPENBLAS_CORETYPE=Haswell
fi
say "== building joule-bench (Release, -march=$march) in $build"
cmake -S "$JOULE_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-march=$march" \
      -DJOULE_BUILD_BENCHMARKS=ON -DJOULE_BUILD_TESTS=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_INSTALL=OFF \
      "${peer_args[@]}" >/dev/null
cmake --build "$build" --target joule-bench -j "$(nproc)" >/dev/null
[ -x "$build/benchmarks/joule-bench" ] || die "joule-bench was not built (is libbenchmark-dev installed?)"

results="$results_root/$(date +%Y%m%d-%H%M%S)"
partial="$results.partial"
rm -rf "$partial"
mkdir -p "$partial" || die "cannot create the results folder $partial"
trap 'rm -rf "$partial"' EXIT   # a failed or interrupted run leaves nothing behind

args=(--results="$partial" "${remeasure[@]}" "${energy[@]}")
if [ $full -eq 1 ]; then
  args+=(--full --benchmark_repetitions=3 --benchmark_display_aggregates_only=true)
fi
lock=()
[ -n "${JOULE_BENCH_LOCK:-}" ] && lock=(flock "$JOULE_BENCH_LOCK")

say "== running joule-bench"
set +e
# joule-bench names the (still partial) folder last; this script names the final one instead.
"${lock[@]}" "$build/benchmarks/joule-bench" "${args[@]}" "${extra[@]}" 2>&1 |
  awk -v hide="results: $partial" '$0 != hide { print; fflush() }' | tee "$partial/console.txt"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || die "joule-bench failed (exit $status); no results kept"

say "== drawing the roofline and per-watt plots"
/usr/bin/python3 "$JOULE_ROOT/scripts/plot_bench.py" "$partial" || die "plotting failed; no results kept"

mv "$partial" "$results"
trap - EXIT
sed -i "s|$partial|$results|g" "$results/console.txt" "$results/joule-bench.json" 2>/dev/null || true
say "results: $results"
