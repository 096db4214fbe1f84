/* query.c: what Slurm says about tasksuite's jobs, as ts_job_info.
 *
 * Loads job records (one array, or a user's jobs by name prefix) and
 * converts them: Slurm's state bits to ts_job_state, exit status, held,
 * and a pending array's range record to one entry per index (the task
 * list itself is read by tasklist.c). The conversion is pure and exposed
 * for unit tests (ts_slurm_job_infos).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "exitcodes.h"
#include "slurm_int.h"

/* ================================================================ job state */

static ts_job_state map_state(uint32_t job_state, int *completing)
{
    *completing = (job_state & JOB_COMPLETING) ? 1 : 0;
    /* Requeued (or requeue-held) but not yet pending again: it will run
     * again, so it is pending for anyone deciding what to do next. */
    if (job_state & (JOB_REQUEUE | JOB_REQUEUE_HOLD | JOB_SPECIAL_EXIT
                     | JOB_REQUEUE_FED))
        return TS_JOB_PENDING;
    switch (job_state & JOB_STATE_BASE) {
    case JOB_PENDING:   return TS_JOB_PENDING;
    case JOB_RUNNING:
    case JOB_SUSPENDED: return TS_JOB_RUNNING;
    case JOB_COMPLETE:  return TS_JOB_COMPLETED;
    case JOB_CANCELLED: return TS_JOB_CANCELLED;
    case JOB_FAILED:    return TS_JOB_FAILED;
    case JOB_TIMEOUT:   return TS_JOB_TIMEOUT;
    case JOB_NODE_FAIL: return TS_JOB_NODE_FAIL;
    case JOB_PREEMPTED: return TS_JOB_PREEMPTED;
    case JOB_BOOT_FAIL: return TS_JOB_BOOT_FAIL;
    case JOB_DEADLINE:  return TS_JOB_DEADLINE;
    case JOB_OOM:       return TS_JOB_OOM;
    default:            return TS_JOB_UNKNOWN;
    }
}

const char *ts_job_state_name(ts_job_state s)
{
    static const char *const names[] = {
        [TS_JOB_UNKNOWN] = "UNKNOWN",     [TS_JOB_PENDING] = "PENDING",
        [TS_JOB_RUNNING] = "RUNNING",     [TS_JOB_COMPLETED] = "COMPLETED",
        [TS_JOB_FAILED] = "FAILED",       [TS_JOB_TIMEOUT] = "TIMEOUT",
        [TS_JOB_CANCELLED] = "CANCELLED", [TS_JOB_NODE_FAIL] = "NODE_FAIL",
        [TS_JOB_PREEMPTED] = "PREEMPTED", [TS_JOB_OOM] = "OUT_OF_MEMORY",
        [TS_JOB_BOOT_FAIL] = "BOOT_FAIL", [TS_JOB_DEADLINE] = "DEADLINE",
    };
    if ((unsigned)s < COUNT(names) && names[s])
        return names[s];
    return "UNKNOWN";
}

static void copy_field(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void fill_info(ts_job_info *ji, const slurm_job_info_t *j)
{
    memset(ji, 0, sizeof *ji);
    ji->job_id = j->job_id;
    ji->array_job_id = j->array_job_id;
    ji->array_task_id = j->array_job_id ? j->array_task_id : 0;
    ji->state = map_state(j->job_state, &ji->completing);
    ji->exit_code = -1;
    ji->term_signal = 0;
    bool ended = ji->state != TS_JOB_PENDING && ji->state != TS_JOB_RUNNING
                 && ji->state != TS_JOB_UNKNOWN;
    if (ended && j->exit_code != NO_VAL) {
        int status = (int)j->exit_code;
        if (WIFSIGNALED(status))
            ji->term_signal = WTERMSIG(status);
        else if (WIFEXITED(status))
            ji->exit_code = WEXITSTATUS(status);
    }
    ji->held = ji->state == TS_JOB_PENDING
               && (j->priority == 0 || j->state_reason == WAIT_HELD
                   || j->state_reason == WAIT_HELD_USER
                   || (j->job_state & (JOB_REQUEUE_HOLD | JOB_SPECIAL_EXIT)));
    ji->restart_cnt = j->restart_cnt;
    ji->dep_never = j->state_reason == WAIT_DEP_INVALID;
    copy_field(ji->name, sizeof ji->name, j->name);
    copy_field(ji->comment, sizeof ji->comment, j->comment);
    copy_field(ji->nodes, sizeof ji->nodes, j->nodes);
    ji->start_time = j->start_time;
    ji->end_time = j->end_time;
}

/* ================================================================ records */

typedef struct infov {
    ts_job_info *v;
    size_t n, cap;
} infov;

static ts_job_info *infov_next(infov *iv, ts_err *err)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 16;
        ts_job_info *v = realloc(iv->v, cap * sizeof *v);
        if (!v) {
            ts_slurm_oom(err);
            return NULL;
        }
        iv->v = v;
        iv->cap = cap;
    }
    return &iv->v[iv->n++];
}

