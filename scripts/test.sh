#!/bin/sh
# Runs drover's whole test suite: built with AddressSanitizer and
# UndefinedBehaviorSanitizer, the cmocka unit tests and the end-to-end
# tests; then the end-to-end tests again on an optimized build without
# sanitizers, since the agent spawns through clone(CLONE_VM) there (under
# ASan it forks).
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cmake -S . -B build-test -DDROVER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs" "$@"

cmake -S . -B build-test-opt -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test-opt -j"$jobs"
ctest --test-dir build-test-opt --output-on-failure -j"$jobs" -R '^e2e/' "$@"
