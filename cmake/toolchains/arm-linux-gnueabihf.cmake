# Cross-compiling joule's tests for arm Linux with Debian's g++-arm-linux-gnueabihf; CTest runs the
# binaries under qemu-user (qemu-arm). Pick the emulated CPU with -DJOULE_QEMU_CPU=<name>.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)

set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Header-only dependencies (xsimd, doctest) are handed in by path: their host packages would
# add -isystem /usr/include and mix the host's C library headers into the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

set(JOULE_QEMU_CPU "cortex-a7" CACHE STRING "CPU model qemu-user emulates when running tests")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf -cpu ${JOULE_QEMU_CPU})
