/* journal.h: the SQLite journal of suites, tasks, submissions, attempts and
 * checkpoints, and the ingestion of compute-node events into it.
 *
 * Location. `$TASKSUITE_HOME/journal.db`; TASKSUITE_HOME defaults to
 * `${XDG_STATE_HOME:-$HOME/.local/state}/tasksuite` (an XDG_STATE_HOME that is
 * not absolute is ignored, as the XDG spec says). ts_home_dir() creates the
 * directory 0700 when missing. Suite run directories default to
 * `HOME/suites/<id>` (HOME being that directory).
 *
 * One writer. Only login-node commands (submit, add, status, reconcile, ...)
 * open the journal; compute nodes append event files (events.h) that the
 * writer ingests. Every write transaction, or sequence of them, holds an
 * exclusive flock() on `journal.db.lock` (its content: the holder's pid).
 * Write functions take it themselves; a caller that wants several writes to
 * be one step (reconcile: ingest, classify, resubmit) wraps them in
 * ts_journal_lock()/ts_journal_unlock(), which nest. The journal therefore
 * never relies on SQLite's own locking over NFS or Lustre; SQLite still has
 * a busy timeout for readers that meet a writer.
 *
 * Journal mode. WAL with synchronous=NORMAL when the directory is on a local
 * filesystem; a rollback journal (DELETE, synchronous=FULL) when statfs()
 * says it is shared (ts_fs_is_network: NFS, Lustre, GPFS, CIFS/SMB, BeeGFS,
 * Ceph, 9p, FUSE, AFS, GFS2, OCFS2, PanFS): WAL's shared-memory index cannot
 * work between hosts. TASKSUITE_JOURNAL_MODE=wal|delete overrides (tests).
 *
 * Opening runs `PRAGMA quick_check` (a failure names the file, code
 * TS_EXIT_JOURNAL), turns foreign keys on, and brings the schema to the
 * current version: PRAGMA user_version is the number of migration steps
 * applied, steps are an ordered array of SQL scripts, each applied in its
 * own transaction under the lock. A journal with a user_version newer than
 * this build knows is refused (TS_EXIT_JOURNAL), never touched.
 *
 * Schema (version 1), all times REAL epoch seconds:
 *   suites(id PK [a-z0-9]{8}, name, owner_uid, spec_path, submit_record, output_dir,
 *          labels JSON, state open|closed|complete|cancelled, close_after_s,
 *          max_retries, retry_on TS_RETRY_* bits, num_nodes, total_tasks,
 *          completions, created_at, updated_at, last_added_at)
 *   suite_labels(suite_id, label)            index for `list --label`
 *   tasks(suite_id, idx, name UNIQUE per suite, args_json, priority,
 *         num_nodes, state pending|running|completed|failed|timeout|cancelled|
 *         node_fail|preempted, attempts, last_exit, last_signal,
 *         last_checkpoint, last_step, updated_at)        PK (suite_id, idx)
 *   submissions(id, suite_id, state intent|submitted|done, manifest, times,
 *               range_first, range_count, wave_chunk)   (version 2)
 *   submission_tasks(submission_id, position, suite_id, task_idx, attempt)
 *     A fresh submission (submit, add: new tasks, attempt 1) is a range
 *     instead: position p is task range_first + p, attempt 1, no rows.
 *     wave_chunk is set when Slurm had no room for all of it (waves).
 *   slurm_jobs(submission_id, array_job_id, index_offset, first_index,
 *              last_index, reconcile_job_id)
 *   attempts(suite_id, task_idx, attempt, slurm_job_id, node, num_nodes,
 *            state, classified, started_at, ended_at, exit_code, signal,
 *            warned, warn_signal)
 *   attempt_ranks(suite_id, task_idx, attempt, node_rank, node, started_at,
 *                 ended_at, exit_code, signal, graceful)
 *   checkpoints(id, suite_id, task_idx, attempt, path, step, at, node)
 *   events(key PK, suite_id, task_idx, attempt, type, at)   ingested keys
 *   ingest_offsets(suite_id, file, pos)      bytes of each event file read
 *
 * Attempts. Creating a submission intent gives each of its tasks the next
 * attempt number (tasks.attempts = highest attempt handed out) and makes the
 * task pending; the manifest carries the number to the compute node
 * (TASK_SUITE_ATTEMPT). Events then drive the attempt and the task:
 *   a rank's outcome: exit 0 -> ok; exit 75 or a graceful_timeout record ->
 *   timeout; killed by a signal -> signal; other exit -> failed.
 *   the attempt: any rank failed -> failed (at once); else, once all
 *   num_nodes ranks exited: any timeout -> timeout, else any signal ->
 *   ended_by_signal, else completed; before that, running.
 * `ended_by_signal` is left for reconcile to classify with Slurm's record
 * (ts_journal_attempt_classify: timeout, node_fail, preempted, cancelled,
 * failed); the task stays `running` until then. A classification by
 * reconcile is not undone by later events unless they give a definite
 * outcome (completed, failed, timeout) from the task itself.
 * The task follows its latest attempt only (events of an older attempt never
 * move it), and a cancelled task stays cancelled.
 *
 * Suite states (SPEC.md section 5): open -> closed when no task was added for
 * close_after_s (> 0; with 0, the default, open -> complete directly: the
 * suite knows all its tasks); closed -> complete when no task is pending or running
 * (completions counts how often, on_complete runs each time); adding tasks
 * re-opens (also from complete); retrying tasks of a complete suite makes it
 * closed; cancelled is terminal.
 *
 * Errors: one line, "journal: <operation>: <SQLite's message>", err->code =
 * TS_EXIT_JOURNAL (TS_EXIT_FAIL for constraint violations such as a duplicate
 * task name, TS_EXIT_NOTFOUND for unknown IDs, see exitcodes.h).
 *
 * Callbacks (*_foreach): return 0 to go on, anything else stops the walk and
 * is returned. Strings in the info structs are borrowed for the duration of
 * the call. A callback may call other journal functions (each walk has its
 * own statement), writes included.
 *
 * A ts_journal belongs to one thread, and is not carried across fork(): a
 * child opens its own. Statements used on hot paths are prepared once and
 * finalized by ts_journal_close; the page cache may grow to 64 MiB.
 */
