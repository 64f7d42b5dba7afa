# vcpkg overlay port for joule (header-only). It builds the joule checkout it lives in
# (packaging/vcpkg/ports/joule/ -> the repository root), so it needs no download and follows
# the checkout. UNTESTED with the vcpkg tool, which is not available where joule is developed;
# tests/packaging/check_vcpkg_port.cmake checks what can be checked without it. See
# packaging/vcpkg/README.md.
set(VCPKG_BUILD_TYPE release) # headers only: the debug configuration would be identical

get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/include/joule/joule.hpp")
  message(FATAL_ERROR "This overlay port builds the joule checkout it lives in, but ${SOURCE_PATH} is not one. "
                      "Use it in place: --overlay-ports=<joule>/packaging/vcpkg/ports")
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DJOULE_BUILD_TESTS=OFF
    -DJOULE_BUILD_BENCHMARKS=OFF
    -DJOULE_BUILD_EXAMPLES=OFF
    -DJOULE_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/joule) # -> share/joule

# vcpkg accepts share/pkgconfig only for .pc files without libraries; joule.pc has
# "Libs: -pthread", so it moves to lib/pkgconfig.
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/lib/pkgconfig")
file(RENAME "${CURRENT_PACKAGES_DIR}/share/pkgconfig/joule.pc" "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/joule.pc")
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/pkgconfig")
vcpkg_fixup_pkgconfig()

# README and CHANGELOG are not part of a vcpkg package; the license becomes share/joule/copyright.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