typedef struct range_ctx {
    infov *iv;
    const slurm_job_info_t *j;
    ts_err *err;
} range_ctx;

/* One index of a pending range: an entry with no job id of its own yet. */
static int add_index(uint32_t t, void *arg)
{
    range_ctx *r = arg;
    ts_job_info *ji = infov_next(r->iv, r->err);
    if (!ji)
        return -1;
    fill_info(ji, r->j);
    ji->job_id = 0;                 /* no id of its own yet */
    ji->array_task_id = t;
    return 0;
}

/* One pending-range record ("0-3,7,9-15:2%4") as one entry per index. */
static int expand_range(infov *iv, const slurm_job_info_t *j, ts_err *err)
{
    range_ctx r = { iv, j, err };
    int rc = ts_tasklist_each(j->array_task_str, add_index, &r);
    if (rc == TS_TASKLIST_CUT)
        return ts_errc(err, TS_EXIT_SLURM, "job %" PRIu32 ": the pending "
                       "array task list was cut short (SLURM_BITSTR_LEN)",
                       j->array_job_id);
    if (rc == TS_TASKLIST_BAD)
        return ts_errc(err, TS_EXIT_SLURM, "job %" PRIu32 ": cannot read the "
                       "array task list \"%s\"", j->array_job_id,
                       j->array_task_str);
    return rc < 0 ? -1 : 0;
}

static int cmp_info(const void *a, const void *b)
{
    const ts_job_info *x = a, *y = b;
    uint32_t ax = x->array_job_id ? x->array_job_id : x->job_id;
    uint32_t ay = y->array_job_id ? y->array_job_id : y->job_id;
    if (ax != ay)
        return ax < ay ? -1 : 1;
    if (x->array_task_id != y->array_task_id)
        return x->array_task_id < y->array_task_id ? -1 : 1;
    return 0;
}

int ts_slurm_job_infos(const void *job_info_msg, uint32_t array_job_id,
                       const char *name_prefix, ts_job_info **out, size_t *n,
                       ts_err *err)
{
    const job_info_msg_t *msg = job_info_msg;
    infov iv = {0};
    size_t plen = name_prefix ? strlen(name_prefix) : 0;

    *out = NULL;
    *n = 0;
    for (uint32_t i = 0; msg && i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        uint32_t key = j->array_job_id ? j->array_job_id : j->job_id;
        if (array_job_id && key != array_job_id)
            continue;
        if (name_prefix && (!j->name || strncmp(j->name, name_prefix, plen) != 0))
            continue;
        if (j->array_job_id && j->array_task_id == NO_VAL
            && j->array_task_str && j->array_task_str[0]) {
            if (expand_range(&iv, j, err) < 0)
                goto fail;
            continue;
        }
        ts_job_info *ji = infov_next(&iv, err);
        if (!ji)
            goto fail;
        fill_info(ji, j);
    }
    if (iv.n > 1)
        qsort(iv.v, iv.n, sizeof *iv.v, cmp_info);
    *out = iv.v;
    *n = iv.n;
    return 0;
fail:
    free(iv.v);
    return -1;
}

/* ================================================================ RPCs */

int ts_slurm_array_elements(uint32_t array_job_id, ts_job_info **out,
                            size_t *n, ts_err *err)
{
    job_info_msg_t *msg = NULL;
    char what[64];

    *out = NULL;
    *n = 0;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (ts_compat_load_job(&msg, array_job_id, SHOW_ALL) != SLURM_SUCCESS) {
        int e = errno;
        if (e == ESLURM_INVALID_JOB_ID)
            return 0;                       /* purged: nothing known */
        snprintf(what, sizeof what, "look up job %" PRIu32, array_job_id);
        return ts_slurm_rpc_error(err, e, what);
    }
    int rc = ts_slurm_job_infos(msg, array_job_id, NULL, out, n, err);
    slurm_free_job_info_msg(msg);
    return rc;
}

int ts_slurm_find_jobs(uid_t uid, const char *name_prefix, ts_job_info **out,
                       size_t *n, ts_err *err)
{
    job_info_msg_t *msg = NULL;
    char what[64];

    *out = NULL;
    *n = 0;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_job_user(&msg, (uint32_t)uid, SHOW_ALL) != SLURM_SUCCESS) {
        int e = errno;
        snprintf(what, sizeof what, "list the jobs of uid %lu",
                 (unsigned long)uid);
        return ts_slurm_rpc_error(err, e, what);
    }
    int rc = ts_slurm_job_infos(msg, 0, name_prefix ? name_prefix : "", out,
                                n, err);
    slurm_free_job_info_msg(msg);
    return rc;
}