#ifndef TS_JOURNAL_H
#define TS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "expand.h"
#include "spec.h"

#define TS_JOURNAL_FILE "journal.db"
#define TS_SUITE_ID_LEN 8
#define TS_CLOSE_AFTER_DEFAULT_S 0
#define TS_LOCK_TIMEOUT_DEFAULT_MS 30000

/* ------------------------------------------------------------ places */

/* The tasksuite home directory (see above) into buf, created 0700 (with its
 * missing parents) if needed. -1 with err (TS_EXIT_JOURNAL) naming the
 * directory and the errno text when it cannot be created or written. */
int ts_home_dir(char *buf, size_t len, ts_err *err);

/* 1 when path is on a shared/network filesystem, 0 when local, -1 (errno
 * set) when statfs() fails. */
int ts_fs_is_network(const char *path);

/* ------------------------------------------------------------ open/close */

typedef struct ts_journal ts_journal;

/* Open (creating and migrating as needed) HOME/journal.db; home NULL ->
 * ts_home_dir(). */
int ts_journal_open(const char *home, ts_journal **out, ts_err *err);
void ts_journal_close(ts_journal *j);

const char *ts_journal_path(const ts_journal *j);  /* .../journal.db */
const char *ts_journal_home(const ts_journal *j);
bool ts_journal_is_wal(const ts_journal *j);
/* The schema version this build writes. */
int ts_journal_schema_version(void);

/* ------------------------------------------------------------ the lock */

