/* testhook.h - fault injection for the test suite: stop a process at a named point.
 *
 * TXETL_TEST_HOOK holds comma-separated entries WHERE:RANK:ACTION. WHERE names a point
 * ("<command>.<phase>", e.g. "reshard.rows", "load.apply"), RANK is a rank number or '*',
 * ACTION is
 *   kill   the process SIGKILLs itself there (a crash at that point);
 *   pause  it prints "txetl test hook: rank R paused at WHERE (pid P)" on stderr and sleeps
 *          (up to 10 minutes, until SIGUSR1 lets it go on, or SIGINT/SIGTERM, after which
 *          the load stops at its next boundary), so a test can act from outside at that
 *          moment (kill a server, SIGINT mpiexec, SIGKILL the rank) and then let the run go
 *          on or die.
 * Unset (always, outside tests) it costs one getenv per call; call it at phase boundaries,
 * never per record. */
#ifndef TXETL_TESTHOOK_H
#define TXETL_TESTHOOK_H

/* Local. Acts as TXETL_TEST_HOOK says for point `where` on rank `rank`; returns otherwise. */
void tx_test_hook(const char *where, int rank);

#endif
