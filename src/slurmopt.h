/* slurmopt.h: what a suite asks of Slurm, as sbatch long options.
 *
 * One list serves `validate` (printed), the libslurm submission (applied to a
 * job_desc in slurm.c) and the docs. Pure logic: no libslurm here.
 */
#ifndef TS_SLURMOPT_H
#define TS_SLURMOPT_H

#include "spec.h"

/* Fill `out` with ("job-name", "..."), ("nodes", "2"), ("cpus-per-task",
 * "4"), ("mem", "16384M"), ("gres", "gpu:v100:2"), ("constraint", "a&b"),
 * ("account", ...), ("signal", "B:USR2@300"), then every `slurm:` key. */
int ts_slurm_options(const ts_suite *s, ts_kvlist *out, ts_err *err);

/* Is `name` an sbatch long option the `slurm:` map may pass through? */
int ts_slurm_option_known(const char *name);

void ts_kvlist_free(ts_kvlist *l);

#endif
