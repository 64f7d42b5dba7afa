# Run by CPack (CPACK_PRE_BUILD_SCRIPTS) after it staged the files and before it builds the .deb:
# Debian wants a package's docs in /usr/share/doc/<package>/ with the license as `copyright` there.
# `cmake --install` puts README.md, CHANGELOG.md and LICENSE under share/doc/joule; for the .deb
# they move to share/doc/libjoule-dev, beside the copyright file.
# configure_file, not file(INSTALL): the latter would prefix CPack's DESTDIR a second time.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(doc_root ${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share/doc)
  set(package_docs ${doc_root}/${CPACK_DEBIAN_PACKAGE_NAME})
  if(NOT IS_DIRECTORY ${doc_root}/joule)
    message(FATAL_ERROR "joule: expected the staged docs in ${doc_root}/joule")
  endif()
  file(REMOVE_RECURSE ${package_docs})
  file(RENAME ${doc_root}/joule ${package_docs})
  configure_file(${CPACK_RESOURCE_FILE_LICENSE} ${package_docs}/copyright COPYONLY)
  if(CPACK_DEBIAN_PACKAGE_MAINTAINER MATCHES "@example\\.invalid>")
    message(WARNING "joule: ${CPACK_DEBIAN_FILE_NAME} gets the placeholder Maintainer "
                    "'${CPACK_DEBIAN_PACKAGE_MAINTAINER}'; configure with -DJOULE_DEB_MAINTAINER=\"Name <email>\"")
  endif()
endif()
