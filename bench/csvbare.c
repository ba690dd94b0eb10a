/* csvbare.c - libcsv's bare parse of a file (count fields and records), the peer that
 * `txetl load --dry-run` is measured against in bench/run.sh. The parser is set up as txetl's
 * own (src/record/record.c): strict mode, CSV_STRICT_FINI, CSV_REPALL_NL, one buffer. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

struct counts {
    unsigned long long fields, records;
};

static void on_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    ((struct counts *)data)->fields++;
}

static void on_record(int c, void *data)
{
    (void)c;
    ((struct counts *)data)->records++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: csvbare FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
        return 1;
    csv_set_blk_size(&p, 1u << 20);
    static char buf[1 << 20];
    struct counts c = {0, 0};
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_record, &c) != n) {
            fprintf(stderr, "%s: %s\n", argv[1], csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    if (csv_fini(&p, on_field, on_record, &c) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], csv_strerror(csv_error(&p)));
        return 1;
    }
    csv_free(&p);
    fclose(f);
    printf("records=%llu fields=%llu\n", c.records, c.fields);
    return 0;
}
