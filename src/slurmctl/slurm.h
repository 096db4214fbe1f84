/* slurm.h: the only part of libtasksuite that talks to libslurm.
 *
 * The interface of src/slurmctl/, the layer that talks to slurmctld
 * (conn.c, limits.c, jobdesc*.c, optvalue.c, submit.c, query.c,
 * tasklist.c, control.c; slurm_int.h is what they share). The folder is not
 * called src/slurmctl/: with -I src, src/slurmctl/slurm.h would be what
 * <slurm/slurm.h> finds instead of libslurm's header.
 * What differs between Slurm releases is in slurm_compat.h, used only by
 * src/slurmctl/ (and the plugin's version line). Functions return 0 / -1
 * with err filled; err->code is
 * TS_EXIT_SLURM when the controller could not be reached or refused an RPC
 * (the message then says "cannot reach the Slurm controller: ..." or names
 * the RPC and Slurm's reason). An option that cannot be applied is reported
 * as "slurm.<key>: <value>: <reason>" with err->code left unset.
 */
#ifndef TS_SLURM_H
#define TS_SLURM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "spec.h"

/* slurm_init() once per process (idempotent; every function below calls
 * it). libslurm exits the process when it finds no configuration at all, so
 * a missing configuration (ts_slurm_have_config) is reported here first,
 * as an error (TS_EXIT_SLURM), instead. So is a libslurm of another release than
 * the one tasksuite was built for (ts_slurm_check_library). */
int ts_slurm_init(ts_err *err);

/* 0 when libslurm would find a configuration: SLURM_CONF names a readable
 * file, or (SLURM_CONF unset) /etc/slurm/slurm.conf or slurmd's configless
 * copy exists, or a child process's slurm_init() succeeded (DNS SRV).
 * Else -1, err->code TS_EXIT_SLURM and one line naming what is missing and
 * what to do (set SLURM_CONF, or use --local). No RPC. */
int ts_slurm_have_config(ts_err *err);

/* "Slurm 24.11.7 (libslurm.so.42)": the release tasksuite was compiled
 * against. */
const char *ts_slurm_built_for(void);

/* 0 when the libslurm loaded into this process (slurm_api_version()) is
 * the one of the release tasksuite was built for; else -1, err->code
 * TS_EXIT_SLURM and one line naming both and what to do. No RPC. */
int ts_slurm_check_library(ts_err *err);

/* The controller's MaxArraySize (indices 0..max-1 are accepted).
 * Also serves as the "is Slurm reachable" probe. Note that libslurm retries
 * an unreachable controller for MessageTimeout seconds before giving up. */
int ts_slurm_max_array_size(uint32_t *max, ts_err *err);

/* MaxArraySize and MaxJobCount (every array element counts) in one RPC;
 * either pointer may be NULL. */
int ts_slurm_limits(uint32_t *max_array, uint32_t *max_jobs, ts_err *err);

/* Room in the controller's job table: MaxJobCount, MinJobAge (how long an
 * ended job keeps its place) and the records it holds now, every user's
 * (a pending array counts each pending index, as Slurm does). Two RPCs,
 * the second proportional to the cluster's queue: for waves only. */
int ts_slurm_job_room(uint32_t *max_jobs, uint32_t *min_job_age, long *in_table,
                      ts_err *err);

/* Whether num_nodes nodes (of `partition`, NULL: any) each have r's CPUs,
 * memory and GPUs (nodes.c): resources.any_of picks the first that does.
 * The nodes' sizes only, not what is free now. */
int ts_slurm_resources_fit(const ts_resources *r, int num_nodes, const char *partition,
                           bool *fits, ts_err *err);

/* The addresses (NodeAddr; the name when it has none or slurmctld does not
 * answer) of a node list's nodes, in its order, one per line: malloc'd
 * into *out. */
int ts_slurm_node_addrs(const char *nodelist, char **out, ts_err *err);

