/* spec_slurm.c: the slurm: section of a suite file (sbatch long options).
 *
 * The only part of the reader that asks slurmopt.c which options exist, so
 * the rest of the suite-file reader needs nothing of sbatch.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "slurmopt.h"
#include "spec_internal.h"

/* slurmopt.c owns the list of options; asking here puts the error at the
 * key's line, with a hint for the usual slips ("--partition", "mem_per_cpu"). */
static int check_slurm_key(pctx *c, yaml_node_t *k, const char *path)
{
    const char *key = spec_sval(k), *reason;
    char alt[NAME_MAX_LEN + 1];
    size_t n = strlen(key);

    if (n > 0 && n <= NAME_MAX_LEN && ts_slurm_option_known(key))
        return 0;
    reason = ts_slurm_option_reserved_reason(key);
    if (reason)
        return spec_fail(c, k, path, "not allowed: %s", reason);
    if (strncmp(key, "--", 2) == 0 && n <= NAME_MAX_LEN
        && ts_slurm_option_known(key + 2))
        return spec_fail(c, k, path, "write the option without the leading "
                         "\"--\"");
    if (n > 0 && n <= NAME_MAX_LEN && strchr(key, '_')) {
        for (size_t i = 0; i <= n; i++)
            alt[i] = key[i] == '_' ? '-' : key[i];
        if (ts_slurm_option_known(alt))
            return spec_fail(c, k, path, "not an sbatch option a suite may set "
                             "(did you mean \"%s\"?)", alt);
    }
    /* A misspelling ("partiton"): the closest known name, if close. */
    const char *best = NULL;
    size_t best_d = n < 6 ? 2 : 3;
    for (size_t i = 0; ts_slurm_option_name(i); i++) {
        size_t d = spec_edit_distance(key, ts_slurm_option_name(i));
        if (d < best_d) {
            best_d = d;
            best = ts_slurm_option_name(i);
        }
    }
    if (best)
        return spec_fail(c, k, path, "not an sbatch option a suite may set "
                         "(did you mean \"%s\"?)", best);
    return spec_fail(c, k, path, "not an sbatch option a suite may set (e.g. "
                     "partition, time, qos, account)");
}

int spec_read_slurm(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_kvmap(c, v, path, check_slurm_key, true,
                           &SUITE(obj)->slurm);
}
