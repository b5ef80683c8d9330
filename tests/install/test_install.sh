#!/usr/bin/env bash
# sleepcl installed like a C library (ctest label "install"; tests/CMakeLists.txt):
# `cmake --install` of the build into a temporary prefix, then
#   - the layout: libraries with soname, headers, CMake package, pkg-config file, program,
#     share/sleepcl; every function sleepcl.h declares is exported by libsleepcl.so, and nothing
#     else is;
#   - the installed program's --version and a config it ships;
#   - a tiny program outside the tree (tests/install/consumer) built through find_package
#     (shared, static and app-layer targets) and through pkg-config (shared and static), run;
#   - the same pkg-config build after the tree is moved elsewhere (the .pc file is relocatable).
# Usage: test_install.sh BUILD_DIR SOURCE_DIR C_COMPILER
set -euo pipefail
build=$1
src=$2
cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log"
    fail "cmake --install failed"
}
version=$(sed -n 's/^#define SCL_VERSION_STRING "\(.*\)"$/\1/p' "$src/include/sleepcl/sleepcl.h")
[ -n "$version" ] || fail "no SCL_VERSION_STRING in sleepcl.h"

# ---- layout (the library directory is lib or lib/<multiarch>, whatever GNUInstallDirs chose)
pc=$(find "$prefix" -name sleepcl.pc)
[ -n "$pc" ] || fail "no sleepcl.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/sleepcl include/sleepcl/sleepcl.h include/sleepcl/sleepcl_app.h \
    share/sleepcl/configs/sleep/mnist2024.ini share/sleepcl/configs/mnist.ini \
    share/sleepcl/tools/bench_torch.py; do
    [ -e "$prefix/$f" ] || fail "$f not installed"
done
for f in libsleepcl.a libsleepcl.so libsleepcl-app.so cmake/sleepcl/sleepclConfig.cmake \
    cmake/sleepcl/sleepclConfigVersion.cmake "libsleepcl.so.$version"; do
    [ -e "$libdir/$f" ] || fail "${libdir#"$prefix"/}/$f not installed"
done
soname=$(readelf -d "$libdir/libsleepcl.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ -e "$libdir/$soname" ] || fail "soname $soname has no link in the library directory"
case $soname in libsleepcl.so.*) ;; *) fail "soname is '$soname'" ;; esac

# Exported functions = functions the public header declares (the version script is generated
# from the header: this catches a declaration without a definition, and a leak of a private one).
nm -D --defined-only "$libdir/libsleepcl.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
    sort >"$tmp/exported"
sed -n 's/^    \(scl_[a-z0-9_]*\);$/\1/p' "$build/gen/sleepcl.map" | sort >"$tmp/declared"
diff "$tmp/declared" "$tmp/exported" >"$tmp/exports.diff" || {
    cat "$tmp/exports.diff"
    fail "libsleepcl.so exports differ from sleepcl.h's functions (<: declared only, >: exported only)"
}
[ "$(wc -l <"$tmp/declared")" -gt 50 ] || fail "too few exported functions"

# ---- the installed program
[ "$("$prefix/bin/sleepcl" --version)" = "sleepcl $version" ] || fail "sleepcl --version"
"$prefix/bin/sleepcl" config -c "$prefix/share/sleepcl/configs/mnist.ini" --dump >"$tmp/dump" ||
    fail "the installed program cannot read its own configs"
grep -q '^steps = 365' "$tmp/dump" || fail "mnist.ini's sleep set did not come through its include"

# ---- a program outside the tree, through the CMake package
if ! cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/consumer.log" 2>&1 ||
    ! cmake --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1; then
    cat "$tmp/consumer.log"
    fail "the consumer project does not build through find_package(sleepcl)"
fi
expect="sleepcl $version: ok"
mkdir -p "$tmp/out"
for exe in hello_shared hello_static; do
    out=$("$tmp/consumer/$exe" "$tmp/out") || fail "$exe failed"
    [ "$out" = "$expect" ] || fail "$exe printed '$out', not '$expect'"
done
# ldd's output is read whole before it is searched: under pipefail, `ldd | grep -q` fails when
# grep stops at the first match while ldd is still writing (SIGPIPE), as it did on a loaded run.
libs=$(ldd "$tmp/consumer/hello_shared") || fail "ldd hello_shared failed"
grep -q "$libdir/libsleepcl.so" <<<"$libs" ||
    fail "hello_shared does not load the installed libsleepcl.so"
libs=$(ldd "$tmp/consumer/hello_static") || fail "ldd hello_static failed"
! grep -q libsleepcl <<<"$libs" || fail "hello_static loads libsleepcl.so"
out=$("$tmp/consumer/hello_app" "$prefix/share/sleepcl/configs/sleep/mnist2024.ini") ||
    fail "hello_app failed"
case $out in "steps 365; bad key: "*no_such_key*) ;; *) fail "hello_app printed '$out'" ;; esac

# ---- the same program through pkg-config, shared and static
pkg_build() { # pkg_build PKG_CONFIG_DIR OUT: both builds, both runs
    local dir=$1 out=$2 flags libs
    flags=$(PKG_CONFIG_PATH=$dir pkg-config --cflags sleepcl) || fail "pkg-config --cflags"
    libs=$(PKG_CONFIG_PATH=$dir pkg-config --libs sleepcl) || fail "pkg-config --libs"
    [ "$(PKG_CONFIG_PATH=$dir pkg-config --modversion sleepcl)" = "$version" ] ||
        fail "pkg-config --modversion"
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Werror $flags "$src/tests/install/consumer/main.c" -o "$out.shared" \
        $libs -lm || fail "cannot build against $dir/sleepcl.pc (shared)"
    libs=$(PKG_CONFIG_PATH=$dir pkg-config --static --libs sleepcl) || fail "pkg-config --static"
    libs=${libs/-lsleepcl/-Wl,-Bstatic -lsleepcl -Wl,-Bdynamic}
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Werror $flags "$src/tests/install/consumer/main.c" -o "$out.static" \
        $libs || fail "cannot build against $dir/sleepcl.pc (static)"
    local d
    d=$(PKG_CONFIG_PATH=$dir pkg-config --variable=libdir sleepcl)
    [ "$(LD_LIBRARY_PATH=$d "$out.shared")" = "$expect" ] || fail "$out.shared"
    [ "$("$out.static")" = "$expect" ] || fail "$out.static"
}
pkg_build "$libdir/pkgconfig" "$tmp/hello_pc"
mv "$prefix" "$tmp/moved"
pkg_build "${libdir/$prefix/$tmp/moved}/pkgconfig" "$tmp/hello_moved"
echo "test_install: installed tree, CMake package and pkg-config file all work (sleepcl $version)"
