#!/usr/bin/env bash
# The whole test suite from nothing: install what is missing and fetch the data (tools/setup.sh),
# build with warnings as errors, run every test tier on the OpenCL device (PoCL on a machine
# without a GPU), then rebuild under AddressSanitizer + UndefinedBehaviorSanitizer and run the
# unit, device and cli tiers again, fuzz every parser for a while (tools/fuzz.sh, clang), and
# check formatting, the kernels' syntax and that every link and pointer in the docs, configs and
# sources leads to a file in the repository (tools/check_links.sh).
#
# Tiers (ctest labels): unit (no OpenCL; includes the replay of the fuzz corpus and crashes),
# device (kernels against plain C references), cli (the program end to end: resumable sweeps and
# searches, I/O fault injection), install (`cmake --install` into a temporary prefix and a
# program outside the tree built against it), python (the Python package's pytest suite, bit for
# bit against the program; its PyTorch tests skip when python3-torch is absent: setup.sh --torch),
# data (long real-data checks on MNIST / Fashion-MNIST), slurm (a real one-node Slurm started by
# tools/slurm_cluster.sh runs a sweep submitted by `sleepcl submit`; needs root and
# `tools/setup.sh --slurm`, fails without them unless SCL_TEST_ALLOW_NO_SLURM=1).
# SCL_TEST_QUICK=1 skips the data tier, the sanitizer pass and the fuzz pass, and injects faults
# at one call of each kind of write site only, for a fast local loop. SCL_FUZZ_SECONDS (default
# 60; 0 skips the pass) is the fuzz pass's time per target, two targets at a time on 2 cores.
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
labels="unit|device|cli|install|python|data|slurm"
if [ "${SCL_TEST_QUICK:-0}" = 1 ]; then
    labels="unit|device|cli|install|python"
    export SCL_FAULT_SITES_ONLY=1
fi
(cd "$build" && ctest -L "$labels" -j"$jobs" --output-on-failure --timeout 1200)

if [ "${SCL_TEST_QUICK:-0}" != 1 ]; then
    san=$root/build-asan
    cmake -S "$root" -B "$san" -DCMAKE_BUILD_TYPE=Debug -DSCL_WERROR=ON -DSCL_SANITIZE=ON >/dev/null
    cmake --build "$san" -j"$jobs"
    # PoCL and its LLVM keep allocations alive until exit: leak checks cover the unit tier only.
    export POCL_CACHE_DIR=$san/pocl-cache
    (cd "$san" && ASAN_OPTIONS=detect_leaks=1 ctest -L unit -j"$jobs" --output-on-failure)
    # The program end to end too (that is where a bad label overflowed unseen); fault injection
    # at one call of each kind of write site, as every call is slow under the sanitizers.
    (cd "$san" && ASAN_OPTIONS=detect_leaks=0 SCL_FAULT_SITES_ONLY=1 ctest -L 'device|cli' \
        -j"$jobs" --output-on-failure --timeout 1800)
    # A short fuzz pass over every parser (the corpus replay already ran in the unit tier).
    if [ "${SCL_FUZZ_SECONDS:-60}" != 0 ]; then
        bash tools/fuzz.sh -j "$jobs" all "${SCL_FUZZ_SECONDS:-60}"
    fi
fi

bash tools/format.sh --check
bash tools/check_links.sh
bash tools/lint_cl.sh "$build"
echo "tools/test.sh: all checks passed"
