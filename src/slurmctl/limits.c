/* limits.c: how much the controller takes (MaxArraySize, MaxJobCount)
 * and how much room its job table has now (see slurm.h).
 *
 * Read before a submission is cut into arrays and waves; separate from the
 * job queries because it asks about the cluster, not about tasksuite's jobs.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "slurm_int.h"

int ts_slurm_limits(uint32_t *max_array, uint32_t *max_jobs, ts_err *err)
{
    slurm_conf_t *conf = NULL;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS) {
        int e = errno;
        return ts_slurm_rpc_error(err, e, ts_slurm_unreachable(e) ? NULL
                         : "read the Slurm configuration");
    }
    if (max_array)
        *max_array = conf->max_array_sz;
    if (max_jobs)
        *max_jobs = conf->max_job_cnt;
    ts_compat_free_conf(conf);
    return 0;
}

int ts_slurm_job_room(uint32_t *max_jobs, uint32_t *min_job_age, long *in_table,
                      ts_err *err)
{
    slurm_conf_t *conf = NULL;
    job_info_msg_t *msg = NULL;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS) {
        int e = errno;
        return ts_slurm_rpc_error(err, e, ts_slurm_unreachable(e) ? NULL : "read the Slurm configuration");
    }
    *max_jobs = conf->max_job_cnt;
    *min_job_age = conf->min_job_age;
    ts_compat_free_conf(conf);
    if (slurm_load_jobs((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return ts_slurm_rpc_error(err, errno, "list the cluster's jobs");
    /* A pending array's record stands for each of its pending indices;
     * every other record (running or ended elements too) for one. */
    long n = 0;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        n += j->array_job_id && j->array_task_id == NO_VAL && j->array_task_str
                     && j->array_task_str[0]
                 ? ts_tasklist_count(j->array_task_str)
                 : 1;
    }
    slurm_free_job_info_msg(msg);
    *in_table = n;
    return 0;
}

int ts_slurm_max_array_size(uint32_t *max, ts_err *err)
{
    return ts_slurm_limits(max, NULL, err);
}
