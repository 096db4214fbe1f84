/* poolprobe: a stand-in for the parts of a pool agent that the login side's
 * tests need before the real agent exists (tests/slurm/t0600-pool.t):
 *
 *   poolprobe claim POOLDIR JOBID MAX NSTART
 *
 * opens an agent (its first heartbeat), claims up to MAX queue entries,
 * marks the first NSTART of them started, prints "TASK ATTEMPT GEN S|U"
 * per claim (S: started, U: unstarted) and exits without a word more: an
 * agent that dies right there. Running a started task is the caller's
 * business (tasksuite exec --position TASK). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"

int main(int argc, char **argv)
{
    char host[256];
    ts_err err = { 0 }, warn = { 0 };
    ts_pool_entry e[64];

    if (argc != 6 || strcmp(argv[1], "claim") != 0) {
        fprintf(stderr, "usage: poolprobe claim POOLDIR JOBID MAX NSTART\n");
        return 2;
    }
    int max = atoi(argv[4]), nstart = atoi(argv[5]);
    if (max < 1 || max > 64)
        max = 64;
    if (gethostname(host, sizeof host) < 0)
        snprintf(host, sizeof host, "node");
    host[strcspn(host, ".")] = '\0';
    ts_pool_agent *ag = ts_pool_agent_open(argv[2], host, argv[3], (long)getpid(),
                                           (long)time(NULL), &err);
    if (!ag) {
        fprintf(stderr, "poolprobe: %s\n", err.msg);
        return 1;
    }
    int n = ts_pool_claim(ag, e, max, &warn, &err);
    if (n < 0) {
        fprintf(stderr, "poolprobe: %s\n", err.msg);
        ts_pool_agent_close(ag);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        int started = i < nstart && ts_pool_start(ag, &e[i], &err) == 1;
        printf("%ld %d %d %c\n", e[i].task, e[i].attempt, e[i].gen, started ? 'S' : 'U');
    }
    ts_pool_agent_close(ag);
    return 0;
}
