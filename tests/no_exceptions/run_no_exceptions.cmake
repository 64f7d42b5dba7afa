# cmake -P run_no_exceptions.cmake -DBINARY=<exe> [-DEMULATOR=<cmd;args>]
execute_process(COMMAND ${EMULATOR} ${BINARY} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected an abort, got exit code 0; stdout: ${out}")
endif()
if(NOT err MATCHES "joule::convert: y is null but n is 3")
  message(FATAL_ERROR "stderr lacks joule's message; got: ${err}")
endif()
message(STATUS "aborted (${rc}) with: ${err}")
