/* jobscript.c: job prolog and epilog, as root in slurmd's child, once per
 * node per job. Only the SPANK environment the submitting side prepared is
 * read here (SPANK_TASK_SUITE_SPEC via getenv); never a user file, and never
 * spank_job_control_* (it crashes in these contexts on 22.05).
 *
 * The prolog runs env_preparation as the job's user and records the outcome
 * in state_dir (src/nodehooks.c); the step tasks read it (remote.c). The
 * epilog runs env_cleanup where preparation was attempted. Both always
 * return 0 to Slurm: a user's failing hook fails the user's tasks, it never
 * holds the job or drains the node.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "nodehooks.h"
#include "plugin.h"
#include "spec_json.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v ? v : dflt;
}

static int load_spec(ts_hookspec *spec)
{
    ts_err err = { 0 };
    const char *text = getenv("SPANK_" TS_JOBENV_SPEC);
    if (!text)
        return -1;   /* not a --task-suite job */
    if (ts_hooks_deserialize(text, spec, &err) < 0) {
        slurm_error("tasksuite: job %s: %s", env_or("SLURM_JOB_ID", "?"), err.msg);
        return -1;
    }
    return 0;
}

static void report(const ts_node_ctx *c, const ts_node_report *rep);

/* Identity from spank_get_item (authoritative), the rest from the
 * environment slurmd gives the prolog/epilog. */
static int node_ctx(spank_t sp, ts_node_ctx *c)
{
    uint32_t job_id = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
        slurm_error("tasksuite: job %s: cannot get the job's id, uid or gid from Slurm",
                    env_or("SLURM_JOB_ID", "?"));
        return -1;
    }
    *c = (ts_node_ctx){
        .job_id = job_id,
        .uid = uid,
        .gid = gid,
        .node = env_or("SLURMD_NODENAME", NULL),
        .nodelist = getenv("SLURM_JOB_NODELIST") ? getenv("SLURM_JOB_NODELIST")
                                                 : getenv("SLURM_NODELIST"),
        .num_nodes = getenv("SLURM_JOB_NUM_NODES"),
        .work_dir = getenv("SLURM_JOB_WORK_DIR"),
        .slurm_conf = getenv("SLURM_CONF"),
        .restart = strtol(env_or("SLURM_JOB_RESTART_COUNT", "0"), NULL, 10),
        .state_dir = ts_cfg.state_dir,
        .user_hooks = ts_cfg.user_hooks,
        .max_timeout_s = ts_cfg.max_hook_timeout_s,
        .grace_ms = TS_HOOK_DEFAULT_GRACE_MS,
        .log = report,
    };
    return 0;
}

/* Also called by the background keeper of env_preparation (a fork of the
 * prolog process: the same log destination). */
static void report(const ts_node_ctx *c, const ts_node_report *rep)
{
    if (!rep->text[0])
        return;
    if (rep->failed)
        slurm_error("tasksuite: job %lu: %s", (unsigned long)c->job_id, rep->text);
    else if (ts_cfg.log_level >= (rep->debug ? TS_LOG_DEBUG : TS_LOG_INFO))
        slurm_info("tasksuite: job %lu: %s", (unsigned long)c->job_id, rep->text);
}

int ts_jobscript_prolog(spank_t sp)
{
    ts_hookspec spec;
    ts_node_ctx c;
    ts_node_report rep;
    ts_err err = { 0 };

    if (load_spec(&spec) < 0)
        return 0;
    if (node_ctx(sp, &c) == 0) {
        if (ts_cfg.log_level >= TS_LOG_INFO)
            slurm_info("tasksuite: job %lu: suite \"%s\" on %s (env_preparation: %s, env_cleanup: %s)",
                       (unsigned long)c.job_id, spec.suite_name, env_or("SLURMD_NODENAME", "?"),
                       spec.prep.present ? "yes" : "no", spec.cleanup.present ? "yes" : "no");
        c.background = true;   /* see nodehooks.h: no srun launch timeouts */
        if (ts_node_prepare(&c, &spec, &rep, &err) < 0)
            slurm_error("tasksuite: job %lu: env_preparation not run on %s: %s",
                        (unsigned long)c.job_id, env_or("SLURMD_NODENAME", "?"), err.msg);
        else
            report(&c, &rep);
    }
    ts_hookspec_free(&spec);
    return 0;
}

int ts_jobscript_epilog(spank_t sp)
{
    ts_hookspec spec;
    ts_node_ctx c;
    ts_node_report rep;
    ts_err err = { 0 };

    if (load_spec(&spec) < 0)
        return 0;
    if (node_ctx(sp, &c) == 0) {
        if (ts_cfg.log_level >= TS_LOG_DEBUG)
            slurm_info("tasksuite: job %lu: epilog for suite \"%s\" on %s",
                       (unsigned long)c.job_id, spec.suite_name, env_or("SLURMD_NODENAME", "?"));
        if (ts_node_cleanup(&c, &spec, &rep, &err) < 0)
            slurm_error("tasksuite: job %lu: env_cleanup on %s: %s", (unsigned long)c.job_id,
                        env_or("SLURMD_NODENAME", "?"), err.msg);
        report(&c, &rep);
    }
    ts_hookspec_free(&spec);
    return 0;
}
