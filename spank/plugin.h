/* plugin.h: state shared by the plugin's per-context files.
 *
 * tasksuite.c is the only file that switches on spank_context(); each
 * context's work lives in its own file:
 *   allocator.c  sbatch/salloc/srun, as the user: validate, hand the spec on
 *   remote.c     slurmstepd: export TASK_SUITE_* to the job's tasks; run
 *                env_preparation from the first task on a node; fail the
 *                tasks of a node whose preparation failed; env_cleanup from
 *                the extern step's exit (PrologFlags=Contain)
 *   jobscript.c  tasksuite-epilog.so only: env_cleanup from the job epilog,
 *                for clusters without PrologFlags=Contain (never drains)
 * The rules themselves live in src/ (nodehooks.c, hook.c, prepstate.c).
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

int ts_allocator_post_opt(spank_t sp);
int ts_remote_user_init(spank_t sp);
int ts_remote_task_init_privileged(spank_t sp);
int ts_remote_task_init(spank_t sp);
int ts_remote_extern_exit(spank_t sp);
int ts_jobscript_epilog(spank_t sp);

#endif
