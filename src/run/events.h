/* events.h: append-only event records written by compute nodes.
 *
 * Compute nodes never open the SQLite journal (home directories are often
 * NFS, and SQLite locking over NFS/Lustre is not to be trusted). Instead each
 * attempt of a task appends small records to a file of its own:
 *
 *     SUITEDIR/events/<task_idx>/<attempt>-<jobid>-<node>.ev
 *
 * (directories created on demand, 0755 and 0644 minus the umask; <jobid> and
 * <node> are sanitised to [A-Za-z0-9._-]). One file per node per attempt means
 * there is exactly one writing host per file, so O_APPEND is safe even on NFS.
 *
 * Record format: one JSON object per line (cJSON, compact), at most
 * TS_EVENT_MAX bytes including the '\n', written with one write() on an
 * O_APPEND descriptor, so a record is never interleaved with another one:
 *
 *   {"v":1,"key":"9f0c...(32 hex)","type":"exited","time":1700000000.123,
 *    "suite_id":"ab12cd34","task_idx":17,"attempt":2,"jobid":"4242",
 *    "node":"n001","node_rank":0,"num_nodes":2,"exit_code":0}
 *
 *   key        128 random bits (getrandom) as 32 hex digits: unique without
 *              coordination between processes (exec, `tasksuite checkpoint`)
 *   type       started | checkpoint | signal_received | exited | graceful_timeout
 *              | resubmitted
 *   time       epoch seconds, millisecond resolution
 *   started          no extra field
 *   checkpoint       "path" (string), "step" (integer, absent when not given)
 *   signal_received  "signal" (the warning signal the task was sent)
 *   exited           "exit_code" (0..255) when the task exited, or "signal"
 *                    when it was killed by one (exactly one of the two)
 *   graceful_timeout no extra field: the task gave up because the walltime
 *                    is near (e.g. it exited 75 = EX_TEMPFAIL after a warning)
 *   resubmitted      "next_job" (the Slurm job id): the attempt's own job
 *                    queued the next attempt (attempt + 1) as a fresh
 *                    one-element array, comment "tasksuite:<suite>:t<idx>:<next>"
 *                    (exec, in-job resume); written before `exited`, so a
 *                    reader that sees the attempt end also sees its successor;
 *                    next_job 0: attempt + 1 was queued in the suite's pool
 *                    (pool mode, src/pool/agent.c), there is no job
 *
 * Readers ignore unknown fields (forward compatibility) and a last line with
 * no '\n' yet (a record being written, or torn by a crash). A writer that
 * finds a torn last line terminates it with '\n' first, so a later record is
 * never glued to a fragment; the fragment is then skipped as unparsable.
 *
 * started, checkpoint, exited, graceful_timeout and resubmitted are fsync'd (and the
 * directory too when the file is new); signal_received is not: an exited
 * record always follows it. A context with `lazy` set (pool mode, thousands
 * of short tasks per node) does not fsync started and exited nor the new
 * file's directory: a crash of the node can lose the records of its last
 * seconds, and those attempts are then lost with their agent (doc/pool.md,
 * "Crash semantics of the records"), as when the node dies while they run.
 * The other types stay fsync'd, with the directories above the file.
 *
 * Ingestion of these files into the journal is ts_journal_ingest()
 * (journal.h). The functions here are not async-signal-safe: write the
 * signal_received record from the main loop, not from a handler.
 */
#ifndef TS_EVENTS_H
#define TS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Largest record, '\n' included: the atomic-append size of a pipe. */
#define TS_EVENT_MAX 4096
#define TS_EVENT_KEYLEN 32

enum ts_event_type {
    TS_EV_STARTED = 0,
    TS_EV_CHECKPOINT,
    TS_EV_SIGNAL_RECEIVED,
    TS_EV_EXITED,
    TS_EV_GRACEFUL_TIMEOUT,
    TS_EV_RESUBMITTED,
    TS_EV_NTYPES
};

/* "started", ...; NULL for an out-of-range value. */
const char *ts_event_type_name(enum ts_event_type t);
/* -1 for an unknown name. */
int ts_event_type_parse(const char *name);

/* One record. Strings are fixed buffers so a record lives on the stack. */
typedef struct ts_event {
    char key[TS_EVENT_KEYLEN + 1];
    enum ts_event_type type;
    double time;
    char suite_id[16];
    long task_idx;
    int attempt;             /* 1-based */
    char jobid[64];          /* SLURM_JOB_ID of the element, "" when none */
    char node[256];
    int node_rank;           /* 0-based */
    int num_nodes;           /* >= 1 */
    int exit_code;           /* exited: -1 when ended by a signal */
    int signal;              /* exited: 0 when it exited; signal_received: signo */
    char path[TS_EVENT_MAX]; /* checkpoint */
    long step;               /* checkpoint; -1 = not given */
    unsigned long next_job;  /* resubmitted: the next attempt's job id */
} ts_event;

