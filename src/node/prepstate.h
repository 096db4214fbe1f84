/* prepstate.h: the node-local record of one allocation's preparation.
 *
 *   STATE_DIR/                 root-owned, mode 0700, node-local (/run/tasksuite)
 *     <jobid>.<node>.prep      one JSON object; also the flock(2) lock
 *
 * The node name is part of the key so that several slurmd on one host
 * (multiple-slurmd builds, test clusters) never share a record.
 *
 * The first task of the job on the node creates the file and holds an
 * exclusive lock while env_preparation runs ("running"), then records the
 * outcome ("ok", "failed", or "nohook" when the suite has no
 * env_preparation). Later tasks read it under a lock, so a task that starts
 * while preparation runs waits for it. At the end of the allocation (the
 * extern step's exit, or the job epilog) root takes the exclusive lock, runs
 * the env_cleanup recorded HERE (never a spec the end of the job brings
 * along: a step may carry a spec the job did not) and removes the file.
 *
 * The record therefore also keeps what cleanup needs and the end of the job
 * no longer knows: the hook spec the preparing step saw, the job's resource
 * limits (Slurm propagates them to steps, not to the extern step or the
 * epilog) and the step's node list, node count, work dir and SLURM_CONF.
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

#define TS_PREP_MAX_LIMITS 16

typedef struct ts_prep_limit {
    int resource;                 /* RLIMIT_* */
    unsigned long long cur, max;  /* RLIM_INFINITY as is */
} ts_prep_limit;

typedef struct ts_prepstamp {
    ts_prep_state state;
    long uid;                 /* the job's user */
    long restart;             /* SLURM_JOB_RESTART_COUNT, for diagnostics */
    long started, finished;   /* epoch seconds; finished 0 while running */
    long pid;                 /* while running: the root process waiting for the
                               * hook (it stops it on SIGTERM), else 0 */
    char log[PATH_MAX];       /* the preparation's log, "" if none */
    char message[1024];       /* what the tasks print when it failed */
    /* What cleanup needs (malloc'd; NULL/0 when unknown): */
    char *spec;               /* the hook spec text the preparing step saw */
    char *nodelist;
    char num_nodes[16];
    char work_dir[PATH_MAX];
    char slurm_conf[PATH_MAX];
    int n_limits;
    ts_prep_limit limits[TS_PREP_MAX_LIMITS];
    char mem_parent[PATH_MAX];        /* cgjoin.h: where cleanup's cgroup goes */
    unsigned long long mem_limit;     /* the job's memory limit, 0: none */
} ts_prepstamp;

/* Free what ts_prepstate_read allocated (spec, nodelist); the stamp can be
 * read into again. */
void ts_prepstamp_free(ts_prepstamp *st);

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

/* Read it (under either lock). An empty file (a task that died right after
 * creating it) reads as "running". The text is root's own, but it is parsed
 * as carefully as user input (bounded size, types, counts): it embeds the
 * user's hook spec. Call ts_prepstamp_free afterwards. */
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
