#!/usr/bin/env bash
# Checks joule-bench's frame end to end with the synthetic benchmarks: selection, outputs,
# table, energy labels, compare, and bad input. Asserts structure, never speed.
#   run_selftest.sh BINARY WORK_DIR
set -uo pipefail
bin="$1" work="$2"
rm -rf "$work" && mkdir -p "$work"
common=(--quick-limits --limits-cache="$work/cache" --benchmark_min_time=0.01 --no-progress)
failures=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok: $1"; else echo "FAILED: $1"; failures=$((failures + 1)); fi
}
has() { grep -q -- "$2" "$1"; }
hasnt() { ! grep -q -- "$2" "$1"; }

# 1. The default (short) run: only the opted-in dot benchmarks, every output file, the table.
"$bin" "${common[@]}" --results="$work/short" >"$work/short.out" 2>"$work/short.err"
check "short run exits 0" test $? -eq 0
for f in joule-bench.json joule-bench.csv table.txt limits.json; do
  check "short run wrote $f" test -s "$work/short/$f"
done
# A figure no CPU reaches means a limit loop was optimized away (GCC once folded the portable
# FMA loop, whose start values are fixed points, and reported 1.8e18 GFLOP/s).
fma_1=$(sed -n 's/.*limits measured now.*fp32 FMA \([0-9.]*\) .*/\1/p' "$work/short.out")
check "the FMA peak is a real measurement ($fma_1 GFLOP/s)" awk -v f="$fma_1" 'BEGIN { exit !(f > 0.1 && f < 20000) }'
check "short run names its folder on the last line" test "$(tail -1 "$work/short.out")" = "results: $work/short"
check "short run holds dot/joule" has "$work/short/joule-bench.csv" '"dot/joule/4096/real_time"'
check "short run leaves out stream" hasnt "$work/short/joule-bench.csv" 'stream/joule'
check "short run says what it left out" has "$work/short.out" 'not in the short run (no JOULE_BENCH_SHORT): argshape fails noreport stream'
check "table compares joule with its best peer" grep -Eq '^dot +4096 +1 +joule +[0-9.e+-]+x peer_[ab] ' "$work/short/table.txt"
check "table labels the estimate" has "$work/short/table.txt" 'ESTIMATED'
check "the default power model is labelled default" has "$work/short.out" \
  'energy: estimate (default model: idle 10 W + 6 W/core; set with --power-model), scope package, estimated'
"$bin" "${common[@]}" --benchmark_filter='^dot/joule' --power-model=idle=12 >"$work/model.out" 2>&1
JOULE_ARCH=sse2 "$bin" "${common[@]}" --benchmark_filter='^dot/joule' >"$work/arch.out" 2>&1
check "JOULE_ARCH warns that it changes only the dispatch rows" has "$work/arch.out" \
  'warning: JOULE_ARCH=sse2 changes only the dispatch_overhead rows'
check "a stated power model is not called default" has "$work/model.out" \
  'energy: estimate (model: idle 12 W + 6 W/core), scope package, estimated'
check "table rows carry source and quality" has "$work/short/table.txt" 'estimate package, estimated'
check "% of the fp32 limit" grep -Eq '^dot .* GFLOP/s +[0-9.e+-]+% ' "$work/short/table.txt"
check "JSON carries the energy context" has "$work/short/joule-bench.json" '"joule_energy_quality": "estimated"'
check "JSON carries the energy counters" has "$work/short/joule-bench.json" '"GFLOP_per_J"'
check "JSON has no internal counter" hasnt "$work/short/joule-bench.json" 'joule_loop_id'
check "JSON labels the short selection" has "$work/short/joule-bench.json" '"joule_selection": "short"'
"$bin" "${common[@]}" --benchmark_filter='^dot/joule' --results="$work/filtered" >"$work/filtered.out" 2>&1
check "JSON labels a --benchmark_filter run as filtered" \
  has "$work/filtered/joule-bench.json" '"joule_selection": "filtered"'

# The selection alone: short patterns match the registered name (without "/real_time"), and a
# pattern that matches no benchmark fails --list-selection.
"$bin" --list-selection >"$work/selection.out" 2>"$work/selection.err"
check "--list-selection exits 0" test $? -eq 0
check "--list-selection lists the short run" test "$(tr '\n' ' ' <"$work/selection.out")" = \
  "dot/joule/4096/real_time dot/peer_a/4096/real_time dot/peer_b/4096/real_time "
check "--list-selection runs nothing" hasnt "$work/selection.out" 'joule-bench:'
JOULE_BENCH_SELFTEST_UNMATCHED=1 "$bin" --list-selection >"$work/unmatched.out" 2>"$work/unmatched.err"
check "a short pattern matching nothing fails --list-selection" test $? -eq 1
check "a short pattern matching nothing is named" has "$work/unmatched.err" \
  'warning: JOULE_BENCH_SHORT("^nothing/") matches no benchmark'
