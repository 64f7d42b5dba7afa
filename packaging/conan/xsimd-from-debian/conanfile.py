# A local Conan recipe for xsimd that packages the headers of Debian's libxsimd-dev
# (/usr/include/xsimd), so joule's Conan recipe can be created and tested with no remote.
# It mirrors what the xsimd recipe on ConanCenter exposes (CMake file and target `xsimd`,
# pkg-config `xsimd`, headers only, no xtl), so joule's recipe works unchanged with either.
# Why not [platform_requires]: see packaging/conan/README.md.
import os
import re

from conan import ConanFile
from conan.errors import ConanException
from conan.tools.files import copy, load

required_conan_version = ">=2.0"

DEBIAN_INCLUDE_DIR = "/usr/include"


class XsimdFromDebianConan(ConanFile):
    name = "xsimd"
    description = "xsimd's headers as installed by Debian's libxsimd-dev (apt install libxsimd-dev)"
    license = "BSD-3-Clause"
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"

    def set_version(self):
        config = os.path.join(DEBIAN_INCLUDE_DIR, "xsimd", "config", "xsimd_config.hpp")
        if not os.path.isfile(config):
            raise ConanException(f"{config} not found: install Debian's libxsimd-dev first")
        text = load(self, config)
        parts = [re.search(rf"#define XSIMD_VERSION_{p} (\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
        if not all(parts):
            raise ConanException(f"no XSIMD_VERSION_MAJOR/MINOR/PATCH in {config}")
        self.version = ".".join(p.group(1) for p in parts)

    def package_id(self):
        self.info.clear()

    def package(self):
        copy(self, "*", os.path.join(DEBIAN_INCLUDE_DIR, "xsimd"), os.path.join(self.package_folder, "include", "xsimd"))
        copy(self, "copyright", "/usr/share/doc/libxsimd-dev", os.path.join(self.package_folder, "licenses"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "xsimd")
        self.cpp_info.set_property("cmake_target_name", "xsimd")
        self.cpp_info.set_property("pkg_config_name", "xsimd")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
