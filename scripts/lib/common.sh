# Shared helpers for joule's scripts. Source it; do not run it.

JOULE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JOULE_DEPS_DIR="${JOULE_DEPS_DIR:-$JOULE_ROOT/build/deps}"

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install sudo or run as root)"
  fi
}

# apt_install PKG...: installs the Debian packages that are missing; does nothing when all are
# present, so it is cheap to call on every run. `apt-get update` runs once, only when needed.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them"
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
    die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

# A python3 that has pip (PyPI is one of the two registries joule's scripts may use).
python_with_pip() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1; then
      echo "$py"; return 0
    fi
  done
  apt_install python3-pip
  echo /usr/bin/python3
}

# pypi_xsimd VERSION_TAG PYTHRAN_VERSION: unpacks the xsimd headers that the PyPI package
# `pythran` bundles (pythran 0.18.0 -> xsimd 13.0, 0.19.0 -> xsimd 14.1) into
# $JOULE_DEPS_DIR/xsimd-TAG/include, and writes a minimal CMake package for them beside it.
# Prints the package dir (pass it as -Dxsimd_DIR=...). Returns 3 when pip cannot download the
# wheel (offline, PyPI unreachable): scripts/test.sh then skips the configuration.
pypi_xsimd() {
  local tag="$1" pythran_version="$2" root="$JOULE_DEPS_DIR/xsimd-$1"
  if [ ! -f "$root/include/xsimd/xsimd.hpp" ]; then
    local py wheel_dir="$JOULE_DEPS_DIR/wheels"
    py="$(python_with_pip)"
    mkdir -p "$wheel_dir"
    if ! "$py" -m pip download --quiet --no-deps --only-binary=:all: "pythran==$pythran_version" -d "$wheel_dir" >&2; then
      warn "pip download pythran==$pythran_version failed (is PyPI reachable?)"
      return 3
    fi
    rm -rf "$root" && mkdir -p "$root/include"
    "$py" - "$wheel_dir/pythran-$pythran_version-py3-none-any.whl" "$root/include" <<'PY' || die "unpacking xsimd failed"
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("pythran/xsimd/") and not name.endswith("/"):
            out = os.path.join(dest, name[len("pythran/"):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(z.read(name))
PY
  fi
  xsimd_package "$root/include" "$root/cmake"
}

# xsimd_package INCLUDE_ROOT DEST: writes a minimal xsimd CMake package for the headers in
# INCLUDE_ROOT/xsimd (version read from xsimd_config.hpp) and prints DEST. Used for the PyPI
# headers and for cross builds, where the host package would add -isystem /usr/include.
xsimd_package() {
  local inc="$1" dest="$2" major minor patch
  major=$(sed -n 's/^#define XSIMD_VERSION_MAJOR \([0-9]*\).*/\1/p' "$inc/xsimd/config/xsimd_config.hpp")
  minor=$(sed -n 's/^#define XSIMD_VERSION_MINOR \([0-9]*\).*/\1/p' "$inc/xsimd/config/xsimd_config.hpp")
  patch=$(sed -n 's/^#define XSIMD_VERSION_PATCH \([0-9]*\).*/\1/p' "$inc/xsimd/config/xsimd_config.hpp")
  [ -n "$major" ] || die "no xsimd version in $inc/xsimd/config/xsimd_config.hpp"
  mkdir -p "$dest"
  cat > "$dest/xsimdConfig.cmake" <<CMAKE
# Minimal xsimd package written by joule's scripts for the headers in $inc.
if(NOT TARGET xsimd)
  add_library(xsimd INTERFACE IMPORTED)
  set_target_properties(xsimd PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$inc")
endif()
set(xsimd_INCLUDE_DIRS "$inc")
CMAKE
  cat > "$dest/xsimdConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "$major.$minor.$patch")
set(PACKAGE_VERSION_COMPATIBLE TRUE)
if(PACKAGE_FIND_VERSION AND PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
  set(PACKAGE_VERSION_EXACT TRUE)
endif()
CMAKE
  echo "$dest"
}

# Include roots for cross builds: only xsimd and doctest, linked from the host's packages.
cross_include_root() {
  local root="$JOULE_DEPS_DIR/cross-include"
  mkdir -p "$root"
  ln -sfn /usr/include/xsimd "$root/xsimd"
  ln -sfn /usr/include/doctest "$root/doctest"
  echo "$root"
}

# packaging_tools: a Python venv under $JOULE_DEPS_DIR with the tools the package tests use,
# pinned so a fresh machine gets the same ones: Conan 2 (tests the Conan recipe) and jsonschema
# (validates the vcpkg manifest). Installed from PyPI on first use; later calls reuse it.
# Prints the venv's bin directory. Returns 3 when pip cannot install them (offline, PyPI
# unreachable): scripts/test.sh then skips the package tests.
JOULE_CONAN_VERSION=2.34.0
JOULE_JSONSCHEMA_VERSION=4.23.0
packaging_tools() {
  local venv="$JOULE_DEPS_DIR/packaging-venv"
  local stamp="$venv/joule-tools-conan-$JOULE_CONAN_VERSION-jsonschema-$JOULE_JSONSCHEMA_VERSION"
  if [ ! -f "$stamp" ]; then
    apt_install python3-venv >&2
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv" >&2 || die "creating the venv $venv failed"
    if ! "$venv/bin/python" -m pip install --quiet "conan==$JOULE_CONAN_VERSION" "jsonschema==$JOULE_JSONSCHEMA_VERSION" >&2; then
      warn "pip install conan==$JOULE_CONAN_VERSION jsonschema==$JOULE_JSONSCHEMA_VERSION failed (is PyPI reachable?)"
      rm -rf "$venv"
      return 3
    fi
    touch "$stamp"
  fi
  echo "$venv/bin"
}