/* One job array to submit. */
typedef struct ts_array_req {
    const char *job_name;         /* e.g. "ts-ab12cd34"; wins over a
                                     "job-name" option */
    const char *comment;          /* e.g. "tasksuite:ab12cd34:s3" (recovery
                                     key); a "comment" option is appended
                                     after one space, so the key is the
                                     comment's first word */
    const char *script;           /* full batch script text ("#!/bin/sh\n...") */
    const char *work_dir;         /* absolute */
    const char *std_out;          /* Slurm-side output path (may hold %A %a) */
    const char *std_err;
    uint32_t first, last;         /* array indices, inclusive (last < max) */
    uint32_t throttle;            /* 0 = none, else "%N" */
    const ts_kvlist *options;     /* sbatch long options (slurmopt.h) */
    char *const *env;             /* job environment, NULL-terminated */
    char *const *spank_env;       /* SPANK job env for prolog/epilog, NULL-terminated */
    const char *dependency;       /* NULL or e.g. "afterany:123" */
    int kill_invalid_dep;         /* Slurm ends the job when its dependency
                                     can never be satisfied */
    int single;                   /* a plain job: first/last/throttle ignored */
    int hold;                     /* submit held (priority 0; wins over a
                                     "priority" option) */
    int *full;                    /* NULL, or: a refusal for want of room
                                     (MaxJobCount, MaxSubmitJobs, a QOS
                                     submit limit) is not retried but
                                     returned at once with *full = 1 */
} ts_array_req;

/* Submit through slurm_submit_batch_job(); *job_id is the array job id.
 *
 * What sbatch would add is added too: the job environment is `env` plus,
 * overriding, the SLURM_* variables sbatch exports for the options
 * (SLURM_CPUS_PER_TASK, SLURM_NTASKS, SLURM_NPROCS, SLURM_NTASKS_PER_NODE,
 * SLURM_NTASKS_PER_CORE, SLURM_THREADS_PER_CORE, SLURM_HINT, SLURM_GPUS,
 * SLURM_GPUS_PER_NODE, SLURM_GPUS_PER_TASK, SLURM_MEM_PER_GPU) and
 * SLURM_JOB_NAME (slurmstepd expands %x in std_out from it), plus, only
 * when `env` lacks them, SLURM_SUBMIT_DIR (cwd), SLURM_SUBMIT_HOST and
 * SLURM_UMASK (slurmstepd applies it to the job). stdin is /dev/null.
 * `env` and `spank_env` are otherwise passed unchanged (the
 * _SLURM_SPANK_OPTION_* entries the caller puts there reach the job).
 * A refusal Slurm calls temporary (EAGAIN, job table full, nodes busy) is
 * retried 3 times (1 + 2 + 3 s), as sbatch does; anything else is not. */
int ts_slurm_submit(const ts_array_req *req, uint32_t *job_id, ts_err *err);

/* Apply sbatch long options (as produced by ts_slurm_options()) to a
 * job_desc_msg_t (passed as void * to keep slurm.h out of callers; the
 * caller has run slurm_init_job_desc_msg() on it). Every option
 * ts_slurm_option_known() accepts, plus the derived job-name, nodes and
 * signal, is handled the way sbatch 22.05 fills its job_desc (including
 * sbatch's post-processing: min_cpus, pn_min_cpus, implicit task counts,
 * nodelist node count); array-throttle is skipped (ts_array_req.throttle).
 * Strings it sets are malloc'd: release them with ts_slurm_job_desc_free().
 * Pure (no RPC), so it is unit-tested. */
int ts_slurm_apply_options(void *job_desc, const ts_kvlist *opts, ts_err *err);

/* Free (free(3)) the strings and arrays ts_slurm_apply_options() or
 * ts_slurm_submit() put into job_desc and reset them to NULL. */
void ts_slurm_job_desc_free(void *job_desc);

/* What Slurm says about one array element (or a plain job). */
typedef enum ts_job_state {
    TS_JOB_UNKNOWN = 0,   /* record gone (purged) or never seen */
    TS_JOB_PENDING,       /* includes held, and requeued (will run again) */
    TS_JOB_RUNNING,       /* includes suspended and configuring */
    TS_JOB_COMPLETED,
    TS_JOB_FAILED,
    TS_JOB_TIMEOUT,
    TS_JOB_CANCELLED,
    TS_JOB_NODE_FAIL,
    TS_JOB_PREEMPTED,
    TS_JOB_OOM,
    TS_JOB_BOOT_FAIL,
    TS_JOB_DEADLINE,
} ts_job_state;