/* How long ts_journal_lock waits (default TS_LOCK_TIMEOUT_DEFAULT_MS). */
void ts_journal_set_lock_timeout(ts_journal *j, int ms);
/* Take (or re-enter) the writer lock. On timeout: -1, TS_EXIT_JOURNAL,
 * "journal is locked by another tasksuite process (pid N)". */
int ts_journal_lock(ts_journal *j, ts_err *err);
void ts_journal_unlock(ts_journal *j);

/* ------------------------------------------------------------ states */

enum ts_suite_state {
    TS_SUITE_OPEN = 0,
    TS_SUITE_CLOSED,
    TS_SUITE_COMPLETE,
    TS_SUITE_CANCELLED,
    TS_SUITE_NSTATES
};

enum ts_task_state {
    TS_TASK_PENDING = 0,
    TS_TASK_RUNNING,
    TS_TASK_COMPLETED,
    TS_TASK_FAILED,
    TS_TASK_TIMEOUT,
    TS_TASK_CANCELLED,
    TS_TASK_NODE_FAIL,
    TS_TASK_PREEMPTED,
    TS_TASK_SKIPPED,        /* never ran: an upstream of the suite's graph
                               failed for good (doc/dags.md) */
    TS_TASK_NSTATES
};

enum ts_attempt_state {
    TS_ATT_RUNNING = 0,
    TS_ATT_COMPLETED,
    TS_ATT_FAILED,
    TS_ATT_TIMEOUT,
    TS_ATT_CANCELLED,
    TS_ATT_NODE_FAIL,
    TS_ATT_PREEMPTED,
    TS_ATT_ENDED_BY_SIGNAL,   /* waiting for reconcile */
    TS_ATT_NSTATES
};

enum ts_sub_state {
    TS_SUB_INTENT = 0,        /* written, not (known to be) submitted */
    TS_SUB_SUBMITTED,         /* Slurm accepted every array of it */
    TS_SUB_DONE,              /* reconciled: all its attempts classified */
    TS_SUB_NSTATES
};

/* Names as stored ("open", "node_fail", "ended_by_signal", "intent"...);
 * NULL out of range. *_parse: -1 for an unknown name. */
const char *ts_suite_state_name(enum ts_suite_state s);
const char *ts_task_state_name(enum ts_task_state s);
const char *ts_attempt_state_name(enum ts_attempt_state s);
const char *ts_sub_state_name(enum ts_sub_state s);
int ts_suite_state_parse(const char *name);
int ts_task_state_parse(const char *name);
int ts_attempt_state_parse(const char *name);

/* Masks for the *_foreach filters: TS_BIT(TS_TASK_FAILED) | ...; 0 = all. */
#define TS_BIT(state) (1u << (state))

/* ------------------------------------------------------------ suites */

/* 8 random characters [a-z0-9] (getrandom) + NUL. */
int ts_suite_id_new(char id[TS_SUITE_ID_LEN + 1], ts_err *err);
bool ts_suite_id_valid(const char *id);

typedef struct ts_suite_new {
    const char *name;             /* required */
    uid_t owner_uid;
    const char *spec_path;        /* absolute path of the suite file; may be NULL */
    const char *submit_record;    /* the submission record (src/suite/record.h), opaque; may be NULL */
    const char *output_dir;       /* NULL -> HOME/suites/<id> */
    const char *const *labels;
    size_t nlabels;
    long close_after_s;           /* < 0 -> TS_CLOSE_AFTER_DEFAULT_S */
    int max_retries;              /* as given */
    unsigned retry_on;            /* TS_RETRY_* bits, as given */
    int num_nodes;                /* default of the tasks; <= 0 -> 1 */
} ts_suite_new;

typedef struct ts_task_new {
    const char *name;             /* required, unique within the suite */
    const char *args_json;        /* a JSON object as text; NULL -> "{}" */
    int priority;
    int num_nodes;                /* <= 0 -> the suite's */
} ts_task_new;

