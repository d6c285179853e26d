#!/usr/bin/env bash
# Print build/config.mk: compiler and linker flags from pkg-config, the version.
# GSL's pkg-config line names its own CBLAS (-lgslcblas); coinfer's BLAS is
# OpenBLAS, so that library is dropped and OpenBLAS provides the cblas_* symbols.
set -eu
pc() { pkg-config "$@" || { echo "gen-config: pkg-config $* failed" >&2; exit 1; }; }
cflags=$(pc --cflags gsl sqlite3 libxml-2.0 openblas zlib)
libs=$(pc --libs gsl sqlite3 libxml-2.0 openblas zlib | sed 's/-lgslcblas//g')
version=$(git describe --always --dirty --tags 2>/dev/null || echo "unknown")
echo "PKG_CFLAGS := $cflags"
echo "PKG_LIBS := $libs"
echo "CMOCKA_LIBS := $(pc --libs cmocka)"
echo "COINFER_VERSION := $version"
