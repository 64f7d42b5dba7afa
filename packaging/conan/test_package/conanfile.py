# Builds joule's consumer program (tests/consumers/consumer.cpp: it runs a kernel and checks the
# result) against the Conan package, once through find_package(joule) / joule::joule and once
# through pkg-config `joule`, and checks that both report the package's version.
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class JouleTestPackage(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain", "PkgConfigDeps"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure(variables={"JOULE_CONAN_VERSION": str(self.dependencies["joule"].ref.version)})
        cmake.build()

    def test(self):
        if not can_run(self):
            return
        for program in ("test_package", "test_package_pkgconfig"):
            path = os.path.join(self.cpp.build.bindir, program)
            if os.path.exists(path):
                self.run(path, env="conanrun")
