/* optnames.c: the sbatch option names a suite may write (see optnames.h).
 *
 * Separate from slurmopt.c so that the parser (spec.c) can ask about a name
 * without depending on the code that checks a whole suite, which depends on
 * the parser's types. The accepted names are slurmopts.def's; the reserved
 * ones, with what to write instead, are listed here.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "optnames.h"

/* ------------------------------------------------------------ tables */

enum opt_kind { OPT_VALUE, OPT_FLAG, OPT_DERIVED };

/* sbatch options that make sense in a suite file, and those slurmopt.c
 * derives from suite fields (reserved for users, see below). */
static const struct {
    const char *name;
    enum opt_kind kind;
} options[] = {
#define TS_SLURM_OPT(name, kind, handler) { name, OPT_##kind },
#include "slurmopts.def"
#undef TS_SLURM_OPT
};

static const struct {
    const char *name, *reason;
} reserved[] = {
    { "job-name",   "tasksuite sets the job name (use name)" },
    { "array",      "tasksuite builds the job array (use array-throttle to "
                    "limit it)" },
    { "output",     "tasksuite owns the task output files (use output_dir)" },
    { "error",      "tasksuite owns the task output files (use output_dir)" },
    { "input",      "tasks read no standard input" },
    { "open-mode",  "tasksuite owns the task output files" },
    { "dependency", "tasksuite sets job dependencies (use depends_on)" },
    { "wrap",       "tasksuite writes the batch script (use run)" },
    { "nodes",      "tasksuite sets the node count (use num_nodes)" },
    { "signal",     "tasksuite sets the warning signal (use resume.signal)" },
    { "chdir",      "tasksuite sets the working directory (use workdir)" },
    { "export",     "tasksuite sets the task environment (use envs)" },
    { "clusters",   "multi-cluster submission is not supported" },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* The index of a `slurm:` key's entry; -1 for an unknown or derived name. */
static int settable(const char *name)
{
    for (size_t i = 0; name && i < COUNT(options); i++)
        if (options[i].kind != OPT_DERIVED
            && strcmp(options[i].name, name) == 0)
            return (int)i;
    return -1;
}

int ts_slurm_option_known(const char *name)
{
    return settable(name) >= 0 ? 1 : 0;
}

int ts_slurm_option_is_flag(const char *name)
{
    int i = settable(name);
    return i >= 0 && options[i].kind == OPT_FLAG ? 1 : 0;
}

const char *ts_slurm_option_name(size_t i)
{
    for (size_t k = 0; k < COUNT(options); k++)
        if (options[k].kind != OPT_DERIVED && i-- == 0)
            return options[k].name;
    return NULL;
}

const char *ts_slurm_option_reserved_reason(const char *name)
{
    for (size_t i = 0; name && i < COUNT(reserved); i++)
        if (strcmp(reserved[i].name, name) == 0)
            return reserved[i].reason;
    return NULL;
}
