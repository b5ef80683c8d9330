#!/usr/bin/env bash
# Fuzz the parsers and loaders with libFuzzer (tests/fuzz): build the clang fuzz build if
# needed, run TARGET for SECONDS on a copy of its committed corpus, and print libFuzzer's final
# figures (executions, cov: edges covered, ft: features, corpus size).
#
# Usage: tools/fuzz.sh [--merge] [-j N] TARGET|all [SECONDS]
#   TARGET    one of SCL_FUZZ_TARGETS in tests/fuzz/CMakeLists.txt (idx, model, config, ...),
#             or all (each in turn, N at a time with -j N)
#   SECONDS   per target, default 60
#   --merge   afterwards, merge the new inputs that add coverage into tests/fuzz/corpus/TARGET
#             (libFuzzer -merge=1: only inputs that add features are kept, under hash names)
# A crash (or a broken property: the targets abort) fails the script; its input is copied to
# tests/fuzz/crashes/TARGET/, where the replay test (ctest -R fuzz_replay) runs it from then on.
# Build directory: $SCL_FUZZ_BUILD, default build-fuzz. Logs: BUILD/fuzz-logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${SCL_FUZZ_BUILD:-$root/build-fuzz}
# The targets are declared once, in the CMake list that builds them.
read -r -a targets <<<"$(sed -n 's/^set(SCL_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)"

die() { echo "fuzz.sh: $*" >&2; exit 2; }
[ ${#targets[@]} -gt 0 ] || die "no SCL_FUZZ_TARGETS in tests/fuzz/CMakeLists.txt"

merge=0 jobs=1 target="" seconds=60
while [ $# -gt 0 ]; do
    case $1 in
    --merge) merge=1 ;;
    -j) jobs=${2:?-j needs a number}; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1'" ;;
    *) if [ -z "$target" ]; then target=$1; else seconds=$1; fi ;;
    esac
    shift
done
[ -n "$target" ] || die "usage: tools/fuzz.sh [--merge] [-j N] TARGET|all [SECONDS]"
# (libFuzzer reads -max_total_time=0 as "no limit": refused here.)
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a whole number >= 1, not '$seconds'"
if [ "$target" = all ]; then
    run=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $target "* ]] || die "unknown target '$target' (${targets[*]} or all)"
    run=("$target")
fi
command -v clang >/dev/null || die "clang not found (tools/setup.sh installs it)"

# Configure once with clang and SCL_FUZZ=ON; rebuild only what changed.
build_targets() {
    if ! grep -q '^SCL_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
        CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DSCL_FUZZ=ON >/dev/null
    fi
    local names=()
    for t in "${run[@]}"; do names+=("fuzz_$t"); done
    cmake --build "$build" -j"$(nproc)" --target "${names[@]}" >"$build/fuzz-build.log" 2>&1 ||
        { tail -30 "$build/fuzz-build.log" >&2; die "build failed (log: $build/fuzz-build.log)"; }
}

# last_figure PATTERN LOG: the value of libFuzzer's last "name: value" status figure, or nothing.
last_figure() {
    { grep -o "$1" "$2" || true; } | tail -1 | cut -d' ' -f2
}

# fuzz_one TARGET: run it, keep the log, print one line of figures; nonzero on a crash.
fuzz_one() {
    local t=$1 work=$build/fuzz-work/$1 art=$build/fuzz-artifacts/$1/ log=$build/fuzz-logs/$1.log
    rm -rf "$work" "$art"
    mkdir -p "$work" "$art" "$build/fuzz-logs"
    cp "$root/tests/fuzz/corpus/$t"/* "$work"/
    local rc=0
    # -timeout: an input running 10 s is a hang; rss_limit: a loader allocating what a corrupt
    # header asks for is a finding, not something to survive.
    "$build/tests/fuzz/fuzz_$t" "$work" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art" >"$log" 2>&1 || rc=$?
    local execs cov ft corp
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(last_figure 'cov: [0-9]*' "$log")
    ft=$(last_figure 'ft: [0-9]*' "$log")
    corp=$(last_figure 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log")
    printf 'fuzz %-12s %4ss  executions %-9s cov %-6s ft %-6s corpus %s\n' "$t" "$seconds" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
    if [ $rc -ne 0 ]; then
        mkdir -p "$root/tests/fuzz/crashes/$t"
        local found=0
        for f in "$art"*; do
            [ -f "$f" ] || continue
            cp "$f" "$root/tests/fuzz/crashes/$t/" && found=1
            echo "fuzz.sh: $t: crash input kept as tests/fuzz/crashes/$t/$(basename "$f")" >&2
        done
        [ $found -eq 1 ] || echo "fuzz.sh: $t: libFuzzer failed without a crash input" >&2
        grep -m1 -A12 -E '^==[0-9]+==ERROR|property broken|runtime error|deadly signal' "$log" >&2 ||
            tail -20 "$log" >&2
        echo "fuzz.sh: $t: exit $rc, whole log in $log" >&2
        return 1
    fi
    if [ $merge -eq 1 ]; then
        "$build/tests/fuzz/fuzz_$t" -merge=1 "$root/tests/fuzz/corpus/$t" "$work" \
            >>"$log" 2>&1 || die "$t: merge failed (log: $log)"
        echo "fuzz.sh: $t: corpus merged into tests/fuzz/corpus/$t ($(ls "$root/tests/fuzz/corpus/$t" | wc -l) files)"
    fi
}

build_targets
failed=0 active=0
for t in "${run[@]}"; do
    if [ "$active" -ge "$jobs" ]; then
        wait -n || failed=1
        active=$((active - 1))
    fi
    fuzz_one "$t" &
    active=$((active + 1))
done
while [ "$active" -gt 0 ]; do
    wait -n || failed=1
    active=$((active - 1))
done
[ $failed -eq 0 ] || { echo "fuzz.sh: a target crashed or broke a property" >&2; exit 1; }