/* In ONE transaction: the suite (fresh random ID, retried on collision), its
 * tasks with indexes 0..n-1, and a submission intent holding all of them as
 * attempt 1. Either everything is written or nothing. id (may be NULL)
 * receives the ID, sub_id (may be NULL) the intent's. */
int ts_journal_suite_create(ts_journal *j, const ts_suite_new *s,
                            const ts_task_new *tasks, size_t ntasks,
                            char id[TS_SUITE_ID_LEN + 1], int64_t *sub_id,
                            ts_err *err);

/* The same from a validated suite and its expansion (owner = getuid(),
 * spec_path = s->path as given, args as a JSON object of strings). */
int ts_journal_suite_create_from_spec(ts_journal *j, const ts_suite *s,
                                      const ts_tasklist *tl,
                                      const char *submit_record,
                                      char id[TS_SUITE_ID_LEN + 1],
                                      int64_t *sub_id, ts_err *err);

/* Append tasks (indexes continue after the last one) and an intent for them,
 * in one transaction; re-opens the suite (total_tasks grows, never shrinks).
 * A cancelled suite refuses (TS_EXIT_FAIL); a name already in the suite is
 * an error naming it (TS_EXIT_FAIL). first_idx / sub_id may be NULL. */
int ts_journal_tasks_add(ts_journal *j, const char *suite_id,
                         const ts_task_new *tasks, size_t ntasks,
                         long *first_idx, int64_t *sub_id, ts_err *err);

typedef struct ts_suite_info {
    char id[TS_SUITE_ID_LEN + 1];
    char *name;
    uid_t owner_uid;
    char *spec_path;              /* may be NULL */
    char *submit_record;          /* only from ts_journal_suite_get; else NULL */
    char *output_dir;
    char *labels_json;            /* JSON array of strings */
    enum ts_suite_state state;
    long close_after_s;
    int max_retries;
    unsigned retry_on;
    int num_nodes;
    long total_tasks;
    long completions;             /* times it became complete */
    double created_at, updated_at, last_added_at;
} ts_suite_info;

/* A suite by full ID or unique prefix. Owned copy: free with
 * ts_suite_info_clear. Not found: TS_EXIT_NOTFOUND,
 * `no suite "abc" in /path/journal.db`; a prefix matching several:
 * TS_EXIT_USAGE, `suite ID "a" is ambiguous: a1b2c3d4, a9...`. */
int ts_journal_suite_get(ts_journal *j, const char *id_or_prefix,
                         ts_suite_info *out, ts_err *err);
void ts_suite_info_clear(ts_suite_info *s);
/* Just the resolution of a prefix to the full ID (same errors). An
 * argument that is no ID prefix (or an ambiguous one) is also tried as a
 * suite name: the latest suite of that name. */
int ts_journal_suite_resolve(ts_journal *j, const char *id_or_prefix,
                             char id[TS_SUITE_ID_LEN + 1], ts_err *err);

typedef struct ts_suite_filter {
    const char *label;            /* NULL: any; else suites carrying it */
    unsigned state_mask;          /* TS_BIT(TS_SUITE_*)s; 0: any */
    bool only_owner;              /* false: all users */
    uid_t owner_uid;
} ts_suite_filter;

typedef int (*ts_suite_cb)(const ts_suite_info *s, void *arg);
/* Oldest first. f may be NULL (everything). */
int ts_journal_suites_foreach(ts_journal *j, const ts_suite_filter *f,
                              ts_suite_cb cb, void *arg, ts_err *err);

/* Re-evaluate the suite's state at time `now` (epoch s): open -> closed
 * when idle for close_after_s (> 0; 0: open -> complete directly); closed ->
 * complete when nothing is pending or running. *state (may be NULL) gets the result; *became_complete (may be
 * NULL) is true when this call made it complete: run on_complete then. */
int ts_journal_suite_tick(ts_journal *j, const char *suite_id, double now,
                          enum ts_suite_state *state, bool *became_complete,
                          ts_err *err);

/* Terminal: the suite and every pending or running task become cancelled
 * (one transaction). Cancelling a cancelled suite is a no-op. */
