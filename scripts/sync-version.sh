#!/usr/bin/env bash
# Copies joule's version from CMakeLists.txt's project(VERSION ...), the one place it is set, into
# the files that cannot read CMake: include/joule/version.hpp and the vcpkg port's vcpkg.json.
# (joule.pc, the .deb and the Conan recipe read project() themselves.)
#   1. edit project(joule VERSION x.y.z ...) in CMakeLists.txt
#   2. scripts/sync-version.sh
#   3. move CHANGELOG.md's [Unreleased] entries under [x.y.z] when releasing
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$JOULE_ROOT"

version=$(tr '\n' ' ' < CMakeLists.txt | sed -n 's/.*project([[:space:]]*joule[[:space:]]\{1,\}VERSION[[:space:]]\{1,\}\([0-9]\{1,\}\.[0-9]\{1,\}\.[0-9]\{1,\}\).*/\1/p')
[ -n "$version" ] || die "no project(joule VERSION x.y.z) in CMakeLists.txt"
IFS=. read -r major minor patch <<<"$version"
[ "$minor" -lt 100 ] && [ "$patch" -lt 100 ] || die "JOULE_VERSION encodes minor and patch in two digits each"

sed -i -e "s/^#define JOULE_VERSION_MAJOR .*/#define JOULE_VERSION_MAJOR $major/" \
       -e "s/^#define JOULE_VERSION_MINOR .*/#define JOULE_VERSION_MINOR $minor/" \
       -e "s/^#define JOULE_VERSION_PATCH .*/#define JOULE_VERSION_PATCH $patch/" \
       -e "s/^#define JOULE_VERSION_STRING .*/#define JOULE_VERSION_STRING \"$version\"/" include/joule/version.hpp
sed -i "s/^\(  \"version\": \)\"[^\"]*\"/\1\"$version\"/" packaging/vcpkg/ports/joule/vcpkg.json
say "joule $version: include/joule/version.hpp and packaging/vcpkg/ports/joule/vcpkg.json updated"
