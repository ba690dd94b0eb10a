/* test_split.c - the parallel split is exact: with any rank count, every record is seen by
 * exactly one rank, at its true offset and line, also when a rank boundary falls inside a
 * quoted newline, on a '""' or between '\r' and '\n'. Files are built from known records and
 * padded so that the boundaries sweep every byte of the tricky region. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "txetl/extract.h"

#define NREC 12

typedef struct seen {
    uint64_t offset, line, id;
    int32_t reject;
    int32_t pad;
} seen;

static const char *header = "transaction_id,customer_id,transaction_date,transaction_amount,"
                            "transaction_category\r\n";

/* Record i of file variant k; returns its text (static buffer). */
static const char *record(int i, int k, char *buf, size_t size)
{
    char pad[64];
    memset(pad, 'x', (size_t)k);
    pad[k] = '\0';
    switch (i % 6) {
    case 0: snprintf(buf, size, "%d,7,2024-01-0%d,1.00,%s\r\n", i + 1, 1 + i % 9, pad); break;
    case 1: snprintf(buf, size, "%d,7,2024-01-02,2.00,\"a\nb\"\"c\r\n\"\"\"\r\n", i + 1); break;
    case 2: snprintf(buf, size, "%d,7,2024-01-03,3.00,\"\"\"\"\n", i + 1); break;
    case 3: snprintf(buf, size, "%d,7,2024-01-04,4.00,\"x,\ny\n\nz\"\n", i + 1); break;
    case 4: snprintf(buf, size, "%d,7,2024-13-04,4.00,\"bad date\nspans\"\n", i + 1); break;
    default: snprintf(buf, size, "%d,7,2024-01-05,5.00,plain\n", i + 1); break;
    }
    return buf;
}

static int cmp_seen(const void *a, const void *b)
{
    const seen *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    char path[64];
    snprintf(path, sizeof path, "split-np%d.csv", nranks);

    for (int k = 0; k < 40; k++) {
        /* expected records, built by rank 0 and written once */
        seen expect[NREC];
        char text[8192] = "", buf[512];
        size_t off = strlen(header);
        uint64_t line = 2;
        strcpy(text, header);
        for (int i = 0; i < NREC; i++) {
            record(i, k, buf, sizeof buf);
            expect[i] = (seen){off, line, (uint64_t)i + 1, i % 6 == 4, 0};
            for (const char *p = buf; *p; p++)
                line += *p == '\n';
            strcat(text, buf);
            off += strlen(buf);
        }
        if (rank == 0) {
            FILE *f = fopen(path, "wb");
            fwrite(text, 1, strlen(text), f);
            fclose(f);
        }
        MPI_Barrier(MPI_COMM_WORLD);

        char *paths[1] = {path};
        tx_input *in = NULL;
        tx_error err = {0};
        int rc = tx_input_open(MPI_COMM_WORLD, paths, 1, &in, &err);
        CHECK_MSG(rc == TX_OK, "%s", err.msg);
        seen mine[NREC * 2];
        int n = 0;
        tx_cursor *cur = NULL;
        tx_cursor_new(in, &cur, &err);
        tx_raw raw;
        tx_record rec;
        while (tx_cursor_next(cur, &raw, &rec, &err) == 1 && n < NREC * 2) {
            mine[n] = (seen){raw.offset, raw.line,
                             raw.reject == TX_REJ_NONE ? rec.transaction_id : 0,
                             raw.reject != TX_REJ_NONE, 0};
            n++;
        }
        tx_cursor_free(&cur);
        tx_input_free(&in);

        int counts[64], displs[64], total = 0;
        int nb = n * (int)sizeof(seen);
        MPI_Gather(&nb, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank == 0)
            for (int r = 0; r < nranks; r++) {
                displs[r] = total;
                total += counts[r];
            }
        seen all[NREC * 8];
        MPI_Gatherv(mine, nb, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            int got = total / (int)sizeof(seen);
            qsort(all, (size_t)got, sizeof(seen), cmp_seen);
            CHECK_MSG(got == NREC, "k=%d: %d records seen, want %d", k, got, NREC);
            for (int i = 0; i < NREC && i < got; i++) {
                CHECK_MSG(all[i].offset == expect[i].offset, "k=%d rec %d offset %llu want %llu",
                          k, i, (unsigned long long)all[i].offset,
                          (unsigned long long)expect[i].offset);
                CHECK_MSG(all[i].line == expect[i].line, "k=%d rec %d line %llu want %llu", k, i,
                          (unsigned long long)all[i].line, (unsigned long long)expect[i].line);
                CHECK_MSG(all[i].reject == expect[i].reject, "k=%d rec %d reject %d", k, i,
                          all[i].reject);
                if (!expect[i].reject)
                    CHECK_MSG(all[i].id == expect[i].id, "k=%d rec %d id %llu", k, i,
                              (unsigned long long)all[i].id);
            }
        }
    }
    int rc = 0;
    if (rank == 0) {
        char name[32];
        snprintf(name, sizeof name, "test_split np=%d", nranks);
        rc = check_report(name);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return rc;
}