int ts_journal_suite_cancel(ts_journal *j, const char *suite_id, ts_err *err);

/* Forget a suite that never reached Slurm (no array recorded for any of its
 * submissions): submit's undo when Slurm refused the very first array, so a
 * refused submission leaves nothing behind. A suite with arrays is kept. */
int ts_journal_suite_discard(ts_journal *j, const char *suite_id, ts_err *err);

/* Forget a suite for good (`rm`, `gc`, src/journal/remove.c): every row in
 * every table that names it, in one transaction. The caller decides whether
 * it may go (src/suite/remove.c refuses an active suite). */
int ts_journal_suite_remove(ts_journal *j, const char *suite_id, ts_err *err);

/* ------------------------------------------------------------ tasks */

typedef struct ts_counts {
    long n[TS_TASK_NSTATES];      /* per state */
    long total;
    long done;                    /* total - pending - running */
} ts_counts;

/* Per-state counters of a suite: one GROUP BY over an index. */
int ts_journal_counts(ts_journal *j, const char *suite_id, ts_counts *out,
                      ts_err *err);

typedef struct ts_task_info {
    const char *suite_id;
    long idx;
    const char *name;
    const char *args_json;
    int priority;
    int num_nodes;
    enum ts_task_state state;
    int attempts;                 /* highest attempt number handed out */
    bool has_exit;                /* last_exit is meaningful */
    int last_exit;
    int last_signal;              /* 0 = none */
    const char *last_checkpoint;  /* NULL = none */
    long last_step;               /* -1 = none */
    double updated_at;
} ts_task_info;

typedef int (*ts_task_cb)(const ts_task_info *t, void *arg);
/* Tasks of a suite in index order, filtered by TS_BIT(TS_TASK_*) (0 = all).
 * One row at a time: no allocation proportional to the suite. */
int ts_journal_tasks_foreach(ts_journal *j, const char *suite_id,
                             unsigned state_mask, ts_task_cb cb, void *arg,
                             ts_err *err);

/* A task's index from its name; TS_EXIT_NOTFOUND
 * `no task "x" in suite ab12cd34`. */
int ts_journal_task_find(ts_journal *j, const char *suite_id, const char *name,
                         long *idx, ts_err *err);

/* Set one task's state (cancel --task, manual fixes). Unknown task:
 * TS_EXIT_NOTFOUND. */
int ts_journal_task_set_state(ts_journal *j, const char *suite_id, long idx,
                              enum ts_task_state state, ts_err *err);

/* Slurm runs the task's array element again (requeued by the job itself, a
 * node failure or an admin) as attempt next_attempt: the task becomes
 * pending with that attempt, so the suite cannot complete and the new
 * attempt's events count. No-op for a cancelled task or when the task is
 * already at that attempt. */
int ts_journal_task_requeued(ts_journal *j, const char *suite_id, long idx,
                             int next_attempt, ts_err *err);

/* Attempts first .. next-1 of task idx were lost to a Slurm requeue of
 * their element: those still `running` (no ended record) or killed by a
 * signal and not yet classified (the node's death) become node_fail
 * (classified), a number with no row at all (consumed by the requeue before
 * the task started) gets a node_fail row, so attempt numbers have no gaps.
 * Attempts with an ended record keep it. */
int ts_journal_attempts_lost(ts_journal *j, const char *suite_id, long idx,
                             int first, int next, ts_err *err);

/* Attempt `attempt` of task idx ended in Slurm with `state` after the task
 * had already moved on to a later attempt (its job queued the next one, then
 * was killed before its `exited` record: e.g. its sbatch waited out a
 * slurmctld restart until the time limit's KILL). When the attempt is still
 * open (`running`, or killed by a signal and not classified), it gets that
 * state, classified; an attempt with an outcome, or none at all, is left
 * alone. The task's own state is not touched (it follows its latest
 * attempt). *closed (may be NULL): whether it changed. */
