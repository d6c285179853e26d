#!/usr/bin/env bash
# Print build/config.mk: compiler and linker flags from pkg-config. (The version is
# build/gen/version.h, made by the Makefile, so that a commit rebuilds one object.)
# GSL's pkg-config line names its own CBLAS (-lgslcblas); coinfer's BLAS is
# OpenBLAS, so that library is dropped and OpenBLAS provides the cblas_* symbols.
# With MPI=1 (from the Makefile) it checks that $MPICC works and records which
# MPI it wraps, so that switching MPI on or off rewrites config.mk and so
# rebuilds every object.
set -eu
pc() { pkg-config "$@" || { echo "gen-config: pkg-config $* failed" >&2; exit 1; }; }
cflags=$(pc --cflags gsl sqlite3 libxml-2.0 openblas zlib libprotobuf-c)
libs=$(pc --libs gsl sqlite3 libxml-2.0 openblas zlib libprotobuf-c | sed 's/-lgslcblas//g')
echo "PKG_CFLAGS := $cflags"
echo "PKG_LIBS := $libs"
echo "CMOCKA_LIBS := $(pc --libs cmocka)"
if [ "${MPI:-0}" = 1 ]; then
    mpicc=${MPICC:-mpicc}
    mpi=$("$mpicc" --showme:version 2>&1) ||
        { echo "gen-config: MPI=1 but '$mpicc --showme:version' failed: $mpi" >&2; exit 1; }
    echo "CONFIG_MPI := $mpi"
else
    echo "CONFIG_MPI := none"
fi
