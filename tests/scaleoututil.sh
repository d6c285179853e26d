# Helpers shared by the scale-out tests (tests/integration/test_mpi.sh,
# test_slurm.sh) and their benchmark (tests/bench/scaleout.bench.sh). Source
# after tests/integration/lib.sh (or with BUILD set), from the repository root.
#
# MPIRUN: how mpirun runs here. --allow-run-as-root because the tests run as
# root; --oversubscribe because 3 ranks on a 2-core machine exceed Open MPI's
# default of one slot per core. Open MPI's default transports (shared memory
# with CMA single-copy between the ranks of one host) work on this machine, so
# no --mca option is needed.
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)

# MPI_HELLO: the MPI test program, built by mpi_hello_build into its own build
# directory so that the MPI=1 configuration never touches $BUILD's objects.
MPI_BUILD=$BUILD/mpi
MPI_HELLO=$MPI_BUILD/tests/mpi/test_mpi_hello

# scaleout_deps_or_skip WHAT: install the scale-out packages when they are
# missing (scripts/install-deps.sh --scaleout); when they cannot be installed,
# print "SKIP: WHAT: why" and exit 0, so that the test counts neither way.
scaleout_deps_or_skip() {
    local why
    if ! why=$(scripts/install-deps.sh --scaleout 2>&1); then
        echo "SKIP: $1: the scale-out packages could not be installed:" \
            "$(tail -n 1 <<<"$why")"
        exit 0
    fi
}

# mpi_hello_build: build $MPI_HELLO with the project's Makefile and MPI=1. The
# make that runs `make test` passes its own command line down through
# MAKEFLAGS and the environment (BUILD=build/asan SAN=1 OPT=-O1 under `make
# asan`); that must not reach this build, which stands alone. In particular
# it is never sanitized: LeakSanitizer reports Open MPI's own allocations
# (its plugins', never freed at exit), which would fail the test for
# nothing of ours.
mpi_hello_build() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN -u OPT \
        make --no-print-directory -B MPI=1 SAN= BUILD="$MPI_BUILD" "$MPI_HELLO"
}

# MPI_COINFER: coinfer built with MPI=1, by mpi_coinfer_build into the same
# build directory (only what changed is rebuilt: no -B, the whole library is
# minutes of compiling).
MPI_COINFER=$MPI_BUILD/coinfer
mpi_coinfer_build() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN -u OPT \
        make --no-print-directory -j2 MPI=1 SAN= BUILD="$MPI_BUILD" "$MPI_COINFER"
}
