#!/bin/sh
# Builds drover with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs the whole test suite (cmocka unit tests and end-to-end tests).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-test}
cmake -S . -B "$BUILD" -DDROVER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@"
