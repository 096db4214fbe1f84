/* journal_int.h: what the files of src/journal/ share, and nothing else sees.
 *
 * journal.h is the layer's interface; this header is for its own files:
 * db.c (open, pragmas, the statement cache, error helpers), lock.c (the
 * flock and write transactions), migrations.c (the schema), statements.c
 * (the SQL of the hot paths), names.c (state names), home.c (where the
 * journal lives, NFS detection), suites.c and suite_query.c, tasks.c,
 * chunks.c and untouched.c (tasks without a row), matrix.c (a lazy
 * matrix suite's axes, from which its chunks are decoded), intents.c (submissions),
 * ingest.c (event files) and live.c (which of them), attempts.c (the attempt state machine, over the
 * pure rank rule of rankrule.h), requeue.c, walk.c, settled.c.
 * Internal names start with jn_. It includes sqlite3.h, so nothing outside
 * src/journal/ includes it (unit tests aside).
 */
#ifndef TS_JOURNAL_INT_H
#define TS_JOURNAL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "events.h"
#include "journal.h"
#include "jsonw.h"

/* The page cache of an open journal, KiB (walk.c shrinks it for a walk). */
#define CACHE_KIB "65536"

/* Statements used in hot paths: prepared once (on first use), finalized at
 * close. Walks (*_foreach) prepare their own so callbacks may re-enter. */
enum stmt_id {
    S_BEGIN, S_COMMIT, S_ROLLBACK,
    S_SUITE_EXISTS, S_SUITE_INSERT, S_LABEL_INSERT, S_SUITE_STATE,
    S_SUITE_ADDED, S_SUITE_SET_STATE, S_SUITE_COMPLETE, S_SUITE_TICK,
    S_SUITE_RESOLVE, S_ACTIVE,
    S_TASK_INSERT, S_TASK_MAXIDX, S_TASK_BUMP, S_TASK_GET, S_TASK_FIND,
    S_TASK_SET_STATE, S_TASK_FOLLOW, S_TASK_LASTCP, S_CANCEL_TASKS, S_COUNTS,
    S_SUB_INSERT, S_SUB_INSERT_RANGE, S_SUBTASK_INSERT, S_SUB_MANIFEST, S_SUB_STATE, S_SUB_WAVES, S_JOB_UPSERT,
    S_JOB_RECONCILE,
    S_OFFSET_GET, S_OFFSET_SET, S_EVENT_INSERT, S_ATT_ENSURE, S_ATT_GET,
    S_ATT_UPDATE, S_ATT_WARNED, S_ATT_CLASSIFY, S_RANK_STARTED, S_RANK_EXITED,
    S_RANK_GRACEFUL, S_RANKS, S_CP_INSERT,
    S_TASK_EXISTS, S_CHUNK_OF, S_CHUNK_TOUCH, S_CHUNK_DROP, S_CHUNK_INSERT,
    S_CHUNK_DATA_INSERT, S_CANCEL_CHUNKS, S_TASK_INSERT_AS, S_CHUNK_DATA,
    S_MATRIX_INSERT, S_MATRIX_GET,
    S_COUNT
};

/* statements.c: op names the statement in messages ("journal: <op>: ..."). */
struct jn_stmt_sql {
    const char *op;
    const char *sql;
};
extern const struct jn_stmt_sql jn_stmts[S_COUNT];

/* An open journal (journal.h's opaque ts_journal). */
struct ts_journal {
    sqlite3 *db;
    char home[PATH_MAX];
    char path[PATH_MAX];
    char lockpath[PATH_MAX];
    int lockfd;
    int lock_depth;
    int lock_timeout_ms;
    bool wal;
    sqlite3_stmt *st[S_COUNT];
    /* The chunk jn_task_row read last: a sync ingesting the first records of
     * many tasks gives them their rows one by one, mostly from one chunk.
     * A chunk's data never changes (it is only ever deleted), so this
     * copy stays right; its state and time are read each time. */
    struct {
        char suite_id[TS_SUITE_ID_LEN + 1];
        long first, count;
        char *data;
        size_t *off;            /* count + 1 offsets into data */
    } chunk;
    /* The axes of the lazy matrix suite read last (matrix.c): a suite's
     * axes never change, and every chunk of it is decoded from them. */
    struct {
        char suite_id[TS_SUITE_ID_LEN + 1];
        struct ts_lazy_matrix *m;   /* NULL: none loaded */
        struct ts_lazy_packer *packer;  /* m's values' text, built once */
        char tail[16];              /* after each task: "0" NUL nodes NUL */
        size_t tail_len;
    } matrix;
};

