#!/usr/bin/env bash
# Syntax-check every kernel file as OpenCL C 1.2 with clang, the way the program is built: the
# generated Philox prelude, rng.cl and the host/device contract scl_contract.h first, then the
# file. Usage: tools/lint_cl.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
prelude=$build/gen/philox_prelude.cl
[ -f "$prelude" ] || { echo "lint_cl: $prelude missing: build first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in cl/*.cl; do
    if [ "$f" = cl/rng.cl ]; then
        cat "$prelude" "$f" >"$tmp/unit.cl"
    else
        cat "$prelude" cl/rng.cl cl/scl_contract.h "$f" >"$tmp/unit.cl"
    fi
    clang -x cl -cl-std=CL1.2 -Xclang -finclude-default-header -fsyntax-only "$tmp/unit.cl" ||
        { echo "lint_cl: $f does not compile" >&2; exit 1; }
done
echo "lint_cl: $(ls cl/*.cl | wc -l) kernel files compile as OpenCL C 1.2"
