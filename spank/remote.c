/* remote.c: slurmstepd, once per step before the tasks start (user_init,
 * running as the job's user). Exports the TASK_SUITE_* variables that apply
 * outside the launcher to every task of the step. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <slurm/spank.h>

#include "plugin.h"
#include "spec_json.h"

static void export(spank_t sp, const char *name, const char *value)
{
    if (value && spank_setenv(sp, name, value, 1) != ESPANK_SUCCESS)
        slurm_error("tasksuite: cannot set %s for the job's tasks", name);
}

int ts_remote_user_init(spank_t sp)
{
    static char text[TS_HOOKSPEC_MAX + 1];
    ts_hookspec spec;
    ts_err err = { 0 };
    char workers[16];

    if (spank_getenv(sp, "SLURM_SPANK_" TS_JOBENV_SPEC, text, sizeof text)
        != ESPANK_SUCCESS)
        return 0;   /* not a --task-suite job: leave it untouched */
    if (ts_hooks_deserialize(text, &spec, &err) < 0) {
        slurm_error("tasksuite: %s", err.msg);
        return 0;
    }
    export(sp, "TASK_SUITE_NAME", spec.suite_name);
    export(sp, "TASK_SUITE_ID", spec.suite_id);
    snprintf(workers, sizeof workers, "%d", spec.worker_count);
    export(sp, "TASK_SUITE_WORKER_COUNT", workers);
    ts_hookspec_free(&spec);
    return 0;
}
