/* worker.h: one task of a pool worker: the process the agent forks for it.
 *
 * A worker is a slot of the agent (agent.c) with a place on the node (its
 * CPUs and GPUs, binding.h). Each task it runs gets a process of its own,
 * forked from the agent, that binds itself to the worker's CPUs and sets
 * the worker's environment (ts_binding_apply) before anything else, then
 * runs the attempt exactly as array mode's `tasksuite exec` does
 * (ts_attempt_run, pool mode: no in-job requeue). Its exit status is an
 * enum ts_pool_result (agentrules.h). A process per task, rather than one
 * long-lived process per worker, keeps nothing of one task (a pending
 * signal, a leftover child) in the next one's way.
 */
#ifndef TS_POOL_WORKER_H
#define TS_POOL_WORKER_H

#include <sys/types.h>
#include <time.h>

#include "binding.h"
#include "claims.h"
#include "err.h"

typedef struct ts_pool_task_req {
    const char *rundir;             /* the suite's run directory */
    const char *manifest;           /* RUNDIR/pool/manifest.jsonl */
    const char *pooldir;
    ts_pool_entry e;                /* the claim, started (ts_pool_start) */
    time_t cut_from;                /* a TERM from then on: cut at the limit */
    time_t end;                     /* the walltime's end; 0: none */
    hwloc_topology_t topo;
    const ts_binding_plan *plan;
    size_t worker;
    const ts_runspec *runspec;      /* the agent's (the process is its fork) */
    const ts_manifest_index *index; /* of manifest, fresh for e.task */
} ts_pool_task_req;

/* Fork the task's process; its pid, -1 with err when fork fails. */
pid_t ts_pool_worker_spawn(const ts_pool_task_req *r, ts_err *err);

/* Stop a task's processes now: SIGKILL to the process group of every child
 * of the task process (the runner puts setup and run in a group of their
 * own), so the task process records how it ended. */
void ts_pool_worker_kill_task(pid_t task_process);

#endif
