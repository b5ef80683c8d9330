#!/usr/bin/env bash
# clang-format over the project's C, C++ and OpenCL sources. --check fails on any difference
# (CI); without it, reformats in place.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files 'host/*.c' 'host/*.h' 'include/*.h' 'cl/*.cl' 'cl/*.h' 'tests/*.cpp' 'tests/*.h' 2>/dev/null ||
    find host include cl tests -name '*.[ch]' -o -name '*.cl' -o -name '*.cpp')
if [ "${1:-}" = "--check" ]; then
    clang-format --dry-run -Werror $files
    echo "format: clean"
else
    clang-format -i $files
fi