typedef struct ts_job_info {
    uint32_t job_id;          /* the element's own job id; 0 for an element
                                 still pending in the array's range record
                                 (Slurm gives it an id when it starts) */
    uint32_t array_job_id;    /* 0 if not an array */
    uint32_t array_task_id;   /* valid when array_job_id != 0 */
    ts_job_state state;       /* an ended job keeps its end state while it
                                 is still completing */
    int completing;           /* COMPLETING flag: end state known, but the
                                 nodes are still cleaning up (exit_code may
                                 not be final yet) */
    int held;                 /* pending and held (by the user, an admin,
                                 or Slurm after a failed launch: "launch
                                 failed requeued held"); runs only once
                                 released */
    int exit_code;            /* WEXITSTATUS of the batch script; -1 while
                                 pending/running, if killed by a signal, or
                                 unknown */
    int term_signal;          /* WTERMSIG if killed by a signal, else 0 */
    uint32_t restart_cnt;
    int dep_never;            /* Slurm's reason: its dependency can never be
                                 satisfied (ended so with KILL_INV_DEP) */
    char name[128];           /* truncated if longer */
    char comment[256];
    char nodes[256];
    time_t start_time, end_time;  /* actual or expected; 0 = unknown */
} ts_job_info;

/* Every element Slurm still knows of array `array_job_id` (pending ranges
 * expanded to one entry per index, entries sorted by task id). *out is
 * malloc'd; *n entries. A purged or unknown id is 0 entries, not an error. */
int ts_slurm_array_elements(uint32_t array_job_id, ts_job_info **out, size_t *n,
                            ts_err *err);

/* All jobs of `uid` whose name starts with `name_prefix` (crash recovery:
 * find what an interrupted submit already queued), pending ranges
 * expanded, sorted by array job id then task id. */
int ts_slurm_find_jobs(uid_t uid, const char *name_prefix, ts_job_info **out,
                       size_t *n, ts_err *err);

/* The conversion both use, from a job_info_msg_t (as slurm_load_job*()
 * return it, passed as const void *): keep records whose array job id (or,
 * for a plain job, job id) is `array_job_id` (0 = any) and whose name
 * starts with `name_prefix` (NULL = any). Pure; exposed for unit tests. */
int ts_slurm_job_infos(const void *job_info_msg, uint32_t array_job_id,
                       const char *name_prefix, ts_job_info **out, size_t *n,
                       ts_err *err);

/* Cancel a whole job/array ("123") or one element ("123_4") with SIGKILL.
 * A job that has already ended or is gone is not an error. */
int ts_slurm_cancel(const char *job_spec, ts_err *err);

/* Send sig to the batch shell of job_id only (`scancel --batch --signal`),
 * as Slurm sends a `--signal=B:` warning: graceful cancel (issue 16). A job
 * that has already ended is not an error. */
int ts_slurm_signal_batch(uint32_t job_id, int sig, ts_err *err);

/* Seconds left for job_id (slurm_get_rem_time), -1 on error. */
long ts_slurm_remaining(uint32_t job_id);

/* When job_id's walltime ends (slurm_get_end_time): 0 when unlimited,
 * -1 when Slurm could not say (unreachable, unknown job). One RPC, or
 * libslurm's copy of the answer if it got one for this job less than 60 s
 * ago in this process. */
time_t ts_slurm_end_time(uint32_t job_id);

/* Ask Slurm to run job_id again (as its owner, from inside it): the job
 * keeps its id and its array index, SLURM_RESTART_COUNT grows by one. */
int ts_slurm_requeue(uint32_t job_id, ts_err *err);

/* Release a held job or array element (by its own job id), as `scontrol
 * release` does (priority INFINITE: Slurm recomputes it). */
int ts_slurm_release(uint32_t job_id, ts_err *err);

/* "PENDING", "RUNNING", "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED",
 * "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
 * "UNKNOWN" (Slurm's spelling). */
const char *ts_job_state_name(ts_job_state s);

#endif
