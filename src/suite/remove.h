/* remove.h: `tasksuite rm` and `gc`: forget finished suites, their journal
 * rows and the files tasksuite wrote for them.
 *
 * A suite is active while it is open or closed with a task pending or
 * running (after an events-only refresh, as `list` does); an active suite
 * is refused unless force, which cancels it first (ts_cancel_suite).
 *
 * The run directory goes first, then the journal rows (so a failure midway
 * leaves the suite listed and `rm` can be run again). What goes:
 *   - the suite in $TASKSUITE_HOME/suites/ID: that whole directory, which
 *     tasksuite created (tasks' outputs and checkpoints included);
 *   - a suite with output_dir: (the user's directory): only tasksuite's own
 *     records in it (suite.json, manifests/, events/, slurm/, hooks/, and
 *     the --local runner's local-runner{,.lock,.log,.error}); the
 *     tasks/ tree (what the tasks wrote) and the directory itself stay,
 *     unless the directory is left empty.
 * Never followed: a symbolic link (it is removed itself, not what it
 * points to), another filesystem (a mount point inside is left alone). A
 * run directory that is a symbolic link or not the user's is left as is.
 */
#ifndef TS_SUITE_REMOVE_H
#define TS_SUITE_REMOVE_H

#include <limits.h>
#include <stdbool.h>

#include "err.h"
#include "journal.h"

typedef struct ts_remove_opts {
    bool force;       /* cancel an active suite first */
    bool dry_run;     /* say what would go, change nothing */
} ts_remove_opts;

typedef struct ts_remove_result {
    char name[256];        /* the suite's name */
    enum ts_suite_state state;   /* before any cancel */
    char dir[PATH_MAX];    /* the run directory */
    bool user_dir;         /* output_dir: only tasksuite's records went */
    bool dir_kept;         /* the run directory is still there */
    bool cancelled;        /* force: it was active and got cancelled */
    bool refused_active;   /* -1 because it is active (no force) */
} ts_remove_result;

/* Whether the suite still has work: open or closed with a task pending or
 * running (counts of the journal as it is). */
int ts_suite_active(ts_journal *j, const ts_suite_info *si, bool *active, ts_err *err);

/* Remove one suite (see above). An active suite without force: -1 with
 * "suite ID is still active (...): cancel it first, or use --force". */
int ts_suite_remove(ts_journal *j, const char *suite_id, const ts_remove_opts *o,
                    ts_remove_result *r, ts_err *err);

#endif