/* ------------------------------------------------------------ db.c */

static inline bool jn_fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

static inline void jn_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static inline const char *jn_col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static inline bool jn_col_null(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL;
}

/* Seconds since the epoch, to the millisecond. */
double jn_now(void);

/* "journal: <op>: <message>"; constraint violations are the user's input.
 * Returns -1. */
int jn_dberr(ts_journal *j, const char *op, ts_err *err);

/* The cached statement id, reset and unbound; NULL with err on failure. */
sqlite3_stmt *jn_st(ts_journal *j, enum stmt_id id, ts_err *err);

/* Run a statement that returns no row. -1 with err naming op. */
int jn_run(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err);

/* Step a one-row query: 1 = row (caller reads, then sqlite3_reset), 0 = no
 * row (already reset), -1 = error (reset, err filled). */
int jn_row(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err);

/* sqlite3_exec, its message in err as "journal: <op>: ...". */
int jn_exec(ts_journal *j, const char *op, const char *sql, ts_err *err);

/* ------------------------------------------------------------ lock.c */

/* Write transactions: the flock, then BEGIN IMMEDIATE. */
int jn_tx_begin(ts_journal *j, ts_err *err);
int jn_tx_commit(ts_journal *j, ts_err *err);
/* Always returns -1, so `return jn_tx_fail(j);` ends a failed write. */
int jn_tx_fail(ts_journal *j);

/* ------------------------------------------------------------ migrations.c */

int jn_user_version(ts_journal *j, int *v, ts_err *err);
/* Under the lock: set the journal mode, apply missing migrations. */
int jn_upgrade(ts_journal *j, bool set_mode, ts_err *err);

/* ------------------------------------------------------------ home.c */

/* mkdir -p, 0700, then a directory that is ours alone (see home.c). */
int jn_ensure_dir(const char *dir, ts_err *err);
/* journal.db and its companions: regular, ours, 0600 (see home.c). */
int jn_private_files(const ts_journal *j, ts_err *err);
/* WAL unless the journal is on a network filesystem (or told otherwise). */
bool jn_want_wal(const char *home);

/* ------------------------------------------------------------ names.c */

extern const char *const jn_suite_state_names[TS_SUITE_NSTATES];
extern const char *const jn_task_state_names[TS_TASK_NSTATES];
extern const char *const jn_attempt_state_names[TS_ATT_NSTATES];
extern const char *const jn_sub_state_names[TS_SUB_NSTATES];
int jn_sub_state_parse(const char *name);
/* "state IN ('a','b')" for a mask into buf; "1" for mask 0. */
int jn_state_in(const char *col, const char *const *names, int n,
                unsigned mask, char *buf, size_t len);

/* ------------------------------------------------------------ suites.c */

/* The 36 characters of a suite ID. */
extern const char jn_id_chars[];
/* The suite's state (and task node count); TS_EXIT_NOTFOUND if absent. */
int jn_suite_state(ts_journal *j, const char *suite_id,
                   enum ts_suite_state *state, int *nodes, ts_err *err);
int jn_set_suite_state(ts_journal *j, const char *suite_id,
                       enum ts_suite_state state, double now, ts_err *err);

/* ------------------------------------------------------------ tasks.c */

/* Insert tasks at first_idx.. and an intent holding them (inside a tx);
 * packed: a fresh suite's, in chunks (see chunks.c); lazy (tasks NULL, n
 * its count): a fresh lazy matrix suite's, as its axes (matrix.c). */
int jn_insert_tasks(ts_journal *j, const char *suite_id, int suite_nodes,
                    const ts_task_new *tasks, size_t n, long first_idx,
                    bool packed, const struct ts_lazy_matrix *lazy, double now,
                    int64_t *sub_id, ts_err *err);
/* Tasks of the suite in index order, filtered by mask: rows and untouched
 * tasks merged (op names the caller in messages). */
int jn_tasks_merged(ts_journal *j, const char *suite_id, unsigned mask,
                    const char *op, ts_task_cb cb, void *arg, ts_err *err);

/* ------------------------------------------------------------ chunks.c */

/* Tasks per task_chunks row: small enough that giving one task its row
 * (jn_task_row: read and scan the chunk) stays cheap, large enough that a
 * 100,000-task suite is ~200 rows. */
#define JN_CHUNK_TASKS 512

/* One packed task, its strings pointing into the chunk. */
struct packed {
    const char *name, *args_json;
    int priority, num_nodes;
};

