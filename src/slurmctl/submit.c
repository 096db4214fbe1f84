/* submit.c: one batch job or array to slurmctld (ts_slurm_submit, see
 * slurm.h).
 *
 * Builds the job_desc (jobdesc.c for the options), adds the environment
 * sbatch would add, and sends it, retrying what sbatch retries. Separate
 * from jobdesc.c because building the request is pure and unit-tested,
 * while this is the RPC and the process's environment.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "exitcodes.h"
#include "slurm_int.h"

/* Temporary refusals sbatch retries (sbatch.c: MAX_RETRIES loop). */
#define SUBMIT_RETRIES 3

/* ================================================================ environment */

/* A growing NULL-terminated array of malloc'd "NAME=VALUE" strings. */
typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int strv_add(strv *s, char *owned, ts_err *err)
{
    if (!owned)
        return ts_slurm_oom(err);
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(owned);
            return ts_slurm_oom(err);
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
    return 0;
}

static ssize_t strv_find(const strv *s, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i], name, len) == 0 && s->v[i][len] == '=')
            return (ssize_t)i;
    return -1;
}

/* NAME=VALUE, replacing an existing NAME if `overwrite`. */
static int strv_set(strv *s, const char *name, const char *value,
                    bool overwrite, ts_err *err)
{
    ssize_t at = strv_find(s, name);
    if (at >= 0 && !overwrite)
        return 0;
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", name, value) < 0)
        return ts_slurm_oom(err);
    if (at >= 0) {
        free(s->v[at]);
        s->v[at] = entry;
        return 0;
    }
    return strv_add(s, entry, err);
}

static int strv_setu(strv *s, const char *name, uint64_t value, ts_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    return strv_set(s, name, buf, true, err);
}

