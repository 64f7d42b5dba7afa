#!/usr/bin/env bash
# Builds the MiniLM example and its tests (Release, for this machine's instruction set) in
# build/minilm/cmake and prints that folder. Used by run.sh, verify.sh and bench.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

"$JOULE_ROOT/scripts/deps.sh" minilm >&2 || die "installing the example's dependencies failed"
dir="${JOULE_MINILM_BUILD:-$JOULE_ROOT/build/minilm/cmake}"
mkdir -p "$dir"
log="$dir/build.log"
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S "$JOULE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-march=native" \
    -DJOULE_BUILD_EXAMPLES=ON -DJOULE_BUILD_TESTS=ON -DJOULE_BUILD_BENCHMARKS=OFF -DJOULE_INSTALL=OFF >"$log" 2>&1 ||
    { cat "$log" >&2; die "configuring $dir failed"; }
fi
cmake --build "$dir" -j 2 --target minilm minilm_test minilm_model_test >"$log" 2>&1 ||
  { cat "$log" >&2; die "building the example failed"; }
echo "$dir"