int ts_journal_attempt_close_stale(ts_journal *j, const char *suite_id, long idx,
                                   int attempt, enum ts_attempt_state state, bool *closed,
                                   ts_err *err);

/* *unstarted: attempt `attempt` of task idx has no sign of a start (no
 * row, or a row and ranks without a start time). */
int ts_journal_attempt_unstarted(ts_journal *j, const char *suite_id, long idx, int attempt,
                                 bool *unstarted, ts_err *err);

/* Slurm ran job `job` for attempt `attempt` of task idx to its end, and the
 * attempt never started (e.g. the launch was lost when slurmctld restarted
 * between allocating the job and sending it to its node: Slurm thinks it
 * runs until its time limit): the attempt is node_fail, classified, with
 * that job; its task follows when it is the task's latest attempt. (The
 * job is recorded after the classification: a crash in between loses only
 * the job id.) */
int ts_journal_attempt_launch_lost(ts_journal *j, const char *suite_id, long idx,
                                   int attempt, const char *job, ts_err *err);

/* A held element (job_spec "A_T") of task idx may be released: fewer than
 * max were released for the task so far (each logged in `events` as a
 * `held_released` row). *allowed; when true, this release is logged. */
int ts_journal_held_release(ts_journal *j, const char *suite_id, long idx, int attempt,
                            const char *job_spec, int max, bool *allowed, ts_err *err);

/* *moved: a submission other than `intent` holds an attempt of task idx in
 * (attempt, upto] (the element that ran `attempt` had queued its successor
 * before Slurm reran it as `upto`: the chain moved on without it). */
int ts_journal_task_moved_on(ts_journal *j, const char *suite_id, long idx,
                             int attempt, int upto, int64_t intent, bool *moved, ts_err *err);

/* ------------------------------------------------------------ submissions */

/* Slurm job job_id (a one-element array, index 0) already runs attempt
 * next_attempt of task idx: queued by the previous attempt's own job (exec,
 * in-job resume; its `resubmitted` event record is applied the same way
 * during ingestion), or found in Slurm by its recovery key after a crash.
 * It becomes a submission of its own in state intent with the job recorded
 * (the next sync writes its manifest, adds its reconcile job and marks it
 * submitted, queueing nothing); the task becomes pending with that attempt.
 * When the task already has a submission for that attempt nothing changes
 * (*adopted false): one submission per (task, attempt). job_id 0: a pool
 * agent queued that attempt in the suite's pool (a `resubmitted` record with
 * next_job 0): the submission is made submitted, with no job, nothing to
 * queue. */
int ts_journal_adopt_job(ts_journal *j, const char *suite_id, long idx, int next_attempt,
                         uint32_t job_id, bool *adopted, ts_err *err);

/* A new intent for existing tasks (retries): each gets attempt =
 * attempts + 1 and becomes pending; a complete suite becomes closed. A
 * cancelled suite refuses (TS_EXIT_FAIL). */
int ts_journal_intent_create(ts_journal *j, const char *suite_id,
                             const long *task_idx, size_t n, int64_t *sub_id,
                             ts_err *err);
int ts_journal_intent_set_manifest(ts_journal *j, int64_t sub_id,
                                   const char *path, ts_err *err);
int ts_journal_intent_set_state(ts_journal *j, int64_t sub_id,
                                enum ts_sub_state state, ts_err *err);

/* One Slurm array of a submission: element i runs the task at manifest
 * position index_offset + i, for i in [first_index, last_index].
 * Recording the same array_job_id twice updates it (crash re-runs). */
typedef struct ts_slurm_job {
    uint32_t array_job_id;
    long index_offset;
    long first_index, last_index;
    uint32_t reconcile_job_id;    /* 0 = none (yet) */
} ts_slurm_job;

int ts_journal_intent_add_job(ts_journal *j, int64_t sub_id,
                              const ts_slurm_job *job, ts_err *err);
