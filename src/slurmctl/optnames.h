/* optnames.h: which sbatch long options a suite's `slurm:` map may name.
 *
 * Only names, no suite: spec.c asks it while parsing (to put an error at the
 * key's line) and slurmopt.c while checking a suite, so it depends on
 * neither; that keeps spec.c -> slurmopt.c -> spec.c from being a cycle.
 * The names come from slurmopts.def, the list jobdesc.c applies too.
 * Pure logic: no libslurm here (linked into the plugin).
 */
#ifndef TS_OPTNAMES_H
#define TS_OPTNAMES_H

#include <stddef.h>

/* Is `name` an sbatch long option the `slurm:` map may pass through?
 * Exact, lower-case, without dashes ("partition", not "--partition" or "p").
 * Returns 1 or 0. */
int ts_slurm_option_known(const char *name);

/* For an sbatch option tasksuite sets itself (job-name, array, output,
 * error, dependency, nodes, signal, ...): a short reason that tells the user
 * what to write instead ("tasksuite sets the job name (use name)"). NULL
 * for any other name, known or not. */
const char *ts_slurm_option_reserved_reason(const char *name);

/* 1 when the known option `name` is a flag in sbatch (an empty value is
 * fine: exclusive, requeue, no-requeue), else 0. */
int ts_slurm_option_is_flag(const char *name);

/* The i-th name ts_slurm_option_known() accepts, NULL past the last (for
 * the test that the validator and the submitter agree). */
const char *ts_slurm_option_name(size_t i);

#endif
