/* spec_json.h: a suite and its expanded tasks as JSON (cJSON).
 *
 * Two uses: `tasksuite validate --json`, and the compact hook description the
 * plugin hands from the submitting process (the user) to the prolog/epilog
 * (root) through the SPANK job environment, so root never reads a user file.
 */
#ifndef TS_SPEC_JSON_H
#define TS_SPEC_JSON_H

#include <cjson/cJSON.h>

#include "expand.h"
#include "spec.h"

cJSON *ts_suite_to_json(const ts_suite *s, const ts_tasklist *tasks);

/* The hooks + identity the compute side needs, as one JSON line (no raw
 * newline). suite_id may be NULL (plain sbatch --task-suite); workdir is the
 * already-resolved absolute directory hooks run in (NULL: the job's cwd).
 * Returns malloc'd text or NULL on allocation failure. */
char *ts_hooks_serialize(const ts_suite *s, const char *suite_id,
                         const char *workdir);

/* Same, when the suite's run directory is known (tasksuite submit): the
 * hooks then log under SUITE_DIR/hooks/ and see TASK_SUITE_DIR. suite_dir
 * may be NULL (then this is ts_hooks_serialize). */
char *ts_hooks_serialize_dir(const ts_suite *s, const char *suite_id,
                             const char *workdir, const char *suite_dir);

/* What the compute side rebuilds from that line. */
typedef struct ts_hookspec {
    char *suite_id;
    char *suite_name;
    char *workdir;
    char *output_dir;
    char *suite_dir;      /* the launcher's run directory, or NULL */
    int worker_count;
    ts_hook prep;
    ts_hook cleanup;
} ts_hookspec;

/* The text comes from the job's SPANK environment: it is the user's data
 * (a user can set the variable directly), parsed by root in slurmstepd and
 * in slurmd's prolog/epilog, so it is treated as hostile: types, sizes and
 * counts are checked, and no string that reaches slurmd's log may hold a
 * control character. On error -1 and err is one line, "hook spec: ...",
 * with any user text in it shown through ts_err_shown. */
int ts_hooks_deserialize(const char *text, ts_hookspec *out, ts_err *err);

/* What ts_hooks_deserialize accepts:
 *  - the whole text: TS_HOOKSPEC_MAX bytes (larger specs are refused at
 *    submit, so this also bounds every string in it: args, run, env values);
 *  - "name" and "id": 1 to TS_HOOKSPEC_MAX_NAME of [A-Za-z0-9._-], what
 *    spec.c allows for a suite name (suite ids are 8 of [a-z0-9]); they are
 *    logged by slurmd, hence no control character;
 *  - "workdir", "output_dir", "dir": shorter than PATH_MAX; they may hold
 *    any byte a path may, so whoever logs them passes them through
 *    ts_err_shown (err.h);
 *  - per hook, at most TS_HOOKSPEC_MAX_ARGS args and TS_HOOKSPEC_MAX_ENVS
 *    envs: real hooks have a handful; root's work per entry (a lookup per
 *    $NAME while expanding, taskenv.h) stays small with a bounded count;
 *  - env names: ts_env_name_valid (taskenv.h), [A-Za-z_][A-Za-z0-9_]*. */
#define TS_HOOKSPEC_MAX 65536   /* bytes; larger specs are refused at submit */
#define TS_HOOKSPEC_MAX_NAME 64
#define TS_HOOKSPEC_MAX_ARGS 1024
#define TS_HOOKSPEC_MAX_ENVS 1024
void ts_hookspec_free(ts_hookspec *h);

#endif
