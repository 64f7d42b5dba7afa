# Cross-compiling joule's tests for riscv64 Linux with Debian's g++-riscv64-linux-gnu; CTest runs the
# binaries under qemu-user (qemu-riscv64). Pick the emulated CPU with -DJOULE_QEMU_CPU=<name>.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE riscv64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Header-only dependencies (xsimd, doctest) are handed in by path: their host packages would
# add -isystem /usr/include and mix the host's C library headers into the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

set(JOULE_QEMU_CPU "rv64" CACHE STRING "CPU model qemu-user emulates when running tests")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu -cpu ${JOULE_QEMU_CPU})
