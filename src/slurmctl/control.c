/* control.c: acting on a job that exists: cancel, release, requeue, and
 * asking how long it may still run (see slurm.h).
 *
 * One short RPC each; separate from submit.c and query.c because these
 * change or read one job by id, mostly from inside the job itself.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "slurm_int.h"

/* Cancel of a job in a transitional state (scancel retries 10 times). */
#define CANCEL_RETRIES 5

int ts_slurm_cancel(const char *job_spec, ts_err *err)
{
    char what[96];
    if (ts_slurm_init(err) < 0)
        return -1;
    snprintf(what, sizeof what, "cancel job %s", job_spec);
    for (int attempt = 0;; attempt++) {
        if (slurm_kill_job2(job_spec, SIGKILL, 0, NULL) == SLURM_SUCCESS)
            return 0;
        int e = errno;
        if (e == ESLURM_ALREADY_DONE || e == ESLURM_INVALID_JOB_ID)
            return 0;
        if (e != ESLURM_TRANSITION_STATE_NO_UPDATE || attempt >= CANCEL_RETRIES)
            return ts_slurm_rpc_error(err, e, what);
        sleep(1);
    }
}

int ts_slurm_signal_batch(uint32_t job_id, int sig, ts_err *err)
{
    char spec[16], what[64];
    if (ts_slurm_init(err) < 0)
        return -1;
    snprintf(spec, sizeof spec, "%u", job_id);
    snprintf(what, sizeof what, "signal job %s", spec);
    if (slurm_kill_job2(spec, (uint16_t)sig, KILL_JOB_BATCH, NULL) == SLURM_SUCCESS)
        return 0;
    int e = errno;
    if (e == ESLURM_ALREADY_DONE || e == ESLURM_INVALID_JOB_ID)
        return 0;
    return ts_slurm_rpc_error(err, e, what);
}

long ts_slurm_remaining(uint32_t job_id)
{
    if (ts_slurm_init(NULL) < 0)
        return -1;
    return ts_compat_get_rem_time(job_id);
}

time_t ts_slurm_end_time(uint32_t job_id)
{
    time_t end = 0;
    ts_err err = { 0 };
    if (ts_slurm_init(&err) < 0
        || ts_compat_get_end_time(job_id, &end) != SLURM_SUCCESS)
        return -1;
    /* An unlimited job reports an end at or past INFINITE. */
    return end > 0 && (uint64_t)end < (uint64_t)INFINITE ? end : 0;
}

int ts_slurm_release(uint32_t job_id, ts_err *err)
{
    job_desc_msg_t d;
    job_array_resp_msg_t *resp = NULL;
    char id[16];
    int rc;

    if (ts_slurm_init(err) < 0)
        return -1;
    ts_compat_init_job_desc(&d);
    /* job_id_str (job_desc has no job_id since 25.11), with update_job2
     * as libslurm asks for it */
    snprintf(id, sizeof id, "%u", job_id);
    d.job_id_str = id;
    d.priority = INFINITE;          /* what `scontrol release` sends */
    rc = slurm_update_job2(&d, &resp);
    if (resp)
        slurm_free_job_array_resp(resp);
    if (rc != SLURM_SUCCESS)
        return ts_errc(err, TS_EXIT_SLURM, "release job %u: %s", job_id,
                       slurm_strerror(errno));
    return 0;
}

int ts_slurm_requeue(uint32_t job_id, ts_err *err)
{
    if (ts_slurm_init(err) < 0)
        return -1;
    if (ts_compat_requeue(job_id, 0) != SLURM_SUCCESS)
        return ts_errc(err, TS_EXIT_SLURM, "requeue job %u: %s", job_id,
                       slurm_strerror(errno));
    return 0;
}