/* Who is writing: identifies the per-attempt file. Strings are borrowed. */
typedef struct ts_evctx {
    const char *suite_dir;   /* absolute run directory of the suite */
    const char *suite_id;
    long task_idx;
    int attempt;
    const char *jobid;       /* NULL or "" -> "none" in the file name */
    const char *node;        /* NULL -> gethostname() short name */
    int node_rank;
    int num_nodes;           /* 0 -> 1 */
    bool lazy;               /* pool mode: started/exited not fsync'd (above) */
} ts_evctx;

/* Append one record of each type for ctx (fills key and time itself). */
int ts_events_started(const ts_evctx *ctx, ts_err *err);
int ts_events_checkpoint(const ts_evctx *ctx, const char *path, long step,
                         ts_err *err);
int ts_events_signal_received(const ts_evctx *ctx, int signo, ts_err *err);
/* Exactly one of: exit_code >= 0 with signo == 0, or signo > 0. */
int ts_events_exited(const ts_evctx *ctx, int exit_code, int signo, ts_err *err);
int ts_events_graceful_timeout(const ts_evctx *ctx, ts_err *err);
/* next_job: the Slurm job that runs the next attempt; 0 in pool mode: the
 * agent queued it in the suite's pool (ingest: pending, nothing to queue). */
int ts_events_resubmitted(const ts_evctx *ctx, unsigned long next_job, ts_err *err);

/* The general form: fills ev->key (if empty) and ev->time (if 0) and the
 * identity fields from ctx, then appends. */
int ts_events_append(const ts_evctx *ctx, ts_event *ev, ts_err *err);

/* The file ctx writes to: SUITEDIR/events/<idx>/<attempt>-<jobid>-<node>.ev */
int ts_events_path(const ts_evctx *ctx, char *buf, size_t len, ts_err *err);

/* Record <-> line. ts_event_format writes the JSON object plus '\n' into buf
 * (len >= TS_EVENT_MAX is always enough) and returns its length, or -1 when it
 * would exceed TS_EVENT_MAX. ts_event_parse reads one line (with or without
 * its '\n'); -1 with err on anything malformed or missing. */
int ts_event_format(const ts_event *ev, char *buf, size_t len, ts_err *err);
int ts_event_parse(const char *line, size_t len, ts_event *ev, ts_err *err);

/* Read the complete records of one event file from byte `offset` on.
 * cb gets each record parsed (bad == NULL), or ev == NULL and a one-line
 * reason for a line that is not a valid record (the caller decides: skip or
 * count). cb returns 0 to go on, non-zero to stop (ts_events_read then
 * returns that value). A last line without '\n' is not delivered; *end
 * (may be NULL) receives the offset just past the last complete line, where
 * the next read should start. An offset past the end of the file (the file
 * was replaced) restarts at 0. Returns 0, or -1 with err on an I/O error. */
typedef int (*ts_event_cb)(const ts_event *ev, const char *bad, void *arg);
int ts_events_read(const char *path, long long offset, ts_event_cb cb,
                   void *arg, long long *end, ts_err *err);

/* A fresh random key: 32 lowercase hex digits + NUL. */
int ts_event_key_new(char key[TS_EVENT_KEYLEN + 1], ts_err *err);

/* The last checkpoint of a task, read from its event files directly (what
 * `tasksuite exec` exports as TASK_SUITE_CHECKPOINT, no SQLite involved).
 * "Last" = highest attempt, then latest time, then latest in its file.
 * Returns 1 and fills buf (and *step, may be NULL; -1 when not given), 0 when
 * the task has no checkpoint (buf = ""), -1 with err on an I/O error or when
 * the path does not fit in len. Torn and malformed lines are skipped. */
int ts_events_last_checkpoint(const char *suite_dir, long task_idx,
                              char *buf, size_t len, long *step, ts_err *err);

/* Whether the chain of attempts of a task moved on without the element
 * `jobid` that Slurm runs again (requeued) as `attempt`, its first run
 * having been attempt `first` (the manifest's): an attempt it ran before
 * already queued its successor (a `resubmitted` record of `first` or
 * later), or another job wrote records of `attempt` or later. Then this
 * run would duplicate the successor's (exec runs nothing). Torn and
 * malformed lines are skipped. */
int ts_events_chain_moved_on(const char *suite_dir, long task_idx, int first,
                             int attempt, const char *jobid, bool *moved, ts_err *err);

/* The cancel marker, SUITEDIR/events/<task_idx>/cancelled (an empty file,
 * not a record: ingestion ignores it). `tasksuite cancel --task` sets it so
 * that an element Slurm starts after the cancel (a wave queued later, an
 * element the cancel could not reach) runs nothing; `retry` clears it.
 * Set and clear are idempotent and fsync'd; is_cancelled is one stat. */
int ts_events_cancel_mark(const char *suite_dir, long task_idx, bool on, ts_err *err);
int ts_events_is_cancelled(const char *suite_dir, long task_idx, bool *cancelled,
                           ts_err *err);

#endif
