# CPack setup for joule's Debian package, libjoule-dev_<version>_all.deb:
#     cmake -S . -B build -DJOULE_BUILD_TESTS=OFF && cpack -G DEB --config build/CPackConfig.cmake
# It holds what `cmake --install` installs (headers, CMake package, joule.pc, docs) under /usr
# and depends on Debian's libxsimd-dev. Included by CMakeLists.txt when joule is the top-level
# project, so a parent project's own CPack setup is left alone.

set(CPACK_PACKAGE_NAME libjoule-dev)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION}) # the version from project(), like everything else
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# The Maintainer field: whoever builds and ships the .deb sets it. The default is a placeholder
# (example.invalid never resolves); configuring and cpack both warn while it is in place.
set(JOULE_DEB_PLACEHOLDER_MAINTAINER "joule developers <joule@example.invalid>")
set(JOULE_DEB_MAINTAINER "${JOULE_DEB_PLACEHOLDER_MAINTAINER}" CACHE STRING
    "Maintainer field of the Debian package CPack makes (Name <email>)")
if(JOULE_DEB_MAINTAINER STREQUAL JOULE_DEB_PLACEHOLDER_MAINTAINER)
  message(WARNING "joule: the .deb's Maintainer field is the placeholder '${JOULE_DEB_MAINTAINER}'. "
                  "Before building a package to ship (cpack -G DEB), set -DJOULE_DEB_MAINTAINER=\"Name <email>\"; "
                  "ignore this when not packaging.")
endif()
set(CPACK_PACKAGE_CONTACT "${JOULE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${JOULE_DEB_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_LIST_DIR}/../LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
# Source packages would otherwise sweep up build trees and .git.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/;/\\\\.cache/")

set(CPACK_DEBIAN_PACKAGE_NAME libjoule-dev)
set(CPACK_DEBIAN_FILE_NAME libjoule-dev_${PROJECT_VERSION}_all.deb)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE all) # headers and CMake/pkg-config files only
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libxsimd-dev (>= 8.1)")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION "joule is a header-only C++17 library of SIMD inference kernels (matmul, \
quantize/dequantize, softmax, f16/bf16 conversions) built on xsimd. This package has the headers, \
the CMake package (find_package(joule), target joule::joule) and the pkg-config file (joule).")
# Debian wants the docs in /usr/share/doc/<package>/ and the license there as `copyright`; only
# the .deb gets that layout (`cmake --install` keeps share/doc/joule).
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/jouleDebDocs.cmake)

include(CPack)
