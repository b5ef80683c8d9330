#!/usr/bin/env bash
# Build the Debian package: a Release build configured for prefix /usr (libraries in the
# multiarch directory, as Debian puts them), without the tests, then CPack's DEB generator
# (cmake/sleepcl_install.cmake: dependencies, Recommends, shlibs), with the Python package in
# Debian's dist-packages. Prints the .deb's control fields and path.
#   tools/package.sh [BUILD_DIR]          (default build-deb)
#   sudo apt install ./build-deb/sleepcl_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DSCL_TESTS=OFF \
    -DSCL_PYTHON_INSTALL_DIR=lib/python3/dist-packages >/dev/null
cmake --build "$build" -j"$jobs"
(cd "$build" && cpack -G DEB >/dev/null)
deb=$build/sleepcl_$(sed -n 's/^project(sleepcl VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)_$(dpkg --print-architecture).deb
dpkg-deb --field "$deb" Package Version Depends Recommends
echo "package: $deb"
