/*
 * test_mpi_hello.c — proof that `make MPI=1` builds with Open MPI and that
 * mpirun can farm work from rank 0 to the other ranks on this machine, the
 * pattern `coinfer sweep` under mpirun will use.
 *
 * Built only with MPI=1 (mpicc, -DCOINFER_MPI); run by
 * tests/integration/test_mpi.sh under `mpirun -n 3`. It checks:
 *   - every rank sees the same communicator size, and the ranks are 0..size-1
 *     exactly once each (an MPI_Gather of the ranks to rank 0);
 *   - rank 0 sends each other rank r a message of PAYLOAD_WORDS 32-bit words
 *     (4 MiB, beyond the eager limit of every Open MPI transport, so the
 *     rendezvous path runs too) that names r in its header; r checks the header
 *     and the payload, transforms each word (w XOR r) and sends it back; rank
 *     0 checks the reply word by word.
 * Needs at least 2 ranks (with fewer it says so and exits 1). Exit 0 when
 * every check holds; otherwise the first rank that sees a failure prints
 * "FAIL rank R: what: got G, expected E" and ends the whole run with
 * MPI_Abort (mpirun exits non-zero). On success rank 0 prints one line:
 *   "test_mpi_hello: N ranks; round trips 0->r->0 of B bytes ok for r = 1..N-1".
 */
#ifndef COINFER_MPI
#error "test_mpi_hello.c is built only by `make MPI=1`, which defines COINFER_MPI"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>

enum {
    PAYLOAD_WORDS = 1 << 20, /* payload length, 32-bit words (4 MiB) */
    HEADER_WORDS = 2,        /* [addressee rank, payload length in words] */
    TAG_REQUEST = 1,         /* rank 0 -> r */
    TAG_REPLY = 2,           /* r -> rank 0 */
};

/* The payload's word i: a multiplicative hash of i, so a shifted, truncated or
 * zeroed buffer cannot pass for the right one. */
static uint32_t pattern(uint32_t i)
{
    return i * 2654435761u + 0x9e3779b9u;
}

static int fail(int rank, const char *what, long long got, long long want)
{
    printf("FAIL rank %d: %s: got %lld, expected %lld\n", rank, what, got, want);
    fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
}

static int check_ranks(int rank, int size)
{
    int *all = NULL;

    if (rank == 0) {
        all = calloc((size_t)size, sizeof(*all));
        if (!all)
            return fail(rank, "calloc of the gathered ranks", 0, (long long)size);
    }
    MPI_Gather(&rank, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        for (int r = 0; r < size; r++)
            if (all[r] != r)
                return fail(rank, "gathered rank at position", all[r], r);
        free(all);
    }
    /* Every rank must agree on the size. */
    int min_size = 0, max_size = 0;
    MPI_Allreduce(&size, &min_size, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&size, &max_size, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (min_size != size || max_size != size)
        return fail(rank, "communicator size differs between ranks", min_size, max_size);
    return 0;
}

static int farm_from_root(int size, uint32_t *buf)
{
    for (int r = 1; r < size; r++) {
        buf[0] = (uint32_t)r;
        buf[1] = PAYLOAD_WORDS;
        for (uint32_t i = 0; i < PAYLOAD_WORDS; i++)
            buf[HEADER_WORDS + i] = pattern(i);
        MPI_Send(buf, HEADER_WORDS + PAYLOAD_WORDS, MPI_UINT32_T, r, TAG_REQUEST,
                 MPI_COMM_WORLD);

        MPI_Status st;
        int count = 0;
        MPI_Recv(buf, HEADER_WORDS + PAYLOAD_WORDS, MPI_UINT32_T, r, TAG_REPLY, MPI_COMM_WORLD,
                 &st);
        MPI_Get_count(&st, MPI_UINT32_T, &count);
        if (count != HEADER_WORDS + PAYLOAD_WORDS)
            return fail(0, "words in the reply", count, HEADER_WORDS + PAYLOAD_WORDS);
        if (st.MPI_SOURCE != r || buf[0] != (uint32_t)r)
            return fail(0, "reply's sender", st.MPI_SOURCE, r);
        for (uint32_t i = 0; i < PAYLOAD_WORDS; i++)
            if (buf[HEADER_WORDS + i] != (pattern(i) ^ (uint32_t)r))
                return fail(0, "reply word", (long long)buf[HEADER_WORDS + i],
                            (long long)(pattern(i) ^ (uint32_t)r));
    }
    return 0;
}

static int serve_root(int rank, uint32_t *buf)
{
    MPI_Status st;
    int count = 0;

    MPI_Recv(buf, HEADER_WORDS + PAYLOAD_WORDS, MPI_UINT32_T, 0, TAG_REQUEST, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_UINT32_T, &count);
    if (count != HEADER_WORDS + PAYLOAD_WORDS)
        return fail(rank, "words in the request", count, HEADER_WORDS + PAYLOAD_WORDS);
    if (buf[0] != (uint32_t)rank)
        return fail(rank, "request's addressee", buf[0], rank);
    if (buf[1] != PAYLOAD_WORDS)
        return fail(rank, "request's payload length", buf[1], PAYLOAD_WORDS);
    for (uint32_t i = 0; i < PAYLOAD_WORDS; i++) {
        if (buf[HEADER_WORDS + i] != pattern(i))
            return fail(rank, "request word", buf[HEADER_WORDS + i], pattern(i));
        buf[HEADER_WORDS + i] ^= (uint32_t)rank;
    }
    MPI_Send(buf, HEADER_WORDS + PAYLOAD_WORDS, MPI_UINT32_T, 0, TAG_REPLY, MPI_COMM_WORLD);
    return 0;
}

int main(int argc, char **argv)
{
    int rank = 0, size = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        printf("FAIL rank %d: test_mpi_hello needs at least 2 ranks (mpirun -n N, N >= 2), has %d\n",
               rank, size);
        MPI_Finalize();
        return 1;
    }
    if (check_ranks(rank, size))
        return 1;

    uint32_t *buf = malloc((HEADER_WORDS + PAYLOAD_WORDS) * sizeof(*buf));
    if (!buf)
        return fail(rank, "malloc of the message buffer", 0, 1);
    int bad = rank == 0 ? farm_from_root(size, buf) : serve_root(rank, buf);
    free(buf);
    if (bad)
        return 1;

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        printf("test_mpi_hello: %d ranks; round trips 0->r->0 of %zu bytes ok for r = 1..%d\n",
               size, (size_t)(HEADER_WORDS + PAYLOAD_WORDS) * sizeof(uint32_t), size - 1);
    MPI_Finalize();
    return 0;
}
