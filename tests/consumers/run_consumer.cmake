# Builds and runs a small separate project against joule, one way in per MODE:
#   find_package     install joule into a scratch prefix, then find_package(joule)
#   add_subdirectory vendor the source tree with add_subdirectory()
#   pkg_config       install joule, then compile with `pkg-config --cflags --libs joule` alone
# cmake -P run_consumer.cmake -DMODE=... -DJOULE_SOURCE_DIR=... -DWORK_DIR=... -DCXX=... [-DCXX_FLAGS=...]
#                             [-DEXTRA_CMAKE_ARGS=...] [-DEXPECTED_VERSION=<joule's project() version>]
cmake_minimum_required(VERSION 3.16)
set(consumers ${JOULE_SOURCE_DIR}/tests/consumers)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

set(common -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" -DCMAKE_BUILD_TYPE=Release ${EXTRA_CMAKE_ARGS})

if(MODE STREQUAL "find_package" OR MODE STREQUAL "pkg_config")
  run(${CMAKE_COMMAND} -S ${JOULE_SOURCE_DIR} -B ${WORK_DIR}/joule-build ${common}
      -DJOULE_BUILD_TESTS=OFF -DJOULE_BUILD_BENCHMARKS=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_INSTALL=ON)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/joule-build --prefix ${WORK_DIR}/prefix)
  foreach(f include/joule/joule.hpp share/cmake/joule/jouleConfig.cmake share/cmake/joule/jouleConfigVersion.cmake
            share/cmake/joule/jouleTargets.cmake share/pkgconfig/joule.pc)
    if(NOT EXISTS ${WORK_DIR}/prefix/${f})
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
endif()

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${consumers}/find_package -B ${WORK_DIR}/consumer ${common}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
  set(exe ${WORK_DIR}/consumer/consumer)
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${consumers}/add_subdirectory -B ${WORK_DIR}/consumer ${common}
      -DJOULE_SOURCE_DIR=${JOULE_SOURCE_DIR})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
  set(exe ${WORK_DIR}/consumer/consumer)
elseif(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} ${WORK_DIR}/prefix/share/pkgconfig)
  run(${PKG_CONFIG} --cflags --libs joule)
  string(STRIP "${last_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  separate_arguments(extra UNIX_COMMAND "${CXX_FLAGS}")
  run(${PKG_CONFIG} --modversion joule)
  string(STRIP "${last_output}" pc_version)
  set(exe ${WORK_DIR}/consumer)
  run(${CXX} -std=c++17 -O2 ${extra} "-DJOULE_CONSUMER_PACKAGE_VERSION=\"${pc_version}\"" ${consumers}/consumer.cpp
      -o ${exe} ${flags})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

run(${exe})
message(STATUS "${last_output}")
if(NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer did not report success")
endif()
if(DEFINED EXPECTED_VERSION AND NOT last_output MATCHES "consumer ok: joule ${EXPECTED_VERSION} ")
  message(FATAL_ERROR "the consumer's joule/version.hpp is not ${EXPECTED_VERSION}, project()'s version")
endif()
