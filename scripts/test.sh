#!/usr/bin/env bash
# Builds and runs joule's whole test matrix: every configuration below, natively or under
# qemu-user. Prints one summary line per configuration (PASS, FAIL, or SKIP with the reason: a
# configuration built for an instruction set this CPU lacks, or one whose PyPI package pip could
# not get, e.g. offline) and a final "N passed, M failed, K skipped"; exits non-zero when any
# configuration fails (skipped is not failed). Installs what it needs first (scripts/deps.sh).
#
#   scripts/test.sh                 the whole matrix
#   scripts/test.sh --only REGEX    configurations whose name matches REGEX
#   scripts/test.sh --list          list the configurations and exit
#   scripts/test.sh --jobs N        parallel compile jobs (default: number of CPUs)
#   scripts/test.sh --serial        run each configuration's tests before building the next one
#
# By default a configuration's tests run in the background while the next configurations build:
# the tests under qemu leave a core idle (one long test program), the builds fill it. Test runs
# still go one configuration at a time, in the matrix's order, and the summary keeps that order.
#
# Build trees and logs: build/test/<configuration>/ and build/test/<configuration>.log
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

only="" list=0 serial=0 jobs="$(nproc 2>/dev/null || echo 2)"
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="${2:?--only needs a regex}"; shift 2 ;;
    --list) list=1; shift ;;
    --jobs|-j) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    --serial) serial=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

# ---- the matrix ---------------------------------------------------------------------------------
# name | compiler | CMAKE_CXX_FLAGS | toolchain | extra CMake arguments | CPU flag the run needs | runs
# (extra words: xsimd=TAG:PYTHRAN_VERSION uses xsimd headers from PyPI; packaging-tools passes the venv
# with Conan and jsonschema that the package tests need)
#
# Runtime dispatch configurations build the tests once (-DJOULE_TEST_DISPATCH=<levels>) and run
# them once per entry of `runs`, comma-separated "label:expected level:JOULE_ARCH:launcher".
# The launcher (e.g. an emulated CPU) goes to JOULE_TEST_LAUNCHER, the expected level to
# JOULE_TEST_EXPECT_ARCH, which dispatch_test checks; "native" expects the best level this
# machine's /proc/cpuinfo allows (x86_native_level below).
# Time (the whole matrix must stay under 30 minutes on 2 cores): the examples build in three
# configurations only: x86-64-v3 (quickstart, MiniLM), ASan+UBSan (quickstart, MiniLM's tokenizer
# and safetensors tests; its encoder and model test took 177 CPU-s to compile there and never ran)
# and aarch64 dotprod (quickstart: MiniLM is native only). The kernels' tests build everywhere.
# ASan+UBSan compiles at -O1 (at -O3 it took a quarter of the matrix: 98 s for matmul_test.cpp
# alone, against 37 s). The configurations whose tests run long under qemu come first, so that
# their tests run in the background while the others build (see --serial).
qemu_a64="qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu"
qemu_a32="qemu-arm -L /usr/arm-linux-gnueabihf -cpu"
configs=(
  "gcc12-dispatch-armv7|arm-linux-gnueabihf-g++|-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard|arm-linux-gnueabihf|-DJOULE_BUILD_EXAMPLES=OFF -DJOULE_TEST_DISPATCH=armv7-neon;arm||cortex-a7:armv7-neon::$qemu_a32 cortex-a7,cortex-a9:arm::$qemu_a32 cortex-a9"
  "riscv64-scalar|riscv64-linux-gnu-g++|-march=rv64gc|riscv64-linux-gnu|-DJOULE_QEMU_CPU=rv64 -DJOULE_BUILD_EXAMPLES=OFF|"
  "gcc12-dispatch-aarch64|aarch64-linux-gnu-g++|-march=armv8-a|aarch64-linux-gnu|-DJOULE_BUILD_EXAMPLES=OFF -DJOULE_TEST_DISPATCH=i8mm;dotprod;neon||cortex-a72:neon::$qemu_a64 cortex-a72,cortex-a76:dotprod::$qemu_a64 cortex-a76,max:i8mm::$qemu_a64 max"
  "aarch64-neon-cortex-a72|aarch64-linux-gnu-g++|-march=armv8-a|aarch64-linux-gnu|-DJOULE_QEMU_CPU=cortex-a72 -DJOULE_BUILD_EXAMPLES=OFF|"
  "aarch64-dotprod-i8mm-max|aarch64-linux-gnu-g++|-march=armv8.2-a+dotprod+i8mm|aarch64-linux-gnu|-DJOULE_QEMU_CPU=max|"
  "aarch64-dotprod-i8mm-xsimd14|aarch64-linux-gnu-g++|-march=armv8.2-a+dotprod+i8mm|aarch64-linux-gnu|-DJOULE_QEMU_CPU=max -DJOULE_BUILD_EXAMPLES=OFF xsimd=14:0.19.0|"
  "gcc12-dispatch-x86|g++-12|-march=x86-64||-DJOULE_TEST_ODR=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_TEST_DISPATCH=avx512;x86-64-v4;avxvnni;avx2;sse4.2;sse2||native:native::,nehalem:sse4.2::qemu-x86_64 -cpu Nehalem,sse2:sse2:sse2:"
  "gcc12-asan-ubsan|g++-12|-march=x86-64-v3 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer||-DJOULE_TEST_ODR=OFF -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DJOULE_MINILM_BUILD_MODEL=OFF|avx2"
  "gcc12-x86-64|g++-12|-march=x86-64||-DJOULE_TEST_CONSUMERS=ON -DJOULE_TEST_PACKAGES=ON -DJOULE_BUILD_EXAMPLES=OFF packaging-tools|"
  "gcc12-x86-64-v2|g++-12|-march=x86-64-v2||-DJOULE_TEST_ODR=OFF -DJOULE_BUILD_EXAMPLES=OFF|sse4_2"
  "gcc12-x86-64-v3|g++-12|-march=x86-64-v3||-DJOULE_BUILD_BENCHMARKS=ON|avx2"
  "gcc12-x86-64-v4-avx512|g++-12|-march=x86-64-v4 -mavx512vnni||-DJOULE_TEST_ODR=OFF -DJOULE_BUILD_EXAMPLES=OFF|avx512_vnni"
  "gcc12-forced-scalar|g++-12|-march=x86-64-v3||-DJOULE_TEST_FORCE_SCALAR=ON -DJOULE_BUILD_EXAMPLES=OFF|avx2"
  "gcc12-x86-64-v3-xsimd13|g++-12|-march=x86-64-v3||-DJOULE_TEST_ODR=OFF -DJOULE_BUILD_EXAMPLES=OFF xsimd=13:0.18.0|avx2"
  "gcc12-x86-64-v3-xsimd14|g++-12|-march=x86-64-v3||-DJOULE_TEST_CONSUMERS=ON -DJOULE_BUILD_EXAMPLES=OFF xsimd=14:0.19.0|avx2"
  "clang14-x86-64-v3|clang++-14|-march=x86-64-v3||-DJOULE_TEST_ODR=OFF -DJOULE_BUILD_EXAMPLES=OFF|avx2"
)

