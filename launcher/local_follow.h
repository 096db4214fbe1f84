/* local_follow.h: what `submit --local` does once the suite is in the
 * journal: start (or find) the suite's local runner, and follow it. Apart
 * from submit.c because the Slurm path shares none of it. */
#ifndef TS_LOCAL_FOLLOW_H
#define TS_LOCAL_FOLLOW_H

#include <stdbool.h>

#include "journal.h"

/* Make sure a runner serves the suite (a re-run of the same file has
 * already given what a lost runner left its next attempt: src/suite/rerun.h).
 * Exit code, TS_EXIT_OK when all went well. */
int ts_local_launch(ts_journal *j, const char *id, const char *dir, const char *self);

/* Follow until nothing is pending or running: TS_EXIT_OK when every task
 * completed, TS_EXIT_TASKS when not. Ctrl-C or SIGTERM detaches (one line;
 * the runner, in its own session, keeps going). */
int ts_local_follow(ts_journal *j, const char *id, const char *dir, const char *self);

#endif
