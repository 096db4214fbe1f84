/* nodehooks.h: a suite's env_preparation / env_cleanup on one compute node,
 * once per allocation. The plugin's SPANK contexts are thin callers:
 *
 *   ts_node_prepare_step  every task of every step of a --task-suite job
 *                         (root, in the task's process, inside the job's
 *                         cgroup, before it execs): the first one on the node
 *                         runs env_preparation as the job's user and records
 *                         the outcome (prepstate.h); the others wait for it
 *                         and read it; each learns whether it may start
 *   ts_node_finish        the end of the allocation on the node (root: the
 *                         extern step's exit with PrologFlags=Contain, or the
 *                         job epilog of tasksuite-epilog.so): run the
 *                         env_cleanup kept in the record, as the user, with
 *                         the job's limits; remove the record
 *
 * None of them fails for a user's problem: a failing or hanging hook is an
 * outcome in the report (and, for preparation, in the record the tasks read),
 * never an error passed on to Slurm (which would drain the node).
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
    /* The job's resource limits (from the step: SLURM_RLIMIT_*), applied
     * to the hook; none: the caller's own. */
    const ts_prep_limit *limits;
    int n_limits;
    bool first_task;           /* the step's first task on this node (logs) */
    bool cleanup_by_epilog;    /* tasksuite_epilog.so: the job epilog cleans up */
    const char *extra_cgroup;  /* another cgroup.procs for the hook (cleanup's own) */
    /* ts_node_prepare_step: called with true before it blocks (waiting for
     * another task's preparation, or running the hook), with false after
     * (the plugin makes the task killable meanwhile). May be NULL. */
    void (*waiting)(bool start);
} ts_node_ctx;

typedef struct ts_node_report {
    bool ran;                  /* a hook process was started */
    bool failed;               /* it failed (the user's problem: log, never fail Slurm) */
    bool debug;                /* text is only of interest at log_level=debug */
    char log[PATH_MAX];        /* the hook's log, "" if none */
    char text[2048];           /* one line for slurmd's log (no prefix) */
    ts_hook_result res;
    bool in_job_cgroup;        /* the hook ran in the job's extern-step cgroup */
} ts_node_report;

#define TS_NODE_MAX_CGROUPS 16   /* hierarchies (cgroup v1 has ~13 controllers) */

/* Where a hook's output goes on this node:
 *   SUITE_DIR/hooks/<jobid>/<node>.<hook>.log     (tasksuite submit)
 *   OUTPUT_DIR/hooks/<jobid>/<node>.<hook>.log    (output_dir: in the suite)
 *   WORKDIR/tasksuite-<jobid>/<node>.<hook>.log   (plain --task-suite jobs)
 * WORKDIR is the spec's (the suite's workdir, or the directory sbatch/salloc/
 * srun ran in: the allocator always resolves one), else the job's work dir,
 * else home; with none of them absolute there is no log (an error, never a
 * shared place like /tmp). Everything comes from the spec first, so every
 * node and the end of the job agree. */
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

/* 0: the task may start (out->log names the preparation log, if any; rep
 * says what this call ran, for slurmd's log: rep->text empty when it only
 * read an earlier task's outcome);
 * 1: it must not: msg says why (hook, status, log) in one line for the user,
 * and err is also filled when the record itself could not be read or written.
 * spec_text is the spec as received, kept in the record for the end. */
int ts_node_prepare_step(const ts_node_ctx *c, const ts_hookspec *spec, const char *spec_text,
                         ts_node_report *rep, ts_prepstamp *out, char *msg, size_t len,
                         ts_err *err);

/* The end of the allocation: env_cleanup from the record (c's nodelist,
 * work dir, limits are ignored: the record's are used), then the record is
 * removed. No record: nothing to do (rep->text empty). -1 only when the
 * record exists but cannot be opened or removed. Bounded: a few seconds for
 * the lock, then the cleanup's own timeout, grace and kill. */
int ts_node_finish(const ts_node_ctx *c, ts_node_report *rep, ts_err *err);

#endif
