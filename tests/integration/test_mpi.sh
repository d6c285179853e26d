#!/usr/bin/env bash
# `make MPI=1` and mpirun as `coinfer sweep` will use them: the Makefile builds
# tests/mpi/test_mpi_hello.c with mpicc and COINFER_MPI, and `mpirun -n 3` runs
# it (rank/size checks, a 4 MiB round trip from rank 0 to each other rank).
# With one rank the program must refuse, so the test can see it fail.
# Skips (SKIP:, counted neither way) only when Open MPI cannot be installed.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../scaleoututil.sh"

scaleout_deps_or_skip "the MPI test"

expect_exit 0 "make MPI=1 builds the MPI test program with mpicc" mpi_hello_build
expect_match "the MPI build compiles with mpicc and -DCOINFER_MPI" "$OUT" \
    "^mpicc .*-DCOINFER_MPI .*tests/mpi/test_mpi_hello.c"
expect_match "the MPI build records Open MPI in its config.mk" "$(cat "$MPI_BUILD/config.mk")" \
    "^CONFIG_MPI := .*Open MPI"

if [ -x "$MPI_HELLO" ]; then
    expect_exit 0 "mpirun -n 3: ranks, size and round trips from rank 0 hold" \
        "${MPIRUN[@]}" -n 3 "$MPI_HELLO"
    expect_match "mpirun -n 3: rank 0 reports both round trips" "$OUT" \
        "^test_mpi_hello: 3 ranks; round trips 0->r->0 of 4194312 bytes ok for r = 1..2$"
    expect_exit 1 "mpirun -n 1: the program refuses a single rank" "${MPIRUN[@]}" -n 1 "$MPI_HELLO"
    expect_match "mpirun -n 1: it says it needs two ranks" "$OUT" "needs at least 2 ranks"
else
    fail "the MPI test program exists after make MPI=1" "no $MPI_HELLO"
fi
