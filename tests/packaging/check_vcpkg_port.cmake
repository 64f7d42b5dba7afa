# Checks the vcpkg overlay port (packaging/vcpkg/ports/joule) as far as that is possible without
# the vcpkg tool, which is not available here. This is NOT a vcpkg build: it runs portfile.cmake
# under `cmake -P` with stand-ins for the five vcpkg helpers it calls. Each stand-in
#   - accepts exactly the keywords of the real helper (vcpkg_cmake_configure, vcpkg_cmake_install,
#     vcpkg_cmake_config_fixup, vcpkg_fixup_pkgconfig, vcpkg_install_copyright) and fails on others;
#   - does the plain CMake part of the job for real (configure with the port's OPTIONS and an
#     unused-variable check, as vcpkg does; install; copy the license), or checks its inputs
#     (the config directory the fixup would move exists; `pkg-config --exists joule`);
#   - moves the CMake package to share/joule like the real fixup, but without its path
#     correction, so the result is checked for layout only and is not consumed.
# Then it applies a subset of vcpkg's post-build checks to the package tree, and checks that
# vcpkg.json's name and dependencies fit the portfile. Any other vcpkg_* call fails ("Unknown
# CMake command"), so a portfile change that this script does not understand is caught.
# cmake -P check_vcpkg_port.cmake -DJOULE_SOURCE_DIR=... -DWORK_DIR=... -DCXX=... [-DEXTRA_CMAKE_ARGS=...]
cmake_minimum_required(VERSION 3.19)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(port_dir ${JOULE_SOURCE_DIR}/packaging/vcpkg/ports/joule)
file(REMOVE_RECURSE ${WORK_DIR})