if [ $list -eq 1 ]; then
  for c in "${configs[@]}"; do IFS='|' read -r name cxx flags _ <<<"$c"; printf '%-30s %s %s\n' "$name" "$cxx" "$flags"; done
  exit 0
fi

"$JOULE_ROOT/scripts/deps.sh" test || die "installing the test dependencies failed"

cpu_has() { [ -z "$1" ] || grep -qw "$1" /proc/cpuinfo; }

# The best x86 dispatch level this machine runs, from the kernel's view of the CPU (not from
# joule's own CPUID code, which is what the dispatch tests check).
x86_native_level() {
  local f
  all() { for f in "$@"; do cpu_has "$f" || return 1; done; }
  if all avx512f avx512bw avx512cd avx512dq avx512vl avx512_vnni avx2 fma f16c bmi2 movbe; then echo avx512
  elif all avx512f avx512bw avx512cd avx512dq avx512vl avx2 fma f16c bmi2 movbe; then echo x86-64-v4
  elif all avx_vnni avx2 fma f16c bmi1 bmi2 abm movbe; then echo avxvnni
  elif all avx2 fma f16c bmi1 bmi2 abm movbe; then echo avx2
  elif all sse4_2 popcnt ssse3; then echo sse4.2
  else echo sse2
  fi
}

