#!/bin/sh
# Runs a test program through $JOULE_TEST_LAUNCHER when set (e.g. "qemu-x86_64 -cpu Nehalem"),
# so one dispatch build of the tests runs on several emulated CPUs.
exec ${JOULE_TEST_LAUNCHER:-} "$@"
