/* testhook.c - TXETL_TEST_HOOK (include/txetl/testhook.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "txetl/interrupt.h"
#include "txetl/testhook.h"

static volatile sig_atomic_t resumed;

static void on_resume(int sig)
{
    (void)sig;
    resumed = 1;
}

/* Does entry [e, end) "WHERE:RANK:ACTION" name `where` and `rank`? Gives its action. */
static int entry_matches(const char *e, const char *end, const char *where, int rank,
                         char *action, size_t cap)
{
    const char *c1 = memchr(e, ':', (size_t)(end - e));
    if (!c1)
        return 0;
    const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
    if (!c2)
        return 0;
    if ((size_t)(c1 - e) != strlen(where) || memcmp(e, where, (size_t)(c1 - e)) != 0)
        return 0;
    char rk[16];
    size_t rl = (size_t)(c2 - c1 - 1);
    if (rl == 0 || rl >= sizeof rk)
        return 0;
    memcpy(rk, c1 + 1, rl);
    rk[rl] = '\0';
    if (strcmp(rk, "*") != 0 && atoi(rk) != rank)
        return 0;
    size_t al = (size_t)(end - c2 - 1);
    if (al >= cap)
        return 0;
    memcpy(action, c2 + 1, al);
    action[al] = '\0';
    return 1;
}

void tx_test_hook(const char *where, int rank)
{
    const char *spec = getenv("TXETL_TEST_HOOK");
    if (!spec || !*spec)
        return;
    for (const char *e = spec; *e;) {
        const char *end = strchr(e, ',');
        if (!end)
            end = e + strlen(e);
        char action[16];
        if (entry_matches(e, end, where, rank, action, sizeof action)) {
            if (!strcmp(action, "kill")) {
                fprintf(stderr, "txetl test hook: rank %d killed at %s\n", rank, where);
                fflush(stderr);
                raise(SIGKILL);
            } else if (!strcmp(action, "pause")) {
                fprintf(stderr, "txetl test hook: rank %d paused at %s (pid %ld)\n", rank, where,
                        (long)getpid());
                fflush(stderr);
                struct sigaction sa, old;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_resume;
                sigemptyset(&sa.sa_mask);
                sigaction(SIGUSR1, &sa, &old);
                resumed = 0;
                /* SIGUSR1 ends the pause (the run goes on); SIGINT/SIGTERM too (it then
                 * stops itself at the next boundary) */
                for (int i = 0; i < 600 && !resumed && !tx_interrupted(); i++)
                    sleep(1);
                sigaction(SIGUSR1, &old, NULL);
            }
        }
        e = *end ? end + 1 : end;
    }
}