"$bin" --list-selection --full >"$work/selection-full.out" 2>&1
check "--list-selection --full lists every benchmark" test "$(wc -l <"$work/selection-full.out")" -eq 7

# 2. Full run with repetitions: aggregates, Google Benchmark threads, ArgName threads, errors,
#    a benchmark without report(), --benchmark_out, a stated wattage.
"$bin" "${common[@]}" --full --watts=7 --benchmark_repetitions=2 --benchmark_display_aggregates_only=true \
  --results="$work/full" --benchmark_out="$work/gb.csv" --benchmark_out_format=csv >"$work/full.out" 2>"$work/full.err"
check "full run exits 0" test $? -eq 0
check "JSON labels the --full selection" has "$work/full/joule-bench.json" '"joule_selection": "full"'
check "progress off: no [k/N] lines" hasnt "$work/full.err" '^\[1/'
check "median rows in the CSV" has "$work/full/joule-bench.csv" '"median"'
check "Google Benchmark threads parsed" grep -Eq '^stream +65536 +2 +joule' "$work/full/table.txt"
check "ArgName threads parsed" grep -Eq '^argshape +512 +2 +joule .* GOP/s' "$work/full/table.txt"
check "a failing benchmark shows its error" has "$work/full/table.txt" 'error: synthetic failure'
check "no report(): time only, energy n/a" has "$work/full/table.txt" 'n/a: no joule_bench::report() in this benchmark'
check "stated watts are used and labelled estimated" grep -Eq '^dot .* 7 +[0-9.e+-]+ GFLOP/J +external wall, estimated' "$work/full/table.txt"
check "--benchmark_out in Google Benchmark's CSV" has "$work/gb.csv" '^name,iterations,real_time'
check "display shows aggregates only" hasnt "$work/full.out" 'dot/joule/4096/repeats:2/real_time  '

# Google Benchmark's JSON display: stdout stays valid JSON (the suite's own lines go to stderr).
"$bin" "${common[@]}" --benchmark_format=json >"$work/display.json" 2>"$work/display.err"
check "JSON display exits 0" test $? -eq 0
check "JSON display parses" "$bin" compare "$work/display.json" "$work/display.json" >/dev/null 2>&1
check "the table went to stderr" has "$work/display.err" 'joule/best peer'

# The external meter's scope, as the user states it.
"$bin" "${common[@]}" --benchmark_filter='^dot/joule' --watts=7 --power-scope=board --results="$work/board" \
  >"$work/board.out" 2>&1
check "--power-scope=board run exits 0" test $? -eq 0
check "--power-scope=board labels the figures" grep -Eq '^dot .* external board, estimated' "$work/board/table.txt"
check "--power-scope=board in the JSON context" has "$work/board/joule-bench.json" '"joule_energy_scope": "board"'

# A read limit below triad's reads (2/3 of triad) is warned about; one between them and triad is
# not (limits from an edited copy of the cache).
for case in low:1 between:7; do
  mkdir -p "$work/cache-${case%%:*}"
  for f in "$work"/cache/limits-*.json; do
    sed -E "s/\"read_gbs_1\": [0-9.e+-]+/\"read_gbs_1\": ${case#*:}/; s/\"triad_gbs_1\": [0-9.e+-]+/\"triad_gbs_1\": 10/" \
      "$f" >"$work/cache-${case%%:*}/$(basename "$f")"
  done
  "$bin" "${common[@]}" --limits-cache="$work/cache-${case%%:*}" --benchmark_filter='^dot/joule' \
    >"$work/read-${case%%:*}.out" 2>"$work/read-${case%%:*}.err"
  check "limits from the edited cache (${case%%:*}) run" test $? -eq 0
done
check "read below triad's reads is warned about" has "$work/read-low.err" \
  'warning: 1-core read bandwidth 1.0 GB/s is 85% below the reads of triad (6.7 of its 10.0 GB/s)'
check "read between triad's reads and triad is not" hasnt "$work/read-between.err" 'below the reads of triad'

# 3. compare, same energy model: speed and energy ratios.
"$bin" compare "$work/full/joule-bench.json" "$work/full/joule-bench.json" >"$work/cmp.out" 2>&1
check "compare of a run with itself exits 0" test $? -eq 0
check "compare prints the speed geomean" has "$work/cmp.out" 'geometric mean speed B/A: 1.000x'
check "compare prints energy ratios" has "$work/cmp.out" 'geometric mean energy per iteration B/A: 1.000x'
"$bin" compare "$work/short/joule-bench.json" "$work/full/joule-bench.json" >"$work/cmp2.out" 2>&1
check "compare refuses energy across different estimates" has "$work/cmp2.out" 'energy not compared'

