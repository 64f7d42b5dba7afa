# Tests the Debian package: `cpack -G DEB` makes libjoule-dev_<version>_all.deb, dpkg installs it
# into a scratch root whose package database holds this machine's libxsimd-dev (so dpkg itself
# checks the Depends field), the find_package consumer builds against that root and runs, and
# dpkg removes the package again without leaving files behind.
# cmake -P run_deb.cmake -DJOULE_SOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DEXPECTED_VERSION=...
#                        [-DCXX_FLAGS=...] [-DEXTRA_CMAKE_ARGS=...]
cmake_minimum_required(VERSION 3.19) # string(JSON), ZIP_LISTS
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
find_program(DPKG dpkg REQUIRED)
find_program(DPKG_DEB dpkg-deb REQUIRED)
find_program(DPKG_QUERY dpkg-query REQUIRED)
get_filename_component(cmake_bin_dir ${CMAKE_COMMAND} DIRECTORY)
find_program(CPACK cpack HINTS ${cmake_bin_dir} NO_DEFAULT_PATH REQUIRED)
set(common -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" -DCMAKE_BUILD_TYPE=Release ${EXTRA_CMAKE_ARGS})

# ---- build the package -------------------------------------------------------------------------
# The Maintainer field is settable (the default is a placeholder that configuring warns about).
set(maintainer "joule package test <package-test@joule.test>")
run(${CMAKE_COMMAND} -S ${JOULE_SOURCE_DIR} -B ${WORK_DIR}/joule-build ${common}
    -DJOULE_BUILD_TESTS=OFF -DJOULE_BUILD_BENCHMARKS=OFF -DJOULE_BUILD_EXAMPLES=OFF -DJOULE_INSTALL=ON
    "-DJOULE_DEB_MAINTAINER=${maintainer}")
if(last_error MATCHES "Maintainer field is the placeholder")
  message(FATAL_ERROR "configuring with JOULE_DEB_MAINTAINER set still warns about the placeholder:\n${last_error}")
endif()
run(${CPACK} -G DEB --config ${WORK_DIR}/joule-build/CPackConfig.cmake -B ${WORK_DIR}/package)
set(deb ${WORK_DIR}/package/libjoule-dev_${EXPECTED_VERSION}_all.deb)
if(NOT EXISTS ${deb})
  file(GLOB made ${WORK_DIR}/package/*.deb)
  message(FATAL_ERROR "cpack did not make ${deb}; it made: ${made}")
endif()

set(fields Package Version Architecture Depends Maintainer)
set(values libjoule-dev ${EXPECTED_VERSION} all "libxsimd-dev (>= 8.1)" "${maintainer}")
foreach(field value IN ZIP_LISTS fields values)
  run(${DPKG_DEB} --field ${deb} ${field})
  string(STRIP "${last_output}" actual)
  expect_equal("the .deb's ${field}" "${actual}" "${value}")
endforeach()

# ---- install it into a scratch root ----------------------------------------------------------------
# The root's dpkg database starts with this machine's libxsimd-dev record (deps.sh installs it),
# so `dpkg -i` installs only when the Depends field is satisfied, as on a real system.
set(root ${WORK_DIR}/root)
set(admin ${root}/var/lib/dpkg)
file(MAKE_DIRECTORY ${admin}/info ${admin}/updates ${admin}/triggers)
run(${DPKG_QUERY} --status libxsimd-dev)
file(WRITE ${admin}/status "${last_output}")
run(${DPKG_QUERY} --show --showformat=\${binary:Package} libxsimd-dev)
file(WRITE ${admin}/info/${last_output}.list "")
set(dpkg ${DPKG} --root=${root} --log=${root}/dpkg.log --force-not-root)
run(${dpkg} --install ${deb})
run(${dpkg} --listfiles libjoule-dev)
foreach(f /usr/include/joule/joule.hpp /usr/include/joule/version.hpp /usr/share/cmake/joule/jouleConfig.cmake
          /usr/share/pkgconfig/joule.pc /usr/share/doc/libjoule-dev/copyright /usr/share/doc/libjoule-dev/LICENSE
          /usr/share/doc/libjoule-dev/README.md /usr/share/doc/libjoule-dev/CHANGELOG.md)
  if(NOT last_output MATCHES "(^|\n)${f}\n" OR NOT EXISTS ${root}${f})
    message(FATAL_ERROR "the installed package lacks ${f}:\n${last_output}")
  endif()
endforeach()
# Every doc in the package's own doc directory, none under the upstream name.
if(last_output MATCHES "/usr/share/doc/joule[/\n]" OR EXISTS ${root}/usr/share/doc/joule)
  message(FATAL_ERROR "the package has docs outside /usr/share/doc/libjoule-dev:\n${last_output}")
endif()

# ---- build and run the find_package consumer against it -----------------------------------------
run(${CMAKE_COMMAND} -S ${JOULE_SOURCE_DIR}/tests/consumers/find_package -B ${WORK_DIR}/consumer ${common}
    -DCMAKE_PREFIX_PATH=${root}/usr)
file(STRINGS ${WORK_DIR}/consumer/CMakeCache.txt joule_dir REGEX "^joule_DIR:")
expect_equal("the joule package the consumer found" "${joule_dir}" "joule_DIR:PATH=${root}/usr/share/cmake/joule")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/consumer)
message(STATUS "${last_output}")
expect_consumer_ok("${last_output}" ${EXPECTED_VERSION} 1)

# The pkg-config file in the package reports the same version.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${root}/usr/share/pkgconfig)
run(${PKG_CONFIG} --modversion joule)
string(STRIP "${last_output}" pc_version)
expect_equal("the .deb's joule.pc version" "${pc_version}" "${EXPECTED_VERSION}")

# ---- remove it --------------------------------------------------------------------------------------
run(${dpkg} --remove libjoule-dev)
file(GLOB_RECURSE left_behind ${root}/usr/*)
expect_equal("files left after dpkg --remove" "${left_behind}" "")
message(STATUS "deb: ${deb} installed, consumer passed, removed cleanly")
