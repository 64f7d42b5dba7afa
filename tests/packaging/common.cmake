# Helpers shared by the package tests (cmake -P scripts in this folder).

# run(COMMAND...): runs it, fails the test with its output when it fails; its stdout is left
# in `last_output`, its stderr in `last_error`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
  set(last_error "${err}" PARENT_SCOPE)
endfunction()

# expect_equal(WHAT ACTUAL EXPECTED)
function(expect_equal what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${what} is '${actual}', expected '${expected}'")
  endif()
endfunction()

# joule_project_version(SOURCE_DIR VAR): the version in project(joule VERSION x.y.z ...), read the
# way the Conan recipe and scripts/sync-version.sh read it.
function(joule_project_version source_dir var)
  file(READ ${source_dir}/CMakeLists.txt text)
  if(NOT text MATCHES "project\\([ \t\r\n]*joule[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)")
    message(FATAL_ERROR "no project(joule VERSION x.y.z) in ${source_dir}/CMakeLists.txt")
  endif()
  set(${var} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

# expect_consumer_ok(OUTPUT VERSION COUNT): the consumer program printed its success line,
# with joule/version.hpp and the package's version both VERSION, COUNT times.
function(expect_consumer_ok output version count)
  string(REPLACE "." "\\." v "${version}")
  string(REGEX MATCHALL "consumer ok: joule ${v} \\(package version: ${v}\\)" hits "${output}")
  list(LENGTH hits n)
  if(NOT n EQUAL count)
    message(FATAL_ERROR "expected ${count} x 'consumer ok: joule ${version} (package version: ${version})', "
                        "got ${n}:\n${output}")
  endif()
endfunction()
