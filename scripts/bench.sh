#!/usr/bin/env bash
# The main job: builds joule-bench in Release for this machine (-march=native) and runs it,
# printing the results table. Installs what it needs first (scripts/deps.sh bench).
#
#   scripts/bench.sh                    the short default run (a few minutes on 2 cores)
#   scripts/bench.sh --full             every benchmark at full length
#   scripts/bench.sh -- ARGS...         extra arguments for joule-bench (Google Benchmark's
#                                       flags, e.g. --benchmark_filter=convert)
#
# Results (Google Benchmark JSON and the console table) go to build/bench/results/<time>/,
# named on the last line printed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

full=0 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

"$JOULE_ROOT/scripts/deps.sh" bench

build="$JOULE_ROOT/build/bench"
say "== building joule-bench (Release, -march=native) in $build"
cmake -S "$JOULE_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-march=native" \
      -DJOULE_BUILD_BENCHMARKS=ON -DJOULE_BUILD_TESTS=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_INSTALL=OFF >/dev/null
cmake --build "$build" --target joule-bench -j "$(nproc)" >/dev/null
[ -x "$build/benchmarks/joule-bench" ] || die "joule-bench was not built (is libbenchmark-dev installed?)"

results="$build/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results" || die "cannot create the results folder $results"
args=(--benchmark_out="$results/joule-bench.json" --benchmark_out_format=json)
if [ $full -eq 0 ]; then
  args+=(--benchmark_min_time=0.2)
else
  args+=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
fi

say "== running joule-bench"
"$build/benchmarks/joule-bench" "${args[@]}" "${extra[@]}" | tee "$results/joule-bench.txt"
say "results: $results"
