/* hookruns.h: the hooks' runs of a suite, read from the logs they left in
 * its run directory (the journal does not record hooks: the plugin runs
 * them as root on the nodes and writes only a log each, as the user).
 *
 *   SUITEDIR/hooks/<jobid>/<node>.<hook>.log   env_preparation, env_cleanup
 *                                              on a node (src/node/nodehooks.h)
 *   SUITEDIR/hooks/local/<hook>.<host>.log     a --local suite's hooks
 *   SUITEDIR/hooks/on_complete.<N>.log         the N-th on_complete
 *
 * A run's start is the time in the log's first line when the plugin wrote
 * one ("tasksuite: HOOK of job J on NODE, as USER (uid U), at
 * 2026-11-30T12:00:03Z, timeout Ts"), else unknown; its end is the log's
 * last change (mtime): the hook's last output, not necessarily its exit.
 * Whether a hook succeeded is not in the log: the report says so.
 */
#ifndef TS_HOOKRUNS_H
#define TS_HOOKRUNS_H

#include <stdbool.h>

typedef struct ts_hook_run {
    const char *node;     /* "" when not known (on_complete) */
    const char *hook;     /* env_preparation, env_cleanup, on_complete */
    const char *job;      /* the Slurm job ID, "local", or "" */
    double started_at;    /* 0 = unknown */
    double last_write;    /* the log's mtime */
    long timeout_s;       /* -1 = unknown */
    long long bytes;      /* the log's size */
    const char *log;      /* its path */
} ts_hook_run;

typedef int (*ts_hook_run_cb)(const ts_hook_run *r, void *arg);

/* Each run under dir/hooks (none when dir is NULL or has no hooks/), in
 * directory order; cb returning non-zero stops the walk and is returned.
 * Unreadable entries are skipped; at most `max` runs are reported
 * (*more gets how many were left out; may be NULL). */
int ts_hook_runs_foreach(const char *dir, long max, ts_hook_run_cb cb, void *arg, long *more);

#endif
