#!/usr/bin/env bash
# Installs what joule's scripts need on a Debian 12 machine, from Debian's packages (apt) and
# PyPI (pip) only. Idempotent: packages already present are not touched.
#   scripts/deps.sh test    compilers, cross toolchains, qemu-user, xsimd, doctest, ...
#   scripts/deps.sh bench   Google Benchmark and the peer libraries the benchmarks compare with
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

test_packages=(
  cmake make g++ clang-14 binutils pkgconf
  libxsimd-dev doctest-dev libbenchmark-dev
  qemu-user g++-aarch64-linux-gnu g++-riscv64-linux-gnu
  python3-venv   # the package tests' venv (Conan, jsonschema from PyPI: scripts/lib/common.sh)
)
bench_packages=(
  cmake make g++ pkgconf libxsimd-dev libbenchmark-dev
  libopenblas-dev libblis-dev libeigen3-dev libdnnl-dev
  python3 python3-matplotlib
)

case "${1:-}" in
  test) apt_install "${test_packages[@]}" ;;
  bench) apt_install "${bench_packages[@]}" ;;
  *) die "usage: scripts/deps.sh test|bench" ;;
esac
