# Tests the Conan 2 recipe (packaging/conan) offline: a fresh Conan home with every remote
# removed, xsimd from the local recipe that packages Debian's headers, then `conan create` of
# joule, whose test_package builds and runs tests/consumers/consumer.cpp twice (CMake target
# joule::joule and pkg-config `joule`).
# cmake -P run_conan.cmake -DCONAN=... -DJOULE_SOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DEXPECTED_VERSION=...
cmake_minimum_required(VERSION 3.19) # string(JSON), ZIP_LISTS
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(recipes ${JOULE_SOURCE_DIR}/packaging/conan)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(ENV{CONAN_HOME} ${WORK_DIR}/conan-home)
file(WRITE ${WORK_DIR}/conan-home/global.conf "core:non_interactive=True\n") # CI has no stdin
set(ENV{CXX} ${CXX})
run(${CONAN} profile detect)
run(${CONAN} remote remove "*")
run(${CONAN} remote list)
string(STRIP "${last_output}" remotes)
expect_equal("the remotes left" "${remotes}" "")

run(${CONAN} create ${recipes}/xsimd-from-debian --no-remote --test-folder=)
# The test_package builds outside the source tree and leaves no CMakeUserPresets.json there.
run(${CONAN} create ${recipes} --no-remote -c tools.cmake.cmake_layout:test_folder=${WORK_DIR}/test_package
    -c tools.cmake.cmaketoolchain:user_presets=)
set(create_output "${last_error}\n${last_output}") # Conan logs to stderr, the programs to stdout
message(STATUS "${create_output}")
expect_consumer_ok("${create_output}" ${EXPECTED_VERSION} 2)

# The reference takes project()'s version, and the package id is cleared: one binary package,
# whatever the settings.
run(${CONAN} list joule/${EXPECTED_VERSION}:* --format=json)
string(JSON revisions GET "${last_output}" "Local Cache" "joule/${EXPECTED_VERSION}" revisions)
string(JSON revision MEMBER "${revisions}" 0)
string(JSON packages GET "${revisions}" ${revision} packages)
string(JSON n_packages LENGTH "${packages}")
expect_equal("the number of joule packages" ${n_packages} 1)
string(JSON package_id MEMBER "${packages}" 0)
string(JSON info GET "${packages}" ${package_id} info)
expect_equal("joule's package info (settings, options, requires)" "${info}" "{}")

file(GLOB left_behind ${recipes}/test_package/build ${recipes}/test_package/CMakeUserPresets.json)
expect_equal("files left in the source tree" "${left_behind}" "")
message(STATUS "conan: joule/${EXPECTED_VERSION} created offline, package ${package_id}, test_package passed")
