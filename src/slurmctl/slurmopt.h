/* slurmopt.h: what a suite asks of Slurm, as sbatch long options.
 *
 * One list serves `validate` (printed), the libslurm submission (applied to a
 * job_desc in jobdesc.c) and the docs. Pure logic: no libslurm here.
 * The option names (ts_slurm_option_known, ..._reserved_reason) are
 * optnames.h's, included here for the callers that know them from here.
 */
#ifndef TS_SLURMOPT_H
#define TS_SLURMOPT_H

#include <stdio.h>

#include "optnames.h"
#include "spec.h"

/* Fill `out` with ("job-name", "..."), ("nodes", "2"), ("cpus-per-task",
 * "4"), ("mem", "16384M"), ("gres", "gpu:v100:2"), ("constraint", "a&b"),
 * ("account", ...), ("signal", "B:USR2@300"), then every `slurm:` key.
 *
 * Decisions:
 *  - The order is fixed (the list above), then `slurm:` in file order, so
 *    `validate` output and tests are stable. Derived options carry pos 0:0,
 *    pass-through ones their position in the file.
 *  - "nodes" is always emitted (num_nodes, 1 when unset): the job's shape
 *    never depends on a partition default.
 *  - The others are emitted only when the suite sets them: cpus-per-task
 *    (resources.cpus > 0), mem (resources.memory, "<MiB>M"), gres
 *    (accelerators: "gpu:<type>:<n>" or "gpu:<n>"), constraint (tags joined
 *    with '&'; a tag holding a constraint operator or space is an error,
 *    reported without line:col since tags carry no positions),
 *    account (group), signal (resume.signal > 0: "B:<NAME>@<lead secs>").
 *  - A `slurm:` key that sets what a suite field already sets is an error
 *    naming both, never a silent override: account/group, constraint/tags,
 *    cpus-per-task/resources.cpus, mem|mem-per-cpu|mem-per-gpu/
 *    resources.memory, gres|gpus|gpus-per-node|gpus-per-task/
 *    resources.accelerators. Keys Slurm itself treats as mutually exclusive
 *    (mem, mem-per-cpu, mem-per-gpu; requeue, no-requeue) are an error too.
 *  - `slurm:` keys: unknown, reserved (with the reason), repeated, a
 *    control character in a value, or an empty value for an option that
 *    takes one are errors; the flags (exclusive, requeue, no-requeue) may be
 *    empty. Values are otherwise passed as written. time and time-min must be durations (units.h) or
 *    UNLIMITED/INFINITE. array-throttle is tasksuite's own, not sbatch's:
 *    a positive count N that the submitter appends to the array as "%N".
 *  - On error returns -1 with `out` empty (safe to free). */
int ts_slurm_options(const ts_suite *s, ts_kvlist *out, ts_err *err);

void ts_kvlist_free(ts_kvlist *l);

/* Printing them (optprint.c). `text` as one shell word into buf: as is
 * when it holds only [A-Za-z0-9_@%+=:,./-], else single-quoted ("gpu&ib"
 * -> 'gpu&ib', "it's" -> 'it'\''s'). -1 when buf is too small. */
int ts_shell_quote(char *buf, size_t len, const char *text);

/* "--key=value" with the value quoted as above; "--key" for an empty
 * value (a flag). -1 when buf is too small. */
int ts_sbatch_option_word(char *buf, size_t len, const char *key,
                          const char *value);

/* " --key=value" for each option, as above, except array-throttle, which
 * is not an sbatch option (it is the "%N" suffix of --array). */
void ts_print_sbatch_options(FILE *f, const ts_kvlist *opts);

#endif
