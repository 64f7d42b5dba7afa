# Checks the xsimd that was found for joule and papers over Debian 12's xsimd 8.1 package.
# Included by joule's own build and by the installed jouleConfig.cmake, after xsimd was found,
# so every consumer gets the same treatment.
#
# - xsimd is found without a version: xsimd's version file only accepts its own major version,
#   so asking for "8.1" would reject xsimd 13, and a range would reject xsimd 8. The minimum is
#   checked here instead.
# - Debian 12's xsimd 8.1 target links a target `xtl` that its config never defines, which
#   fails at link time with "cannot find -lxtl". xsimd needs xtl only for xtl's complex
#   numbers, which joule never uses, so an empty INTERFACE stand-in is enough when the real
#   xtl package is not installed.

if(DEFINED xsimd_VERSION AND xsimd_VERSION VERSION_LESS 8.1)
  message(FATAL_ERROR
    "joule needs xsimd 8.1 or newer, but found xsimd ${xsimd_VERSION} at ${xsimd_DIR}. "
    "Install a newer xsimd (Debian 12: apt install libxsimd-dev) or point xsimd_DIR at one.")
endif()

if(TARGET xsimd AND NOT TARGET xtl)
  get_target_property(_joule_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
  if(_joule_xsimd_links MATCHES "(^|;)xtl($|;)")
    find_package(xtl CONFIG QUIET)
    if(NOT TARGET xtl)
      add_library(xtl INTERFACE IMPORTED)
    endif()
  endif()
  unset(_joule_xsimd_links)
endif()