static int strv_copy(strv *s, char *const *from, ts_err *err)
{
    for (size_t i = 0; from && from[i]; i++)
        if (strv_add(s, strdup(from[i]), err) < 0)
            return -1;
    return 0;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* The variables sbatch puts into the job environment for its options
 * (sbatch/opt.c: set_envs, common/env.c: set_env_from_opts, and
 * verify_hint's SLURM_HINT), overriding inherited ones. */
static int option_env(strv *env, const opt_ctx *c, const job_desc_msg_t *d,
                      ts_err *err)
{
    /* 23.11: "Requesting --cpus-per-task will now set SLURM_TRES_PER_TASK". */
    if (TS_SBATCH_2311_RULES && d->tres_per_task
        && strv_set(env, "SLURM_TRES_PER_TASK", d->tres_per_task, true, err) < 0)
        return -1;
    if (c->cpus_set && strv_setu(env, "SLURM_CPUS_PER_TASK",
                                 c->cpus_per_task, err) < 0)
        return -1;
    if (c->ntasks_set && (strv_setu(env, "SLURM_NTASKS", c->ntasks, err) < 0
                          || strv_setu(env, "SLURM_NPROCS", c->ntasks, err) < 0))
        return -1;
    if (c->ntasks_per_node != NO_VAL
        && strv_setu(env, "SLURM_NTASKS_PER_NODE", c->ntasks_per_node, err) < 0)
        return -1;
    if (c->ntasks_per_core != NO_VAL
        && strv_setu(env, "SLURM_NTASKS_PER_CORE", c->ntasks_per_core, err) < 0)
        return -1;
    if (c->threads != NO_VAL
        && strv_setu(env, "SLURM_THREADS_PER_CORE", c->threads, err) < 0)
        return -1;
    if (c->hint && strv_set(env, "SLURM_HINT", c->hint->value, true, err) < 0)
        return -1;
    if (c->gpus && strv_set(env, "SLURM_GPUS", c->gpus, true, err) < 0)
        return -1;
    if (c->gpus_per_node
        && strv_set(env, "SLURM_GPUS_PER_NODE", c->gpus_per_node, true, err) < 0)
        return -1;
    if (c->gpus_per_task
        && strv_set(env, "SLURM_GPUS_PER_TASK", c->gpus_per_task, true, err) < 0)
        return -1;
    if (c->mem_per_gpu != NO_VAL64
        && strv_setu(env, "SLURM_MEM_PER_GPU", c->mem_per_gpu, err) < 0)
        return -1;
    return 0;
}

/* What sbatch sets about where the job came from (sbatch.c:
 * _set_submit_dir_env, _set_umask_env), unless the caller did. */
static int submit_env(strv *env, ts_err *err)
{
    char buf[4096];
    if (strv_find(env, "SLURM_SUBMIT_DIR") < 0 && getcwd(buf, sizeof buf)
        && strv_set(env, "SLURM_SUBMIT_DIR", buf, false, err) < 0)
        return -1;
    if (strv_find(env, "SLURM_SUBMIT_HOST") < 0
        && gethostname(buf, sizeof buf) == 0) {
        buf[sizeof buf - 1] = '\0';
        if (strv_set(env, "SLURM_SUBMIT_HOST", buf, false, err) < 0)
            return -1;
    }
    if (strv_find(env, "SLURM_UMASK") < 0) {
        mode_t mask = umask(0);
        umask(mask);
        snprintf(buf, sizeof buf, "0%o%o%o", (mask >> 6) & 07, (mask >> 3) & 07,
                 mask & 07);
        if (strv_set(env, "SLURM_UMASK", buf, false, err) < 0)
            return -1;
    }
    return 0;
}

/* ================================================================ submit */

static bool temporary_refusal(int e)
{
    /* MaxJobCount reached: "Slurm job queue full, sleeping and retrying". */
    return e == TS_ESLURM_QUEUE_FULL || e == EAGAIN || e == ESLURM_NODES_BUSY;
}

/* No room now: the controller's job table (MaxJobCount) or the user's
 * submit limits (MaxSubmitJobs, QOS limits: an accounting policy refusal). */
static bool no_room(int e)
{
    return e == TS_ESLURM_QUEUE_FULL || e == EAGAIN || e == ESLURM_ACCOUNTING_POLICY;
}

int ts_slurm_submit(const ts_array_req *req, uint32_t *job_id, ts_err *err)
{
    job_desc_msg_t d;
    opt_ctx c;
    strv env = {0}, spank = {0};
    char what[256];
    int rc = -1;

    if (ts_slurm_init(err) < 0)
        return -1;
    snprintf(what, sizeof what, "submit array %" PRIu32 "-%" PRIu32 " of %s",
             req->first, req->last, req->job_name ? req->job_name : "(unnamed)");
    if (!req->script || !req->script[0])
        return ts_errf(err, "%s: no batch script", what);
    if (!req->work_dir || req->work_dir[0] != '/')
        return ts_errf(err, "%s: the working directory must be absolute",
                       what);
    if (req->first > req->last)
        return ts_errf(err, "%s: the first index is above the last", what);

    ts_compat_init_job_desc(&d);
    if (req->comment && ts_jobdesc_set_string(&d.comment, req->comment, err) < 0)
        goto out;
    if (ts_jobdesc_apply(&d, req->options, &c, err) < 0)
        goto out;
    if (req->job_name && ts_jobdesc_set_string(&d.name, req->job_name, err) < 0)
        goto out;
    if (ts_jobdesc_set_string(&d.script, req->script, err) < 0
        || ts_jobdesc_set_string(&d.work_dir, req->work_dir, err) < 0
        || ts_jobdesc_set_string(&d.std_in, "/dev/null", err) < 0
        || (req->std_out && ts_jobdesc_set_string(&d.std_out, req->std_out, err) < 0)
        || (req->std_err && ts_jobdesc_set_string(&d.std_err, req->std_err, err) < 0)
        || (req->dependency
            && ts_jobdesc_set_string(&d.dependency, req->dependency, err) < 0))
        goto out;
    if (req->kill_invalid_dep)
        d.bitflags |= KILL_INV_DEP;
    if (req->single)
        ;   /* a plain job, not an array */
    else if (req->throttle
        ? ts_jobdesc_set_stringf(&d.array_inx, err, "%" PRIu32 "-%" PRIu32 "%%%" PRIu32,
                      req->first, req->last, req->throttle) < 0
        : ts_jobdesc_set_stringf(&d.array_inx, err, "%" PRIu32 "-%" PRIu32, req->first,
                      req->last) < 0)
        goto out;

    /* sbatch exports the job name; slurmstepd expands %x from it. */
    if (strv_copy(&env, req->env, err) < 0
        || (d.name && strv_set(&env, "SLURM_JOB_NAME", d.name, true, err) < 0)
        || option_env(&env, &c, &d, err) < 0
        || submit_env(&env, err) < 0 || strv_copy(&spank, req->spank_env, err) < 0)
        goto out;
    d.environment = env.v;
    d.env_size = (uint32_t)env.n;
    d.spank_job_env = spank.v;
    d.spank_job_env_size = (uint32_t)spank.n;
    env = (strv){0};            /* owned by d now */
    spank = (strv){0};

    d.user_id = getuid();
    d.group_id = getgid();
    if (req->hold)
        d.priority = 0;

    submit_response_msg_t *resp = NULL;
    for (int attempt = 0;; attempt++) {
        if (slurm_submit_batch_job(&d, &resp) == SLURM_SUCCESS)
            break;
        int e = errno;
        if (req->full && no_room(e)) {
            *req->full = 1;     /* the caller queues it later (waves) */
            ts_slurm_rpc_error(err, e, what);
            goto out;
        }
        if (!temporary_refusal(e) || attempt >= SUBMIT_RETRIES) {
            ts_slurm_rpc_error(err, e, what);
            goto out;
        }
        sleep((unsigned)attempt + 1);
    }
    if (!resp) {
        ts_errc(err, TS_EXIT_SLURM, "%s: no answer from slurmctld", what);
        goto out;
    }
    *job_id = TS_SUBMIT_RESPONSE_JOB_ID(resp);
    slurm_free_submit_response_response_msg(resp);
    rc = 0;
out:
    strv_free(&env);
    strv_free(&spank);
    ts_slurm_job_desc_free(&d);
    return rc;
}
