#!/usr/bin/env bash
# Install the Debian packages coinfer builds, tests and benchmarks with, when
# they are missing. Does nothing (and needs no network) when all are present.
#
#   scripts/install-deps.sh            build and test dependencies
#   scripts/install-deps.sh --bench    also the reference stacks for `make bench`
#
# Runs apt-get as root (or through sudo); on a machine that is not Debian, or
# without the rights to install, it lists what is missing and exits 1.
set -eu

pkgs=(libgsl-dev libsqlite3-dev libxml2-dev libopenblas-dev libcmocka-dev pkg-config
      sqlite3 valgrind procps zlib1g-dev dataset-fashion-mnist)
if [ "${1:-}" = "--bench" ]; then
    # References only: never linked into coinfer.
    pkgs+=(libns3-dev python3-torch python3-torchvision)
fi

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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
