/* agent_int.h: what the files of the pool agent share (agent.c: setup and
 * the loop; agentclaims.c: claiming and starting; agentwatch.c: running
 * tasks, the walltime, cancel). Not for callers outside src/pool/agent*.c.
 */
#ifndef TS_POOL_AGENT_INT_H
#define TS_POOL_AGENT_INT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "agentstatus.h"
#include "binding.h"
#include "claims.h"
#include "manifest.h"
#include "worker.h"

#define MSG "tasksuite pool-agent: "
#define HEARTBEAT_S 5.0         /* heartbeat and .workers, at least this often */
#define CANCEL_CHECK_S 1.0
#define CANCEL_GRACE_S 10.0     /* TERM, then KILL this much later */
#define CUT_KILL_AFTER_S 3.0    /* at the end: TERM, then KILL */
#define END_REFRESH_S 60.0      /* ask Slurm for the end again (scontrol update) */

/* One worker: its place on the node and what it runs. */
typedef struct slot {
    ts_pool_worker_status st;
    char *cpus, *gpus;
    ts_pool_task task;          /* its running task; task.live NULL: none */
    ts_pool_entry e;
    bool termed;                /* TERM sent (cancel or the end) */
    double kill_at;             /* 0: no KILL due */
} slot;

/* The whole agent, single-threaded. */
typedef struct agent {
    ts_runspec rs;
    ts_manifest_index mix;      /* the manifest, mapped once */
    char pooldir[PATH_MAX], manifest[PATH_MAX];
    char host[256];
    const char *jobid;
    ts_pool_agent *ag;
    hwloc_topology_t topo;
    hwloc_bitmap_t allowed;
    ts_binding_plan plan;
    bool have_plan;
    slot *w;
    size_t n;
    ts_pool_entry *buf;         /* claimed, not started; priority high to low */
    size_t nbuf;
    time_t end;                 /* the allocation's end; 0: none known */
    time_t started;
    double end_asked;
    bool winding;               /* no more claims: warning, TERM, all suspended */
    bool cut;                   /* the end is near: running tasks were TERMed */
    int empty_looks;
    bool dry;                   /* the last look found nothing */
    double last_look, last_status, last_hb, last_cancel;
    bool dirty;
    sigset_t sigs;
} agent;

/* agent.c */
double pa_now_s(void);
void pa_write_status(agent *a);

/* agentclaims.c: the claimed-not-started buffer and starting tasks */
void pa_release_buffer(agent *a);   /* give it all back (no attempt spent) */
int pa_idle_workers(const agent *a);
int pa_busy_workers(const agent *a);
void pa_claim_more(agent *a, double now);
void pa_dispatch(agent *a);

/* agentwatch.c: running tasks, the walltime, cancel */
double pa_lead_of(const agent *a);
double pa_cut_before(const agent *a);
void pa_wind_down(agent *a, const char *why);
void pa_warn_tasks(agent *a, const char *why);
void pa_term_slot(agent *a, slot *s, double grace);
void pa_reap(agent *a);
void pa_task_ended(agent *a, slot *s, enum ts_pool_result r);
void pa_check_cancels(agent *a, double now);
void pa_escalate(agent *a, double now);
void pa_check_walltime(agent *a, double now);

#endif
