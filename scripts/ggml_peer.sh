#!/usr/bin/env bash
# Builds ggml's CPU library as an optional same-run peer for joule-bench. ggml comes from PyPI's
# llama-cpp-python source distribution (vendor/llama.cpp/ggml); it is downloaded, unpacked and
# built under build/deps/ggml and never committed. Idempotent: a finished build is reused.
#
#   scripts/ggml_peer.sh            download (once), build, install; prints the install prefix
#   scripts/ggml_peer.sh --jobs N   parallel compile jobs (default 2)
#
# joule-bench links it when benchmarks/CMakeLists.txt finds the prefix (JOULE_GGML_PEER_PREFIX,
# default build/deps/ggml/install); scripts/bench.sh --ggml runs this script first.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

version=0.3.36 # llama-cpp-python release whose vendored ggml is built
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs|-j) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

root="$JOULE_DEPS_DIR/ggml"
prefix="$root/install"
stamp="$prefix/.joule-ggml-$version"
if [ -f "$stamp" ]; then
  echo "$prefix"
  exit 0
fi

"$JOULE_ROOT/scripts/deps.sh" bench >&2 # cmake and a compiler
py="$(python_with_pip)"
mkdir -p "$root/sdist" "$root/src"
sdist="$root/sdist/llama_cpp_python-$version.tar.gz"
if [ ! -f "$sdist" ]; then
  say "downloading llama-cpp-python $version (source distribution) from PyPI" >&2
  "$py" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$root/sdist" >&2 ||
    die "pip download llama-cpp-python==$version failed"
fi
src="$root/src/llama_cpp_python-$version/vendor/llama.cpp/ggml"
if [ ! -f "$src/CMakeLists.txt" ]; then
  tar xzf "$sdist" -C "$root/src" "llama_cpp_python-$version/vendor/llama.cpp/ggml" ||
    die "unpacking $sdist failed"
fi

# The sdist leaves out ggml's pkg-config template, which its CMake configures unconditionally.
[ -f "$src/ggml.pc.in" ] || : > "$src/ggml.pc.in"

say "building ggml (CPU backend, -march=native) in $root/build" >&2
cmake -S "$src" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
      -DGGML_OPENMP=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >&2 ||
  die "configuring ggml failed"
cmake --build "$root/build" -j "$jobs" >&2 || die "building ggml failed"
cmake --install "$root/build" >&2 || die "installing ggml failed"
touch "$stamp"
echo "$prefix"
