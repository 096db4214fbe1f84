/* jobscript.c: job prolog and epilog, as root in slurmd's child, once per
 * node per job. Only the SPANK environment the submitting side prepared is
 * read here (SPANK_TASK_SUITE_SPEC via getenv); never a user file, and never
 * spank_job_control_* (it crashes in these contexts on 22.05). */
#include "config.h"

#include <stdlib.h>

#include <slurm/spank.h>

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

int ts_jobscript_prolog(spank_t sp)
{
    ts_hookspec spec;
    (void)sp;
    if (load_spec(&spec) < 0)
        return 0;
    if (ts_cfg.log_level >= TS_LOG_INFO)
        slurm_info("tasksuite: job %s: suite \"%s\" on %s (env_preparation: %s, env_cleanup: %s)",
                   env_or("SLURM_JOB_ID", "?"), spec.suite_name,
                   env_or("SLURMD_NODENAME", "?"), spec.prep.present ? "yes" : "no",
                   spec.cleanup.present ? "yes" : "no");
    ts_hookspec_free(&spec);
    return 0;
}

int ts_jobscript_epilog(spank_t sp)
{
    ts_hookspec spec;
    (void)sp;
    if (load_spec(&spec) < 0)
        return 0;
    if (ts_cfg.log_level >= TS_LOG_DEBUG)
        slurm_info("tasksuite: job %s: epilog for suite \"%s\" on %s",
                   env_or("SLURM_JOB_ID", "?"), spec.suite_name,
                   env_or("SLURMD_NODENAME", "?"));
    ts_hookspec_free(&spec);
    return 0;
}