# ---- what vcpkg defines for a portfile (x64-linux) ---------------------------------------------------
set(PORT joule)
set(TARGET_TRIPLET x64-linux)
set(VCPKG_TARGET_IS_LINUX ON)
set(CURRENT_PACKAGES_DIR ${WORK_DIR}/packages/${PORT}_${TARGET_TRIPLET})
set(CURRENT_BUILDTREES_DIR ${WORK_DIR}/buildtrees/${PORT})
set(helper_calls "")

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "PREFER_NINJA;DISABLE_PARALLEL_CONFIGURE;WINDOWS_USE_MSBUILD;NO_CHARSET_FLAG"
                        "SOURCE_PATH;GENERATOR;LOGFILE_BASE" "OPTIONS;OPTIONS_DEBUG;OPTIONS_RELEASE;MAYBE_UNUSED_VARIABLES")
  if(DEFINED arg_UNPARSED_ARGUMENTS OR NOT DEFINED arg_SOURCE_PATH)
    message(FATAL_ERROR "vcpkg_cmake_configure: unknown arguments '${arg_UNPARSED_ARGUMENTS}' or no SOURCE_PATH")
  endif()
  joule_project_version(${arg_SOURCE_PATH} source_version) # SOURCE_PATH is a joule checkout
  # vcpkg configures with CMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION and complains about
  # OPTIONS the project never reads.
  run(${CMAKE_COMMAND} -S ${arg_SOURCE_PATH} -B ${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR} -DCMAKE_CXX_COMPILER=${CXX}
      -DCMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION=ON ${EXTRA_CMAKE_ARGS} ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
  set(unused "")
  string(FIND "${last_error}" "not used by the project:" at)
  if(NOT at EQUAL -1)
    string(SUBSTRING "${last_error}" ${at} -1 unused)
  endif()
  foreach(option IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE)
    if(option MATCHES "^-D([^:=]*)[:=]")
      set(variable ${CMAKE_MATCH_1})
      if(NOT variable IN_LIST arg_MAYBE_UNUSED_VARIABLES AND unused MATCHES "\n[ \t]+${variable}\n")
        message(FATAL_ERROR "vcpkg_cmake_configure: joule's CMakeLists.txt does not use ${variable}")
      endif()
    endif()
  endforeach()
  set(helper_calls ${helper_calls} configure PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_install)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DISABLE_PARALLEL;ADD_BIN_TO_PATH" "" "")
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vcpkg_cmake_install: unknown arguments '${arg_UNPARSED_ARGUMENTS}'")
  endif()
  run(${CMAKE_COMMAND} --install ${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel)
  set(helper_calls ${helper_calls} install PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION"
                        "PACKAGE_NAME;CONFIG_PATH;TOOLS_PATH" "")
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: unknown arguments '${arg_UNPARSED_ARGUMENTS}'")
  endif()
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME ${PORT})
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH share/${arg_PACKAGE_NAME})
  endif()
  set(from ${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH})
  if(NOT EXISTS ${from}/${arg_PACKAGE_NAME}Config.cmake)
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: no ${arg_CONFIG_PATH}/${arg_PACKAGE_NAME}Config.cmake in the install")
  endif()
  set(to ${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME})
  if(NOT from STREQUAL to)
    file(GLOB files ${from}/*)
    file(COPY ${files} DESTINATION ${to})
    file(REMOVE_RECURSE ${from})
    if(NOT arg_DO_NOT_DELETE_PARENT_CONFIG_PATH)
      get_filename_component(parent ${from} DIRECTORY)
      file(GLOB siblings ${parent}/*)
      if(NOT siblings)
        file(REMOVE_RECURSE ${parent})
      endif()
    endif()
  endif()
  set(helper_calls ${helper_calls} config_fixup PARENT_SCOPE)
endfunction()

function(vcpkg_fixup_pkgconfig)
  cmake_parse_arguments(PARSE_ARGV 0 arg "SKIP_CHECK" ""
                        "RELEASE_FILES;DEBUG_FILES;SYSTEM_LIBRARIES;SYSTEM_PACKAGES;IGNORE_FLAGS")
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vcpkg_fixup_pkgconfig: unknown arguments '${arg_UNPARSED_ARGUMENTS}'")
  endif()
  # vcpkg checks each module with `pkg-config --exists` (xsimd.pc comes from Debian here).
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} ${CURRENT_PACKAGES_DIR}/lib/pkgconfig:${CURRENT_PACKAGES_DIR}/share/pkgconfig)
  run(${PKG_CONFIG} --print-errors --exists joule)
  set(helper_calls ${helper_calls} fixup_pkgconfig PARENT_SCOPE)
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  if(DEFINED arg_UNPARSED_ARGUMENTS OR NOT arg_FILE_LIST)
    message(FATAL_ERROR "vcpkg_install_copyright: unknown arguments '${arg_UNPARSED_ARGUMENTS}' or no FILE_LIST")
  endif()
  set(text "")
  foreach(f IN LISTS arg_FILE_LIST)
    file(READ ${f} content) # fails when a listed file does not exist
    string(APPEND text "${content}")
  endforeach()
  file(WRITE ${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright "${text}")
  set(helper_calls ${helper_calls} install_copyright PARENT_SCOPE)
endfunction()

# ---- run the portfile ----------------------------------------------------------------------------
include(${port_dir}/portfile.cmake)
expect_equal("the vcpkg helpers the portfile called, in order" "${helper_calls}"
             "configure;install;config_fixup;fixup_pkgconfig;install_copyright")
expect_equal("VCPKG_BUILD_TYPE (header-only port)" "${VCPKG_BUILD_TYPE}" "release")

# ---- a subset of vcpkg's post-build checks -------------------------------------------------------------
set(pkg ${CURRENT_PACKAGES_DIR})
foreach(f include/joule/joule.hpp include/joule/version.hpp share/joule/jouleConfig.cmake
          share/joule/jouleConfigVersion.cmake share/joule/jouleTargets.cmake share/joule/copyright
          share/joule/usage lib/pkgconfig/joule.pc)
  if(NOT EXISTS ${pkg}/${f})
    message(FATAL_ERROR "the port's package lacks ${f}")
  endif()
endforeach()
foreach(d debug/include debug/share cmake lib/cmake share/cmake share/doc)
  if(EXISTS ${pkg}/${d})
    message(FATAL_ERROR "the port's package has ${d}, which vcpkg's post-build checks reject or the port removes")
  endif()
endforeach()
file(GLOB share_pc ${pkg}/share/pkgconfig/*.pc)
foreach(pc IN LISTS share_pc)
  file(STRINGS ${pc} libs REGEX "^Libs(\\.private)?:[ \t]*[^ \t]")
  if(libs)
    message(FATAL_ERROR "${pc} names libraries: vcpkg wants it in lib/pkgconfig")
  endif()
endforeach()
file(GLOB_RECURSE dirs LIST_DIRECTORIES true ${pkg}/*)
foreach(d IN LISTS dirs)
  file(GLOB inside ${d}/*)
  if(IS_DIRECTORY ${d} AND NOT inside)
    message(FATAL_ERROR "the port's package has an empty directory ${d} (vcpkg rejects those)")
  endif()
endforeach()

# ---- the usage text names what the package really exports --------------------------------------------
file(READ ${port_dir}/usage usage)
file(READ ${pkg}/share/joule/jouleTargets.cmake targets)
foreach(pair "find_package(joule CONFIG REQUIRED)|" "joule::joule|add_library(joule::joule INTERFACE IMPORTED)")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 in_usage)
  string(FIND "${usage}" "${in_usage}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "usage does not say ${in_usage}")
  endif()
  list(LENGTH pair n)
  if(n EQUAL 2)
    list(GET pair 1 in_targets)
    string(FIND "${targets}" "${in_targets}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "usage names ${in_usage}, but jouleTargets.cmake has no ${in_targets}")
    endif()
  endif()
endforeach()
if(NOT usage MATCHES "pkg-config modules:.*\n[ \t]+joule\n")
  message(FATAL_ERROR "usage does not name the pkg-config module joule")
endif()

# ---- vcpkg.json fits the portfile ----------------------------------------------------------------------
file(READ ${port_dir}/vcpkg.json manifest)
string(JSON name GET "${manifest}" name)
expect_equal("vcpkg.json's name (the port's directory is ${PORT})" "${name}" "${PORT}")
string(JSON n_deps LENGTH "${manifest}" dependencies)
set(deps "")
math(EXPR last "${n_deps} - 1")
foreach(i RANGE ${last})
  string(JSON type TYPE "${manifest}" dependencies ${i})
  if(type STREQUAL "STRING")
    string(JSON dep GET "${manifest}" dependencies ${i})
  else()
    string(JSON dep GET "${manifest}" dependencies ${i} name)
    string(JSON host ERROR_VARIABLE no_host GET "${manifest}" dependencies ${i} host)
    if(host STREQUAL "ON")
      set(dep "${dep}:host")
    endif()
  endif()
  list(APPEND deps ${dep})
endforeach()
# xsimd for the headers; the helper ports whose functions the portfile calls, as host tools.
foreach(needed xsimd vcpkg-cmake:host vcpkg-cmake-config:host)
  if(NOT needed IN_LIST deps)
    message(FATAL_ERROR "vcpkg.json's dependencies (${deps}) lack ${needed}")
  endif()
endforeach()
message(STATUS "vcpkg port: portfile ran with stand-in helpers; layout, usage and vcpkg.json checks passed "
               "(not a vcpkg build: the port is untested with vcpkg itself)")
