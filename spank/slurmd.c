/* slurmd.c: the job epilog of tasksuite_epilog.so, as root in the child
 * slurmd starts for the job's epilog ("slurmstepd spank epilog"; Slurm's
 * "job script" context means the prolog/epilog, not the batch script), once
 * per node per job: env_cleanup for clusters without PrologFlags=Contain
 * (where no extern step closes the allocation). Built into
 * tasksuite_epilog.so only. It acts on the node's preparation record alone,
 * never on the spec the epilog brings along (a step may carry a spec the job
 * did not); never spank_job_control_* (it crashes in this context on 22.05).
 * Always 0 to Slurm: a user's failing hook never drains the node.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "nodehooks.h"
#include "plugin.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v ? v : dflt;
}

int ts_slurmd_job_epilog(spank_t sp)
{
    uint32_t job_id = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    ts_node_report rep;
    ts_err err = { 0 };
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
        slurm_error("tasksuite: job %s: cannot get the job's id, uid or gid from Slurm",
                    env_or("SLURM_JOB_ID", "?"));
        return 0;
    }
    ts_node_ctx c = {
        .job_id = job_id,
        .uid = uid,
        .gid = gid,
        .node = env_or("SLURMD_NODENAME", NULL),
        .slurm_conf = getenv("SLURM_CONF"),
        .state_dir = ts_cfg.state_dir,
        .user_hooks = ts_cfg.user_hooks,
        .max_timeout_s = ts_cfg.max_hook_timeout_s,
        .grace_ms = TS_HOOK_DEFAULT_GRACE_MS,
    };
    if (ts_node_finish(&c, &rep, &err) < 0)
        slurm_error("tasksuite: job %lu: %s on %s: %s", (unsigned long)job_id, TS_HOOK_CLEANUP,
                    env_or("SLURMD_NODENAME", "?"), err.msg);
    if (!rep.text[0])
        return 0;
    if (rep.failed)
        slurm_error("tasksuite: job %lu: %s", (unsigned long)job_id, rep.text);
    else if (ts_cfg.log_level >= (rep.debug ? TS_LOG_DEBUG : TS_LOG_INFO))
        slurm_info("tasksuite: job %lu: %s", (unsigned long)job_id, rep.text);
    return 0;
}
