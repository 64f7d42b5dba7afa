# Builds joule's consumer program (tests/consumers/consumer.cpp: it runs a kernel and checks the
# result) against the Conan package, once through find_package(joule) / joule::joule (required)
# and once through pkg-config `joule` (where CMake finds pkg-config; otherwise a printed warning),
# and checks that both report the package's version.
import os

from conan import ConanFile
from conan.errors import ConanException
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
            self.output.warning("cross-building: the consumer programs are built but not run")
            return
        # The find_package(joule) consumer is always built: a missing binary is an error.
        program = os.path.join(self.cpp.build.bindir, "test_package")
        if not os.path.exists(program):
            raise ConanException(f"{program} was not built")
        self.run(program, env="conanrun")
        # The pkg-config consumer is built only where CMake found pkg-config.
        program = os.path.join(self.cpp.build.bindir, "test_package_pkgconfig")
        if os.path.exists(program):
            self.run(program, env="conanrun")
        else:
            self.output.warning("test_package_pkgconfig not built (CMake found no pkg-config): "
                                "the pkg-config route of the joule package is not tested")