int ts_journal_intent_set_reconcile_job(ts_journal *j, int64_t sub_id,
                                        uint32_t array_job_id,
                                        uint32_t reconcile_job_id, ts_err *err);

typedef struct ts_intent_info {
    int64_t id;
    const char *suite_id;
    enum ts_sub_state state;
    const char *manifest;         /* NULL until set */
    long ntasks;
    long njobs;                   /* Slurm arrays recorded so far */
    long queued;                  /* positions those arrays cover */
    bool waves;                   /* queued in waves: ntasks - queued wait
                                     for room (ts_journal_intent_set_waves) */
    double created_at, updated_at;
} ts_intent_info;

/* Waves (a cluster's MaxJobCount, a user's MaxSubmitJobs): Slurm had no
 * room for all of submission sub_id, so its arrays (of at most chunk
 * elements) are queued as earlier ones leave; sync queues the rest. */
int ts_journal_intent_set_waves(ts_journal *j, int64_t sub_id, long chunk,
                                ts_err *err);
/* Tasks of the suite's submissions that wait for room in Slurm (queued in
 * waves, not yet queued). */
int ts_journal_waiting(ts_journal *j, const char *suite_id, long *waiting,
                       ts_err *err);

typedef int (*ts_intent_cb)(const ts_intent_info *s, void *arg);
/* Submissions, oldest first, of one suite (NULL: all) whose state is in
 * state_mask (TS_BIT(TS_SUB_*); 0 = all). Crash recovery walks
 * TS_BIT(TS_SUB_INTENT). */
int ts_journal_intents_foreach(ts_journal *j, const char *suite_id,
                               unsigned state_mask, ts_intent_cb cb, void *arg,
                               ts_err *err);

typedef int (*ts_intent_task_cb)(long position, long task_idx, int attempt,
                                 void *arg);
/* The tasks of a submission in manifest order. */
int ts_journal_intent_tasks_foreach(ts_journal *j, int64_t sub_id,
                                    ts_intent_task_cb cb, void *arg,
                                    ts_err *err);

typedef int (*ts_job_cb)(const ts_slurm_job *job, void *arg);
int ts_journal_intent_jobs_foreach(ts_journal *j, int64_t sub_id,
                                   ts_job_cb cb, void *arg, ts_err *err);

/* ------------------------------------------------------------ attempts */

typedef struct ts_ingest_stats {
    long files;                   /* event files with new bytes */
    long records;                 /* complete records read */
    long applied;                 /* new keys (the rest were known) */
    long bad;                     /* unparsable or foreign lines, skipped */
    long dirs;                    /* task directories looked in (-1: no
                                   * events directory yet) */
    char first_bad[512];          /* "<file>: <reason>" of the first one */
} ts_ingest_stats;

/* Read what is new in SUITEDIR/events/ (from each file's stored offset),
 * insert each record once (by key) and apply it, all in ONE transaction
 * under the writer lock. A torn last line is left for next time; bad lines
 * are skipped and counted. Ingesting the same bytes again changes nothing.
 * stats may be NULL.
 * ts_journal_ingest looks only in the directories of tasks whose files can
 * still matter: those whose latest attempt has no outcome from its own
 * records yet (not started, running, ended_by_signal, or only classified by
 * reconcile), and those with any attempt in such a state; a finished suite
 * then costs next to nothing to re-ingest. ts_journal_ingest_all reads every task
 * directory (reconcile: once before declaring a suite complete, or after a
 * restore). */
int ts_journal_ingest(ts_journal *j, const char *suite_id,
                      const char *suite_dir, ts_ingest_stats *stats,
                      ts_err *err);
int ts_journal_ingest_all(ts_journal *j, const char *suite_id,
                          const char *suite_dir, ts_ingest_stats *stats,
                          ts_err *err);