# ctest_run DIR LOG [VAR=value...]: runs the tests of a build with the given environment; prints
# "<counts>; <the arch line of the tests>" and returns ctest's status.
ctest_run() {
  local dir="$1" log="$2"; shift 2
  local status=0 counts isa
  (cd "$dir" && env "$@" ctest --no-tests=error --output-on-failure -j "$jobs" --timeout 1500) >>"$log" 2>&1 || status=1
  counts=$(grep -Eo '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  isa=$(grep -ho 'joule kernels: .*' "$dir/Testing/Temporary/LastTest.log" 2>/dev/null | head -1)
  printf '%s; %s' "${counts:-no test count (see $log)}" "${isa#joule kernels: }"
  return $status
}

run_config() {
  local name="$1" cxx="$2" flags="$3" toolchain="$4" extra="$5" needs="$6" runs="$7"
  local dir="$JOULE_ROOT/build/test/$name" log="$JOULE_ROOT/build/test/$name.log"
  local args=(-S "$JOULE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx"
              -DCMAKE_CXX_FLAGS="$flags" -DJOULE_WERROR=ON -DJOULE_BUILD_TESTS=ON -DJOULE_BUILD_EXAMPLES=ON
              -DJOULE_BUILD_BENCHMARKS=OFF -DJOULE_INSTALL=ON)
  # Status 3 from the PyPI helpers means pip could not get the package (offline): what needs it is
  # skipped with the reason. Any other failure fails the configuration.
  local word spec got rc
  for word in $extra; do
    rc=0
    case "$word" in
      xsimd=*) spec="${word#xsimd=}"
               got="$(pypi_xsimd "${spec%%:*}" "${spec#*:}")" || rc=$?
               if [ $rc -eq 3 ]; then
                 record SKIP "$name" "not built: its xsimd ${spec%%:*} headers come from PyPI (pythran==${spec#*:}) and pip could not download them"
                 return 0
               fi
               [ $rc -eq 0 ] || return 1
               args+=(-Dxsimd_DIR="$got") ;;
      packaging-tools)
               got="$(packaging_tools)" || rc=$?
               if [ $rc -eq 3 ]; then
                 # After -DJOULE_TEST_PACKAGES=ON in `extra`: the later -D wins.
                 args+=(-DJOULE_TEST_PACKAGES=OFF)
                 record SKIP "$name/packages" "package tests (.deb, Conan, vcpkg, versions) not run: Conan and jsonschema come from PyPI and pip could not install them"
               else
                 [ $rc -eq 0 ] || return 1
                 args+=(-DJOULE_TEST_PACKAGING_TOOLS="$got")
               fi ;;
      *) args+=("$word") ;;
    esac
  done
  if [ -n "$toolchain" ]; then
    local inc; inc="$(cross_include_root)"
    args+=(-DCMAKE_TOOLCHAIN_FILE="$JOULE_ROOT/cmake/toolchains/$toolchain.cmake" -DJOULE_TEST_DOCTEST_INCLUDE_DIR="$inc")
    # A PyPI xsimd was given above; otherwise Debian's headers through a clean include root.
    [[ "$extra" == *xsimd=* ]] || args+=(-Dxsimd_DIR="$(xsimd_package "$inc" "$JOULE_DEPS_DIR/xsimd-cross/cmake")")
  fi

  mkdir -p "$(dirname "$dir")"
  local t0 t1 t2 status="" detail=""
  t0=$(date +%s)
  say "== $name: configure and build ($cxx $flags)"
  if ! { cmake "${args[@]}" && cmake --build "$dir" -j "$jobs"; } >"$log" 2>&1; then
    status=FAIL detail="build failed, see $log"
  fi
  t1=$(date +%s)
  # The tests: in the background (after the previous configuration's tests) unless --serial.
  if [ $serial -eq 1 ]; then
    test_config "$name" "$dir" "$log" "$needs" "$runs" "$status" "$detail" $((t1 - t0))
  else
    local previous="$tests_done"
    tests_done="$state/$index.tests-done"
    ( while [ -n "$previous" ] && [ ! -e "$previous" ]; do sleep 1; done
      test_config "$name" "$dir" "$log" "$needs" "$runs" "$status" "$detail" $((t1 - t0))
      touch "$tests_done" ) &
  fi
}

