#!/usr/bin/env bash
# The whole test suite from nothing: install what is missing and fetch the data (tools/setup.sh),
# build with warnings as errors, run every test tier on the OpenCL device (PoCL on a machine
# without a GPU), then rebuild under AddressSanitizer + UndefinedBehaviorSanitizer and run the
# unit and device tiers again, and check formatting and the kernels' syntax.
#
# Tiers (ctest labels): unit (no OpenCL), device (kernels against plain C references),
# data (long real-data checks on MNIST / Fashion-MNIST). SCL_TEST_QUICK=1 skips the data tier
# and the sanitizer pass, for a fast local loop.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

bash tools/setup.sh

build=$root/build-test
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCL_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"

# PoCL compiles kernels once per cache: keep its cache (and ours) in the build tree.
export POCL_CACHE_DIR=$build/pocl-cache
labels="unit|device|data"
[ "${SCL_TEST_QUICK:-0}" = 1 ] && labels="unit|device"
(cd "$build" && ctest -L "$labels" -j"$jobs" --output-on-failure --timeout 1200)

if [ "${SCL_TEST_QUICK:-0}" != 1 ]; then
    san=$root/build-asan
    cmake -S "$root" -B "$san" -DCMAKE_BUILD_TYPE=Debug -DSCL_WERROR=ON -DSCL_SANITIZE=ON >/dev/null
    cmake --build "$san" -j"$jobs"
    # PoCL and its LLVM keep allocations alive until exit: leak checks cover the unit tier only.
    export POCL_CACHE_DIR=$san/pocl-cache
    (cd "$san" && ASAN_OPTIONS=detect_leaks=1 ctest -L unit -j"$jobs" --output-on-failure)
    (cd "$san" && ASAN_OPTIONS=detect_leaks=0 ctest -L device -j"$jobs" --output-on-failure \
        --timeout 1200)
fi

bash tools/format.sh --check
bash tools/lint_cl.sh "$build"
echo "tools/test.sh: all checks passed"
