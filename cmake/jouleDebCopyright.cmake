# Run by CPack (CPACK_PRE_BUILD_SCRIPTS) after it staged the files and before it builds the .deb:
# Debian wants the license as /usr/share/doc/<package>/copyright, and only the .deb needs it
# (`cmake --install` puts LICENSE under share/doc/joule with the other docs).
# configure_file, not file(INSTALL): the latter would prefix CPack's DESTDIR a second time.
if(CPACK_GENERATOR STREQUAL "DEB")
  configure_file(${CPACK_RESOURCE_FILE_LICENSE}
                 ${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share/doc/${CPACK_DEBIAN_PACKAGE_NAME}/copyright
                 COPYONLY)
endif()
