/* srun_sbatch.c: the submitting side, as the user: sbatch and salloc
 * (Slurm's "allocator" context) and srun ("local"). The dispatcher
 * (tasksuite.c) tells them apart and calls the matching entry point; nothing
 * here asks spank_context() again.
 *
 * The suite file is read and validated here, as the user, so a bad file is
 * refused before anything is queued. What the compute side needs (hooks,
 * workdir, identity) travels as one JSON value in the job's SPANK
 * environment: root on the compute nodes never opens a user-writable file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* What the cluster's settings (the same plugstack.conf line) will do to the
 * hooks: say it now, on the user's terminal, rather than only in slurmd's log. */
static void warn_admin_limits(const ts_suite *s)
{
    const ts_hook *hooks[] = { &s->env_preparation, &s->env_cleanup };
    const char *names[] = { "env_preparation", "env_cleanup" };
    for (size_t i = 0; i < 2; i++) {
        const ts_hook *h = hooks[i];
        long t = h->timeout_s > 0 ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S;
        if (!h->present)
            continue;
        if (!ts_cfg.user_hooks)
            fprintf(stderr, "tasksuite: warning: user hooks are disabled on this cluster "
                            "(user_hooks=no): %s will not run\n", names[i]);
        else if (t > ts_cfg.max_hook_timeout_s)
            fprintf(stderr, "tasksuite: warning: %s: timeout %lds is capped at %lds "
                            "(max_hook_timeout on this cluster)\n",
                    names[i], t, ts_cfg.max_hook_timeout_s);
    }
}

/* --task-suite FILE read, validated and turned into the hook spec the
 * compute side gets; file[] receives FILE's absolute path. The cluster's
 * limits are told on the user's terminal once the spec is good. NULL after
 * an error (already logged); the caller frees the spec. */
static char *suite_spec(char file[PATH_MAX])
{
    char workdir[PATH_MAX];
    ts_suite *s = NULL;
    ts_err err = { 0 };
    char *spec = NULL;

    if (ts_path_absolute(ts_option_value, file, PATH_MAX, &err) < 0) {
        slurm_error("tasksuite: --%s: %s", TS_OPTION_NAME, err.msg);
        return NULL;
    }
    if (load_suite(file, &s) < 0)
        return NULL;
    /* Where the hooks run (and, without output_dir, log), the same on every
     * node: the suite's workdir, else the directory of this submission. Not
     * the prolog's SLURM_JOB_WORK_DIR: a prolog started by a step on a node
     * the job had not used yet sees that step's directory instead. */
    if (s->workdir ? ts_path_absolute(s->workdir, workdir, sizeof workdir, &err) < 0
                   : !getcwd(workdir, sizeof workdir)) {
        slurm_error("%s: workdir: %s", file, s->workdir ? err.msg : strerror(errno));
        goto out;
    }
    /* The hooks' logs go under output_dir: resolve it here, as the user,
     * where "~" and relative paths mean what the user meant. */
    if (s->output_dir) {
        char outdir[PATH_MAX];
        if (ts_path_absolute(s->output_dir, outdir, sizeof outdir, &err) < 0) {
            slurm_error("%s: output_dir: %s", file, err.msg);
            goto out;
        }
        char *dup = strdup(outdir);
        if (!dup) {
            slurm_error("tasksuite: out of memory");
            goto out;
        }
        free(s->output_dir);
        s->output_dir = dup;
    }
    spec = ts_hooks_serialize(s, NULL, workdir);
    if (!spec) {
        slurm_error("tasksuite: out of memory");
        goto out;
    }
    if (strlen(spec) > TS_HOOKSPEC_MAX) {
        slurm_error("%s: the hooks are larger than %d bytes; move long scripts into a file and call it with args:",
                    file, TS_HOOKSPEC_MAX);
        free(spec);
        spec = NULL;
        goto out;
    }
    warn_admin_limits(s);
out:
    ts_spec_free(s);
    return spec;
}

/* srun propagates its own environment to the step: the one way to reach
 * the step's SPANK environment from here. */
static int pass_to_step(const char *spec)
{
    if (setenv("SLURM_SPANK_" TS_JOBENV_SPEC, spec, 1) < 0) {
        slurm_error("tasksuite: cannot pass the suite to the step: %m");
        return -1;
    }
    return 0;
}

int ts_sbatch_post_opt(spank_t sp)
{
    char file[PATH_MAX];
    char *spec;
    int rc;

    if (!ts_option_value)
        return 0;
    spec = suite_spec(file);
    if (!spec)
        return -1;
    rc = set_job_env(sp, TS_JOBENV_SPEC, spec) < 0
                 || set_job_env(sp, TS_JOBENV_FILE, file) < 0
             ? -1
             : 0;
    free(spec);
    return rc;
}

int ts_srun_post_opt(spank_t sp)
{
    char file[PATH_MAX];
    char *spec;
    int rc = -1;

    if (!ts_option_value)
        return 0;
    bool in_allocation = getenv("SLURM_JOB_ID") != NULL;
    /* srun inside an allocation made with --task-suite (the option is
     * inherited from the job's environment): the hooks are the allocation's.
     * Hand its spec on to this step: a prolog that runs on a node this step
     * reaches first (no PrologFlags=Alloc) gets the step's SPANK env, not
     * the job's. The suite file is not read again (the batch script may
     * have changed directory; the file may have changed). */
    if (in_allocation) {
        const char *job_spec = getenv("SLURM_SPANK_" TS_JOBENV_SPEC);
        const char *job_file = getenv("SLURM_SPANK_" TS_JOBENV_FILE);
        if (job_spec)
            return set_job_env(sp, TS_JOBENV_SPEC, job_spec) < 0
                           || (job_file && set_job_env(sp, TS_JOBENV_FILE, job_file) < 0)
                       ? -1
                       : 0;
    }
    spec = suite_spec(file);
    if (!spec)
        return -1;
    /* A step inside an allocation made without the option: its suite
     * prepares the nodes this step reaches first (each node keeps the first
     * spec it was prepared with, and cleans up from that at the end). The
     * job-control env of an existing job cannot change: hand the spec to the
     * step through srun's own environment, which srun propagates. */
    if (in_allocation) {
        rc = pass_to_step(spec);
        goto out;
    }
    if (set_job_env(sp, TS_JOBENV_SPEC, spec) < 0
        || set_job_env(sp, TS_JOBENV_FILE, file) < 0)
        goto out;
    /* srun's own allocation: the job-control env reaches the prolog but not
     * the step's environment, so hand the step the same value through srun's
     * own environment, which srun propagates to the step. */
    rc = pass_to_step(spec);
out:
    free(spec);
    return rc;
}