# test_config NAME DIR LOG NEEDS RUNS BUILD_STATUS BUILD_DETAIL BUILD_SECONDS: runs the tests of
# a built configuration (once, or once per entry of RUNS) and records the outcome.
test_config() {
  local name="$1" dir="$2" log="$3" needs="$4" runs="$5" status="$6" detail="$7" build_s="$8" t0
  if [ -n "$runs" ]; then
    run_dispatch "$name" "$dir" "$log" "$runs" "$status" "$build_s"
    return 0
  fi
  t0=$(date +%s)
  if [ -z "$status" ] && ! cpu_has "$needs"; then
    status=SKIP detail="built, not run: this CPU lacks $needs"
  elif [ -z "$status" ]; then
    say "== $name: run tests"
    if detail=$(ctest_run "$dir" "$log"); then status=PASS; else status=FAIL; fi
    [ "$status" = FAIL ] && detail="$detail; see $log"
  fi
  record "$status" "$name" "$detail [build ${build_s}s, tests $(( $(date +%s) - t0 ))s]"
}

# record STATUS NAME DETAIL: prints the outcome line and appends it to this configuration's
# results file ($results, set before its build), which the summary reads in the matrix's order.
record() {
  local line
  line=$(printf '%-4s %-30s %s' "$1" "$2" "$3")
  say "$line"
  printf '%s\n' "$line" >>"$results"
}

# run_dispatch NAME DIR LOG RUNS BUILD_STATUS BUILD_SECONDS: one summary line per run of a
# runtime dispatch build (see `runs` above).
run_dispatch() {
  local name="$1" dir="$2" log="$3" runs="$4" build_status="$5" build_s="$6"
  local run label expect arch launcher t0 status detail
  IFS=',' read -ra run_list <<<"$runs"
  for run in "${run_list[@]}"; do
    IFS=':' read -r label expect arch launcher <<<"$run"
    [ "$expect" = native ] && expect="$(x86_native_level)"
    if [ -n "$build_status" ]; then
      record FAIL "$name/$label" "build failed, see $log"
      continue
    fi
    say "== $name/$label: run tests (${launcher:-natively}${arch:+, JOULE_ARCH=$arch}; must pick $expect)"
    echo "== run $label: JOULE_TEST_LAUNCHER='$launcher' JOULE_ARCH='$arch' JOULE_TEST_EXPECT_ARCH='$expect'" >>"$log"
    t0=$(date +%s)
    if detail=$(ctest_run "$dir" "$log" JOULE_TEST_LAUNCHER="$launcher" JOULE_ARCH="$arch" JOULE_TEST_EXPECT_ARCH="$expect")
    then status=PASS; else status=FAIL detail="$detail; see $log"; fi
    record "$status" "$name/$label" "$detail [build ${build_s}s once, tests $(( $(date +%s) - t0 ))s]"
  done
}

# Interrupted: stop the background test runs too.
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
if [ -n "$only" ]; then   # a pattern that matches nothing would otherwise "pass" with 0 run
  matched=0
  for c in "${configs[@]}"; do [[ "${c%%|*}" =~ $only ]] && matched=1; done
  [ $matched -eq 1 ] || die "--only '$only' matches no configuration (scripts/test.sh --list shows them)"
fi
start=$(date +%s)
state="$JOULE_ROOT/build/test/.run-$$"
rm -rf "$state" && mkdir -p "$state" || die "cannot create $state"
index=0 tests_done="" results=""
for c in "${configs[@]}"; do
  IFS='|' read -r name cxx flags toolchain extra needs runs <<<"$c"
  if [ -n "$only" ] && ! [[ "$name" =~ $only ]]; then continue; fi
  index=$((index + 1)) results="$state/$(printf '%03d' "$index").results"
  if ! run_config "$name" "$cxx" "$flags" "$toolchain" "$extra" "$needs" "$runs"; then
    # Only a failed dependency setup (PyPI xsimd, the packaging venv) returns early: count it.
    record FAIL "$name" "setting up its dependencies failed (see the messages above)"
  fi
done
wait   # the last configurations' tests

summary=() passed=0 failed=0 skipped=0
for f in "$state"/*.results; do
  [ -e "$f" ] || continue
  while IFS= read -r line; do
    summary+=("$line")
    case "$line" in
      PASS*) passed=$((passed + 1)) ;;
      SKIP*) skipped=$((skipped + 1)) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done <"$f"
done
rm -rf "$state"

say ""
say "== test matrix summary ($(( $(date +%s) - start ))s)"
for line in "${summary[@]}"; do say "$line"; done
say "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
