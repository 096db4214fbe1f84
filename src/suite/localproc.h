/* localproc.h: who runs a --local suite, recorded so others can check.
 *
 * A --local suite is run by one local runner process (`tasksuite
 * local-runner ID`, see localrun.h). It records itself in SUITEDIR/local-runner
 * as "PID STARTTIME" (STARTTIME: field 22 of /proc/PID/stat, clock ticks
 * since boot), so `status`, `sync` and `cancel` can tell a live runner from
 * a dead one whose pid was reused. Separate from localrun.c because it is
 * the only code that reads /proc and forks the detached process.
 */
#ifndef TS_LOCALPROC_H
#define TS_LOCALPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

typedef struct ts_localproc {
    pid_t pid;
    unsigned long long start;   /* 0: unknown */
} ts_localproc;

/* The process's start time; -1 when it does not exist (or is a zombie). */
int ts_localproc_start_time(pid_t pid, unsigned long long *start);

/* Alive and the same process (not a reused pid). */
bool ts_localproc_alive(const ts_localproc *p);

/* 1: SUITEDIR/local-runner read into *p, 0: no record. */
int ts_localproc_read(const char *suite_dir, ts_localproc *p);
/* Record this process as the suite's runner (atomically: temp + rename). */
int ts_localproc_write_self(const char *suite_dir, ts_err *err);
/* Remove the record (the runner is done). */
void ts_localproc_clear(const char *suite_dir);

/* Start `SELF local-runner SUITE_ID` detached: its own session (setsid),
 * no controlling terminal, stdin from /dev/null, stdout and stderr appended
 * to SUITEDIR/local-runner.log, no descriptor of ours inherited (a held
 * journal lock would otherwise stay held), reparented to init (double
 * fork: nobody has to wait for it). */
int ts_localproc_spawn_runner(const char *self, const char *suite_id, const char *suite_dir,
                              ts_err *err);

#endif
