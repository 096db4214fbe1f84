/* prepstate.h: the node-local record of one allocation's preparation.
 *
 *   STATE_DIR/                 root-owned, mode 0700, node-local (/run/tasksuite)
 *     <jobid>.<node>.prep      one JSON object; also the flock(2) lock
 *
 * The node name is part of the key so that several slurmd on one host
 * (multiple-slurmd builds, test clusters) never share a record.
 *
 * The job prolog creates the file and holds an exclusive lock while
 * env_preparation runs ("running"), then records the outcome ("ok",
 * "failed", or "nohook" when the suite has no env_preparation). Step tasks
 * read it under a shared lock, so a task that starts while preparation runs
 * waits for it. The epilog takes the exclusive lock, runs env_cleanup where
 * the file exists (preparation was attempted on this node) and removes it.
 *
 * Only root reads or writes these files, and the directory is refused unless
 * it is a real directory owned by the caller and writable by nobody else: the
 * plugin never trusts a file a user could have written.
 */
#ifndef TS_PREPSTATE_H
#define TS_PREPSTATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

typedef enum ts_prep_state {
    TS_PREP_RUNNING = 1,
    TS_PREP_OK,
    TS_PREP_FAILED,
    TS_PREP_NOHOOK,       /* the suite has no env_preparation: nothing ran */
} ts_prep_state;

typedef struct ts_prepstamp {
    ts_prep_state state;
    long uid;                 /* the job's user */
    long restart;             /* SLURM_JOB_RESTART_COUNT, for diagnostics */
    long started, finished;   /* epoch seconds; finished 0 while running */
    long pid;                 /* while running: the root process waiting for the
                               * hook (it stops it on SIGTERM), else 0 */
    char log[PATH_MAX];       /* the preparation's log, "" if none */
    char message[1024];       /* what the tasks print when it failed */
} ts_prepstamp;

const char *ts_prep_state_name(ts_prep_state s);

/* Create DIR (mode 0700) if it is missing (its parent must exist), then
 * check it: a directory, not a symlink, owned by the effective uid, not
 * writable by group or others. -1 with err naming what is wrong. */
int ts_prepstate_dir(const char *dir, ts_err *err);

/* The same checks without creating anything: 0 good, -1 with errno ENOENT
 * when DIR does not exist, -1 with errno EPERM when it is not acceptable. */
int ts_prepstate_dir_check(const char *dir, ts_err *err);

/* DIR/<jobid>.<node>.prep (node: SLURMD_NODENAME; '/' and a leading '.'
 * become '_'). */
int ts_prepstate_path(const char *dir, uint32_t job_id, const char *node, char *buf,
                      size_t len, ts_err *err);

/* Open the record: create it (prolog) or only if it exists (tasks, epilog:
 * returns -1 with errno ENOENT and err when there is none). Then lock it
 * (exclusive or shared), waiting at most wait_ms (< 0: forever); a record
 * removed while we waited counts as missing. Returns the descriptor. */
int ts_prepstate_open_locked(const char *dir, uint32_t job_id, const char *node, bool create,
                             bool exclusive, long wait_ms, ts_err *err);

/* Replace the record's content (the caller holds the exclusive lock). */
int ts_prepstate_write(int fd, const ts_prepstamp *st, ts_err *err);

/* Read it (under either lock). An empty file (a prolog that died right after
 * creating it) reads as "running". */
int ts_prepstate_read(int fd, ts_prepstamp *st, ts_err *err);

/* Read the record without taking the lock (someone holds it): 0, or -1 with
 * err (also when it is missing or being rewritten). */
int ts_prepstate_peek(const char *dir, uint32_t job_id, const char *node, ts_prepstamp *st,
                      ts_err *err);

/* Remove the record (the caller holds the exclusive lock); missing is fine. */
int ts_prepstate_remove(const char *dir, uint32_t job_id, const char *node, ts_err *err);

/* Close, releasing the lock. */
void ts_prepstate_close(int fd);

#endif
