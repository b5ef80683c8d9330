#!/usr/bin/env bash
# The main job from nothing: install what is missing and fetch the data (tools/setup.sh), build,
# and run the default experiment: the limited-data MNIST experiment (docs/METHOD.md section 6.1) at
# a few fractions and trials, small enough to finish in minutes on a 2-core machine without a
# GPU. Results, plots and diagnostics land in runs/limited_mnist_quick/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash tools/setup.sh
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$(nproc)"
export POCL_CACHE_DIR=${POCL_CACHE_DIR:-$root/build/pocl-cache}

"$root/build/sleepcl" run configs/experiments/limited_mnist_quick.ini "$@"
echo "tools/run.sh: results in runs/limited_mnist_quick/ (plot: accuracy_vs_fraction.png)"
