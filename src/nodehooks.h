/* nodehooks.h: a suite's env_preparation / env_cleanup on one compute node,
 * once per allocation. The plugin's SPANK contexts are thin callers:
 *
 *   ts_node_prepare   job prolog (root, before any task of the job starts on
 *                     the node): run env_preparation as the job's user and
 *                     record the outcome (prepstate.h)
 *   ts_node_check     every task of every step (root, in the task's process
 *                     before it execs): wait while preparation runs; say
 *                     whether the task may start, and if not, why
 *   ts_node_cleanup   job epilog (root): run env_cleanup as the user where
 *                     preparation was attempted; remove the record
 *
 * None of them fails for a user's problem: a failing or hanging hook is an
 * outcome in the report (and, for preparation, in the record the tasks read),
 * never an error the prolog/epilog would pass on to Slurm.
 */
#ifndef TS_NODEHOOKS_H
#define TS_NODEHOOKS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "hook.h"
#include "prepstate.h"
#include "spec_json.h"
#include "taskenv.h"

#define TS_HOOK_PREP "env_preparation"
#define TS_HOOK_CLEANUP "env_cleanup"
#define TS_PREP_KEEPER_NAME "tasksuite-prep"   /* comm of the keeper */

/* What Slurm tells the prolog/epilog about the job on this node. */
struct ts_node_report;

typedef struct ts_node_ctx {
    uint32_t job_id;
    uid_t uid;
    gid_t gid;
    const char *node;          /* SLURMD_NODENAME */
    const char *nodelist;      /* SLURM_NODELIST (SLURM_JOB_NODELIST) */
    const char *num_nodes;     /* SLURM_JOB_NUM_NODES */
    const char *work_dir;      /* SLURM_JOB_WORK_DIR, or NULL */
    const char *slurm_conf;    /* SLURM_CONF, or NULL (passed on to hooks) */
    long restart;              /* SLURM_JOB_RESTART_COUNT, 0 if unset */
    /* admin settings (plugargs.h) */
    const char *state_dir;
    bool user_hooks;
    long max_timeout_s;
    long grace_ms;             /* SIGTERM -> SIGKILL; < 0: TS_HOOK_DEFAULT_GRACE_MS */
    /* Prolog only: return as soon as env_preparation is started. A root
     * process of its own ("tasksuite-prep", its own session) keeps the
     * record's lock, waits for the hook, records the outcome and reports it
     * through log(). Tasks wait on the lock instead of in Slurm's launch
     * path, where srun gives up after MessageTimeout + BatchStartTimeout. */
    bool background;
    void (*log)(const struct ts_node_ctx *c, const struct ts_node_report *rep);
    /* ts_node_check: called with true before it blocks waiting for a
     * preparation still running, with false after (the plugin makes the
     * waiting task killable meanwhile). May be NULL. */
    void (*waiting)(bool start);
} ts_node_ctx;

typedef struct ts_node_report {
    bool ran;                  /* a hook process was started */
    bool failed;               /* it failed (the user's problem: log, never fail Slurm) */
    bool debug;                /* text is only of interest at log_level=debug */
    char log[PATH_MAX];        /* the hook's log, "" if none */
    char text[2048];           /* one line for slurmd's log (no prefix) */
    ts_hook_result res;
    pid_t keeper;              /* background: the process waiting for the hook */
} ts_node_report;

/* Where a hook's output goes on this node:
 *   SUITE_DIR/hooks/<jobid>/<node>.<hook>.log     (tasksuite submit)
 *   OUTPUT_DIR/hooks/<jobid>/<node>.<hook>.log    (output_dir: in the suite)
 *   WORKDIR/tasksuite-<jobid>/<node>.<hook>.log   (plain --task-suite jobs)
 * WORKDIR is the spec's (the suite's workdir, or the directory sbatch/salloc/
 * srun ran in: the allocator always resolves one), else the job's work dir,
 * else home. Everything comes from the spec first, so every node and the
 * epilog agree (a prolog started by a step sees that step's cwd as
 * SLURM_JOB_WORK_DIR). */
int ts_node_log_path(const ts_node_ctx *c, const ts_hookspec *spec, const char *hook,
                     const char *home, char *buf, size_t len, ts_err *err);

/* The hook's directory: the spec's workdir, else the job's work dir, else home. */
int ts_node_hook_cwd(const ts_node_ctx *c, const ts_hookspec *spec, const char *home,
                     char *buf, size_t len, ts_err *err);

/* The hook's whole environment: PATH=/usr/local/bin:/usr/bin:/bin, HOME,
 * USER, LOGNAME, SHELL; the hook's envs ($NAME expanded as for tasks); and,
 * authoritative, TASK_SUITE_HOOK, TASK_SUITE_NAME, TASK_SUITE_ID,
 * TASK_SUITE_DIR, TASK_SUITE_WORKER_COUNT, TASK_SUITE_HOOK_LOG,
 * SLURMD_NODENAME, SLURM_JOB_ID, SLURM_JOB_NODELIST, SLURM_JOB_NUM_NODES,
 * SLURM_JOB_USER, SLURM_JOB_UID, SLURM_JOB_GID, SLURM_JOB_WORK_DIR, SLURM_CONF
 * (those known). Nothing of the caller's own environment. */
int ts_node_hook_env(const ts_node_ctx *c, const ts_hookspec *spec, const ts_hook *h,
                     const char *hook, const ts_hook_user *u, const char *log,
                     ts_env *env, ts_err *err);

/* The timeout that applies: the hook's, capped by the admin's maximum. */
long ts_node_timeout(const ts_node_ctx *c, const ts_hook *h);

int ts_node_prepare(const ts_node_ctx *c, const ts_hookspec *spec, ts_node_report *rep,
                    ts_err *err);
/* The epilog: if preparation still runs (the allocation ended first, e.g.
 * scancel), its keeper is told to stop it (TERM, grace, KILL); then, under
 * the lock, env_cleanup runs where preparation was attempted. */
int ts_node_cleanup(const ts_node_ctx *c, const ts_hookspec *spec, ts_node_report *rep,
                    ts_err *err);

/* 0: the task may start (st->log names the preparation log, if any; msg is
 * empty, or a note for slurmd's log when there is no record at all: the
 * job's prolog did not see the option, e.g. a job that merely inherited a
 * suite's environment);
 * 1: it must not: msg says why (hook, status, log) in one line for the user,
 * and err is also filled when the record itself could not be read. */
int ts_node_check(const ts_node_ctx *c, const ts_hookspec *spec, ts_prepstamp *st,
                  char *msg, size_t len, ts_err *err);

#endif