# 4. A measured source: a fake RAPL tree whose counter a writer advances (1 J per 10 ms ~ 100 W).
mkdir -p "$work/sys/sys/class/powercap/intel-rapl:0"
echo package-0 >"$work/sys/sys/class/powercap/intel-rapl:0/name"
echo 262143328850 >"$work/sys/sys/class/powercap/intel-rapl:0/max_energy_range_uj"
echo 0 >"$work/sys/sys/class/powercap/intel-rapl:0/energy_uj"
( e=0; while [ -f "$work/sys/sys/class/powercap/intel-rapl:0/name" ]; do
    e=$((e + 1000000)); echo $e >"$work/sys/sys/class/powercap/intel-rapl:0/energy_uj.new"
    mv "$work/sys/sys/class/powercap/intel-rapl:0/energy_uj.new" "$work/sys/sys/class/powercap/intel-rapl:0/energy_uj"
    sleep 0.01; done ) &
writer=$!
"$bin" "${common[@]}" --sysfs-root="$work/sys" --benchmark_filter='^dot/joule' --results="$work/rapl" >"$work/rapl.out" 2>&1
rc=$?
rm -f "$work/sys/sys/class/powercap/intel-rapl:0/name"; wait $writer 2>/dev/null
check "fake RAPL run exits 0" test $rc -eq 0
check "RAPL windows raised to 0.5 s" has "$work/rapl.out" 'raised --benchmark_min_time from 0.01 s to 0.5 s'
check "RAPL figures labelled measured" grep -Eq '^dot .* rapl package, measured' "$work/rapl/table.txt"
check "measured figures say no ESTIMATED" hasnt "$work/rapl/table.txt" 'ESTIMATED'
check "idle power measured for net figures" grep -Eq '^idle: [0-9.]+ W measured at start-up' "$work/rapl/table.txt"
"$bin" compare "$work/rapl/joule-bench.json" "$work/full/joule-bench.json" >"$work/cmp3.out" 2>&1
check "compare never mixes measured and estimated" has "$work/cmp3.out" 'measured and estimated figures are never compared'

# 5. Bad input: clear message, non-zero exit, no files.
"$bin" "${common[@]}" --nope --results="$work/bad1" >"$work/bad1.out" 2>&1
check "unknown flag fails" test $? -ne 0
check "unknown flag is named" has "$work/bad1.out" 'unrecognized command-line flag: --nope'
check "unknown flag leaves no files" test ! -e "$work/bad1"
"$bin" "${common[@]}" --watts=abc --results="$work/bad2" >"$work/bad2.out" 2>&1
check "bad wattage fails with 2" test $? -eq 2
check "bad wattage is explained" has "$work/bad2.out" "--watts needs a number of watts > 0 (got 'abc')"
check "bad wattage leaves no files" test ! -e "$work/bad2"
"$bin" "${common[@]}" --power-model=idle=x >"$work/bad3.out" 2>&1
check "bad power model fails" test $? -eq 2
check "bad power model is explained" has "$work/bad3.out" "'idle=x' is not key=value"
"$bin" "${common[@]}" --watts=7 --power-scope=plug --results="$work/bad7" >"$work/bad7.out" 2>&1
check "bad --power-scope fails with 2" test $? -eq 2
check "bad --power-scope is explained" has "$work/bad7.out" "--power-scope must be wall, board, package, core or dram (got 'plug')"
check "bad --power-scope leaves no files" test ! -e "$work/bad7"
"$bin" "${common[@]}" --power-scope=board >"$work/bad8.out" 2>&1
check "--power-scope without an external meter fails with 2" test $? -eq 2
check "--power-scope without an external meter is explained" has "$work/bad8.out" "--power-scope describes an external meter"
"$bin" "${common[@]}" --results=/proc/joule-bench-cannot >"$work/bad4.out" 2>&1
check "unwritable results folder fails with 2" test $? -eq 2
check "unwritable results folder is explained" has "$work/bad4.out" "cannot write to the results folder '/proc/joule-bench-cannot'"
"$bin" "${common[@]}" --results="$work/bad6/a/b" --benchmark_out=/proc/nope/x.json >"$work/bad6.out" 2>&1
check "unwritable --benchmark_out fails with 2" test $? -eq 2
check "unwritable --benchmark_out is explained" has "$work/bad6.out" "cannot write --benchmark_out='/proc/nope/x.json'"
check "unwritable --benchmark_out leaves no results folder" test ! -e "$work/bad6"
"$bin" compare "$work/nothing.json" "$work/full/joule-bench.json" >"$work/bad5.out" 2>&1
check "compare of a missing file fails with 2" test $? -eq 2

if [ $failures -eq 0 ]; then echo "joule-bench frame: all checks passed"; else echo "joule-bench frame: $failures checks failed"; fi
[ $failures -eq 0 ]
