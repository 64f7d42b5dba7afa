# Conan 2 recipe for joule, a header-only library. It packages the joule checkout it lives in
# (packaging/conan/ of the repository), so `conan create packaging/conan` needs no download.
# See packaging/conan/README.md.
import os
import re

from conan import ConanFile
from conan.errors import ConanException
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class JouleConan(ConanFile):
    name = "joule"
    description = "Header-only SIMD inference kernels (matmul, quantize/dequantize, softmax) for CPUs and edge boards"
    license = "BSD-3-Clause"
    topics = ("simd", "inference", "quantization", "xsimd", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    @property
    def _joule_root(self):
        return os.path.join(self.recipe_folder, os.pardir, os.pardir)

    def set_version(self):
        # The one place joule's version is written down is CMakeLists.txt's project().
        text = load(self, os.path.join(self._joule_root, "CMakeLists.txt"))
        match = re.search(r"project\(\s*joule\s+VERSION\s+(\d+\.\d+\.\d+)", text)
        if not match:
            raise ConanException("no project(joule VERSION x.y.z) in joule's CMakeLists.txt")
        if self.version and str(self.version) != match.group(1):
            raise ConanException(f"--version {self.version} disagrees with CMakeLists.txt's {match.group(1)}")
        self.version = match.group(1)

    def export_sources(self):
        copy(self, "LICENSE", self._joule_root, self.export_sources_folder)
        copy(self, "include/*", self._joule_root, self.export_sources_folder)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # 8.1 (Debian 12) to 14 are tested; the headers include xsimd's, so consumers see them.
        self.requires("xsimd/[>=8.1 <15]", transitive_headers=True)

    def package_id(self):
        self.info.clear()  # headers only: one package for every configuration

    def validate(self):
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 17)

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "joule")
        self.cpp_info.set_property("cmake_target_name", "joule::joule")
        self.cpp_info.set_property("pkg_config_name", "joule")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]  # joule::thread_pool
