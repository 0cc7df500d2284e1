#!/bin/sh
# Builds drover's Debian package from this tree:
#   packaging/build-deb.sh [BUILD_DIR [OUT_DIR]]
# An optimized build without the tests, installed under /usr, packaged by
# CPack (dpkg-shlibdeps fills in the library dependencies). Prints the
# path of the .deb. Defaults: build-deb/ and the build directory; $JOBS
# parallel compilers (default: one per core).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-deb}
out=${2:-$build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Quiet unless a step fails; then its output.
step() {
	"$@" >"$log" 2>&1 || { cat "$log" >&2; echo "build-deb: $* failed" >&2; exit 1; }
}

step cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX=/usr -DDROVER_TESTS=OFF -DDROVER_SANITIZE=OFF
step cmake --build "$build" -j"$jobs"
mkdir -p "$out"
step cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out"
rm -rf "$out/_CPack_Packages"
ls "$out"/drover_*.deb
