/* agentstatus.h: pool/agents/<agent id>.workers, what `tasksuite status`
 * shows of one agent: its workers, what each runs, its counts and, for a
 * worker that stopped, why (doc/pool.md, "Agents"). Rewritten whole
 * (temporary file + rename) so a reader never sees half of it.
 */
#ifndef TS_POOL_AGENTSTATUS_H
#define TS_POOL_AGENTSTATUS_H

#include <stddef.h>

#include "agentrules.h"
#include "err.h"

enum ts_pool_wstate {
    TS_WORKER_IDLE = 0,
    TS_WORKER_RUNNING,
    TS_WORKER_SUSPENDED,    /* its last suspend_after tasks failed */
    TS_WORKER_STOPPED,      /* the agent stopped it (or never started it) */
};

typedef struct ts_pool_worker_status {
    int id;
    const char *cpus, *gpus;        /* borrowed */
    enum ts_pool_wstate state;
    long task;                      /* when running */
    int attempt;
    ts_pool_tally tally;
    char reason[512];               /* "" unless suspended/stopped */
} ts_pool_worker_status;

typedef struct ts_pool_agent_status {
    const char *agent, *host, *jobid;
    double time;
    const ts_pool_worker_status *w;
    size_t n;
} ts_pool_agent_status;

const char *ts_pool_wstate_name(enum ts_pool_wstate s);

/* The JSON text (malloc'd, '\n'-terminated; NULL when out of memory). */
char *ts_pool_agent_status_json(const ts_pool_agent_status *st);

/* Write POOLDIR/agents/<agent>.workers. */
int ts_pool_agent_status_write(const char *pooldir, const ts_pool_agent_status *st,
                               ts_err *err);

#endif
