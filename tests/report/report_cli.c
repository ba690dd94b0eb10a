/* report_cli.c - test driver: `report_cli SNAPSHOT OUT` renders the dashboard through
 * tx_report_write, so the report tests do not depend on the txetl CLI. Exit status as docs/commands.md. */
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/report.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: report_cli SNAPSHOT.h5 OUT.html\n");
        return 2;
    }
    tx_error err;
    tx_error_clear(&err);
    int rc = tx_report_write(argv[1], argv[2], &err);
    if (rc != TX_OK)
        fprintf(stderr, "report_cli: %s\n", err.msg);
    return tx_status_exit_code(rc);
}