/* Decode the task at *p (< end) and move *p past it; -1 if cut short. */
int jn_unpack_task(const char **p, const char *end, struct packed *t);
/* "task chunk ... is corrupt"; returns -1. */
int jn_chunk_corrupt(const char *suite_id, long first, ts_err *err);
/* A fresh suite's tasks, packed in chunks (no row each), names checked. */
int jn_insert_packed(ts_journal *j, const char *suite_id, int suite_nodes,
                     const ts_task_new *tasks, size_t n, double now, ts_err *err);
/* Names added to a suite must not be those of its packed tasks. */
int jn_check_chunk_names(ts_journal *j, const char *suite_id,
                         const ts_task_new *tasks, size_t n, ts_err *err);
/* A task without a row yet, by name: 2 found (*idx), 0 not. */
int jn_find_packed(ts_journal *j, const char *suite_id, const char *name,
                   long *idx, ts_err *err);
/* Give task idx its row if it is still packed in a chunk (inside a tx):
 * everything that changes a task (or adds rows that refer to it) calls
 * this first. 1: the row exists now, 0: no such task. */
int jn_task_row(ts_journal *j, const char *suite_id, long idx, ts_err *err);

/* ------------------------------------------------------------ matrix.c */

/* A fresh lazy matrix suite's tasks (inside a tx): its axes once, and its
 * task_chunks rows without data (no name check: the lazy expansion made
 * every name distinct). */
int jn_matrix_insert(ts_journal *j, const char *suite_id, int suite_nodes,
                     const struct ts_lazy_matrix *m, double now, ts_err *err);
/* Chunk (first, count) of the suite decoded from its axes into out, packed
 * as task_chunk_data holds it (see chunks.c): 1, 0 the suite has no axes
 * (a chunk without data is then corrupt), -1 error. Every reader of a
 * chunk without a data row comes here. */
int jn_matrix_chunk(ts_journal *j, const char *suite_id, long first, long count,
                    ts_strbuf *out, ts_err *err);
/* Drop the cached axes (at close). */
void jn_matrix_forget(ts_journal *j);

/* ------------------------------------------------------------ untouched.c */

/* Walks the tasks still packed in chunks (no row yet), in index order. */
struct untouched {
    const char *suite_id;
    sqlite3_stmt *chunks;   /* the suite's chunks with their data */
    sqlite3_stmt *rows;     /* indices in one chunk that have a row */
    const char *p, *end;    /* next packed task of the current chunk */
    ts_strbuf decoded;      /* a lazy matrix chunk, decoded (matrix.c) */
    long idx;               /* its index */
    long next_row;          /* next index of the chunk with a row, LONG_MAX: none */
    unsigned mask;          /* TS_BIT of the states wanted, 0 = all */
    enum ts_task_state state;
    double updated_at;
};

int jn_untouched_open(ts_journal *j, struct untouched *u, const char *suite_id,
                      unsigned mask, ts_err *err);
void jn_untouched_close(struct untouched *u);
/* The next untouched task into *t: 1, 0 at the end, -1 error. */
int jn_untouched_next(ts_journal *j, struct untouched *u, ts_task_info *t,
                      ts_err *err);

/* ------------------------------------------------------------ live.c */

/* A task directory's name: digits only (and not too many). */
bool jn_all_digits(const char *s);
/* qsort/bsearch order of longs. */
int jn_cmp_long(const void *a, const void *b);
/* The tasks whose event files can still change the journal, in index
 * order (malloc'd into *out). */
int jn_live_tasks(ts_journal *j, const char *suite_id, long **out,
                  size_t *n, ts_err *err);
/* The task directories under events/ (evfd), as sorted indices; NULL if
 * it cannot be listed. */
long *jn_list_task_dirs(int evfd, size_t *n);

/* ------------------------------------------------------------ attempts.c */

/* The task follows its attempt, if that is its latest and it is not
 * cancelled. exit_code < 0 / signo 0: none. */
int jn_task_follow(ts_journal *j, const char *suite_id, long idx,
                   int attempt, enum ts_attempt_state astate, int exit_code,
                   int signo, double now, ts_err *err);
/* Recompute an attempt from its ranks, then its task; ev is the rank
 * record that changed. */
int jn_reaggregate(ts_journal *j, const ts_event *ev, double now, ts_err *err);

/* ------------------------------------------------------------ requeue.c */

/* A job that already runs the task's attempt `next` becomes a submission
 * of its own (see requeue.c). No transaction of its own. */
int jn_adopt_job(ts_journal *j, const char *suite_id, long idx, int next,
                 uint32_t job_id, bool *adopted, ts_err *err);

#endif