typedef struct ts_attempt_info {
    const char *suite_id;
    long task_idx;
    int attempt;
    const char *slurm_job_id;     /* "" when unknown */
    const char *node;             /* rank 0's node, "" when unknown */
    int num_nodes;
    int ranks_started, ranks_exited;
    enum ts_attempt_state state;
    bool classified;              /* state set by reconcile */
    double started_at, ended_at;  /* 0 = unknown */
    int exit_code;                /* -1 = none */
    int signal;                   /* 0 = none */
    bool warned;                  /* a signal_received record was seen */
    int warn_signal;
} ts_attempt_info;

typedef int (*ts_attempt_cb)(const ts_attempt_info *a, void *arg);
/* Attempts of a suite (task_idx < 0: every task) whose state is in
 * state_mask (TS_BIT(TS_ATT_*); 0 = all), by task then attempt. Reconcile
 * walks TS_BIT(TS_ATT_RUNNING) | TS_BIT(TS_ATT_ENDED_BY_SIGNAL). */
int ts_journal_attempts_foreach(ts_journal *j, const char *suite_id,
                                long task_idx, unsigned state_mask,
                                ts_attempt_cb cb, void *arg, ts_err *err);

/* Checkpoints of a suite (task_idx < 0: every task), by task, attempt, time. */
typedef struct ts_checkpoint_info {
    long task_idx;
    int attempt;
    const char *path;
    long step;                    /* -1 = not given */
    double at;
    const char *node;             /* may be NULL */
} ts_checkpoint_info;

typedef int (*ts_checkpoint_cb)(const ts_checkpoint_info *c, void *arg);
int ts_journal_checkpoints_foreach(ts_journal *j, const char *suite_id, long task_idx,
                                   ts_checkpoint_cb cb, void *arg, ts_err *err);

/* Every task of a suite in index order, each followed by its attempts (by
 * number; ranks_started/ranks_exited are -1: not read) and its checkpoints
 * (by attempt, time), then task_end. Any callback may be NULL; one that
 * returns non-zero stops the walk, which returns that value. Memory does
 * not grow with the suite (status --json streams from it). */
typedef struct ts_suite_walk_cbs {
    ts_task_cb task;
    ts_attempt_cb attempt;
    ts_checkpoint_cb checkpoint;
    ts_task_cb task_end;
} ts_suite_walk_cbs;
int ts_journal_suite_walk(ts_journal *j, const char *suite_id,
                          const ts_suite_walk_cbs *cb, void *arg, ts_err *err);

/* How many tasks of a suite are in a state of state_mask (TS_BIT(TS_TASK_*),
 * not 0): an index range, proportional to the answer. */
int ts_journal_count_states(ts_journal *j, const char *suite_id, unsigned state_mask,
                            long *n, ts_err *err);

/* A sync with nothing to do, found cheaply (see sync.c): a fingerprint of
 * what commands other than sync change (suite row, submissions, per-state
 * task counts), and *quiet: nothing a sync acts on is there (no task
 * pending or running, no attempt running or ended_by_signal, no submission
 * left as an intent or in Slurm). Three index-driven queries. counts (may
 * be NULL) gets the per-state counters read on the way. */
#define TS_SETTLE_KEY_MAX 512
int ts_journal_settle_key(ts_journal *j, const char *suite_id, char *buf,
                          size_t len, bool *quiet, ts_counts *counts, ts_err *err);
/* The key stored by the last sync that left the suite settled ("" none);
 * key NULL clears it. */
int ts_journal_settled_get(ts_journal *j, const char *suite_id, char *buf,
                           size_t len, ts_err *err);
int ts_journal_settled_set(ts_journal *j, const char *suite_id, const char *key,
                           ts_err *err);

/* Reconcile's verdict on an attempt, from Slurm's record (the attempt row is
 * created when no event of it was seen, e.g. a node lost before start).
 * state must be final (not running / ended_by_signal). The task follows if
 * this is its latest attempt and it is not cancelled. */
int ts_journal_attempt_classify(ts_journal *j, const char *suite_id,
                                long task_idx, int attempt,
                                enum ts_attempt_state state, ts_err *err);

#endif
