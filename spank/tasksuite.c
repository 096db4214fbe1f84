/* tasksuite.c: the SPANK entry points, and the one place that asks
 * spank_context(): each callback is one switch that hands the work to the
 * file named after the process it runs in (srun_sbatch.c, slurmstepd.c,
 * slurmd.c; see plugin.h). Also the plugin's state every context shares:
 * the plugstack.conf arguments and the --task-suite option.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "plugin.h"
#include "slurm_compat.h"

/* SLURM_EXTERN_CONT: the same value in every release 22.05-26.05. */
#define TS_EXTERN_STEP_ID 0xfffffffcU

SPANK_PLUGIN(tasksuite, 1);

/* Slurm 25.05+: should slurm_spank_init() ever fail in a job's slurmstepd
 * (it returns -1 there only if the option cannot be registered; a bad
 * plugstack.conf makes it inert instead, see below), fail that job, never
 * drain the node. Read by Slurm only from 25.05 (slurm_compat.h). */
int slurm_spank_init_failure_mode = TS_SPANK_INIT_FAILURE_MODE;

ts_plugin_cfg ts_cfg;
char *ts_option_value;
int ts_cfg_broken;
static int cfg_loaded;

/* Slurm may call the callback more than once with the same value (e.g. from
 * the environment and the command line); a second, different value is a
 * user error. */
static int option_cb(int val, const char *arg, int remote)
{
    (void)val;
    (void)remote;
    if (!arg || !*arg) {
        slurm_error("tasksuite: --%s needs a suite file", TS_OPTION_NAME);
        return -1;
    }
    if (ts_option_value) {
        if (strcmp(ts_option_value, arg) == 0)
            return 0;
        slurm_error("tasksuite: --%s given twice (\"%s\" and \"%s\")",
                    TS_OPTION_NAME, ts_option_value, arg);
        return -1;
    }
    ts_option_value = strdup(arg);
    return ts_option_value ? 0 : -1;
}

static struct spank_option task_suite_option = {
    .name = TS_OPTION_NAME,
    .arginfo = "FILE",
    .usage = "Run the suite FILE's env_preparation/env_cleanup hooks once per "
             "node for this job (see tasksuite-suite(5))",
    .has_arg = 1,
    .val = 0,
    .cb = option_cb,
};

/* Parsed at most once per process; every entry point may be first. */
static int load_cfg(int ac, char **av)
{
    ts_err err = { 0 };
    if (cfg_loaded)
        return 0;
    ts_plugin_cfg_defaults(&ts_cfg);
    if (ts_plugin_cfg_parse(&ts_cfg, ac, av, &err) < 0) {
        slurm_error("tasksuite: plugstack.conf: %s", err.msg);
        return -1;
    }
    cfg_loaded = 1;
    return 0;
}

static int register_option(spank_t sp)
{
    spank_err_t rc = spank_option_register(sp, &task_suite_option);
    if (rc != ESPANK_SUCCESS) {
        slurm_error("tasksuite: cannot register --%s: %s", TS_OPTION_NAME,
                    spank_strerror(rc));
        return -1;
    }
    return 0;
}

/* sbatch/salloc ignore an exported spank_options[] table: the option is
 * registered here, in every context that parses or receives options. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
    /* Arguments that do not parse: slurmd refuses to start and sbatch/srun
     * refuse the job: the admin and the user see it at once. In a job's
     * slurmstepd (plugstack.conf edited without restarting slurmd) a failing
     * init would fail every job, and from 25.05 drain the node: the plugin
     * stays inert there and fails only the tasks of --task-suite steps, with
     * a message. */
    int cfg_ok = load_cfg(ac, av) == 0;
    switch (spank_context()) {
    case S_CTX_SLURMD:
        if (!cfg_ok)
            return -1;
        slurm_info("tasksuite: version %s loaded (user_hooks=%s, max_hook_timeout=%lds, state_dir=%s), built for Slurm " TS_SLURM_RELEASE_FMT,
                   PACKAGE_VERSION, ts_cfg.user_hooks ? "yes" : "no",
                   ts_cfg.max_hook_timeout_s, ts_cfg.state_dir,
                   TS_SLURM_RELEASE_ARGS(TS_SLURM_BUILT));
        return 0;
    case S_CTX_ALLOCATOR:
    case S_CTX_LOCAL:
        if (!cfg_ok)
            return -1;
        return register_option(sp);
    case S_CTX_REMOTE:
        if (!cfg_ok)
            ts_cfg_broken = 1;   /* inert, see above */
        return register_option(sp);
    default:   /* the job prolog/epilog: no option to register */
        return cfg_ok ? 0 : -1;
    }
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    switch (spank_context()) {
    case S_CTX_ALLOCATOR:   /* sbatch, salloc */
        return ts_sbatch_post_opt(sp);
    case S_CTX_LOCAL:       /* srun */
        return ts_srun_post_opt(sp);
    default:
        return 0;
    }
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    switch (spank_context()) {
    case S_CTX_REMOTE:
        return ts_slurmstepd_user_init(sp);
    default:
        return 0;
    }
}

/* Root, in each task's process before it execs: read this node's
 * preparation record (waits while the prolog still prepares). */
int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    switch (spank_context()) {
    case S_CTX_REMOTE:
        return ts_slurmstepd_task_init_privileged(sp);
    default:
        return 0;
    }
}

/* As the user, stdio connected: the one place a step failure reaches srun
 * and the batch output. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    switch (spank_context()) {
    case S_CTX_REMOTE:
        return ts_slurmstepd_task_init(sp);
    default:
        return 0;
    }
}

#ifdef TS_JOB_EPILOG
/* tasksuite_epilog.so only. Defining a job epilog makes slurmd start a
 * "slurmstepd spank epilog" process for EVERY job on the node, with or
 * without the option (measured: doc/PERFORMANCE.md); tasksuite.so has none
 * and does its cleanup in the extern step instead (PrologFlags=Contain).
 * Always 0: a non-zero status would drain the node. */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
    switch (spank_context()) {
    case S_CTX_JOB_SCRIPT:
        if (load_cfg(ac, av) == 0)
            ts_slurmd_job_epilog(sp);
        return 0;
    default:
        return 0;
    }
}
#endif

/* In the extern step (PrologFlags=Contain) this is the end of the
 * allocation on the node, after every other step there ended. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    uint32_t step = 0;
    switch (spank_context()) {
    case S_CTX_REMOTE:
        if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS
            && step == TS_EXTERN_STEP_ID && !ts_cfg_broken && load_cfg(ac, av) == 0)
            ts_slurmstepd_extern_exit(sp);
        break;
    default:
        break;
    }
    free(ts_option_value);
    ts_option_value = NULL;
    return 0;
}
