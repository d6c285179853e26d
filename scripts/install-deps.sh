#!/usr/bin/env bash
# Install the Debian packages coinfer builds, tests and benchmarks with, when
# they are missing. Does nothing (and needs no network) when all are present.
#
#   scripts/install-deps.sh             build and test dependencies
#   scripts/install-deps.sh --bench     also the reference stacks for `make bench`
#   scripts/install-deps.sh --scaleout  also Open MPI (for `make MPI=1`) and Slurm
#                                       with munge (scripts/slurm/test-cluster.sh)
#   scripts/install-deps.sh --stress    also stress-ng (scripts/stress-check.sh)
#   scripts/install-deps.sh --fuzz      also clang (libFuzzer) and AFL++ (`make fuzz`)
#   scripts/install-deps.sh --coverage  also lcov (`make coverage`; gcov comes with gcc)
# The options combine. The scale-out tests call it with --scaleout themselves.
#
# Runs apt-get as root (or through sudo); on a machine that is not Debian, or
# without the rights to install, it lists what is missing and exits 1.
set -eu

# gnuplot-nox draws the figures of `coinfer plot` (run as a child process);
# libxml2-utils gives the tests xmllint, which parses its SVG figures.
# libprotobuf-c-dev and protobuf-c-compiler read ONNX files (coinfer import), whose
# schema, onnx.proto, comes from libonnx-dev (compiled by protoc-c at build time).
pkgs=(libgsl-dev libsqlite3-dev libxml2-dev libopenblas-dev libcmocka-dev pkg-config
      sqlite3 valgrind procps zlib1g-dev dataset-fashion-mnist
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev gnuplot-nox libxml2-utils)
for opt in "$@"; do
    case "$opt" in
        # References only: never linked into coinfer.
        --bench) pkgs+=(libns3-dev python3-torch python3-torchvision) ;;
        # Installing slurm-wlm and munge does not configure or start them here
        # (where systemd runs, Debian starts their system units; the test
        # cluster uses its own key, sockets and ports and ignores those).
        # iproute2 gives the test cluster `ss` to find free ports.
        --scaleout) pkgs+=(openmpi-bin libopenmpi-dev slurm-wlm munge iproute2) ;;
        # The load `make test` must withstand (scripts/stress-check.sh).
        --stress) pkgs+=(stress-ng) ;;
        # The fuzz engines (tests/fuzz/): clang's libFuzzer and its sanitizer
        # runtimes, and AFL++ (afl-clang-fast, afl-fuzz).
        --fuzz) pkgs+=(clang libclang-rt-dev afl++) ;;
        --coverage) pkgs+=(lcov) ;;
        *) echo "install-deps: unknown option '$opt' (--bench, --scaleout, --stress, --fuzz," \
                "--coverage)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install these by hand: ${missing[*]}" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "install-deps: not root and no sudo; install these by hand: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Other jobs on a shared machine may hold dpkg's lock for a while: wait for it.
lock=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock[@]}" update -qq
$sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
