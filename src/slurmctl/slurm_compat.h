/* slurm_compat.h: the differences between the Slurm releases tasksuite
 * builds against (22.05 to 26.05), in one place.
 *
 * The rest of the code is written for one API: the names below. Every
 * `#if SLURM_VERSION_NUMBER` of the project is in this file; add a new
 * difference here, never in a .c file. `tests/slurm-headers` compiles the
 * sources against the public headers of every release
 * (../shared/slurm/headers/) to keep it so.
 *
 * Build-time guards are enough: libslurm's soname changes with every
 * release (libslurm.so.38 for 22.05 ... .45 for 26.05), so a binary runs
 * only with the library of the release it was built for; ts_slurm_init()
 * says so in one line when another one is loaded (src/slurmctl/conn.c).
 *
 * Included by src/slurmctl/ (the only code that calls libslurm), the plugin
 * (release macros only: it never links libslurm) and unit tests.
 */
#ifndef TS_SLURM_COMPAT_H
#define TS_SLURM_COMPAT_H

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurm_version.h>

#if SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(22, 5, 0)
#error "tasksuite needs Slurm 22.05 or newer"
#endif

/* The release the sources are compiled against, for "%d.%02d.%d". */
#define TS_SLURM_RELEASE_FMT "%d.%02d.%d"
#define TS_SLURM_RELEASE_ARGS(v) (int)SLURM_VERSION_MAJOR(v), \
    (int)SLURM_VERSION_MINOR(v), (int)SLURM_VERSION_MICRO(v)
#define TS_SLURM_BUILT SLURM_VERSION_NUMBER

/* ---------------------------------------------------------------- hostlist */

/* 23.11 made hostlist_t the struct itself: handles are hostlist_t *. */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0)
typedef hostlist_t *ts_hostlist;
#else
typedef hostlist_t ts_hostlist;
#endif

/* ---------------------------------------------------------------- errors */

/* First of the socket-level errors (up to
 * SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT): 23.02 removed the three below
 * ESLURM_PROTOCOL_INCOMPLETE_PACKET (5000-5002); nothing returns them
 * since. */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
#define TS_SLURM_SOCKET_ERRNO_FIRST ESLURM_PROTOCOL_INCOMPLETE_PACKET
#else
#define TS_SLURM_SOCKET_ERRNO_FIRST SLURM_PROTOCOL_SOCKET_IMPL_ZERO_RECV_LENGTH
#endif

/* "The job queue is full" (MaxJobCount): sbatch sleeps and retries.
 * 26.05.2 renamed the code (same value, 2007). */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(26, 5, 2)
#define TS_ESLURM_QUEUE_FULL ESLURM_MAX_JOB_COUNT
#else
#define TS_ESLURM_QUEUE_FULL ESLURM_ERROR_ON_DESC_TO_RECORD_COPY
#endif

/* slurm_get_errno() (gone in 24.11) only ever returned errno: the code
 * uses errno directly. */

/* ---------------------------------------------------------------- calls */

/* The job id in slurm_submit_batch_job()'s answer (25.11: a step id). */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 11, 0)
#define TS_SUBMIT_RESPONSE_JOB_ID(r) ((r)->step_id.job_id)
#else
#define TS_SUBMIT_RESPONSE_JOB_ID(r) ((r)->job_id)
#endif

/* The job a job_desc_msg_t names (slurm_update_job()): 25.11 made job_id a
 * step id there too. An lvalue: TS_JOB_DESC_JOB_ID(&d) = id. */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 11, 0)
#define TS_JOB_DESC_JOB_ID(d) ((d)->step_id.job_id)
#else
#define TS_JOB_DESC_JOB_ID(d) ((d)->job_id)
#endif

/* 26.05: slurm_free_ctl_conf() became slurm_free_conf(), and the calls
 * that name a job take a slurm_step_id_t (the whole job: step NO_VAL). */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(26, 5, 0)
static inline slurm_step_id_t ts_compat_job_ref(uint32_t job_id)
{
    slurm_step_id_t id = SLURM_STEP_ID_INITIALIZER;
    id.job_id = job_id;
    return id;
}
#define ts_compat_free_conf(c) slurm_free_conf(c)
#else
static inline uint32_t ts_compat_job_ref(uint32_t job_id)
{
    return job_id;
}
#define ts_compat_free_conf(c) slurm_free_ctl_conf(c)
#endif
#define ts_compat_load_job(resp, job_id, flags) \
    slurm_load_job((resp), ts_compat_job_ref(job_id), (flags))
#define ts_compat_get_rem_time(job_id) slurm_get_rem_time(ts_compat_job_ref(job_id))
#define ts_compat_get_end_time(job_id, end) \
    slurm_get_end_time(ts_compat_job_ref(job_id), (end))
#define ts_compat_requeue(job_id, flags) \
    slurm_requeue(ts_compat_job_ref(job_id), (flags))

/* ---------------------------------------------------------------- SPANK */

/* What a failing slurm_spank_init() means in slurmstepd. From 25.05 it is
 * the node's fault (drain, requeue) unless the plugin exports
 * slurm_spank_init_failure_mode = ESPANK_JOB_FAILURE (the job fails, the
 * node stays in service). Earlier releases never look the symbol up and
 * fail the step without draining, so its value there is moot. */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 5, 0)
#define TS_SPANK_INIT_FAILURE_MODE ESPANK_JOB_FAILURE
#else
#define TS_SPANK_INIT_FAILURE_MODE 0
#endif

/* ---------------------------------------------------------------- sbatch */

/* A job request with sbatch's defaults. 24.11 added oom_kill_step, which
 * slurm_init_job_desc_msg() leaves at 0 ("never kill the step") where
 * sbatch sends NO_VAL16 (the cluster's OOMKillStep setting). */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 11, 0)
#define ts_compat_init_job_desc(d) \
    (slurm_init_job_desc_msg(d), (void)((d)->oom_kill_step = NO_VAL16))
#else
#define ts_compat_init_job_desc(d) slurm_init_job_desc_msg(d)
#endif

/* What sbatch puts into the job request changed between releases; the
 * emulation in src/slurmctl/jobdesc*.c (checked against the real sbatch by
 * tests/slurm/t0150) follows the release it is built for. Plain 0/1
 * constants, tested with `if`, so both branches always compile.
 *
 * 23.02 (src/sbatch/opt.c, slurm_opt_create_job_desc):
 *   --nodelist sets the node count only without --nodes; --ntasks-per-node
 *   no longer sets a task count (it only sizes min_cpus). */
#define TS_SBATCH_2302_RULES (SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0))
/* 23.11: TRES are written "gres/gpu" (not "gres:gpu") and --cpus-per-task
 *   / --gpus-per-task also go into tres_per_task ("cpu=N"). */
#define TS_SBATCH_2311_RULES (SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0))

#endif
