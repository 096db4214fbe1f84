/* pool-claims.c: claims/s of the pool claim protocol (src/pool/claims.h).
 *
 *   bench/pool-claims DIR TASKS AGENTS [PREFETCH]
 *
 * Queues TASKS entries in one epoch under DIR (which must not exist), forks
 * AGENTS processes that claim PREFETCH at a time and mark each started
 * (what an agent does before exec), and prints one line:
 *
 *   tasks=N agents=A prefetch=P seconds=S claims_per_s=R
 *   late_agent_ms=L late_agent_nohint_ms=M
 *
 * L and M: an agent that joins once everything is claimed, finding nothing,
 * from the claimed-up-to hint (L) and with the hint removed (M).
 * bench/pool-claims.sh runs it over local disk and tmpfs. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claims.h"

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int agent(const char *dir, int i, int prefetch)
{
    ts_pool_entry got[64];
    ts_err err = {0};
    char host[32];
    ts_pool_agent *ag;
    int n;

    snprintf(host, sizeof host, "bench%d", i);
    if (!(ag = ts_pool_agent_open(dir, host, "1", (long)getpid(), 1, &err))) {
        fprintf(stderr, "pool-claims: %s\n", err.msg);
        return 1;
    }
    while ((n = ts_pool_claim(ag, got, prefetch, NULL, &err)) > 0)
        for (int k = 0; k < n; k++)
            if (ts_pool_start(ag, &got[k], &err) != 1) {
                fprintf(stderr, "pool-claims: start refused: %s\n", err.msg);
                ts_pool_agent_close(ag);
                return 1;
            }
    ts_pool_agent_close(ag);
    if (n < 0)
        fprintf(stderr, "pool-claims: %s\n", err.msg);
    return n < 0;
}

/* Milliseconds for an agent that joins when everything is claimed to find
 * nothing left: from the claimed-up-to hint, or (nohint) from position 0. */
static double late_agent(const char *dir, bool nohint)
{
    char hint[4200];
    ts_pool_entry got[4];
    ts_err err = {0};
    ts_pool_agent *ag;
    double t0;
    int n;

    if (nohint) {
        snprintf(hint, sizeof hint, "%s/queue/00000001.hint", dir);
        unlink(hint);
    }
    t0 = now();
    if (!(ag = ts_pool_agent_open(dir, "late", "2", (long)getpid(), 2, &err)))
        return -1;
    n = ts_pool_claim(ag, got, 4, NULL, &err);
    t0 = now() - t0;
    ts_pool_agent_close(ag);
    return n == 0 ? t0 * 1000 : -1;
}

int main(int argc, char **argv)
{
    ts_pool_entry *q;
    ts_err err = {0};
    int tasks, agents, prefetch, bad = 0;
    double t0, t1, late, late_nohint;
    struct stat st;

    if (argc < 4 || (tasks = atoi(argv[2])) < 1 || (agents = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: pool-claims DIR TASKS AGENTS [PREFETCH]\n");
        return 2;
    }
    prefetch = argc > 4 ? atoi(argv[4]) : 4;
    if (prefetch < 1 || prefetch > 64) {
        fprintf(stderr, "pool-claims: PREFETCH must be 1..64\n");
        return 2;
    }
    if (stat(argv[1], &st) == 0) {
        fprintf(stderr, "pool-claims: %s exists; give a new directory\n", argv[1]);
        return 2;
    }
    if (!(q = malloc((size_t)tasks * sizeof *q)))
        return 1;
    for (int i = 0; i < tasks; i++)
        q[i] = (ts_pool_entry){i, 1, 0, i % 7};
    if (ts_pool_init(argv[1], &err) < 0
        || ts_pool_queue_append(argv[1], q, (size_t)tasks, NULL, &err) < 0) {
        fprintf(stderr, "pool-claims: %s\n", err.msg);
        free(q);
        return 1;
    }
    free(q);
    t0 = now();
    for (int i = 0; i < agents; i++)
        if (fork() == 0)
            _exit(agent(argv[1], i, prefetch));
    for (int i = 0; i < agents; i++) {
        int s;
        if (wait(&s) < 0 || !WIFEXITED(s) || WEXITSTATUS(s) != 0)
            bad++;
    }
    t1 = now();
    /* In this order: the second one removes the hint. */
    late = late_agent(argv[1], false);
    late_nohint = late_agent(argv[1], true);
    printf("tasks=%d agents=%d prefetch=%d seconds=%.3f claims_per_s=%.0f"
           " late_agent_ms=%.2f late_agent_nohint_ms=%.1f\n",
           tasks, agents, prefetch, t1 - t0, (double)tasks / (t1 - t0),
           late, late_nohint);
    return bad != 0;
}
