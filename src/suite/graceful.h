/* graceful.h: cancel with a grace period (issue 16): before `cancel` kills
 * a running task, it sends the task the suite's warning signal and waits,
 * so the task can write a checkpoint and exit.
 *
 * The grace: `cancel --grace DURATION`, else the suite's
 * resume.cancel_grace, else 0 (no grace: the kill at once, as before).
 * It is capped below the walltime each job has left (minus a margin),
 * because Slurm's time limit would end the job as `timeout` first.
 *
 * Order, so that nothing resumes a task being cancelled: first every
 * running task gets its cancel marker (its job will not queue a next
 * attempt, src/run/requeue.c, and no sync retries it, sync.c); then the
 * signal goes to each job's batch shell (tasksuite exec, which forwards it
 * to the task, as Slurm's `--signal=B:` warning; exec forwards at once a
 * warning that comes with the marker); then this waits until those jobs
 * have ended or the grace is over, and reads their events. The task stays
 * `running` in the journal until then (marked cancelled at once, the suite
 * could look complete while it still runs, and its last records would not
 * be read). The caller then cancels as without a grace
 * (ts_cancel_suite/_task): whatever still runs is killed, the tasks become
 * cancelled. A checkpoint written during the grace is in the journal and
 * the task's event file: `retry --task` resumes from it.
 *
 * --local suites: the runner does the same with its own child (the grace
 * file next to the cancel marker, localrun.c), and this waits for it.
 */
#ifndef TS_SUITE_GRACEFUL_H
#define TS_SUITE_GRACEFUL_H

#include <stdio.h>

#include "err.h"
#include "journal.h"

/* Seconds kept free before a job's walltime ends. */
#define TS_GRACE_MARGIN_S 5

typedef struct ts_grace_result {
    long grace_s;        /* the grace used (0: none) */
    long signalled;      /* running tasks sent the signal */
    long ended;          /* of them, ended within the grace */
    long marked;         /* tasks given their cancel marker */
    long cancelled;      /* suite: tasks that ended within the grace, made
                          * cancelled here (ts_cancel_suite marks the others) */
} ts_grace_result;

/* task NULL: every running task of the suite. grace_s < 0: the suite's.
 * out (may be NULL): a line per task signalled and per task that ended. */
int ts_cancel_grace(ts_journal *j, const char *suite_id, const char *task, long grace_s,
                    FILE *out, ts_grace_result *res, ts_err *err);

/* The --local runner's side: the grace file of a task (written by
 * ts_cancel_grace before the cancel marker) holds the signal and the
 * deadline (epoch s); 0 with *found false when there is none. */
int ts_grace_file_read(const char *suite_dir, long task_idx, bool *found, int *sig,
                       double *deadline, ts_err *err);

#endif
