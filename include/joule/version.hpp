// joule/version.hpp: the version of joule these headers are.
//
//     #if JOULE_VERSION >= 100   // 0.1.0 or newer
//     std::printf("joule %s\n", JOULE_VERSION_STRING);
//
// The number is written down once, in CMakeLists.txt's project(VERSION ...); this file is a
// committed copy so the include directory is complete without running CMake (copied headers,
// -I path/to/joule/include, any build system). Configuring joule fails when the two disagree,
// and scripts/sync-version.sh rewrites this file (and the package recipes) from project().
// Plain macros only, no includes: build scripts may parse this file.
#pragma once

#define JOULE_VERSION_MAJOR 0
#define JOULE_VERSION_MINOR 1
#define JOULE_VERSION_PATCH 0
#define JOULE_VERSION_STRING "0.1.0"

/// MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons.
#define JOULE_VERSION (JOULE_VERSION_MAJOR * 10000 + JOULE_VERSION_MINOR * 100 + JOULE_VERSION_PATCH)
