/* allocator.c: sbatch, salloc and srun, running as the submitting user.
 *
 * The suite file is read and validated here, as the user, so a bad file is
 * refused before anything is queued. What the compute side needs (hooks,
 * workdir, identity) travels as one JSON value in the job's SPANK
 * environment: root on the compute nodes never opens a user-writable file.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "expand.h"
#include "paths.h"
#include "plugin.h"
#include "spec.h"
#include "spec_json.h"

static int set_job_env(spank_t sp, const char *name, const char *value)
{
    spank_err_t rc = spank_job_control_setenv(sp, name, value, 1);
    if (rc != ESPANK_SUCCESS) {
        slurm_error("tasksuite: cannot pass %s to the job: %s", name,
                    spank_strerror(rc));
        return -1;
    }
    return 0;
}

/* Validate like `tasksuite validate` does: parse, then expand, so a %(name)
 * missing from some task is caught before the job is queued. */
static int load_suite(const char *path, ts_suite **out)
{
    ts_err err = { 0 };
    ts_tasklist tasks = { 0 };
    if (ts_spec_load(path, out, &err) < 0) {
        slurm_error("%s", err.msg);
        return -1;
    }
    if (ts_expand(*out, &tasks, &err) < 0) {
        slurm_error("%s", err.msg);
        ts_spec_free(*out);
        *out = NULL;
        return -1;
    }
    ts_tasklist_free(&tasks);
    for (size_t i = 0; i < (*out)->warnings.n; i++)
        fprintf(stderr, "tasksuite: warning: %s\n", (*out)->warnings.v[i]);
    return 0;
}

int ts_allocator_post_opt(spank_t sp)
{
    char file[PATH_MAX], workdir[PATH_MAX];
    ts_suite *s = NULL;
    ts_err err = { 0 };
    char *spec = NULL;
    int rc = -1;

    if (!ts_option_value)
        return 0;
    if (ts_path_absolute(ts_option_value, file, sizeof file, &err) < 0) {
        slurm_error("tasksuite: --%s: %s", TS_OPTION_NAME, err.msg);
        return -1;
    }
    if (load_suite(file, &s) < 0)
        return -1;
    if (s->workdir && ts_path_absolute(s->workdir, workdir, sizeof workdir, &err) < 0) {
        slurm_error("%s: workdir: %s", file, err.msg);
        goto out;
    }
    spec = ts_hooks_serialize(s, NULL, s->workdir ? workdir : NULL);
    if (!spec) {
        slurm_error("tasksuite: out of memory");
        goto out;
    }
    if (strlen(spec) > TS_HOOKSPEC_MAX) {
        slurm_error("%s: the hooks are larger than %d bytes; move long scripts into a file and call it with args:",
                    file, TS_HOOKSPEC_MAX);
        goto out;
    }
    /* An srun step inside an existing allocation cannot change the job's
     * environment; the allocation's own spec (if any) already applies. */
    if (spank_context() == S_CTX_LOCAL && getenv("SLURM_JOB_ID")) {
        rc = 0;
        goto out;
    }
    if (set_job_env(sp, TS_JOBENV_SPEC, spec) < 0
        || set_job_env(sp, TS_JOBENV_FILE, file) < 0)
        goto out;
    /* srun's own allocation: the job-control env reaches the prolog but not
     * the step's environment, so hand the step the same value through srun's
     * own environment, which srun propagates to the step. */
    if (spank_context() == S_CTX_LOCAL
        && setenv("SLURM_SPANK_" TS_JOBENV_SPEC, spec, 1) < 0) {
        slurm_error("tasksuite: cannot pass the suite to the step: %m");
        goto out;
    }
    rc = 0;
out:
    free(spec);
    ts_spec_free(s);
    return rc;
}
