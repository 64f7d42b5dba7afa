#!/usr/bin/env bash
# Installs what joule's scripts need on a Debian 12 machine, from Debian's packages (apt) and
# PyPI (pip) only. Idempotent: packages already present are not touched.
#   scripts/deps.sh test    compilers, cross toolchains, qemu-user, xsimd, doctest, ...
#   scripts/deps.sh bench   Google Benchmark and the peer libraries the benchmarks compare with
#   scripts/deps.sh minilm  what examples/minilm needs to build and test (a subset of `test`)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

test_packages=(
  cmake make g++ g++-12 clang-14 binutils pkgconf   # g++-12: the gcc12-* configurations call it by name
  libxsimd-dev doctest-dev libbenchmark-dev
  qemu-user g++-aarch64-linux-gnu g++-riscv64-linux-gnu
  g++-arm-linux-gnueabihf   # armv7 runtime dispatch tests under qemu-arm
  python3-venv   # the package tests' venv (Conan, jsonschema from PyPI: scripts/lib/common.sh)
  nlohmann-json3-dev libutf8proc-dev   # examples/minilm (safetensors header JSON, Unicode tables)
)
bench_packages=(
  cmake make g++ pkgconf libxsimd-dev libbenchmark-dev
  libopenblas-dev libblis-dev libeigen3-dev libdnnl-dev
  ocl-icd-opencl-dev   # Debian's dnnl-config.cmake requires OpenCL's headers and loader library
  python3 python3-matplotlib
  nlohmann-json3-dev libutf8proc-dev python3-venv   # examples/minilm/bench.sh
)
minilm_packages=(
  cmake make g++ pkgconf libxsimd-dev doctest-dev nlohmann-json3-dev libutf8proc-dev
)

case "${1:-}" in
  test) apt_install "${test_packages[@]}" ;;
  bench) apt_install "${bench_packages[@]}" ;;
  minilm) apt_install "${minilm_packages[@]}" ;;
  *) die "usage: scripts/deps.sh test|bench|minilm" ;;
esac
