/* worker.h: one task of a pool worker, run by the agent itself.
 *
 * A worker is a slot of the agent (agent.c) with a place on the node (its
 * CPUs and GPUs, binding.h). The agent runs each task's attempt in steps
 * (attempt.h: ts_attempt_begin, ts_attempt_end): its records and files are
 * written by the agent, and the task's setup and run are the agent's own
 * children, each bound to the worker's CPUs with the worker's environment
 * (ts_binding_env in the agent, ts_binding_bind in the child right before
 * its exec). No process stands between the
 * agent and the task: a process per task of our own doubled the cost of a
 * short task (doc/PERFORMANCE.md, pool mode). What a process of ours did
 * for its task, the agent does per slot: it forwards the warning and TERM
 * to the task's process group, and when the task's main process ends it
 * stops what the task left running, in its group or (found by the task's
 * environment among the processes that came to the agent, its subreaper)
 * out of it, so nothing of one task runs on into the next. And when the
 * agent dies, its tasks die with it (their attempts lost, for sync).
 */
#ifndef TS_POOL_WORKER_H
#define TS_POOL_WORKER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "agentrules.h"
#include "attempt.h"
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
    const ts_runspec *runspec;      /* the agent's */
    const ts_manifest_index *index; /* of manifest, fresh for e.task; NULL:
                                       read the manifest */
} ts_pool_task_req;

/* The running task of one slot; all zero when none. */
typedef struct ts_pool_task {
    ts_attempt_live *live;
    ts_attempt_pool pool;
    ts_run_result res;
    pid_t group;                /* its current process (setup or run), leader
                                   of the task's process group; 0: none */
    bool in_setup;
    const char *rundir;
    long task;
    int attempt;
    hwloc_topology_t topo;      /* for the binding, in the child */
    const ts_binding_plan *plan;
    size_t worker;
    pid_t agent;                /* the task dies with it (PR_SET_PDEATHSIG) */
} ts_pool_task;

/* Begin the attempt and start its first process: 1 when it runs; 0 when
 * nothing runs, *result saying why (SKIPPED: cancelled; FAILED: it could
 * not be started, said on stderr). */
int ts_pool_task_start(ts_pool_task *t, const ts_pool_task_req *r, enum ts_pool_result *result);

/* t->group exited with wait status `status`: 1 when the task runs on (its
 * run started after its setup); 0 when it ended: its records written,
 * what it left running stopped, *result its worker's count, t cleared. */
int ts_pool_task_exited(ts_pool_task *t, int status, enum ts_pool_result *result);

/* A signal to the running task's process group, as exec forwards it (the
 * warning recorded; a TERM from cut_from on makes the end a timeout). */
void ts_pool_task_signal(ts_pool_task *t, int sig);

/* SIGKILL to the running task's process group now. */
void ts_pool_task_kill(const ts_pool_task *t);

/* Leftovers of ended tasks had TERM: KILL those whose grace is over (all:
 * every one, the agent is leaving). */
void ts_pool_strays_escalate(bool all);

#endif
