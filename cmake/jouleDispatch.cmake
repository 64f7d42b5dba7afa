# joule_enable_dispatch(<target> ARCHS <level>...)
#
# Runtime dispatch for programs built once for many machines: compiles joule's kernels once per
# listed level, each in its own translation unit with that level's compiler flags, plus a
# selector that picks the best level the CPU can run at first use. The target's own code keeps
# calling joule::matmul, joule::softmax, ...; those calls go through the chosen table. Levels:
#   x86-64:  sse2 sse4.2 avx2 avxvnni x86-64-v4 avx512
#   aarch64: neon dotprod i8mm
#   arm:     arm armv7-neon
# List them in any order; the selector tries them best first. Enable dispatch on one target per
# program (the executable, or the one library that calls joule): the selector is defined once.
# JOULE_DISPATCH is added to the target's PUBLIC compile definitions so that code using joule
# through it is dispatched too.

set(_JOULE_DISPATCH_TEMPLATES "${CMAKE_CURRENT_LIST_DIR}/dispatch")

# Levels best first, with their GCC/Clang flags.
set(_JOULE_DISPATCH_ORDER avx512 x86-64-v4 avxvnni avx2 sse4.2 sse2 i8mm dotprod neon armv7-neon arm)
set(_JOULE_DISPATCH_FLAGS_avx512 -march=x86-64-v4 -mavx512vnni -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_x86-64-v4 -march=x86-64-v4 -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_avxvnni -march=x86-64-v3 -mavxvnni -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_avx2 -march=x86-64-v3 -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_sse4.2 -march=x86-64-v2 -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_sse2 -march=x86-64 -mtune=generic)
set(_JOULE_DISPATCH_FLAGS_i8mm -march=armv8.2-a+dotprod+i8mm)
set(_JOULE_DISPATCH_FLAGS_dotprod -march=armv8.2-a+dotprod)
set(_JOULE_DISPATCH_FLAGS_neon -march=armv8-a)
set(_JOULE_DISPATCH_FLAGS_armv7-neon -march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard)
set(_JOULE_DISPATCH_FLAGS_arm -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard)

function(joule_enable_dispatch target)
  cmake_parse_arguments(ARG "" "" "ARCHS" ${ARGN})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "joule_enable_dispatch: no target '${target}'")
  endif()
  if(NOT ARG_ARCHS)
    message(FATAL_ERROR "joule_enable_dispatch(${target}): list the levels with ARCHS (${_JOULE_DISPATCH_ORDER})")
  endif()
  foreach(level ${ARG_ARCHS})
    if(NOT level IN_LIST _JOULE_DISPATCH_ORDER)
      message(FATAL_ERROR "joule_enable_dispatch(${target}): unknown level '${level}'; known: ${_JOULE_DISPATCH_ORDER}")
    endif()
  endforeach()

  set(gen "${CMAKE_CURRENT_BINARY_DIR}/joule_dispatch/${target}")
  set(sources "")
  set(JOULE_DISPATCH_DECLARATIONS "")
  set(JOULE_DISPATCH_ENTRIES "")
  set(JOULE_DISPATCH_TARGET ${target})
  foreach(level ${_JOULE_DISPATCH_ORDER}) # best first, whatever order the caller used
    if(NOT level IN_LIST ARG_ARCHS)
      continue()
    endif()
    string(MAKE_C_IDENTIFIER "${level}" JOULE_DISPATCH_ID)
    set(JOULE_DISPATCH_LEVEL ${level})
    string(REPLACE ";" " " JOULE_DISPATCH_FLAGS "${_JOULE_DISPATCH_FLAGS_${level}}")
    set(source "${gen}/level_${JOULE_DISPATCH_ID}.cpp")
    configure_file("${_JOULE_DISPATCH_TEMPLATES}/level.cpp.in" "${source}" @ONLY)
    set_source_files_properties("${source}" PROPERTIES COMPILE_OPTIONS "${_JOULE_DISPATCH_FLAGS_${level}}")
    list(APPEND sources "${source}")
    string(APPEND JOULE_DISPATCH_DECLARATIONS
           "const joule::dispatch::kernel_table& joule_dispatch_level_${JOULE_DISPATCH_ID}();\n")
    string(APPEND JOULE_DISPATCH_ENTRIES "        {\"${level}\", &joule_dispatch_level_${JOULE_DISPATCH_ID}},\n")
  endforeach()
  configure_file("${_JOULE_DISPATCH_TEMPLATES}/selector.cpp.in" "${gen}/selector.cpp" @ONLY)

  # The level sources must not see JOULE_DISPATCH (they are the kernels), so they live in an
  # object library of their own rather than in the target.
  add_library(${target}_joule_dispatch OBJECT ${sources} "${gen}/selector.cpp")
  target_link_libraries(${target}_joule_dispatch PRIVATE joule::joule)
  get_target_property(pic ${target} POSITION_INDEPENDENT_CODE)
  get_target_property(type ${target} TYPE)
  if(pic OR type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    set_target_properties(${target}_joule_dispatch PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${target}_joule_dispatch>)
  target_compile_definitions(${target} PUBLIC JOULE_DISPATCH=1)
endfunction()
