# Checks that include/joule/version.hpp says the same version as project(VERSION ...), the one
# place joule's version is written down. version.hpp is committed rather than generated so that
# the include directory works as it is, without CMake (see the README's "Versioning"); this
# check makes a stale copy fail every configure, for joule's own builds and for projects that
# vendor joule with add_subdirectory. scripts/sync-version.sh rewrites the copies.

function(joule_check_version_header header)
  file(STRINGS ${header} defines REGEX "^#define JOULE_VERSION_(MAJOR|MINOR|PATCH|STRING) ")
  set(found "")
  foreach(part MAJOR MINOR PATCH STRING)
    string(REGEX MATCH "#define JOULE_VERSION_${part} \"?([0-9.]+)\"?" match "${defines}")
    set(${part} "${CMAKE_MATCH_1}")
  endforeach()
  set(numbers "${MAJOR}.${MINOR}.${PATCH}")
  if(NOT numbers STREQUAL PROJECT_VERSION OR NOT STRING STREQUAL PROJECT_VERSION)
    message(FATAL_ERROR
      "${header} says ${numbers} (string \"${STRING}\") but CMakeLists.txt's project() says "
      "${PROJECT_VERSION}. project() is the one place the version is set: run "
      "scripts/sync-version.sh to copy it into version.hpp and the package recipes.")
  endif()
endfunction()

joule_check_version_header(${PROJECT_SOURCE_DIR}/include/joule/version.hpp)
