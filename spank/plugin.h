/* plugin.h: state shared by the plugin's per-process files.
 *
 * tasksuite.c is the only file that asks spank_context(): each SPANK
 * callback there is one switch that calls the file named after the process
 * the work runs in (pyxis style), which does not test the context again:
 *   srun_sbatch.c  sbatch/salloc and srun, as the user: validate the suite,
 *                  hand the spec on (ts_sbatch_post_opt, ts_srun_post_opt)
 *   slurmstepd.c   slurmstepd: export TASK_SUITE_* to the job's tasks; run
 *                  env_preparation from the first task on a node; fail the
 *                  tasks of a node whose preparation failed; env_cleanup from
 *                  the extern step's exit (PrologFlags=Contain)
 *   slurmd.c       tasksuite_epilog.so only: env_cleanup from the job epilog
 *                  slurmd runs, for clusters without PrologFlags=Contain
 *                  (never drains)
 * What runs as root on the node lives in src/node/ (nodehooks.c, hook.c,
 * prepstate.c, cgjoin.c, reaper.c).
 */
#ifndef TS_PLUGIN_H
#define TS_PLUGIN_H

#include <slurm/spank.h>

#include "plugargs.h"

/* Names in the job's SPANK environment. The allocator sets them with
 * spank_job_control_setenv(); the prolog/epilog see them as SPANK_<NAME>
 * (getenv) and the step as SLURM_SPANK_<NAME> (spank_getenv). */
#define TS_JOBENV_SPEC "TASK_SUITE_SPEC"
#define TS_JOBENV_FILE "TASK_SUITE_FILE"

#define TS_OPTION_NAME "task-suite"

extern ts_plugin_cfg ts_cfg;
extern char *ts_option_value;   /* --task-suite FILE as given, or NULL */
extern int ts_cfg_broken;       /* remote: plugstack.conf arguments refused */

/* srun_sbatch.c */
int ts_sbatch_post_opt(spank_t sp);   /* sbatch, salloc (S_CTX_ALLOCATOR) */
int ts_srun_post_opt(spank_t sp);     /* srun (S_CTX_LOCAL) */

/* slurmstepd.c (S_CTX_REMOTE) */
int ts_slurmstepd_user_init(spank_t sp);
int ts_slurmstepd_task_init_privileged(spank_t sp);
int ts_slurmstepd_task_init(spank_t sp);
void ts_slurmstepd_extern_exit(spank_t sp);   /* the extern step only */

/* slurmd.c (S_CTX_JOB_SCRIPT), tasksuite_epilog.so only */
int ts_slurmd_job_epilog(spank_t sp);

#endif
