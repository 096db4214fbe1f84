/* journal.c: the SQLite journal (see journal.h for the design). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "events.h"
#include "exitcodes.h"
#include "journal.h"
#include "jsonw.h"
#include "layout.h"

#define BUSY_TIMEOUT_MS 10000
#define CACHE_KIB "65536"

/* ================================================================ schema */

/* Step i brings user_version from i to i + 1. Append, never edit. */
static const char *const migrations[] = {
    /* 0 -> 1: the initial schema */
    "CREATE TABLE suites ("
    "  id            TEXT PRIMARY KEY NOT NULL"
    "                CHECK (length(id) = 8 AND id NOT GLOB '*[^a-z0-9]*'),"
    "  name          TEXT NOT NULL,"
    "  owner_uid     INTEGER NOT NULL,"
    "  spec_path     TEXT,"
    "  spec_json     TEXT,"
    "  output_dir    TEXT NOT NULL,"
    "  labels        TEXT NOT NULL DEFAULT '[]',"
    "  state         TEXT NOT NULL DEFAULT 'open'"
    "                CHECK (state IN ('open','closed','complete','cancelled')),"
    "  close_after_s INTEGER NOT NULL DEFAULT 180,"
    "  max_retries   INTEGER NOT NULL DEFAULT 3,"
    "  retry_on      INTEGER NOT NULL DEFAULT 1,"
    "  num_nodes     INTEGER NOT NULL DEFAULT 1,"
    "  total_tasks   INTEGER NOT NULL DEFAULT 0,"
    "  completions   INTEGER NOT NULL DEFAULT 0,"
    "  created_at    REAL NOT NULL,"
    "  updated_at    REAL NOT NULL,"
    "  last_added_at REAL NOT NULL"
    ");"
    "CREATE INDEX suites_owner ON suites(owner_uid, created_at);"
    "CREATE TABLE suite_labels ("
    "  suite_id TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  label    TEXT NOT NULL,"
    "  PRIMARY KEY (suite_id, label)"
    ") WITHOUT ROWID;"
    "CREATE INDEX suite_labels_label ON suite_labels(label);"
    "CREATE TABLE tasks ("
    "  suite_id        TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  idx             INTEGER NOT NULL CHECK (idx >= 0),"
    "  name            TEXT NOT NULL,"
    "  args_json       TEXT NOT NULL DEFAULT '{}',"
    "  priority        INTEGER NOT NULL DEFAULT 0,"
    "  num_nodes       INTEGER NOT NULL DEFAULT 1,"
    "  state           TEXT NOT NULL DEFAULT 'pending'"
    "                  CHECK (state IN ('pending','running','completed','failed',"
    "                         'timeout','cancelled','node_fail','preempted')),"
    "  attempts        INTEGER NOT NULL DEFAULT 0,"
    "  last_exit       INTEGER,"
    "  last_signal     INTEGER,"
    "  last_checkpoint TEXT,"
    "  last_step       INTEGER,"
    "  updated_at      REAL NOT NULL,"
    "  PRIMARY KEY (suite_id, idx),"
    "  UNIQUE (suite_id, name)"
    ") WITHOUT ROWID;"
    "CREATE INDEX tasks_state ON tasks(suite_id, state);"
    "CREATE TABLE submissions ("
    "  id         INTEGER PRIMARY KEY,"
    "  suite_id   TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  state      TEXT NOT NULL DEFAULT 'intent'"
    "             CHECK (state IN ('intent','submitted','done')),"
    "  manifest   TEXT,"
    "  created_at REAL NOT NULL,"
    "  updated_at REAL NOT NULL"
    ");"
    "CREATE INDEX submissions_state ON submissions(suite_id, state);"
    "CREATE TABLE submission_tasks ("
    "  submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,"
    "  position      INTEGER NOT NULL,"
    "  suite_id      TEXT NOT NULL,"
    "  task_idx      INTEGER NOT NULL,"
    "  attempt       INTEGER NOT NULL CHECK (attempt >= 1),"
    "  PRIMARY KEY (submission_id, position),"
    "  FOREIGN KEY (suite_id, task_idx) REFERENCES tasks(suite_id, idx)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX submission_tasks_task ON submission_tasks(suite_id, task_idx);"
    "CREATE TABLE slurm_jobs ("
    "  submission_id    INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,"
    "  array_job_id     INTEGER NOT NULL,"
    "  index_offset     INTEGER NOT NULL DEFAULT 0,"
    "  first_index      INTEGER NOT NULL,"
    "  last_index       INTEGER NOT NULL,"
    "  reconcile_job_id INTEGER,"
    "  PRIMARY KEY (submission_id, array_job_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE attempts ("
    "  suite_id     TEXT NOT NULL,"
    "  task_idx     INTEGER NOT NULL,"
    "  attempt      INTEGER NOT NULL CHECK (attempt >= 1),"
    "  slurm_job_id TEXT,"
    "  node         TEXT,"
    "  num_nodes    INTEGER NOT NULL DEFAULT 1,"
    "  state        TEXT NOT NULL DEFAULT 'running'"
    "               CHECK (state IN ('running','completed','failed','timeout',"
    "                      'cancelled','node_fail','preempted','ended_by_signal')),"
    "  classified   INTEGER NOT NULL DEFAULT 0,"
    "  started_at   REAL,"
    "  ended_at     REAL,"
    "  exit_code    INTEGER,"
    "  signal       INTEGER,"
    "  warned       INTEGER NOT NULL DEFAULT 0,"
    "  warn_signal  INTEGER,"
    "  PRIMARY KEY (suite_id, task_idx, attempt),"
    "  FOREIGN KEY (suite_id, task_idx) REFERENCES tasks(suite_id, idx)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX attempts_state ON attempts(suite_id, state);"
    "CREATE TABLE attempt_ranks ("
    "  suite_id   TEXT NOT NULL,"
    "  task_idx   INTEGER NOT NULL,"
    "  attempt    INTEGER NOT NULL,"
    "  node_rank  INTEGER NOT NULL CHECK (node_rank >= 0),"
    "  node       TEXT,"
    "  started_at REAL,"
    "  ended_at   REAL,"
    "  exit_code  INTEGER,"
    "  signal     INTEGER,"
    "  graceful   INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (suite_id, task_idx, attempt, node_rank),"
    "  FOREIGN KEY (suite_id, task_idx, attempt)"
    "    REFERENCES attempts(suite_id, task_idx, attempt) ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE TABLE checkpoints ("
    "  id       INTEGER PRIMARY KEY,"
    "  suite_id TEXT NOT NULL,"
    "  task_idx INTEGER NOT NULL,"
    "  attempt  INTEGER NOT NULL,"
    "  path     TEXT NOT NULL,"
    "  step     INTEGER,"
    "  at       REAL NOT NULL,"
    "  node     TEXT,"
    "  FOREIGN KEY (suite_id, task_idx) REFERENCES tasks(suite_id, idx)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX checkpoints_task ON checkpoints(suite_id, task_idx, attempt, at);"
    "CREATE TABLE events ("
    "  key      TEXT PRIMARY KEY NOT NULL,"
    "  suite_id TEXT NOT NULL,"
    "  task_idx INTEGER NOT NULL,"
    "  attempt  INTEGER NOT NULL,"
    "  type     TEXT NOT NULL,"
    "  at       REAL NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE ingest_offsets ("
    "  suite_id TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  file     TEXT NOT NULL,"
    "  pos      INTEGER NOT NULL,"
    "  PRIMARY KEY (suite_id, file)"
    ") WITHOUT ROWID;",
    /* 1 -> 2: a fresh submission's tasks as a range (position p = task
     * range_first + p, attempt 1) instead of one submission_tasks row each;
     * wave_chunk: the array size its waves are queued in (NULL: not yet). */
    "ALTER TABLE submissions ADD COLUMN range_first INTEGER;"
    "ALTER TABLE submissions ADD COLUMN range_count INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE submissions ADD COLUMN wave_chunk INTEGER;",
    /* 2 -> 3: settled: what the suite looked like (ts_journal_settle_key)
     * when a sync last found nothing for events or Slurm to change; a sync
     * that finds the same skips ingest, classification and retries. */
    "ALTER TABLE suites ADD COLUMN settled TEXT;",
    /* 3 -> 4: a fresh suite's tasks get no `tasks` row at submit (a row per
     * task was most of the submit's CPU): they are packed CHUNK_TASKS to a
     * task_chunk_data row (see pack_task), and a task gets its row the first
     * time anything changes it (task_row). Until then it is `untouched`:
     * pending (or cancelled with its chunk), attempt 1, no exit.
     * untouched = tasks of the chunk still without a row; 0 deletes it. */
    "CREATE TABLE task_chunks ("
    "  suite_id   TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  first_idx  INTEGER NOT NULL CHECK (first_idx >= 0),"
    "  count      INTEGER NOT NULL CHECK (count > 0),"
    "  untouched  INTEGER NOT NULL,"
    "  state      TEXT NOT NULL DEFAULT 'pending'"
    "             CHECK (state IN ('pending','cancelled')),"
    "  updated_at REAL NOT NULL,"
    "  PRIMARY KEY (suite_id, first_idx)"
    ") WITHOUT ROWID;"
    "CREATE TABLE task_chunk_data ("
    "  suite_id  TEXT NOT NULL,"
    "  first_idx INTEGER NOT NULL,"
    "  data      BLOB NOT NULL,"
    "  PRIMARY KEY (suite_id, first_idx),"
    "  FOREIGN KEY (suite_id, first_idx)"
    "    REFERENCES task_chunks(suite_id, first_idx) ON DELETE CASCADE"
    ");",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int ts_journal_schema_version(void)
{
    return SCHEMA_VERSION;
}

/* ================================================================ statements */

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
    S_COUNT
};

static const struct {
    const char *op;     /* for messages: "journal: <op>: <sqlite message>" */
    const char *sql;
} stmts[S_COUNT] = {
    [S_BEGIN] = { "begin transaction", "BEGIN IMMEDIATE" },
    [S_COMMIT] = { "commit", "COMMIT" },
    [S_ROLLBACK] = { "rollback", "ROLLBACK" },
    [S_SUITE_EXISTS] = { "look up suite", "SELECT 1 FROM suites WHERE id = ?1" },
    [S_SUITE_INSERT] = { "insert suite",
        "INSERT INTO suites(id, name, owner_uid, spec_path, spec_json,"
        " output_dir, labels, state, close_after_s, max_retries, retry_on,"
        " num_nodes, total_tasks, completions, created_at, updated_at,"
        " last_added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?9,"
        " ?10, ?11, ?12, 0, ?13, ?13, ?13)" },
    [S_LABEL_INSERT] = { "insert label",
        "INSERT OR IGNORE INTO suite_labels(suite_id, label) VALUES (?1, ?2)" },
    [S_SUITE_STATE] = { "read suite",
        "SELECT state, num_nodes FROM suites WHERE id = ?1" },
    [S_SUITE_ADDED] = { "re-open suite",
        "UPDATE suites SET total_tasks = total_tasks + ?2, state = 'open',"
        " last_added_at = ?3, updated_at = ?3 WHERE id = ?1" },
    [S_SUITE_SET_STATE] = { "set suite state",
        "UPDATE suites SET state = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUITE_COMPLETE] = { "complete suite",
        "UPDATE suites SET state = 'complete', completions = completions + 1,"
        " updated_at = ?2 WHERE id = ?1" },
    [S_SUITE_TICK] = { "read suite",
        "SELECT state, close_after_s, last_added_at FROM suites WHERE id = ?1" },
    [S_SUITE_RESOLVE] = { "look up suite",
        "SELECT id FROM suites WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 6" },
    [S_ACTIVE] = { "count active tasks",
        "SELECT (SELECT COUNT(*) FROM tasks WHERE suite_id = ?1"
        " AND state IN ('pending', 'running')) + (SELECT COALESCE(SUM(untouched), 0)"
        " FROM task_chunks WHERE suite_id = ?1 AND state = 'pending')" },
    [S_TASK_INSERT] = { "insert task",
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 1, ?7)" },
    [S_TASK_MAXIDX] = { "read last task index",
        "SELECT MAX((SELECT COALESCE(MAX(idx), -1) FROM tasks WHERE suite_id = ?1),"
        " (SELECT COALESCE(MAX(first_idx + count - 1), -1) FROM task_chunks"
        "  WHERE suite_id = ?1))" },
    [S_TASK_BUMP] = { "start a new attempt",
        "UPDATE tasks SET attempts = attempts + 1, state = 'pending',"
        " updated_at = ?3 WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_GET] = { "read task",
        "SELECT attempts, state, last_exit, last_signal FROM tasks"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_FIND] = { "find task",
        "SELECT idx FROM tasks WHERE suite_id = ?1 AND name = ?2" },
    [S_TASK_SET_STATE] = { "set task state",
        "UPDATE tasks SET state = ?3, updated_at = ?4"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_FOLLOW] = { "update task from attempt",
        "UPDATE tasks SET state = ?3, attempts = MAX(attempts, ?4),"
        " last_exit = ?5, last_signal = ?6, updated_at = ?7"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_LASTCP] = { "update last checkpoint",
        "UPDATE tasks SET (last_checkpoint, last_step) = ("
        "  SELECT path, step FROM checkpoints"
        "  WHERE suite_id = ?1 AND task_idx = ?2"
        "  ORDER BY attempt DESC, at DESC, id DESC LIMIT 1),"
        " updated_at = ?3 WHERE suite_id = ?1 AND idx = ?2" },
    [S_CANCEL_TASKS] = { "cancel tasks",
        "UPDATE tasks SET state = 'cancelled', updated_at = ?2"
        " WHERE suite_id = ?1 AND state IN ('pending', 'running')" },
    [S_COUNTS] = { "count tasks",
        "SELECT state, SUM(n) FROM ("
        " SELECT state, COUNT(*) n FROM tasks WHERE suite_id = ?1 GROUP BY state"
        " UNION ALL SELECT state, untouched FROM task_chunks WHERE suite_id = ?1)"
        " GROUP BY state" },
    [S_SUB_INSERT] = { "insert submission intent",
        "INSERT INTO submissions(suite_id, state, created_at, updated_at)"
        " VALUES (?1, 'intent', ?2, ?2)" },
    [S_SUB_INSERT_RANGE] = { "insert submission intent",
        "INSERT INTO submissions(suite_id, state, created_at, updated_at,"
        " range_first, range_count) VALUES (?1, 'intent', ?2, ?2, ?3, ?4)" },
    [S_SUBTASK_INSERT] = { "insert submission task",
        "INSERT INTO submission_tasks(submission_id, position, suite_id,"
        " task_idx, attempt) VALUES (?1, ?2, ?3, ?4, ?5)" },
    [S_SUB_MANIFEST] = { "set submission manifest",
        "UPDATE submissions SET manifest = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUB_WAVES] = { "queue submission in waves",
        "UPDATE submissions SET wave_chunk = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUB_STATE] = { "set submission state",
        "UPDATE submissions SET state = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_JOB_UPSERT] = { "record Slurm job",
        "INSERT INTO slurm_jobs(submission_id, array_job_id, index_offset,"
        " first_index, last_index, reconcile_job_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(submission_id, array_job_id) DO UPDATE SET"
        " index_offset = excluded.index_offset,"
        " first_index = excluded.first_index, last_index = excluded.last_index,"
        " reconcile_job_id = COALESCE(excluded.reconcile_job_id, reconcile_job_id)" },
    [S_JOB_RECONCILE] = { "record reconcile job",
        "UPDATE slurm_jobs SET reconcile_job_id = ?3"
        " WHERE submission_id = ?1 AND array_job_id = ?2" },
    [S_OFFSET_GET] = { "read ingest offset",
        "SELECT pos FROM ingest_offsets WHERE suite_id = ?1 AND file = ?2" },
    [S_OFFSET_SET] = { "store ingest offset",
        "INSERT INTO ingest_offsets(suite_id, file, pos) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(suite_id, file) DO UPDATE SET pos = excluded.pos" },
    [S_EVENT_INSERT] = { "insert event",
        "INSERT OR IGNORE INTO events(key, suite_id, task_idx, attempt, type, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
    [S_ATT_ENSURE] = { "insert attempt",
        "INSERT OR IGNORE INTO attempts(suite_id, task_idx, attempt,"
        " slurm_job_id, node, num_nodes, state)"
        " VALUES (?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, 'running')" },
    [S_ATT_GET] = { "read attempt",
        "SELECT num_nodes, state, classified, exit_code, signal FROM attempts"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_UPDATE] = { "update attempt",
        "UPDATE attempts SET state = ?4, classified = ?5, started_at = ?6,"
        " ended_at = ?7, exit_code = ?8, signal = ?9, num_nodes = ?10,"
        " slurm_job_id = COALESCE(slurm_job_id, NULLIF(?11, '')),"
        " node = CASE WHEN ?12 = 0 OR node IS NULL THEN ?13 ELSE node END"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_WARNED] = { "record warning signal",
        "UPDATE attempts SET warned = 1, warn_signal = ?4"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_CLASSIFY] = { "classify attempt",
        "INSERT INTO attempts(suite_id, task_idx, attempt, state, classified)"
        " VALUES (?1, ?2, ?3, ?4, 1)"
        " ON CONFLICT(suite_id, task_idx, attempt) DO UPDATE SET"
        " state = excluded.state, classified = 1" },
    [S_RANK_STARTED] = { "record rank start",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " started_at = COALESCE(MIN(started_at, excluded.started_at),"
        "                       excluded.started_at),"
        " node = excluded.node" },
    [S_RANK_EXITED] = { "record rank exit",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " ended_at, exit_code, signal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " ended_at = excluded.ended_at, exit_code = excluded.exit_code,"
        " signal = excluded.signal, node = COALESCE(node, excluded.node)" },
    [S_RANK_GRACEFUL] = { "record graceful timeout",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " graceful) VALUES (?1, ?2, ?3, ?4, ?5, 1)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " graceful = 1" },
    [S_RANKS] = { "read attempt ranks",
        "SELECT node_rank, started_at, ended_at, exit_code, signal, graceful"
        " FROM attempt_ranks WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt = ?3 ORDER BY node_rank" },
    [S_CP_INSERT] = { "insert checkpoint",
        "INSERT INTO checkpoints(suite_id, task_idx, attempt, path, step, at, node)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
    [S_TASK_EXISTS] = { "read task",
        "SELECT 1 FROM tasks WHERE suite_id = ?1 AND idx = ?2" },
    [S_CHUNK_OF] = { "read task chunk",
        "SELECT first_idx, count, state, updated_at FROM task_chunks"
        " WHERE suite_id = ?1 AND first_idx <= ?2 ORDER BY first_idx DESC LIMIT 1" },
    [S_CHUNK_DATA] = { "read task chunk",
        "SELECT data FROM task_chunk_data WHERE suite_id = ?1 AND first_idx = ?2" },
    [S_CHUNK_TOUCH] = { "update task chunk",
        "UPDATE task_chunks SET untouched = untouched - 1"
        " WHERE suite_id = ?1 AND first_idx = ?2" },
    [S_CHUNK_DROP] = { "drop task chunk",
        "DELETE FROM task_chunks WHERE suite_id = ?1 AND first_idx = ?2"
        " AND untouched <= 0" },
    [S_CHUNK_INSERT] = { "insert task chunk",
        "INSERT INTO task_chunks(suite_id, first_idx, count, untouched, state,"
        " updated_at) VALUES (?1, ?2, ?3, ?3, 'pending', ?4)" },
    [S_CHUNK_DATA_INSERT] = { "insert task chunk",
        "INSERT INTO task_chunk_data(suite_id, first_idx, data) VALUES (?1, ?2, ?3)" },
    [S_TASK_INSERT_AS] = { "insert task",
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)" },
    [S_CANCEL_CHUNKS] = { "cancel tasks",
        "UPDATE task_chunks SET state = 'cancelled', updated_at = ?2"
        " WHERE suite_id = ?1 AND state = 'pending'" },
};

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
    /* The chunk task_row read last: a sync ingesting the first records of
     * many tasks gives them their rows one by one, mostly from one chunk.
     * A chunk's data never changes (it is only ever deleted), so this
     * copy stays right; its state and time are read each time. */
    struct {
        char suite_id[TS_SUITE_ID_LEN + 1];
        long first, count;
        char *data;
        size_t *off;            /* count + 1 offsets into data */
    } chunk;
};

/* ================================================================ helpers */

static bool fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long ms = (long)tv.tv_usec / 1000;         /* millisecond resolution */
    return (double)tv.tv_sec + (double)ms / 1000.0;
}

/* "journal: <op>: <message>"; constraint violations are the user's input. */
static int dberr(ts_journal *j, const char *op, ts_err *err)
{
    int ec = sqlite3_extended_errcode(j->db);
    int code = (ec & 0xff) == SQLITE_CONSTRAINT ? TS_EXIT_FAIL : TS_EXIT_JOURNAL;
    return ts_errc(err, code, "journal: %s: %s", op, sqlite3_errmsg(j->db));
}

/* The cached statement id, reset and unbound; NULL with err on failure. */
static sqlite3_stmt *st(ts_journal *j, enum stmt_id id, ts_err *err)
{
    sqlite3_stmt *s = j->st[id];

    if (!s) {
        if (sqlite3_prepare_v3(j->db, stmts[id].sql, -1,
                               SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
            dberr(j, stmts[id].op, err);
            return NULL;
        }
        j->st[id] = s;
    } else {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Run a statement that returns no row. -1 with err naming op. */
static int run(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        dberr(j, stmts[id].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

/* Step a one-row query: 1 = row (caller reads, then sqlite3_reset), 0 = no
 * row (already reset), -1 = error (reset, err filled). */
static int row(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        dberr(j, stmts[id].op, err);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int exec_sql(ts_journal *j, const char *op, const char *sql, ts_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: %s", op,
                msg ? msg : sqlite3_errmsg(j->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static bool col_null(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL;
}

/* ================================================================ names */

static const char *const suite_state_names[TS_SUITE_NSTATES] = {
    "open", "closed", "complete", "cancelled",
};
static const char *const task_state_names[TS_TASK_NSTATES] = {
    "pending", "running", "completed", "failed", "timeout", "cancelled",
    "node_fail", "preempted",
};
static const char *const attempt_state_names[TS_ATT_NSTATES] = {
    "running", "completed", "failed", "timeout", "cancelled", "node_fail",
    "preempted", "ended_by_signal",
};
static const char *const sub_state_names[TS_SUB_NSTATES] = {
    "intent", "submitted", "done",
};

static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *ts_suite_state_name(enum ts_suite_state s)
{
    return name_of(suite_state_names, TS_SUITE_NSTATES, (int)s);
}
const char *ts_task_state_name(enum ts_task_state s)
{
    return name_of(task_state_names, TS_TASK_NSTATES, (int)s);
}
const char *ts_attempt_state_name(enum ts_attempt_state s)
{
    return name_of(attempt_state_names, TS_ATT_NSTATES, (int)s);
}
const char *ts_sub_state_name(enum ts_sub_state s)
{
    return name_of(sub_state_names, TS_SUB_NSTATES, (int)s);
}
int ts_suite_state_parse(const char *name)
{
    return parse_name(suite_state_names, TS_SUITE_NSTATES, name);
}
int ts_task_state_parse(const char *name)
{
    return parse_name(task_state_names, TS_TASK_NSTATES, name);
}
int ts_attempt_state_parse(const char *name)
{
    return parse_name(attempt_state_names, TS_ATT_NSTATES, name);
}
static int sub_state_parse(const char *name)
{
    return parse_name(sub_state_names, TS_SUB_NSTATES, name);
}

/* "state IN ('a','b')" for a mask into buf; "1" for mask 0. */
static int state_in(const char *col, const char *const *names, int n,
                    unsigned mask, char *buf, size_t len)
{
    size_t used;
    bool first = true;

    if (mask == 0)
        return snprintf(buf, len, "1") < 0 ? -1 : 0;
    if (!fits(snprintf(buf, len, "%s IN (", col), len))
        return -1;
    used = strlen(buf);
    for (int i = 0; i < n; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(buf + used, len - used, "%s'%s'", first ? "" : ",",
                         names[i]);
        if (!fits(w, len - used))
            return -1;
        used += (size_t)w;
        first = false;
    }
    if (first)      /* only unknown bits: matches nothing */
        return snprintf(buf, len, "0") < 0 ? -1 : 0;
    if (!fits(snprintf(buf + used, len - used, ")"), len - used))
        return -1;
    return 0;
}

/* ================================================================ places */

int ts_fs_is_network(const char *path)
{
    /* f_type values from linux/magic.h and the vendors' sources. */
    static const unsigned long shared[] = {
        0x6969UL,       /* NFS */
        0x0BD00BD0UL,   /* Lustre */
        0x47504653UL,   /* GPFS ("GPFS") */
        0xFF534D42UL,   /* CIFS */
        0xFE534D42UL,   /* SMB2 */
        0x517BUL,       /* SMB (old) */
        0x19830326UL,   /* BeeGFS */
        0x00C36400UL,   /* CephFS */
        0x01021997UL,   /* 9p (v9fs) */
        0x65735546UL,   /* FUSE (sshfs, gcsfuse, ... and local ones too) */
        0x5346414FUL,   /* AFS (OpenAFS, kAFS) */
        0x6B414653UL,   /* kAFS ("kAFS") */
        0x01161970UL,   /* GFS2 */
        0x7461636FUL,   /* OCFS2 */
        0xAAD7AAEAUL,   /* PanFS */
    };
    struct statfs sf;

    if (statfs(path, &sf) < 0)
        return -1;
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        if ((unsigned long)(unsigned int)sf.f_type == shared[i])
            return 1;
    return 0;
}

/* mkdir -p, 0700 for what it creates; then require a directory that is
 * ours alone and writable (ts_secure_dir, layout.h): whoever can change the
 * journal can change what resubmissions run. */
static int ensure_dir(const char *dir, ts_err *err)
{
    if (strlen(dir) >= PATH_MAX)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal directory %.64s...: %s",
                       dir, strerror(ENAMETOOLONG));
    if (ts_secure_dir(dir, 0700, "journal directory", err) < 0) {
        if (err)
            err->code = TS_EXIT_JOURNAL;
        return -1;
    }
    return 0;
}

/* journal.db and its -wal, -shm and -journal companions are the user's
 * alone: the database is created 0600 before SQLite opens it (SQLite gives
 * the companions the database's mode), and files an older tasksuite left
 * looser are tightened, silently. One that is a link or someone else's is
 * refused. */
static int private_files(const ts_journal *j, ts_err *err)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };

    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char path[PATH_MAX + 16];
        struct stat sb;
        int fd;

        snprintf(path, sizeof path, "%s%s", j->path, suffix[i]);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | (i ? 0 : O_CREAT),
                  0600);
        if (fd < 0 && i && errno == ENOENT)
            continue;
        if (fd < 0)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", path,
                           errno == ELOOP ? "a symbolic link, refused" : strerror(errno));
        int rc = 0;
        if (fstat(fd, &sb) < 0)
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: %s", path, strerror(errno));
        else if (!S_ISREG(sb.st_mode))
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s is not a regular file", path);
        else if (sb.st_uid != geteuid())
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s is owned by uid %ld, not by "
                         "you (uid %ld)", path, (long)sb.st_uid, (long)geteuid());
        else if ((sb.st_mode & 077) && fchmod(fd, sb.st_mode & 0700) < 0)
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: chmod %s: %s", path,
                         strerror(errno));
        close(fd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int ts_home_dir(char *buf, size_t len, ts_err *err)
{
    const char *home = getenv("TASKSUITE_HOME");
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *uhome = getenv("HOME");
    int n;

    if (home && *home) {
        if (home[0] != '/')
            return ts_errc(err, TS_EXIT_JOURNAL,
                           "TASKSUITE_HOME must be an absolute path, not \"%s\"",
                           home);
        n = snprintf(buf, len, "%s", home);
    } else if (xdg && xdg[0] == '/') {
        n = snprintf(buf, len, "%s/tasksuite", xdg);
    } else if (uhome && uhome[0] == '/') {
        n = snprintf(buf, len, "%s/.local/state/tasksuite", uhome);
    } else {
        return ts_errc(err, TS_EXIT_JOURNAL, "cannot find the journal directory: "
                       "neither TASKSUITE_HOME, XDG_STATE_HOME nor HOME is set "
                       "to an absolute path");
    }
    if (!fits(n, len))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
    /* Trailing slashes make for ugly messages and paths. */
    for (size_t l = strlen(buf); l > 1 && buf[l - 1] == '/'; l--)
        buf[l - 1] = '\0';
    return ensure_dir(buf, err);
}

/* ================================================================ lock */

void ts_journal_set_lock_timeout(ts_journal *j, int ms)
{
    j->lock_timeout_ms = ms < 0 ? 0 : ms;
}

static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int ts_journal_lock(ts_journal *j, ts_err *err)
{
    struct timespec start, t;
    long waited_ms, nap_ms = 5;
    char pid[32];
    int n;

    if (j->lock_depth > 0) {
        j->lock_depth++;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: lock %s: %s",
                           j->lockpath, strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t);
        waited_ms = (t.tv_sec - start.tv_sec) * 1000
                  + (t.tv_nsec - start.tv_nsec) / 1000000;
        if (waited_ms >= j->lock_timeout_ms) {
            long holder = lock_holder(j->lockfd);
            if (holder > 0)
                return ts_errc(err, TS_EXIT_JOURNAL, "journal is locked by "
                               "another tasksuite process (pid %ld)", holder);
            return ts_errc(err, TS_EXIT_JOURNAL, "journal is locked by another "
                           "tasksuite process (pid unknown, see %s)",
                           j->lockpath);
        }
        if (nap_ms > j->lock_timeout_ms - waited_ms)
            nap_ms = j->lock_timeout_ms - waited_ms;
        struct timespec nap = { nap_ms / 1000, (nap_ms % 1000) * 1000000L };
        nanosleep(&nap, NULL);
        if (nap_ms < 100)
            nap_ms *= 2;
    }
    /* Who holds it, for the message of the next one waiting. */
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(j->lockfd, 0) < 0 || pwrite(j->lockfd, pid, (size_t)n, 0) != n) {
        int e = errno;
        flock(j->lockfd, LOCK_UN);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: write %s: %s",
                       j->lockpath, strerror(e));
    }
    j->lock_depth = 1;
    return 0;
}

void ts_journal_unlock(ts_journal *j)
{
    if (j->lock_depth <= 0)
        return;
    if (--j->lock_depth > 0)
        return;
    if (ftruncate(j->lockfd, 0) < 0) {
        /* Only the pid hint is stale; the lock itself is released below. */
    }
    flock(j->lockfd, LOCK_UN);
}

/* Write transactions: the flock, then BEGIN IMMEDIATE. */
static int tx_begin(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;

    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (!(s = st(j, S_BEGIN, err)) || run(j, s, S_BEGIN, err) < 0) {
        ts_journal_unlock(j);
        return -1;
    }
    return 0;
}

static int tx_commit(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;
    int rc = 0;

    if (!(s = st(j, S_COMMIT, err)) || run(j, s, S_COMMIT, err) < 0) {
        if (!sqlite3_get_autocommit(j->db))
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        rc = -1;
    }
    ts_journal_unlock(j);
    return rc;
}

/* Always returns -1, so `return tx_fail(j);` ends a failed write. */
static int tx_fail(ts_journal *j)
{
    /* SQLite may have rolled back already (e.g. on SQLITE_FULL). */
    if (!sqlite3_get_autocommit(j->db)) {
        sqlite3_stmt *s = st(j, S_ROLLBACK, NULL);
        if (!s || run(j, s, S_ROLLBACK, NULL) < 0)
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    }
    ts_journal_unlock(j);
    return -1;
}

/* ================================================================ open */

static int user_version(ts_journal *j, int *v, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    *v = 0;
    if (sqlite3_prepare_v2(j->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "read schema version", err);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(s, 0);
    else
        dberr(j, "read schema version", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int quick_check(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s",
                       j->path, sqlite3_errmsg(j->db));
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s", j->path,
                sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return -1;
    }
    if (strcmp(col_text(s, 0) ? col_text(s, 0) : "", "ok") != 0) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s", j->path,
                col_text(s, 0) ? col_text(s, 0) : "failed");
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

/* quick_check reads the whole file (0.2 s at 20 MB, more on NFS), so it
 * runs at most once per TS_QUICK_CHECK_EVERY_S per journal, recorded by the
 * mtime of a stamp file next to it; TASKSUITE_JOURNAL_CHECK=always|never
 * overrides. A corrupt journal is still caught within the hour, and by
 * SQLite itself (SQLITE_CORRUPT) on the pages any command touches. */
#define TS_QUICK_CHECK_EVERY_S 3600

static void stamp_path(const ts_journal *j, char *buf, size_t len)
{
    snprintf(buf, len, "%s.checked", j->path);
}

static int quick_check_due(const ts_journal *j)
{
    const char *mode = getenv("TASKSUITE_JOURNAL_CHECK");
    char stamp[PATH_MAX + 16];
    struct stat st;
    if (mode && !strcmp(mode, "always"))
        return 1;
    if (mode && !strcmp(mode, "never"))
        return 0;
    stamp_path(j, stamp, sizeof stamp);
    return stat(stamp, &st) < 0 || time(NULL) - st.st_mtime >= TS_QUICK_CHECK_EVERY_S;
}

static int quick_check_done(const ts_journal *j)
{
    char stamp[PATH_MAX + 16];
    stamp_path(j, stamp, sizeof stamp);
    int fd = open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    return 0;   /* no stamp only means the next open checks again */
}

static int journal_mode(ts_journal *j, char *buf, size_t len, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(j->db, "PRAGMA journal_mode", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "read journal mode", err);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", col_text(s, 0) ? col_text(s, 0) : "");
    else
        dberr(j, "read journal mode", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Under the lock: set the journal mode, apply missing migrations. */
static int upgrade(ts_journal *j, bool set_mode, ts_err *err)
{
    int v;

    if (set_mode && exec_sql(j, "set journal mode", j->wal
                             ? "PRAGMA journal_mode=WAL"
                             : "PRAGMA journal_mode=DELETE", err) < 0)
        return -1;
    if (user_version(j, &v, err) < 0)
        return -1;
    for (; v < SCHEMA_VERSION; v++) {
        char op[64], pragma[64];
        snprintf(op, sizeof op, "migrate schema to version %d", v + 1);
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec_sql(j, op, "BEGIN IMMEDIATE", err) < 0)
            return -1;
        if (exec_sql(j, op, migrations[v], err) < 0
            || exec_sql(j, op, pragma, err) < 0
            || exec_sql(j, op, "COMMIT", err) < 0) {
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

static bool want_wal(const char *home)
{
    const char *mode = getenv("TASKSUITE_JOURNAL_MODE");

    if (mode && strcasecmp(mode, "wal") == 0)
        return true;
    if (mode && strcasecmp(mode, "delete") == 0)
        return false;
    /* Unknown filesystem (statfs failed): the safe choice. */
    return ts_fs_is_network(home) == 0;
}

int ts_journal_open(const char *home, ts_journal **out, ts_err *err)
{
    char mode[32];
    ts_journal *j;
    int v;

    if (!(j = calloc(1, sizeof *j)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: out of memory");
    j->lockfd = -1;
    j->lock_timeout_ms = TS_LOCK_TIMEOUT_DEFAULT_MS;
    if (home) {
        if (!fits(snprintf(j->home, sizeof j->home, "%s", home), sizeof j->home)) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
            goto fail;
        }
        if (ensure_dir(j->home, err) < 0)
            goto fail;
    } else if (ts_home_dir(j->home, sizeof j->home, err) < 0) {
        goto fail;
    }
    if (!fits(snprintf(j->path, sizeof j->path, "%s/" TS_JOURNAL_FILE, j->home),
              sizeof j->path)
        || !fits(snprintf(j->lockpath, sizeof j->lockpath, "%s.lock", j->path),
                 sizeof j->lockpath)) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
        goto fail;
    }
    if ((j->lockfd = open(j->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", j->lockpath,
                strerror(errno));
        goto fail;
    }
    if (private_files(j, err) < 0)
        goto fail;
    if (sqlite3_open_v2(j->path, &j->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", j->path,
                j->db ? sqlite3_errmsg(j->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(j->db, 1);
    sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
    if (quick_check_due(j) && (quick_check(j, err) < 0 || quick_check_done(j) < 0))
        goto fail;
    if (exec_sql(j, "enable foreign keys", "PRAGMA foreign_keys = ON", err) < 0)
        goto fail;
    /* Room for a big suite's working set: ingesting 100k tasks touches tens
     * of MB, and a small cache spills to the WAL in mid-transaction. The
     * cache grows only as pages are used. */
    if (exec_sql(j, "set cache size", "PRAGMA cache_size = -" CACHE_KIB, err) < 0)
        goto fail;
    /* Statement journals in memory: a multi-row INSERT keeps one (to undo
     * itself alone on a constraint failure), which otherwise spills into a
     * temporary file, 686 writes for a 10,000-task submit. */
    if (exec_sql(j, "set temp store", "PRAGMA temp_store = MEMORY", err) < 0)
        goto fail;
    if (user_version(j, &v, err) < 0)
        goto fail;
    if (v > SCHEMA_VERSION) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s has schema version %d, newer "
                "than this tasksuite understands (%d); use a newer tasksuite",
                j->path, v, SCHEMA_VERSION);
        goto fail;
    }
    j->wal = want_wal(j->home);
    if (journal_mode(j, mode, sizeof mode, err) < 0)
        goto fail;
    bool set_mode = strcasecmp(mode, j->wal ? "wal" : "delete") != 0;
    if (v < SCHEMA_VERSION || set_mode) {
        if (ts_journal_lock(j, err) < 0)
            goto fail;
        int rc = upgrade(j, set_mode, err);
        ts_journal_unlock(j);
        if (rc < 0)
            goto fail;
    }
    if (exec_sql(j, "set synchronous", j->wal ? "PRAGMA synchronous = NORMAL"
                                              : "PRAGMA synchronous = FULL",
                 err) < 0)
        goto fail;
    *out = j;
    return 0;
fail:
    ts_journal_close(j);
    return -1;
}

void ts_journal_close(ts_journal *j)
{
    if (!j)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    free(j->chunk.data);
    free(j->chunk.off);
    if (j->db)
        sqlite3_close(j->db);
    if (j->lockfd >= 0) {
        if (j->lock_depth > 0) {
            j->lock_depth = 1;
            ts_journal_unlock(j);
        }
        close(j->lockfd);
    }
    free(j);
}

const char *ts_journal_path(const ts_journal *j)
{
    return j->path;
}

const char *ts_journal_home(const ts_journal *j)
{
    return j->home;
}

bool ts_journal_is_wal(const ts_journal *j)
{
    return j->wal;
}

/* ================================================================ suite IDs */

static const char id_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";

int ts_suite_id_new(char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    size_t got = 0;

    /* Rejection sampling keeps the 36 characters equally likely. */
    while (got < TS_SUITE_ID_LEN) {
        unsigned char b[16];
        ssize_t n = getrandom(b, sizeof b, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ts_errf(err, "getrandom: %s", strerror(errno));
        }
        for (ssize_t i = 0; i < n && got < TS_SUITE_ID_LEN; i++)
            if (b[i] < 252)
                id[got++] = id_chars[b[i] % 36];
    }
    id[TS_SUITE_ID_LEN] = '\0';
    return 0;
}

bool ts_suite_id_valid(const char *id)
{
    if (!id || strlen(id) != TS_SUITE_ID_LEN)
        return false;
    return strspn(id, id_chars) == TS_SUITE_ID_LEN;
}

/* ================================================================ suites */

static char *labels_json(const char *const *labels, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    char *text;

    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        cJSON *sv = cJSON_CreateString(labels[i]);
        if (!sv || !cJSON_AddItemToArray(a, sv)) {
            cJSON_Delete(sv);
            cJSON_Delete(a);
            return NULL;
        }
    }
    text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return text;
}

/* Duplicate names get a message that says so. */
static int insert_task_err(ts_journal *j, const char *suite_id,
                           const char *name, ts_err *err)
{
    int ec = sqlite3_extended_errcode(j->db);
    if (ec == SQLITE_CONSTRAINT_UNIQUE || ec == SQLITE_CONSTRAINT_PRIMARYKEY)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate "
                       "task name \"%s\" in suite %s", name, suite_id);
    return dberr(j, stmts[S_TASK_INSERT].op, err);
}

/* Rows per multi-row INSERT of tasks: one statement per TASK_BATCH tasks
 * instead of one each cuts the per-statement work (cursor open/close,
 * halt), 3/4 of a 10,000-task insert's CPU (bench/journal-insert-variants). */
#define TASK_BATCH 64

/* ?1 suite, ?2 time, then per row: idx, name, args_json, priority, nodes. */
static sqlite3_stmt *task_batch_stmt(ts_journal *j, ts_err *err)
{
    static const char head[] =
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at) VALUES ";
    char sql[sizeof head + (size_t)TASK_BATCH * 64];
    size_t o = (size_t)snprintf(sql, sizeof sql, "%s", head);
    sqlite3_stmt *s = NULL;
    for (int r = 0; r < TASK_BATCH; r++) {
        int p = 3 + 5 * r;
        o += (size_t)snprintf(sql + o, sizeof sql - o,
                              "%s(?1,?%d,?%d,?%d,?%d,?%d,'pending',1,?2)", r ? "," : "",
                              p, p + 1, p + 2, p + 3, p + 4);
    }
    if (sqlite3_prepare_v3(j->db, sql, (int)o, SQLITE_PREPARE_PERSISTENT, &s, NULL)
        != SQLITE_OK) {
        dberr(j, stmts[S_TASK_INSERT].op, err);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

static int insert_task_chunks(ts_journal *j, const char *suite_id, int suite_nodes,
                              const ts_task_new *tasks, size_t n, double now,
                              ts_err *err);
static int first_duplicate(const ts_task_new *tasks, size_t n, const char **dup);

/* A fresh suite's tasks, packed in chunks (no row each): names checked
 * here, as no UNIQUE index sees them. */
static int insert_packed(ts_journal *j, const char *suite_id, int suite_nodes,
                         const ts_task_new *tasks, size_t n, double now, ts_err *err)
{
    const char *dup;

    if (first_duplicate(tasks, n, &dup) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
    if (dup)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate task name "
                       "\"%s\" in suite %s", dup, suite_id);
    return insert_task_chunks(j, suite_id, suite_nodes, tasks, n, now, err);
}

/* Insert tasks at first_idx.. and an intent holding them (inside a tx).
 * The intent is a range (attempt 1 for each), not a row per task. packed
 * (a fresh suite, first_idx 0): no row per task either, see task_chunks.
 * Otherwise a duplicate name fails its batch, which SQLite undoes alone;
 * the rows are then inserted one by one from there so the message names it. */
static int insert_tasks(ts_journal *j, const char *suite_id, int suite_nodes,
                        const ts_task_new *tasks, size_t n, long first_idx,
                        bool packed, double now, int64_t *sub_id, ts_err *err)
{
    sqlite3_stmt *s;
    int64_t sid;
    size_t i = 0;

    for (size_t k = 0; k < n; k++)
        if (!tasks[k].name || !*tasks[k].name)
            return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: task %ld "
                           "has no name", first_idx + (long)k);
    if (!(s = st(j, S_SUB_INSERT_RANGE, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_double(s, 2, now);
    sqlite3_bind_int64(s, 3, first_idx);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)n);
    if (run(j, s, S_SUB_INSERT_RANGE, err) < 0)
        return -1;
    sid = sqlite3_last_insert_rowid(j->db);
    if (packed) {
        if (insert_packed(j, suite_id, suite_nodes, tasks, n, now, err) < 0)
            return -1;
        i = n;
    }

    if (n - i >= TASK_BATCH) {
        sqlite3_stmt *b = task_batch_stmt(j, err);
        if (!b)
            return -1;
        sqlite3_bind_text(b, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(b, 2, now);
        for (; i + TASK_BATCH <= n; i += TASK_BATCH) {
            for (int r = 0; r < TASK_BATCH; r++) {
                const ts_task_new *t = &tasks[i + (size_t)r];
                int p = 3 + 5 * r;
                sqlite3_bind_int64(b, p, first_idx + (long)(i + (size_t)r));
                sqlite3_bind_text(b, p + 1, t->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(b, p + 2, t->args_json ? t->args_json : "{}", -1,
                                  SQLITE_STATIC);
                sqlite3_bind_int(b, p + 3, t->priority);
                sqlite3_bind_int(b, p + 4, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
            }
            int rc = sqlite3_step(b);
            sqlite3_reset(b);
            if (rc != SQLITE_DONE) {
                if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
                    break;      /* one by one below: name the culprit */
                dberr(j, stmts[S_TASK_INSERT].op, err);
                sqlite3_finalize(b);
                return -1;
            }
        }
        sqlite3_finalize(b);
    }
    for (; i < n; i++) {
        const ts_task_new *t = &tasks[i];
        long idx = first_idx + (long)i;
        int rc;

        if (!(s = st(j, S_TASK_INSERT, err)))
            return -1;
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, idx);
        sqlite3_bind_text(s, 3, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, t->args_json ? t->args_json : "{}", -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, t->priority);
        sqlite3_bind_int(s, 6, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
        sqlite3_bind_double(s, 7, now);
        rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            insert_task_err(j, suite_id, t->name, err);
            sqlite3_reset(s);
            return -1;
        }
        sqlite3_reset(s);
    }
    if (sub_id)
        *sub_id = sid;
    return 0;
}

/* ---------------------------------------------------------------- chunks */

/* Tasks per task_chunks row: small enough that giving one task its row
 * (task_row: read and scan the chunk) stays cheap, large enough that a
 * 100,000-task suite is ~200 rows. */
#define CHUNK_TASKS 512

/* Names seen, for the duplicate check of a fresh suite (no UNIQUE index
 * does it for tasks without a row). Open addressing; names not copied. */
struct nameset {
    const char **v;
    size_t mask;
};

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037ull & SIZE_MAX;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (1099511628211ull & SIZE_MAX);
    return h;
}

static int nameset_init(struct nameset *h, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    h->mask = cap - 1;
    h->v = calloc(cap, sizeof *h->v);
    return h->v ? 0 : -1;
}

/* Adds name; false if it was there already. */
static bool nameset_add(struct nameset *h, const char *name)
{
    size_t i = name_hash(name) & h->mask;
    for (; h->v[i]; i = (i + 1) & h->mask)
        if (strcmp(h->v[i], name) == 0)
            return false;
    h->v[i] = name;
    return true;
}

/* The stored name equal to name, or NULL. */
static const char *nameset_find(const struct nameset *h, const char *name)
{
    for (size_t i = name_hash(name) & h->mask; h->v[i]; i = (i + 1) & h->mask)
        if (strcmp(h->v[i], name) == 0)
            return h->v[i];
    return NULL;
}

/* One task in a chunk: name NUL args_json NUL priority NUL nodes NUL. */
static void pack_task(ts_strbuf *b, const ts_task_new *t, int suite_nodes)
{
    ts_strbuf_puts(b, t->name);
    ts_strbuf_putc(b, '\0');
    ts_strbuf_puts(b, t->args_json ? t->args_json : "{}");
    ts_strbuf_putc(b, '\0');
    ts_strbuf_long(b, t->priority);
    ts_strbuf_putc(b, '\0');
    ts_strbuf_long(b, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
    ts_strbuf_putc(b, '\0');
}

struct packed {
    const char *name, *args_json;
    int priority, num_nodes;
};

/* Decode the task at *p (< end) and move *p past it; -1 if cut short. */
static int unpack_task(const char **p, const char *end, struct packed *t)
{
    const char *f[4];
    for (int k = 0; k < 4; k++) {
        const char *z = *p < end ? memchr(*p, '\0', (size_t)(end - *p)) : NULL;
        if (!z)
            return -1;
        f[k] = *p;
        *p = z + 1;
    }
    t->name = f[0];
    t->args_json = f[1];
    t->priority = (int)strtol(f[2], NULL, 10);
    t->num_nodes = (int)strtol(f[3], NULL, 10);
    return 0;
}

static int chunk_corrupt(const char *suite_id, long first, ts_err *err)
{
    return ts_errc(err, TS_EXIT_JOURNAL, "journal: task chunk %ld of suite %s is "
                   "corrupt", first, suite_id);
}

/* Tasks 0.. of a fresh suite, packed by CHUNK_TASKS (inside a tx). */
static int insert_task_chunks(ts_journal *j, const char *suite_id, int suite_nodes,
                              const ts_task_new *tasks, size_t n, double now,
                              ts_err *err)
{
    ts_strbuf b = { 0 };
    sqlite3_stmt *s;
    int ret = 0;

    for (size_t first = 0; ret == 0 && first < n; first += CHUNK_TASKS) {
        size_t count = n - first < CHUNK_TASKS ? n - first : CHUNK_TASKS;
        b.len = 0;
        for (size_t i = first; i < first + count; i++)
            pack_task(&b, &tasks[i], suite_nodes);
        if (b.oom) {
            ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
            break;
        }
        if (!(s = st(j, S_CHUNK_INSERT, err))) {
            ret = -1;
            break;
        }
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)first);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)count);
        sqlite3_bind_double(s, 4, now);
        if (run(j, s, S_CHUNK_INSERT, err) < 0 || !(s = st(j, S_CHUNK_DATA_INSERT, err))) {
            ret = -1;
            break;
        }
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)first);
        sqlite3_bind_blob(s, 3, b.p, (int)b.len, SQLITE_STATIC);
        ret = run(j, s, S_CHUNK_DATA_INSERT, err);
    }
    free(b.p);
    return ret;
}

/* The first task named twice (in order), or NULL; -1 out of memory. */
static int first_duplicate(const ts_task_new *tasks, size_t n, const char **dup)
{
    struct nameset h;
    *dup = NULL;
    if (nameset_init(&h, n) < 0)
        return -1;
    for (size_t i = 0; i < n && !*dup; i++)
        if (!nameset_add(&h, tasks[i].name))
            *dup = tasks[i].name;
    free(h.v);
    return 0;
}

/* Calls cb for each packed task of the suite's chunks (rows or not), in
 * index order, until it returns non-zero. */
typedef int (*packed_cb)(long idx, const struct packed *t, void *arg);

static int chunks_foreach(ts_journal *j, const char *suite_id, packed_cb cb,
                          void *arg, ts_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(j->db, "SELECT first_idx, data FROM task_chunk_data"
                           " WHERE suite_id = ?1 ORDER BY first_idx", -1, &s, NULL)
        != SQLITE_OK)
        return dberr(j, "read task chunks", err);
    bind_text(s, 1, suite_id);
    while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        long idx = (long)sqlite3_column_int64(s, 0);
        const char *p = sqlite3_column_blob(s, 1);
        const char *end = p + sqlite3_column_bytes(s, 1);
        struct packed t = { 0 };
        for (; ret == 0 && p < end; idx++) {
            if (unpack_task(&p, end, &t) < 0)
                ret = chunk_corrupt(suite_id, (long)sqlite3_column_int64(s, 0), err);
            else
                ret = cb(idx, &t, arg);
        }
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "read task chunks", err);
    sqlite3_finalize(s);
    return ret;
}

struct name_hit {
    const struct nameset *names;
    const char *found;      /* the name that clashes (points into the set) */
};

static int clash_cb(long idx, const struct packed *t, void *arg)
{
    struct name_hit *h = arg;
    (void)idx;
    h->found = nameset_find(h->names, t->name);
    return h->found != NULL;
}

/* Names added to a suite must not be those of its packed tasks. */
static int check_chunk_names(ts_journal *j, const char *suite_id,
                             const ts_task_new *tasks, size_t n, ts_err *err)
{
    struct nameset h;
    struct name_hit hit = { .names = &h };
    int rc;

    if (nameset_init(&h, n) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
    for (size_t i = 0; i < n; i++)
        if (tasks[i].name)      /* a missing name is insert_tasks' to report */
            nameset_add(&h, tasks[i].name);
    rc = chunks_foreach(j, suite_id, clash_cb, &hit, err);
    if (rc > 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate task name "
                     "\"%s\" in suite %s", hit.found, suite_id);
    free(h.v);
    return rc < 0 ? -1 : 0;
}

/* Give task idx its row if it is still packed in a chunk (inside a tx):
 * everything that changes a task (or adds rows that refer to it) calls
 * this first. 1: the row exists now, 0: no such task. */
/* Copy chunk (suite_id, first) of count tasks into j->chunk with the
 * offset of each task, unless it is there already. */
static int chunk_load(ts_journal *j, const char *suite_id, long first, long count,
                      ts_err *err)
{
    sqlite3_stmt *s;
    const char *p, *end;
    struct packed t;
    size_t len, *off;
    char *data;
    int rc;

    if (j->chunk.data && j->chunk.first == first && j->chunk.count == count
        && strcmp(j->chunk.suite_id, suite_id) == 0)
        return 0;
    if (!(s = st(j, S_CHUNK_DATA, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, first);
    if ((rc = row(j, s, S_CHUNK_DATA, err)) <= 0)
        return rc < 0 ? -1 : chunk_corrupt(suite_id, first, err);
    len = (size_t)sqlite3_column_bytes(s, 0);
    data = malloc(len ? len : 1);
    off = malloc(((size_t)count + 1) * sizeof *off);
    if (data && off && len)
        memcpy(data, sqlite3_column_blob(s, 0), len);
    sqlite3_reset(s);
    if (!data || !off) {
        free(data);
        free(off);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read task chunk: out of memory");
    }
    p = data;
    end = data + len;
    for (long i = 0; i <= count; i++) {
        off[i] = (size_t)(p - data);
        if (i < count && unpack_task(&p, end, &t) < 0) {
            free(data);
            free(off);
            return chunk_corrupt(suite_id, first, err);
        }
    }
    free(j->chunk.data);
    free(j->chunk.off);
    snprintf(j->chunk.suite_id, sizeof j->chunk.suite_id, "%s", suite_id);
    j->chunk.first = first;
    j->chunk.count = count;
    j->chunk.data = data;
    j->chunk.off = off;
    return 0;
}

/* Insert task idx's row from its chunk (loaded), with the chunk's state
 * and time. */
static int insert_from_chunk(ts_journal *j, const char *suite_id, long idx,
                             const char *state, double updated_at, ts_err *err)
{
    long i = idx - j->chunk.first;
    const char *p = j->chunk.data + j->chunk.off[i];
    struct packed t;
    sqlite3_stmt *s;

    if (unpack_task(&p, j->chunk.data + j->chunk.off[i + 1], &t) < 0)
        return chunk_corrupt(suite_id, j->chunk.first, err);
    if (!(s = st(j, S_TASK_INSERT_AS, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_text(s, 3, t.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, t.args_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, t.priority);
    sqlite3_bind_int(s, 6, t.num_nodes);
    bind_text(s, 7, state);
    sqlite3_bind_double(s, 8, updated_at);
    return run(j, s, S_TASK_INSERT_AS, err);
}

/* Give task idx its row if it is still packed in a chunk (inside a tx):
 * everything that changes a task (or adds rows that refer to it) calls
 * this first. 1: the row exists now, 0: no such task. */
static int task_row(ts_journal *j, const char *suite_id, long idx, ts_err *err)
{
    sqlite3_stmt *s = st(j, S_TASK_EXISTS, err), *c;
    char state[16];
    long first, count;
    double updated_at;
    int rc;

    if (!s)
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    if ((rc = row(j, s, S_TASK_EXISTS, err)) != 0) {
        sqlite3_reset(s);
        return rc;
    }
    if (!(c = st(j, S_CHUNK_OF, err)))
        return -1;
    bind_text(c, 1, suite_id);
    sqlite3_bind_int64(c, 2, idx);
    if ((rc = row(j, c, S_CHUNK_OF, err)) <= 0)
        return rc;
    first = (long)sqlite3_column_int64(c, 0);
    count = (long)sqlite3_column_int64(c, 1);
    snprintf(state, sizeof state, "%s", col_text(c, 2) ? col_text(c, 2) : "pending");
    updated_at = sqlite3_column_double(c, 3);
    sqlite3_reset(c);
    if (idx >= first + count)
        return 0;
    if (chunk_load(j, suite_id, first, count, err) < 0
        || insert_from_chunk(j, suite_id, idx, state, updated_at, err) < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        enum stmt_id id = k ? S_CHUNK_DROP : S_CHUNK_TOUCH;
        if (!(s = st(j, id, err)))
            return -1;
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, first);
        if (run(j, s, id, err) < 0)
            return -1;
    }
    return 1;
}

int ts_journal_suite_create(ts_journal *j, const ts_suite_new *sn,
                            const ts_task_new *tasks, size_t ntasks,
                            char id_out[TS_SUITE_ID_LEN + 1], int64_t *sub_id,
                            ts_err *err)
{
    char id[TS_SUITE_ID_LEN + 1], outdir[PATH_MAX];
    double now = now_s();
    int nodes = sn->num_nodes > 0 ? sn->num_nodes : 1;
    char *labels = NULL;
    sqlite3_stmt *s;
    int tries, rc;

    if (!sn->name || !*sn->name)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert suite: no name");
    if (!(labels = labels_json(sn->labels, sn->nlabels)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert suite: out of memory");
    if (tx_begin(j, err) < 0) {
        free(labels);
        return -1;
    }
    /* A fresh ID; 36^8 makes a collision rare, not impossible. */
    for (tries = 0; ; tries++) {
        if (tries == 16) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: insert suite: no free suite ID");
            goto fail;
        }
        if (ts_suite_id_new(id, err) < 0 || !(s = st(j, S_SUITE_EXISTS, err)))
            goto fail;
        bind_text(s, 1, id);
        if ((rc = row(j, s, S_SUITE_EXISTS, err)) < 0)
            goto fail;
        sqlite3_reset(s);
        if (rc == 0)
            break;
    }
    if (sn->output_dir && *sn->output_dir)
        rc = snprintf(outdir, sizeof outdir, "%s", sn->output_dir);
    else
        rc = snprintf(outdir, sizeof outdir, "%s/suites/%s", j->home, id);
    if (!fits(rc, sizeof outdir)) {
        ts_errc(err, TS_EXIT_FAIL, "journal: insert suite: output directory "
                "path too long");
        goto fail;
    }
    if (!(s = st(j, S_SUITE_INSERT, err)))
        goto fail;
    bind_text(s, 1, id);
    bind_text(s, 2, sn->name);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)sn->owner_uid);
    bind_text(s, 4, sn->spec_path);
    bind_text(s, 5, sn->spec_json);
    bind_text(s, 6, outdir);
    bind_text(s, 7, labels);
    sqlite3_bind_int64(s, 8, sn->close_after_s < 0 ? TS_CLOSE_AFTER_DEFAULT_S
                                                   : sn->close_after_s);
    sqlite3_bind_int(s, 9, sn->max_retries);
    sqlite3_bind_int64(s, 10, (sqlite3_int64)sn->retry_on);
    sqlite3_bind_int(s, 11, nodes);
    sqlite3_bind_int64(s, 12, (sqlite3_int64)ntasks);
    sqlite3_bind_double(s, 13, now);
    if (run(j, s, S_SUITE_INSERT, err) < 0)
        goto fail;
    for (size_t i = 0; i < sn->nlabels; i++) {
        if (!(s = st(j, S_LABEL_INSERT, err)))
            goto fail;
        bind_text(s, 1, id);
        bind_text(s, 2, sn->labels[i]);
        if (run(j, s, S_LABEL_INSERT, err) < 0)
            goto fail;
    }
    if (insert_tasks(j, id, nodes, tasks, ntasks, 0, true, now, sub_id, err) < 0)
        goto fail;
    if (tx_commit(j, err) < 0) {
        free(labels);
        return -1;
    }
    free(labels);
    if (id_out)
        memcpy(id_out, id, sizeof id);
    return 0;
fail:
    free(labels);
    return tx_fail(j);
}

/* Each task's args as a JSON object, all in one buffer (NUL-separated;
 * offsets into it in off[]): written directly, not through cJSON, which
 * cost more than the insert itself at 10,000 tasks. */
static int args_json_all(const ts_tasklist *tl, ts_strbuf *b, size_t *off)
{
    for (size_t i = 0; i < tl->n; i++) {
        off[i] = b->len;
        ts_strbuf_json_kv(b, &tl->v[i].args);
        ts_strbuf_putc(b, '\0');
    }
    return b->oom ? -1 : 0;
}

int ts_journal_suite_create_from_spec(ts_journal *j, const ts_suite *s,
                                      const ts_tasklist *tl,
                                      const char *spec_json,
                                      char id[TS_SUITE_ID_LEN + 1],
                                      int64_t *sub_id, ts_err *err)
{
    ts_task_new *tasks = calloc(tl->n ? tl->n : 1, sizeof *tasks);
    ts_suite_new sn = {
        .name = s->name,
        .owner_uid = getuid(),
        .spec_path = s->path,
        .spec_json = spec_json,
        .output_dir = s->output_dir,
        .labels = (const char *const *)s->labels.v,
        .nlabels = s->labels.n,
        .close_after_s = s->close_after_s,
        .max_retries = s->resume.max_retries,
        .retry_on = s->resume.retry_on,
        .num_nodes = s->num_nodes,
    };
    size_t *off = calloc(tl->n ? tl->n : 1, sizeof *off);
    ts_strbuf args = { 0 };
    int rc = -1;

    if (!tasks || !off || args_json_all(tl, &args, off) < 0) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: out of memory");
        goto out;
    }
    for (size_t i = 0; i < tl->n; i++) {
        tasks[i].name = tl->v[i].name;
        tasks[i].priority = tl->v[i].priority;
        tasks[i].args_json = args.p + off[i];
    }
    rc = ts_journal_suite_create(j, &sn, tasks, tl->n, id, sub_id, err);
out:
    free(args.p);
    free(off);
    free(tasks);
    return rc;
}

/* The suite's state (and task node count); TS_EXIT_NOTFOUND if absent. */
static int suite_state(ts_journal *j, const char *suite_id,
                       enum ts_suite_state *state, int *nodes, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    /* Defined even on failure. */
    *state = TS_SUITE_OPEN;
    if (nodes)
        *nodes = 0;
    if (!(s = st(j, S_SUITE_STATE, err)))
        return -1;
    bind_text(s, 1, suite_id);
    if ((rc = row(j, s, S_SUITE_STATE, err)) < 0)
        return -1;
    if (rc == 0)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s",
                       suite_id, j->path);
    *state = (enum ts_suite_state)ts_suite_state_parse(col_text(s, 0));
    if (nodes)
        *nodes = sqlite3_column_int(s, 1);
    sqlite3_reset(s);
    return 0;
}

static int set_suite_state(ts_journal *j, const char *suite_id,
                           enum ts_suite_state state, double now, ts_err *err)
{
    sqlite3_stmt *s = st(j, S_SUITE_SET_STATE, err);
    if (!s)
        return -1;
    bind_text(s, 1, suite_id);
    bind_text(s, 2, ts_suite_state_name(state));
    sqlite3_bind_double(s, 3, now);
    return run(j, s, S_SUITE_SET_STATE, err);
}

int ts_journal_tasks_add(ts_journal *j, const char *suite_id,
                         const ts_task_new *tasks, size_t ntasks,
                         long *first_idx, int64_t *sub_id, ts_err *err)
{
    enum ts_suite_state state;
    double now = now_s();
    sqlite3_stmt *s;
    long first;
    int nodes;

    if (ntasks == 0)
        return ts_errc(err, TS_EXIT_USAGE, "no task to add");
    if (tx_begin(j, err) < 0)
        return -1;
    if (suite_state(j, suite_id, &state, &nodes, err) < 0)
        goto fail;
    if (state == TS_SUITE_CANCELLED) {
        ts_errc(err, TS_EXIT_FAIL, "suite %s is cancelled: a cancelled suite "
                "takes no new tasks", suite_id);
        goto fail;
    }
    if (!(s = st(j, S_TASK_MAXIDX, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    if (row(j, s, S_TASK_MAXIDX, err) <= 0)
        goto fail;
    first = (long)sqlite3_column_int64(s, 0) + 1;
    sqlite3_reset(s);
    if (check_chunk_names(j, suite_id, tasks, ntasks, err) < 0
        || insert_tasks(j, suite_id, nodes, tasks, ntasks, first, false, now, sub_id,
                        err) < 0)
        goto fail;
    if (!(s = st(j, S_SUITE_ADDED, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)ntasks);
    sqlite3_bind_double(s, 3, now);
    if (run(j, s, S_SUITE_ADDED, err) < 0)
        goto fail;
    if (tx_commit(j, err) < 0)
        return -1;
    if (first_idx)
        *first_idx = first;
    return 0;
fail:
    return tx_fail(j);
}

/* ---------------------------------------------------------------- lookup */

int ts_journal_suite_resolve(ts_journal *j, const char *prefix,
                             char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    char upper[TS_SUITE_ID_LEN + 2], found[6][TS_SUITE_ID_LEN + 1];
    sqlite3_stmt *s;
    size_t n = 0, len = prefix ? strlen(prefix) : 0;
    int rc;

    if (len == 0)
        return ts_errc(err, TS_EXIT_USAGE, "empty suite ID");
    /* Nothing outside [a-z0-9]{1,8} can match. */
    if (len > TS_SUITE_ID_LEN || strspn(prefix, id_chars) != len)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", prefix,
                       j->path);
    /* Every ID starting with prefix sorts in [prefix, prefix + '{'). */
    snprintf(upper, sizeof upper, "%s{", prefix);
    if (!(s = st(j, S_SUITE_RESOLVE, err)))
        return -1;
    bind_text(s, 1, prefix);
    bind_text(s, 2, upper);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 6) {
        snprintf(found[n], sizeof found[n], "%s", col_text(s, 0));
        if (strcmp(found[n], prefix) == 0) {      /* an exact match wins */
            sqlite3_reset(s);
            memcpy(id, found[n], sizeof found[n]);
            return 0;
        }
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        dberr(j, stmts[S_SUITE_RESOLVE].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    if (n == 0)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", prefix,
                       j->path);
    if (n > 1) {
        char list[80] = "";
        for (size_t i = 0; i < n && i < 5; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, found[i]);
        }
        return ts_errc(err, TS_EXIT_USAGE, "suite ID \"%s\" is ambiguous: %s%s",
                       prefix, list, n > 5 ? ", ..." : "");
    }
    memcpy(id, found[0], sizeof found[0]);
    return 0;
}

#define SUITE_COLS \
    "s.id, s.name, s.owner_uid, s.spec_path, %s, s.output_dir, s.labels," \
    " s.state, s.close_after_s, s.max_retries, s.retry_on, s.num_nodes," \
    " s.total_tasks, s.completions, s.created_at, s.updated_at, s.last_added_at"

/* Fill si from a row of SUITE_COLS; strings borrowed from the statement. */
static void suite_row(sqlite3_stmt *s, ts_suite_info *si)
{
    memset(si, 0, sizeof *si);
    snprintf(si->id, sizeof si->id, "%s", col_text(s, 0) ? col_text(s, 0) : "");
    si->name = (char *)col_text(s, 1);
    si->owner_uid = (uid_t)sqlite3_column_int64(s, 2);
    si->spec_path = (char *)col_text(s, 3);
    si->spec_json = (char *)col_text(s, 4);
    si->output_dir = (char *)col_text(s, 5);
    si->labels_json = (char *)col_text(s, 6);
    si->state = (enum ts_suite_state)ts_suite_state_parse(col_text(s, 7));
    si->close_after_s = (long)sqlite3_column_int64(s, 8);
    si->max_retries = sqlite3_column_int(s, 9);
    si->retry_on = (unsigned)sqlite3_column_int64(s, 10);
    si->num_nodes = sqlite3_column_int(s, 11);
    si->total_tasks = (long)sqlite3_column_int64(s, 12);
    si->completions = (long)sqlite3_column_int64(s, 13);
    si->created_at = sqlite3_column_double(s, 14);
    si->updated_at = sqlite3_column_double(s, 15);
    si->last_added_at = sqlite3_column_double(s, 16);
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d;
    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        *oom = true;
    return d;
}

void ts_suite_info_clear(ts_suite_info *si)
{
    if (!si)
        return;
    free(si->name);
    free(si->spec_path);
    free(si->spec_json);
    free(si->output_dir);
    free(si->labels_json);
    memset(si, 0, sizeof *si);
}

int ts_journal_suite_get(ts_journal *j, const char *id_or_prefix,
                         ts_suite_info *out, ts_err *err)
{
    char id[TS_SUITE_ID_LEN + 1], sql[1024];
    ts_suite_info si;
    sqlite3_stmt *s;
    bool oom = false;
    int rc;

    if (ts_journal_suite_resolve(j, id_or_prefix, id, err) < 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT " SUITE_COLS " FROM suites s WHERE s.id = ?1",
             "s.spec_json");
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "read suite", err);
    bind_text(s, 1, id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s",
                    id_or_prefix, j->path);
        else
            dberr(j, "read suite", err);
        sqlite3_finalize(s);
        return -1;
    }
    suite_row(s, &si);
    si.name = dup_or_null(si.name, &oom);
    si.spec_path = dup_or_null(si.spec_path, &oom);
    si.spec_json = dup_or_null(si.spec_json, &oom);
    si.output_dir = dup_or_null(si.output_dir, &oom);
    si.labels_json = dup_or_null(si.labels_json, &oom);
    sqlite3_finalize(s);
    if (oom) {
        ts_suite_info_clear(&si);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read suite: out of memory");
    }
    *out = si;
    return 0;
}

int ts_journal_suites_foreach(ts_journal *j, const ts_suite_filter *f,
                              ts_suite_cb cb, void *arg, ts_err *err)
{
    static const ts_suite_filter none;
    char sql[2048], states[256];
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (!f)
        f = &none;
    if (state_in("s.state", suite_state_names, TS_SUITE_NSTATES, f->state_mask,
                 states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list suites: bad filter");
    snprintf(sql, sizeof sql,
             "SELECT " SUITE_COLS " FROM suites s WHERE %s"
             " AND (?1 IS NULL OR EXISTS (SELECT 1 FROM suite_labels l"
             "      WHERE l.suite_id = s.id AND l.label = ?1))"
             " AND (?2 = 0 OR s.owner_uid = ?3)"
             " ORDER BY s.created_at, s.id", "NULL", states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "list suites", err);
    bind_text(s, 1, f->label);
    sqlite3_bind_int(s, 2, f->only_owner ? 1 : 0);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)f->owner_uid);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_suite_info si;
        suite_row(s, &si);
        if ((ret = cb(&si, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "list suites", err);
    sqlite3_finalize(s);
    return ret;
}

/* ---------------------------------------------------------------- states */

static int count_active(ts_journal *j, const char *suite_id, long *n, ts_err *err)
{
    sqlite3_stmt *s = st(j, S_ACTIVE, err);
    if (!s)
        return -1;
    bind_text(s, 1, suite_id);
    if (row(j, s, S_ACTIVE, err) <= 0)
        return -1;
    *n = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int ts_journal_suite_tick(ts_journal *j, const char *suite_id, double now,
                          enum ts_suite_state *state_out, bool *became_complete,
                          ts_err *err)
{
    enum ts_suite_state state, was;
    double last_added;
    long close_after, active;
    sqlite3_stmt *s;
    int rc;

    if (became_complete)
        *became_complete = false;
    if (tx_begin(j, err) < 0)
        return -1;
    if (!(s = st(j, S_SUITE_TICK, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    if ((rc = row(j, s, S_SUITE_TICK, err)) < 0)
        goto fail;
    if (rc == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", suite_id, j->path);
        goto fail;
    }
    was = state = (enum ts_suite_state)ts_suite_state_parse(col_text(s, 0));
    close_after = (long)sqlite3_column_int64(s, 1);
    last_added = sqlite3_column_double(s, 2);
    sqlite3_reset(s);

    /* close_after 0 (the default): the suite knows all its tasks, so it
     * completes as soon as none is pending or running, straight from open;
     * a suite that asked to stay open for more closes after that idle time. */
    if (state == TS_SUITE_OPEN && now - last_added >= (double)close_after)
        state = close_after > 0 ? TS_SUITE_CLOSED : TS_SUITE_OPEN;
    if (state == TS_SUITE_CLOSED || (state == TS_SUITE_OPEN && close_after <= 0)) {
        if (count_active(j, suite_id, &active, err) < 0)
            goto fail;
        if (active == 0) {
            if (!(s = st(j, S_SUITE_COMPLETE, err)))
                goto fail;
            bind_text(s, 1, suite_id);
            sqlite3_bind_double(s, 2, now);
            if (run(j, s, S_SUITE_COMPLETE, err) < 0)
                goto fail;
            state = TS_SUITE_COMPLETE;
            if (became_complete)
                *became_complete = true;
        }
    }
    if (state != was && state != TS_SUITE_COMPLETE
        && set_suite_state(j, suite_id, state, now, err) < 0)
        goto fail;
    if (tx_commit(j, err) < 0) {
        if (became_complete)
            *became_complete = false;
        return -1;
    }
    if (state_out)
        *state_out = state;
    return 0;
fail:
    if (became_complete)
        *became_complete = false;
    return tx_fail(j);
}

int ts_journal_suite_cancel(ts_journal *j, const char *suite_id, ts_err *err)
{
    enum ts_suite_state state;
    double now = now_s();
    sqlite3_stmt *s;

    if (tx_begin(j, err) < 0)
        return -1;
    if (suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if (state != TS_SUITE_CANCELLED) {
        if (set_suite_state(j, suite_id, TS_SUITE_CANCELLED, now, err) < 0
            || !(s = st(j, S_CANCEL_TASKS, err)))
            goto fail;
        bind_text(s, 1, suite_id);
        sqlite3_bind_double(s, 2, now);
        if (run(j, s, S_CANCEL_TASKS, err) < 0 || !(s = st(j, S_CANCEL_CHUNKS, err)))
            goto fail;
        bind_text(s, 1, suite_id);
        sqlite3_bind_double(s, 2, now);
        if (run(j, s, S_CANCEL_CHUNKS, err) < 0)
            goto fail;
    }
    return tx_commit(j, err);
fail:
    return tx_fail(j);
}

/* ================================================================ tasks */

int ts_journal_counts(ts_journal *j, const char *suite_id, ts_counts *out,
                      ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (!(s = st(j, S_COUNTS, err)))
        return -1;
    bind_text(s, 1, suite_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int state = ts_task_state_parse(col_text(s, 0));
        long n = (long)sqlite3_column_int64(s, 1);
        if (state >= 0)
            out->n[state] = n;
        out->total += n;
    }
    if (rc != SQLITE_DONE) {
        dberr(j, stmts[S_COUNTS].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    out->done = out->total - out->n[TS_TASK_PENDING] - out->n[TS_TASK_RUNNING];
    return 0;
}

/* ---------------------------------------------------------------- untouched */

/* Walks the tasks still packed in chunks (no row yet), in index order. */
struct untouched {
    const char *suite_id;
    sqlite3_stmt *chunks;   /* the suite's chunks with their data */
    sqlite3_stmt *rows;     /* indices in one chunk that have a row */
    const char *p, *end;    /* next packed task of the current chunk */
    long idx;               /* its index */
    long next_row;          /* next index of the chunk with a row, LONG_MAX: none */
    unsigned mask;          /* TS_BIT of the states wanted, 0 = all */
    enum ts_task_state state;
    double updated_at;
};

static int untouched_open(ts_journal *j, struct untouched *u, const char *suite_id,
                          unsigned mask, ts_err *err)
{
    static const char *const sql[2] = {
        ("SELECT c.first_idx, c.count, c.untouched, c.state, c.updated_at, d.data"
         " FROM task_chunks c JOIN task_chunk_data d"
         " ON d.suite_id = c.suite_id AND d.first_idx = c.first_idx"
         " WHERE c.suite_id = ?1 ORDER BY c.first_idx"),
        "SELECT idx FROM tasks WHERE suite_id = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
    };
    memset(u, 0, sizeof *u);
    u->suite_id = suite_id;
    u->mask = mask;
    if (sqlite3_prepare_v2(j->db, sql[0], -1, &u->chunks, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(j->db, sql[1], -1, &u->rows, NULL) != SQLITE_OK)
        return dberr(j, "read task chunks", err);
    bind_text(u->chunks, 1, suite_id);
    bind_text(u->rows, 1, suite_id);
    return 0;
}

static void untouched_close(struct untouched *u)
{
    sqlite3_finalize(u->chunks);
    sqlite3_finalize(u->rows);
    u->chunks = u->rows = NULL;
}

static int untouched_skip_row(ts_journal *j, struct untouched *u, ts_err *err)
{
    int rc = sqlite3_step(u->rows);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dberr(j, "read task chunks", err);
    u->next_row = rc == SQLITE_ROW ? (long)sqlite3_column_int64(u->rows, 0) : LONG_MAX;
    return 0;
}

/* Enter the next chunk: 1, 0 at the end, -1 error. A chunk whose state is
 * not wanted is entered empty. */
static int untouched_chunk(ts_journal *j, struct untouched *u, ts_err *err)
{
    sqlite3_stmt *c = u->chunks;
    int rc = sqlite3_step(c);
    long first, count;

    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return dberr(j, "read task chunks", err);
    first = (long)sqlite3_column_int64(c, 0);
    count = (long)sqlite3_column_int64(c, 1);
    u->state = (enum ts_task_state)ts_task_state_parse(col_text(c, 3));
    u->updated_at = sqlite3_column_double(c, 4);
    u->p = u->end = NULL;
    u->idx = first;
    u->next_row = LONG_MAX;
    if (u->mask && !(u->mask & TS_BIT(u->state)))
        return 1;
    u->p = sqlite3_column_blob(c, 5);
    u->end = u->p + sqlite3_column_bytes(c, 5);
    if (sqlite3_column_int64(c, 2) == count)
        return 1;               /* none has a row: nothing to skip */
    sqlite3_reset(u->rows);
    sqlite3_bind_int64(u->rows, 2, first);
    sqlite3_bind_int64(u->rows, 3, first + count);
    return untouched_skip_row(j, u, err) < 0 ? -1 : 1;
}

/* The next untouched task into *t: pending (or its chunk's cancelled),
 * attempt 1 handed out, nothing else yet. 1, 0 at the end, -1 error. */
static int untouched_next(ts_journal *j, struct untouched *u, ts_task_info *t,
                          ts_err *err)
{
    struct packed pk;
    int rc;

    for (;;) {
        while (u->p && u->p < u->end) {
            long idx = u->idx++;
            if (unpack_task(&u->p, u->end, &pk) < 0)
                return chunk_corrupt(u->suite_id, idx, err);
            if (idx == u->next_row) {
                if (untouched_skip_row(j, u, err) < 0)
                    return -1;
                continue;
            }
            *t = (ts_task_info){
                .suite_id = u->suite_id, .idx = idx, .name = pk.name,
                .args_json = pk.args_json, .priority = pk.priority,
                .num_nodes = pk.num_nodes, .state = u->state, .attempts = 1,
                .last_exit = -1, .last_step = -1, .updated_at = u->updated_at,
            };
            return 1;
        }
        if ((rc = untouched_chunk(j, u, err)) <= 0)
            return rc;
    }
}

/* The columns of TASK_COLS, read into *t. */
#define TASK_COLS "idx, name, args_json, priority, num_nodes, state, attempts," \
    " last_exit, last_signal, last_checkpoint, last_step, updated_at"

static void task_of_row(sqlite3_stmt *s, const char *suite_id, ts_task_info *t)
{
    *t = (ts_task_info){
        .suite_id = suite_id,
        .idx = (long)sqlite3_column_int64(s, 0),
        .name = col_text(s, 1),
        .args_json = col_text(s, 2),
        .priority = sqlite3_column_int(s, 3),
        .num_nodes = sqlite3_column_int(s, 4),
        .state = (enum ts_task_state)ts_task_state_parse(col_text(s, 5)),
        .attempts = sqlite3_column_int(s, 6),
        .has_exit = !col_null(s, 7),
        .last_exit = col_null(s, 7) ? -1 : sqlite3_column_int(s, 7),
        .last_signal = sqlite3_column_int(s, 8),
        .last_checkpoint = col_text(s, 9),
        .last_step = col_null(s, 10) ? -1 : (long)sqlite3_column_int64(s, 10),
        .updated_at = sqlite3_column_double(s, 11),
    };
}

/* Tasks of the suite in index order, filtered by mask: rows and untouched
 * tasks merged (op names the caller in messages). */
static int tasks_merged(ts_journal *j, const char *suite_id, unsigned mask,
                        const char *op, ts_task_cb cb, void *arg, ts_err *err)
{
    char sql[1024], states[256];
    struct untouched u;
    ts_task_info rt = { 0 }, ut = { 0 };
    sqlite3_stmt *s = NULL;
    int rc, urc = 0, ret = 0;

    if (state_in("state", task_state_names, TS_TASK_NSTATES, mask,
                 states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: bad filter", op);
    snprintf(sql, sizeof sql, "SELECT " TASK_COLS " FROM tasks WHERE suite_id = ?1"
             " AND %s ORDER BY idx", states);
    if (untouched_open(j, &u, suite_id, mask, err) < 0) {
        untouched_close(&u);
        return -1;
    }
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        untouched_close(&u);
        return dberr(j, op, err);
    }
    bind_text(s, 1, suite_id);
    if ((rc = sqlite3_step(s)) == SQLITE_ROW)
        task_of_row(s, suite_id, &rt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        urc = untouched_next(j, &u, &ut, err);
    while (ret == 0 && urc >= 0 && (rc == SQLITE_ROW || urc == 1)) {
        if (rc == SQLITE_ROW && (urc != 1 || rt.idx < ut.idx)) {
            if ((ret = cb(&rt, arg)) == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
                task_of_row(s, suite_id, &rt);
        } else if ((ret = cb(&ut, arg)) == 0)
            urc = untouched_next(j, &u, &ut, err);
    }
    if (ret == 0 && urc < 0)
        ret = -1;
    else if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = dberr(j, op, err);
    sqlite3_finalize(s);
    untouched_close(&u);
    return ret;
}

int ts_journal_tasks_foreach(ts_journal *j, const char *suite_id,
                             unsigned state_mask, ts_task_cb cb, void *arg,
                             ts_err *err)
{
    return tasks_merged(j, suite_id, state_mask, "list tasks", cb, arg, err);
}

struct find_name {
    const char *name;
    long idx;
};

static int find_cb(long idx, const struct packed *t, void *arg)
{
    struct find_name *f = arg;
    if (!f->name || strcmp(t->name, f->name) != 0)
        return 0;
    f->idx = idx;
    return 1;
}

/* A task without a row yet, by name: 2 found (*idx), 0 not. A task that has
 * its row is found by S_TASK_FIND first, so no row needs checking here. */
static int find_packed(ts_journal *j, const char *suite_id, const char *name,
                       long *idx, ts_err *err)
{
    struct find_name f = { .name = name, .idx = -1 };
    int rc = chunks_foreach(j, suite_id, find_cb, &f, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 0;
    *idx = f.idx;
    return 2;
}

int ts_journal_task_find(ts_journal *j, const char *suite_id, const char *name,
                         long *idx, ts_err *err)
{
    sqlite3_stmt *s = st(j, S_TASK_FIND, err);
    int rc;

    if (!s)
        return -1;
    bind_text(s, 1, suite_id);
    bind_text(s, 2, name);
    if ((rc = row(j, s, S_TASK_FIND, err)) < 0)
        return -1;
    if (rc == 0 && (rc = find_packed(j, suite_id, name, idx, err)) < 0)
        return -1;
    if (rc == 0)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no task \"%s\" in suite %s",
                       name, suite_id);
    if (rc == 2)
        return 0;
    *idx = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int ts_journal_task_set_state(ts_journal *j, const char *suite_id, long idx,
                              enum ts_task_state state, ts_err *err)
{
    sqlite3_stmt *s;

    if (!ts_task_state_name(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: set task state: bad state %d",
                       (int)state);
    if (tx_begin(j, err) < 0)
        return -1;
    if (task_row(j, suite_id, idx, err) < 0 || !(s = st(j, S_TASK_SET_STATE, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    bind_text(s, 3, ts_task_state_name(state));
    sqlite3_bind_double(s, 4, now_s());
    if (run(j, s, S_TASK_SET_STATE, err) < 0)
        goto fail;
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s", idx, suite_id);
        goto fail;
    }
    return tx_commit(j, err);
fail:
    return tx_fail(j);
}

/* ================================================================ submissions */

int ts_journal_intent_create(ts_journal *j, const char *suite_id,
                             const long *task_idx, size_t n, int64_t *sub_id,
                             ts_err *err)
{
    enum ts_suite_state state;
    double now = now_s();
    sqlite3_stmt *s;
    int64_t sid;

    if (n == 0)
        return ts_errc(err, TS_EXIT_USAGE, "no task to submit");
    if (tx_begin(j, err) < 0)
        return -1;
    if (suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if (state == TS_SUITE_CANCELLED) {
        ts_errc(err, TS_EXIT_FAIL, "suite %s is cancelled: nothing more is "
                "submitted for it", suite_id);
        goto fail;
    }
    if (!(s = st(j, S_SUB_INSERT, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    sqlite3_bind_double(s, 2, now);
    if (run(j, s, S_SUB_INSERT, err) < 0)
        goto fail;
    sid = sqlite3_last_insert_rowid(j->db);
    for (size_t i = 0; i < n; i++) {
        int attempt;

        if (task_row(j, suite_id, task_idx[i], err) < 0
            || !(s = st(j, S_TASK_BUMP, err)))
            goto fail;
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, task_idx[i]);
        sqlite3_bind_double(s, 3, now);
        if (run(j, s, S_TASK_BUMP, err) < 0)
            goto fail;
        if (sqlite3_changes(j->db) == 0) {
            ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s",
                    task_idx[i], suite_id);
            goto fail;
        }
        if (!(s = st(j, S_TASK_GET, err)))
            goto fail;
        bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, task_idx[i]);
        if (row(j, s, S_TASK_GET, err) <= 0)    /* bumped above: it exists */
            goto fail;
        attempt = sqlite3_column_int(s, 0);
        sqlite3_reset(s);

        if (!(s = st(j, S_SUBTASK_INSERT, err)))
            goto fail;
        sqlite3_bind_int64(s, 1, sid);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        bind_text(s, 3, suite_id);
        sqlite3_bind_int64(s, 4, task_idx[i]);
        sqlite3_bind_int(s, 5, attempt);
        if (run(j, s, S_SUBTASK_INSERT, err) < 0)
            goto fail;
    }
    if (state == TS_SUITE_COMPLETE
        && set_suite_state(j, suite_id, TS_SUITE_CLOSED, now, err) < 0)
        goto fail;
    if (tx_commit(j, err) < 0)
        return -1;
    if (sub_id)
        *sub_id = sid;
    return 0;
fail:
    return tx_fail(j);
}

/* One UPDATE of a submission by id; TS_EXIT_NOTFOUND when it is unknown. */
static int sub_update(ts_journal *j, enum stmt_id id, int64_t sub_id,
                      const char *value, ts_err *err)
{
    sqlite3_stmt *s;

    if (tx_begin(j, err) < 0)
        return -1;
    if (!(s = st(j, id, err)))
        return tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    bind_text(s, 2, value);
    sqlite3_bind_double(s, 3, now_s());
    if (run(j, s, id, err) < 0)
        return tx_fail(j);
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no submission %lld in %s",
                (long long)sub_id, j->path);
        return tx_fail(j);
    }
    return tx_commit(j, err);
}

int ts_journal_intent_set_manifest(ts_journal *j, int64_t sub_id,
                                   const char *path, ts_err *err)
{
    return sub_update(j, S_SUB_MANIFEST, sub_id, path, err);
}

int ts_journal_intent_set_state(ts_journal *j, int64_t sub_id,
                                enum ts_sub_state state, ts_err *err)
{
    if (!ts_sub_state_name(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: set submission state: "
                       "bad state %d", (int)state);
    return sub_update(j, S_SUB_STATE, sub_id, ts_sub_state_name(state), err);
}

int ts_journal_intent_set_waves(ts_journal *j, int64_t sub_id, long chunk,
                                ts_err *err)
{
    char v[24];
    snprintf(v, sizeof v, "%ld", chunk > 0 ? chunk : 1);
    return sub_update(j, S_SUB_WAVES, sub_id, v, err);
}

int ts_journal_waiting(ts_journal *j, const char *suite_id, long *waiting,
                       ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    *waiting = 0;
    if (sqlite3_prepare_v2(j->db,
            "SELECT COALESCE(SUM(MAX(n - q, 0)), 0) FROM (SELECT"
            " (SELECT COUNT(*) FROM submission_tasks t WHERE t.submission_id = b.id)"
            "  + b.range_count AS n,"
            " (SELECT COALESCE(SUM(k.last_index - k.first_index + 1), 0)"
            "  FROM slurm_jobs k WHERE k.submission_id = b.id) AS q"
            " FROM submissions b WHERE b.suite_id = ?1 AND b.state = 'submitted'"
            " AND b.wave_chunk IS NOT NULL)", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "count waiting tasks", err);
    bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *waiting = (long)sqlite3_column_int64(s, 0);
    else
        dberr(j, "count waiting tasks", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int ts_journal_intent_add_job(ts_journal *j, int64_t sub_id,
                              const ts_slurm_job *job, ts_err *err)
{
    sqlite3_stmt *s;

    if (tx_begin(j, err) < 0)
        return -1;
    if (!(s = st(j, S_JOB_UPSERT, err)))
        return tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    sqlite3_bind_int64(s, 2, job->array_job_id);
    sqlite3_bind_int64(s, 3, job->index_offset);
    sqlite3_bind_int64(s, 4, job->first_index);
    sqlite3_bind_int64(s, 5, job->last_index);
    if (job->reconcile_job_id)
        sqlite3_bind_int64(s, 6, job->reconcile_job_id);
    else
        sqlite3_bind_null(s, 6);
    if (run(j, s, S_JOB_UPSERT, err) < 0) {
        if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
            ts_errc(err, TS_EXIT_NOTFOUND, "no submission %lld in %s",
                    (long long)sub_id, j->path);
        return tx_fail(j);
    }
    return tx_commit(j, err);
}

int ts_journal_intent_set_reconcile_job(ts_journal *j, int64_t sub_id,
                                        uint32_t array_job_id,
                                        uint32_t reconcile_job_id, ts_err *err)
{
    sqlite3_stmt *s;

    if (tx_begin(j, err) < 0)
        return -1;
    if (!(s = st(j, S_JOB_RECONCILE, err)))
        return tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    sqlite3_bind_int64(s, 2, array_job_id);
    sqlite3_bind_int64(s, 3, reconcile_job_id);
    if (run(j, s, S_JOB_RECONCILE, err) < 0)
        return tx_fail(j);
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no Slurm job %u in submission %lld",
                array_job_id, (long long)sub_id);
        return tx_fail(j);
    }
    return tx_commit(j, err);
}

int ts_journal_intents_foreach(ts_journal *j, const char *suite_id,
                               unsigned state_mask, ts_intent_cb cb, void *arg,
                               ts_err *err)
{
    char sql[1024], states[256];
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (state_in("b.state", sub_state_names, TS_SUB_NSTATES, state_mask,
                 states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list submissions: bad filter");
    snprintf(sql, sizeof sql,
             "SELECT b.id, b.suite_id, b.state, b.manifest, b.created_at,"
             " b.updated_at,"
             " (SELECT COUNT(*) FROM submission_tasks t WHERE t.submission_id = b.id)"
             "  + b.range_count,"
             " (SELECT COUNT(*) FROM slurm_jobs k WHERE k.submission_id = b.id),"
             " (SELECT COALESCE(SUM(k.last_index - k.first_index + 1), 0)"
             "  FROM slurm_jobs k WHERE k.submission_id = b.id),"
             " b.wave_chunk IS NOT NULL"
             " FROM submissions b WHERE (?1 IS NULL OR b.suite_id = ?1) AND %s"
             " ORDER BY b.id", states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "list submissions", err);
    bind_text(s, 1, suite_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_intent_info in = {
            .id = sqlite3_column_int64(s, 0),
            .suite_id = col_text(s, 1),
            .state = (enum ts_sub_state)sub_state_parse(col_text(s, 2)),
            .manifest = col_text(s, 3),
            .created_at = sqlite3_column_double(s, 4),
            .updated_at = sqlite3_column_double(s, 5),
            .ntasks = (long)sqlite3_column_int64(s, 6),
            .njobs = (long)sqlite3_column_int64(s, 7),
            .queued = (long)sqlite3_column_int64(s, 8),
            .waves = sqlite3_column_int(s, 9) != 0,
        };
        if ((ret = cb(&in, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "list submissions", err);
    sqlite3_finalize(s);
    return ret;
}

int ts_journal_intent_tasks_foreach(ts_journal *j, int64_t sub_id,
                                    ts_intent_task_cb cb, void *arg,
                                    ts_err *err)
{
    sqlite3_stmt *s;
    int rc, ret = 0;

    /* A fresh submission is a range: position p is task first + p, attempt 1. */
    if (sqlite3_prepare_v2(j->db, "SELECT range_first, range_count FROM submissions"
                           " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "list submission tasks", err);
    sqlite3_bind_int64(s, 1, sub_id);
    rc = sqlite3_step(s);
    long first = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : 0;
    long count = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 1) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = dberr(j, "list submission tasks", err);
    sqlite3_finalize(s);
    if (ret || count > 0) {
        for (long p = 0; !ret && p < count; p++)
            ret = cb(p, first + p, 1, arg);
        return ret;
    }
    if (sqlite3_prepare_v2(j->db, "SELECT position, task_idx, attempt FROM"
                           " submission_tasks WHERE submission_id = ?1"
                           " ORDER BY position", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "list submission tasks", err);
    sqlite3_bind_int64(s, 1, sub_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((ret = cb((long)sqlite3_column_int64(s, 0),
                      (long)sqlite3_column_int64(s, 1),
                      sqlite3_column_int(s, 2), arg)) != 0)
            break;
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "list submission tasks", err);
    sqlite3_finalize(s);
    return ret;
}

int ts_journal_intent_jobs_foreach(ts_journal *j, int64_t sub_id, ts_job_cb cb,
                                   void *arg, ts_err *err)
{
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(j->db, "SELECT array_job_id, index_offset,"
                           " first_index, last_index, reconcile_job_id"
                           " FROM slurm_jobs WHERE submission_id = ?1"
                           " ORDER BY index_offset, array_job_id", -1, &s, NULL)
        != SQLITE_OK)
        return dberr(j, "list Slurm jobs", err);
    sqlite3_bind_int64(s, 1, sub_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_slurm_job job = {
            .array_job_id = (uint32_t)sqlite3_column_int64(s, 0),
            .index_offset = (long)sqlite3_column_int64(s, 1),
            .first_index = (long)sqlite3_column_int64(s, 2),
            .last_index = (long)sqlite3_column_int64(s, 3),
            .reconcile_job_id = (uint32_t)sqlite3_column_int64(s, 4),
        };
        if ((ret = cb(&job, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "list Slurm jobs", err);
    sqlite3_finalize(s);
    return ret;
}

/* ================================================================ attempts */

static enum ts_task_state task_state_of(enum ts_attempt_state a)
{
    switch (a) {
    case TS_ATT_COMPLETED: return TS_TASK_COMPLETED;
    case TS_ATT_FAILED: return TS_TASK_FAILED;
    case TS_ATT_TIMEOUT: return TS_TASK_TIMEOUT;
    case TS_ATT_CANCELLED: return TS_TASK_CANCELLED;
    case TS_ATT_NODE_FAIL: return TS_TASK_NODE_FAIL;
    case TS_ATT_PREEMPTED: return TS_TASK_PREEMPTED;
    default: return TS_TASK_RUNNING;     /* running, ended_by_signal */
    }
}

/* The task follows its attempt, if that is its latest and it is not
 * cancelled. exit_code < 0 / signo 0: none. */
static int task_follow(ts_journal *j, const char *suite_id, long idx,
                       int attempt, enum ts_attempt_state astate, int exit_code,
                       int signo, double now, ts_err *err)
{
    sqlite3_stmt *s;
    enum ts_task_state want = task_state_of(astate);
    int attempts, cur_exit, cur_sig, rc;
    const char *cur;
    bool cancelled, same;

    if (task_row(j, suite_id, idx, err) < 0 || !(s = st(j, S_TASK_GET, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    if ((rc = row(j, s, S_TASK_GET, err)) <= 0)
        return rc;
    attempts = sqlite3_column_int(s, 0);
    cur = col_text(s, 1);
    cancelled = strcmp(cur, "cancelled") == 0;
    cur_exit = col_null(s, 2) ? -1 : sqlite3_column_int(s, 2);
    cur_sig = col_null(s, 3) ? 0 : sqlite3_column_int(s, 3);
    same = strcmp(cur, ts_task_state_name(want)) == 0 && attempt == attempts
        && cur_exit == exit_code && cur_sig == signo;
    sqlite3_reset(s);
    if (cancelled || attempt < attempts || same)
        return 0;
    if (!(s = st(j, S_TASK_FOLLOW, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    bind_text(s, 3, ts_task_state_name(want));
    sqlite3_bind_int(s, 4, attempt);
    if (exit_code >= 0)
        sqlite3_bind_int(s, 5, exit_code);
    if (signo > 0)
        sqlite3_bind_int(s, 6, signo);
    sqlite3_bind_double(s, 7, now);
    return run(j, s, S_TASK_FOLLOW, err);
}

static bool is_final(enum ts_attempt_state a)
{
    return a != TS_ATT_RUNNING && a != TS_ATT_ENDED_BY_SIGNAL;
}

/* Recompute an attempt from its ranks (see journal.h), then its task; ev
 * is the rank record that changed (its identity fields are folded in). */
static int reaggregate(ts_journal *j, const ts_event *ev, double now,
                       ts_err *err)
{
    const char *suite_id = ev->suite_id;
    long idx = ev->task_idx;
    int attempt = ev->attempt;
    enum ts_attempt_state old, state;
    int num_nodes, exited = 0, rc;
    bool classified;
    /* The rank that decides each outcome: the lowest-numbered one. */
    int fail_code = -1, timeout_code = -1, sig = 0;
    bool any_fail = false, any_timeout = false, any_sig = false;
    double started = 0, ended = 0, fail_ended = 0;
    sqlite3_stmt *s = st(j, S_ATT_GET, err);

    if (!s)
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    if ((rc = row(j, s, S_ATT_GET, err)) <= 0)
        return rc;
    num_nodes = sqlite3_column_int(s, 0);
    if (ev->num_nodes > num_nodes)
        num_nodes = ev->num_nodes;
    old = (enum ts_attempt_state)ts_attempt_state_parse(col_text(s, 1));
    classified = sqlite3_column_int(s, 2) != 0;
    sqlite3_reset(s);

    if (!(s = st(j, S_RANKS, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        bool has_end = !col_null(s, 2);
        int code = col_null(s, 3) ? -1 : sqlite3_column_int(s, 3);
        int rsig = col_null(s, 4) ? 0 : sqlite3_column_int(s, 4);
        bool graceful = sqlite3_column_int(s, 5) != 0;
        double st_at = sqlite3_column_double(s, 1), en_at = sqlite3_column_double(s, 2);

        if (!col_null(s, 1) && (started == 0 || st_at < started))
            started = st_at;
        if (!has_end)
            continue;
        exited++;
        if (en_at > ended)
            ended = en_at;
        if (rsig == 0 && code == 0)
            continue;                       /* ok */
        if (code == 75 || graceful) {
            if (!any_timeout)
                timeout_code = code;
            any_timeout = true;
        } else if (rsig > 0) {
            if (!any_sig)
                sig = rsig;
            any_sig = true;
        } else {
            if (!any_fail) {
                fail_code = code;
                fail_ended = en_at;
            }
            any_fail = true;
        }
    }
    if (rc != SQLITE_DONE) {
        dberr(j, stmts[S_RANKS].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);

    int exit_code = -1, signo = 0;
    if (any_fail) {
        state = TS_ATT_FAILED;
        exit_code = fail_code;
        ended = fail_ended;
    } else if (exited >= num_nodes) {
        if (any_timeout) {
            state = TS_ATT_TIMEOUT;
            exit_code = timeout_code;
            signo = timeout_code < 0 ? sig : 0;
        } else if (any_sig) {
            state = TS_ATT_ENDED_BY_SIGNAL;
            signo = sig;
        } else {
            state = TS_ATT_COMPLETED;
            exit_code = 0;
        }
    } else {
        state = TS_ATT_RUNNING;
        ended = 0;
    }
    /* Reconcile's verdict stands unless the task itself says otherwise. */
    if (classified && !is_final(state))
        state = old;
    else
        classified = false;

    if (!(s = st(j, S_ATT_UPDATE, err)))
        return -1;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    bind_text(s, 4, ts_attempt_state_name(state));
    sqlite3_bind_int(s, 5, classified ? 1 : 0);
    if (started > 0)
        sqlite3_bind_double(s, 6, started);
    if (ended > 0)
        sqlite3_bind_double(s, 7, ended);
    if (exit_code >= 0)
        sqlite3_bind_int(s, 8, exit_code);
    if (signo > 0)
        sqlite3_bind_int(s, 9, signo);
    sqlite3_bind_int(s, 10, num_nodes);
    bind_text(s, 11, ev->jobid);
    sqlite3_bind_int(s, 12, ev->node_rank);
    bind_text(s, 13, ev->node);
    if (run(j, s, S_ATT_UPDATE, err) < 0)
        return -1;
    return task_follow(j, suite_id, idx, attempt, state, exit_code, signo, now,
                       err);
}

struct ingest {
    ts_journal *j;
    const char *suite_id;
    char file[PATH_MAX];        /* the one being read, relative to events/ */
    ts_ingest_stats *stats;
    ts_err *err;
    double now;
};

static void note_bad(struct ingest *in, const char *why)
{
    in->stats->bad++;
    /* A long reason is cut; the file name comes first. */
    if (in->stats->first_bad[0] == '\0'
        && !fits(snprintf(in->stats->first_bad, sizeof in->stats->first_bad,
                          "%s: %s", in->file, why), sizeof in->stats->first_bad))
        memcpy(in->stats->first_bad + sizeof in->stats->first_bad - 4, "...", 4);
}

static int adopt_job(ts_journal *j, const char *suite_id, long idx, int next,
                     uint32_t job_id, bool *adopted, ts_err *err);

/* Apply one record (inside the ingest transaction). */
static int apply_event(struct ingest *in, const ts_event *ev)
{
    ts_journal *j = in->j;
    ts_err *err = in->err;
    sqlite3_stmt *s;
    int rc;

    /* The task must exist: a record of another suite is not ours. */
    if (strcmp(ev->suite_id, in->suite_id) != 0) {
        note_bad(in, "record of another suite");
        return 0;
    }
    /* its first record gives a packed task its row */
    if ((rc = task_row(j, in->suite_id, ev->task_idx, err)) < 0)
        return -1;
    if (rc == 0) {
        note_bad(in, "record of a task not in the suite");
        return 0;
    }

    /* Once per key, ever. */
    if (!(s = st(j, S_EVENT_INSERT, err)))
        return -1;
    bind_text(s, 1, ev->key);
    bind_text(s, 2, ev->suite_id);
    sqlite3_bind_int64(s, 3, ev->task_idx);
    sqlite3_bind_int(s, 4, ev->attempt);
    bind_text(s, 5, ts_event_type_name(ev->type));
    sqlite3_bind_double(s, 6, ev->time);
    if (run(j, s, S_EVENT_INSERT, err) < 0)
        return -1;
    if (sqlite3_changes(j->db) == 0)
        return 0;
    in->stats->applied++;

    if (!(s = st(j, S_ATT_ENSURE, err)))
        return -1;
    bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    bind_text(s, 4, ev->jobid);
    bind_text(s, 5, ev->node);
    sqlite3_bind_int(s, 6, ev->num_nodes);
    if (run(j, s, S_ATT_ENSURE, err) < 0)
        return -1;

    switch (ev->type) {
    case TS_EV_STARTED:
        if (!(s = st(j, S_RANK_STARTED, err)))
            return -1;
        sqlite3_bind_double(s, 6, ev->time);
        rc = S_RANK_STARTED;
        break;
    case TS_EV_EXITED:
        if (!(s = st(j, S_RANK_EXITED, err)))
            return -1;
        sqlite3_bind_double(s, 6, ev->time);
        if (ev->signal > 0)
            sqlite3_bind_int(s, 8, ev->signal);
        else
            sqlite3_bind_int(s, 7, ev->exit_code);
        rc = S_RANK_EXITED;
        break;
    case TS_EV_GRACEFUL_TIMEOUT:
        if (!(s = st(j, S_RANK_GRACEFUL, err)))
            return -1;
        rc = S_RANK_GRACEFUL;
        break;
    case TS_EV_RESUBMITTED: {
        bool adopted;
        return adopt_job(j, ev->suite_id, ev->task_idx, ev->attempt + 1,
                         (uint32_t)ev->next_job, &adopted, err);
    }
    case TS_EV_SIGNAL_RECEIVED:
        if (!(s = st(j, S_ATT_WARNED, err)))
            return -1;
        bind_text(s, 1, ev->suite_id);
        sqlite3_bind_int64(s, 2, ev->task_idx);
        sqlite3_bind_int(s, 3, ev->attempt);
        sqlite3_bind_int(s, 4, ev->signal);
        return run(j, s, S_ATT_WARNED, err);
    case TS_EV_CHECKPOINT:
        if (!(s = st(j, S_CP_INSERT, err)))
            return -1;
        bind_text(s, 1, ev->suite_id);
        sqlite3_bind_int64(s, 2, ev->task_idx);
        sqlite3_bind_int(s, 3, ev->attempt);
        bind_text(s, 4, ev->path);
        if (ev->step >= 0)
            sqlite3_bind_int64(s, 5, ev->step);
        sqlite3_bind_double(s, 6, ev->time);
        bind_text(s, 7, ev->node);
        if (run(j, s, S_CP_INSERT, err) < 0 || !(s = st(j, S_TASK_LASTCP, err)))
            return -1;
        bind_text(s, 1, ev->suite_id);
        sqlite3_bind_int64(s, 2, ev->task_idx);
        sqlite3_bind_double(s, 3, in->now);
        return run(j, s, S_TASK_LASTCP, err);
    default:
        return 0;
    }
    /* A rank row changed: bind its identity, then re-aggregate. */
    bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    sqlite3_bind_int(s, 4, ev->node_rank);
    bind_text(s, 5, ev->node);
    if (run(j, s, (enum stmt_id)rc, err) < 0)
        return -1;
    return reaggregate(j, ev, in->now, err);
}

static int ingest_cb(const ts_event *ev, const char *bad, void *arg)
{
    struct ingest *in = arg;

    in->stats->records++;
    if (!ev) {
        note_bad(in, bad);
        return 0;
    }
    return apply_event(in, ev) < 0 ? -1 : 0;
}

static int ingest_file(struct ingest *in, const char *path, long long size)
{
    ts_journal *j = in->j;
    sqlite3_stmt *s;
    long long pos = 0, end = 0;
    int rc;

    if (!(s = st(j, S_OFFSET_GET, in->err)))
        return -1;
    bind_text(s, 1, in->suite_id);
    bind_text(s, 2, in->file);
    if ((rc = row(j, s, S_OFFSET_GET, in->err)) < 0)
        return -1;
    if (rc == 1) {
        pos = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    if (pos == size)
        return 0;                       /* nothing new */
    in->stats->files++;
    ts_err ioerr = { .msg = "" };
    rc = ts_events_read(path, pos, ingest_cb, in, &end, &ioerr);
    if (rc < 0 && ioerr.msg[0] != '\0') {
        /* The file, not the journal: skip it, try again next time. */
        note_bad(in, ioerr.msg);
        return 0;
    }
    if (rc != 0) {
        if (in->err && ioerr.msg[0] != '\0')
            *in->err = ioerr;
        return -1;
    }
    if (end == pos)
        return 0;
    if (!(s = st(j, S_OFFSET_SET, in->err)))
        return -1;
    bind_text(s, 1, in->suite_id);
    bind_text(s, 2, in->file);
    sqlite3_bind_int64(s, 3, end);
    return run(j, s, S_OFFSET_SET, in->err);
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 16;
}

static bool ev_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".ev") == 0;
}

/* Every *.ev file of one task directory, events/<name>/. */
static int scan_task_dir(struct ingest *in, int evfd, const char *evdir,
                         const char *name)
{
    char path[PATH_MAX];
    struct dirent *fe;
    DIR *td;
    int fd, rc = 0;

    if ((fd = openat(evfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
        || !(td = fdopendir(fd))) {
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(in->file, sizeof in->file, "%s", name);
            note_bad(in, strerror(errno));
        }
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while (rc == 0 && (fe = readdir(td))) {
        struct stat sb;

        if (!ev_name(fe->d_name))
            continue;
        if (!fits(snprintf(path, sizeof path, "%s/%s/%s", evdir, name,
                           fe->d_name), sizeof path)
            || !fits(snprintf(in->file, sizeof in->file, "%s/%s", name,
                              fe->d_name), sizeof in->file))
            continue;
        if (fstatat(dirfd(td), fe->d_name, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
            continue;
        rc = ingest_file(in, path, (long long)sb.st_size);
    }
    closedir(td);
    return rc;
}

/* The tasks whose event files can still change the journal: those whose
 * latest attempt has no verdict from its own records yet (not started,
 * running, ended_by_signal, or classified by reconcile, which the task's
 * records may overrule), and those with any such attempt. In index order.
 * Two scans side by side in primary key order (tasks, attempts), not a
 * lookup per task: a third of the time at 100,000 tasks. */
static bool att_open(const char *state, int classified)
{
    return classified || !state || !strcmp(state, "running")
           || !strcmp(state, "ended_by_signal");
}

static int cmp_long(const void *a, const void *b);

struct idx_list {
    long **v;
    size_t *n, *cap;
};

static int add_idx_cb(const ts_task_info *t, void *arg)
{
    struct idx_list *l = arg;
    if (*l->n == *l->cap) {
        size_t cap = *l->cap ? 2 * *l->cap : 256;
        long *nv = realloc(*l->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        *l->v = nv;
        *l->cap = cap;
    }
    (*l->v)[(*l->n)++] = t->idx;
    return 0;
}

/* Untouched tasks are live (never started): appended, then all sorted. */
static int add_untouched(ts_journal *j, const char *suite_id, long **v, size_t *n,
                         size_t *cap, ts_err *err)
{
    struct idx_list l = { v, n, cap };
    struct untouched u;
    ts_task_info t;
    size_t had = *n;
    int rc;

    if (untouched_open(j, &u, suite_id, 0, err) < 0) {
        untouched_close(&u);
        return -1;
    }
    while ((rc = untouched_next(j, &u, &t, err)) == 1)
        if (add_idx_cb(&t, &l) < 0) {
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: list live tasks: out of "
                         "memory");
            break;
        }
    untouched_close(&u);
    if (rc < 0)
        return -1;
    if (*n > had && had > 0)
        qsort(*v, *n, sizeof **v, cmp_long);
    return 0;
}

static int live_tasks(ts_journal *j, const char *suite_id, long **out,
                      size_t *n, ts_err *err)
{
    static const char *const sql[2] = {
        "SELECT idx, attempts FROM tasks WHERE suite_id = ?1 ORDER BY idx",
        ("SELECT task_idx, attempt, state, classified FROM attempts"
         " WHERE suite_id = ?1 ORDER BY task_idx, attempt"),
    };
    sqlite3_stmt *s[2] = { NULL, NULL };
    int rc[2] = { SQLITE_DONE, SQLITE_DONE }, ret = 0;
    size_t cap = 0;
    long *v = NULL;

    *n = 0;
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(j->db, sql[k], -1, &s[k], NULL) != SQLITE_OK) {
            ret = dberr(j, "list live tasks", err);
            goto out;
        }
        bind_text(s[k], 1, suite_id);
        rc[k] = sqlite3_step(s[k]);
    }
    while (rc[0] == SQLITE_ROW || rc[1] == SQLITE_ROW) {
        long tidx = rc[0] == SQLITE_ROW ? (long)sqlite3_column_int64(s[0], 0) : LONG_MAX;
        long aidx = rc[1] == SQLITE_ROW ? (long)sqlite3_column_int64(s[1], 0) : LONG_MAX;
        long idx = tidx < aidx ? tidx : aidx;
        bool is_task = tidx == idx, any_open = false, verdict = false;
        int latest = is_task ? sqlite3_column_int(s[0], 1) : 0;

        for (; aidx == idx; rc[1] = sqlite3_step(s[1]),
             aidx = rc[1] == SQLITE_ROW ? (long)sqlite3_column_int64(s[1], 0) : LONG_MAX) {
            if (att_open(col_text(s[1], 2), sqlite3_column_int(s[1], 3)))
                any_open = true;
            else if (is_task && sqlite3_column_int(s[1], 1) == latest)
                verdict = true;
        }
        if (is_task)
            rc[0] = sqlite3_step(s[0]);
        bool live = any_open || (is_task && !verdict);
        if (!live)
            continue;
        if (*n == cap) {
            long *nv = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof *v);
            if (!nv) {
                ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: list live tasks: out of "
                              "memory");
                goto out;
            }
            v = nv;
        }
        v[(*n)++] = idx;
    }
    if (rc[0] != SQLITE_DONE || rc[1] != SQLITE_DONE)
        ret = dberr(j, "list live tasks", err);
    else
        ret = add_untouched(j, suite_id, &v, n, &cap, err);
out:
    sqlite3_finalize(s[0]);
    sqlite3_finalize(s[1]);
    if (ret < 0) {
        free(v);
        *n = 0;
        return -1;
    }
    *out = v;
    return 0;
}

/* The task directories under events/, as sorted indices (only worth it when
 * there are many live tasks to look for: one listing instead of a failed
 * open for each task that has not started). */
static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static long *list_task_dirs(int evfd, size_t *n)
{
    int dfd = dup(evfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    size_t cap = 0;
    long *v = NULL;

    *n = 0;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return NULL;
    }
    while ((de = readdir(d))) {
        if (!all_digits(de->d_name))
            continue;
        if (*n == cap) {
            long *nv = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
            if (!nv) {
                free(v);
                closedir(d);
                return NULL;
            }
            v = nv;
        }
        v[(*n)++] = strtol(de->d_name, NULL, 10);
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, cmp_long);
    return v;
}

/* Live tasks from which on ingest lists events/ once (see list_task_dirs). */
#define LIVE_LIST_MIN 4096

static int ingest(ts_journal *j, const char *suite_id, const char *suite_dir,
                  bool all, ts_ingest_stats *stats, ts_err *err)
{
    ts_ingest_stats local;
    struct ingest *in;
    char evdir[PATH_MAX];
    enum ts_suite_state state;
    int evfd, rc = 0;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!fits(snprintf(evdir, sizeof evdir, "%s/events", suite_dir), sizeof evdir))
        return ts_errc(err, TS_EXIT_FAIL, "journal: ingest: path too long: %s",
                       suite_dir);
    if (!(in = calloc(1, sizeof *in)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: ingest: out of memory");
    *in = (struct ingest){ .j = j, .suite_id = suite_id, .stats = stats,
                           .err = err, .now = now_s() };
    if (tx_begin(j, err) < 0) {
        free(in);
        return -1;
    }
    if (suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if ((evfd = open(evdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT) {          /* nothing ran yet */
            stats->dirs = -1;
            free(in);
            return tx_commit(j, err);
        }
        ts_errc(err, TS_EXIT_FAIL, "journal: ingest: open %s: %s", evdir,
                strerror(errno));
        goto fail;
    }
    if (all) {
        int dfd = dup(evfd);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;

        if (!d) {
            ts_errc(err, TS_EXIT_FAIL, "journal: ingest: open %s: %s", evdir,
                    strerror(errno));
            if (dfd >= 0)
                close(dfd);
            close(evfd);
            goto fail;
        }
        while (rc == 0 && (de = readdir(d)))
            if (all_digits(de->d_name))
                rc = scan_task_dir(in, evfd, evdir, de->d_name);
        closedir(d);
    } else {
        long *live = NULL;
        size_t n = 0;

        if (live_tasks(j, suite_id, &live, &n, err) < 0) {
            close(evfd);
            goto fail;
        }
        /* Many live tasks (a big suite still running): most have not
         * started and have no directory; one listing finds those that do. */
        size_t nd = 0;
        long *dirs = n >= LIVE_LIST_MIN ? list_task_dirs(evfd, &nd) : NULL;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char name[32];
            if (dirs && !bsearch(&live[i], dirs, nd, sizeof *dirs, cmp_long))
                continue;
            snprintf(name, sizeof name, "%ld", live[i]);
            rc = scan_task_dir(in, evfd, evdir, name);
        }
        stats->dirs = (long)n;
        free(dirs);
        free(live);
    }
    close(evfd);
    if (rc < 0)
        goto fail;
    free(in);
    return tx_commit(j, err);
fail:
    free(in);
    return tx_fail(j);
}

int ts_journal_ingest(ts_journal *j, const char *suite_id,
                      const char *suite_dir, ts_ingest_stats *stats,
                      ts_err *err)
{
    return ingest(j, suite_id, suite_dir, false, stats, err);
}

int ts_journal_ingest_all(ts_journal *j, const char *suite_id,
                          const char *suite_dir, ts_ingest_stats *stats,
                          ts_err *err)
{
    return ingest(j, suite_id, suite_dir, true, stats, err);
}

int ts_journal_attempts_foreach(ts_journal *j, const char *suite_id,
                                long task_idx, unsigned state_mask,
                                ts_attempt_cb cb, void *arg, ts_err *err)
{
    char sql[2048], states[256];
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (state_in("a.state", attempt_state_names, TS_ATT_NSTATES, state_mask,
                 states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list attempts: bad filter");
    snprintf(sql, sizeof sql,
             "SELECT a.task_idx, a.attempt, a.slurm_job_id, a.node, a.num_nodes,"
             " a.state, a.classified, a.started_at, a.ended_at, a.exit_code,"
             " a.signal, a.warned, a.warn_signal,"
             " (SELECT COUNT(started_at) FROM attempt_ranks r WHERE"
             "  r.suite_id = a.suite_id AND r.task_idx = a.task_idx AND"
             "  r.attempt = a.attempt),"
             " (SELECT COUNT(ended_at) FROM attempt_ranks r WHERE"
             "  r.suite_id = a.suite_id AND r.task_idx = a.task_idx AND"
             "  r.attempt = a.attempt)"
             " FROM attempts a WHERE a.suite_id = ?1"
             " AND (?2 < 0 OR a.task_idx = ?2) AND %s"
             " ORDER BY a.task_idx, a.attempt", states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "list attempts", err);
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_attempt_info a = {
            .suite_id = suite_id,
            .task_idx = (long)sqlite3_column_int64(s, 0),
            .attempt = sqlite3_column_int(s, 1),
            .slurm_job_id = col_text(s, 2) ? col_text(s, 2) : "",
            .node = col_text(s, 3) ? col_text(s, 3) : "",
            .num_nodes = sqlite3_column_int(s, 4),
            .state = (enum ts_attempt_state)ts_attempt_state_parse(col_text(s, 5)),
            .classified = sqlite3_column_int(s, 6) != 0,
            .started_at = sqlite3_column_double(s, 7),
            .ended_at = sqlite3_column_double(s, 8),
            .exit_code = col_null(s, 9) ? -1 : sqlite3_column_int(s, 9),
            .signal = sqlite3_column_int(s, 10),
            .warned = sqlite3_column_int(s, 11) != 0,
            .warn_signal = sqlite3_column_int(s, 12),
            .ranks_started = sqlite3_column_int(s, 13),
            .ranks_exited = sqlite3_column_int(s, 14),
        };
        if ((ret = cb(&a, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = dberr(j, "list attempts", err);
    sqlite3_finalize(s);
    return ret;
}

int ts_journal_attempt_classify(ts_journal *j, const char *suite_id,
                                long task_idx, int attempt,
                                enum ts_attempt_state state, ts_err *err)
{
    sqlite3_stmt *s;
    int exit_code, signo;

    if (!ts_attempt_state_name(state) || !is_final(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: classify attempt: \"%s\" "
                       "is not a final state",
                       ts_attempt_state_name(state) ? ts_attempt_state_name(state)
                                                    : "?");
    if (attempt < 1)
        return ts_errc(err, TS_EXIT_FAIL, "journal: classify attempt: bad "
                       "attempt number %d", attempt);
    if (tx_begin(j, err) < 0)
        return -1;
    if (task_row(j, suite_id, task_idx, err) < 0 || !(s = st(j, S_ATT_CLASSIFY, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    sqlite3_bind_int(s, 3, attempt);
    bind_text(s, 4, ts_attempt_state_name(state));
    if (run(j, s, S_ATT_CLASSIFY, err) < 0) {
        if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
            ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s", task_idx,
                    suite_id);
        goto fail;
    }
    if (!(s = st(j, S_ATT_GET, err)))
        goto fail;
    bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    sqlite3_bind_int(s, 3, attempt);
    if (row(j, s, S_ATT_GET, err) <= 0)         /* upserted above: it exists */
        goto fail;
    exit_code = col_null(s, 3) ? -1 : sqlite3_column_int(s, 3);
    signo = col_null(s, 4) ? 0 : sqlite3_column_int(s, 4);
    sqlite3_reset(s);
    if (task_follow(j, suite_id, task_idx, attempt, state, exit_code, signo,
                    now_s(), err) < 0)
        goto fail;
    return tx_commit(j, err);
fail:
    return tx_fail(j);
}

/* ================================================================ discard */

int ts_journal_suite_discard(ts_journal *j, const char *suite_id, ts_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM events WHERE suite_id = ?1 AND NOT EXISTS ("
        " SELECT 1 FROM slurm_jobs sj JOIN submissions s ON s.id = sj.submission_id"
        " WHERE s.suite_id = ?1)",
        "DELETE FROM suites WHERE id = ?1 AND NOT EXISTS ("
        " SELECT 1 FROM slurm_jobs sj JOIN submissions s ON s.id = sj.submission_id"
        " WHERE s.suite_id = ?1)",
    };
    if (tx_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: discard suite %s: %s", suite_id,
                    sqlite3_errmsg(j->db));
            sqlite3_finalize(s);
            return tx_fail(j);
        }
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: discard suite %s: %s", suite_id,
                    sqlite3_errmsg(j->db));
            return tx_fail(j);
        }
    }
    return tx_commit(j, err);
}

/* ================================================================ requeue */

int ts_journal_task_requeued(ts_journal *j, const char *suite_id, long idx,
                             int next_attempt, ts_err *err)
{
    static const char sql[] =
        "UPDATE tasks SET state = 'pending', attempts = MAX(attempts, ?3),"
        " updated_at = ?4 WHERE suite_id = ?1 AND idx = ?2"
        " AND state != 'cancelled' AND attempts < ?3";
    sqlite3_stmt *s = NULL;
    int rc;

    if (tx_begin(j, err) < 0)
        return -1;
    if (task_row(j, suite_id, idx, err) < 0)
        return tx_fail(j);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: requeue task: %s", sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return tx_fail(j);
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, next_attempt);
    sqlite3_bind_double(s, 4, now_s());
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: requeue task: %s", sqlite3_errmsg(j->db));
        return tx_fail(j);
    }
    return tx_commit(j, err);
}

/* Attempts [first, next) of task idx were lost to a Slurm requeue of their
 * element (node failure, launch failure, preemption): one still `running`
 * (no ended record) is closed as node_fail, a number the requeue consumed
 * before the task started gets a node_fail row of its own, so the task's
 * attempts are numbered without gaps. One transaction. */
int ts_journal_attempts_lost(ts_journal *j, const char *suite_id, long idx,
                             int first, int next, ts_err *err)
{
    static const char *const sql[] = {
        "UPDATE attempts SET state = 'node_fail', classified = 1,"
        " ended_at = COALESCE(ended_at, ?5)"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt >= ?3 AND attempt < ?4"
        " AND (state = 'running' OR (state = 'ended_by_signal' AND classified = 0))",
        "INSERT OR IGNORE INTO attempts(suite_id, task_idx, attempt, state,"
        " classified, ended_at) SELECT ?1, ?2, ?3, 'node_fail', 1, ?5"
        " WHERE ?3 < ?4 AND EXISTS (SELECT 1 FROM tasks WHERE suite_id = ?1"
        " AND idx = ?2)",
    };
    if (first < 1)
        first = 1;
    if (first >= next)
        return 0;
    if (tx_begin(j, err) < 0)
        return -1;
    if (task_row(j, suite_id, idx, err) < 0)
        return tx_fail(j);
    for (int a = first; a <= next; a++)
        for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
            sqlite3_stmt *s = NULL;
            /* the UPDATE covers the whole range at once */
            if (i == 0 && a != first)
                continue;
            if (i == 1 && a == next)
                continue;
            if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
                ts_errc(err, TS_EXIT_JOURNAL, "journal: lost attempts: %s",
                        sqlite3_errmsg(j->db));
                sqlite3_finalize(s);
                return tx_fail(j);
            }
            sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, idx);
            sqlite3_bind_int(s, 3, i == 0 ? first : a);
            sqlite3_bind_int(s, 4, next);
            sqlite3_bind_double(s, 5, now_s());
            int rc = sqlite3_step(s);
            sqlite3_finalize(s);
            if (rc != SQLITE_DONE) {
                ts_errc(err, TS_EXIT_JOURNAL, "journal: lost attempts: %s",
                        sqlite3_errmsg(j->db));
                return tx_fail(j);
            }
        }
    return tx_commit(j, err);
}

/* Held elements released so far for task idx, logged in `events` as
 * `held_released` rows; one more is logged when fewer than max (*allowed). */
int ts_journal_held_release(ts_journal *j, const char *suite_id, long idx, int attempt,
                            const char *job_spec, int max, bool *allowed, ts_err *err)
{
    static const char *const sql[] = {
        "SELECT COUNT(*) FROM events WHERE suite_id = ?1 AND task_idx = ?2"
        " AND type = 'held_released'",
        "INSERT OR IGNORE INTO events(key, suite_id, task_idx, attempt, type, at)"
        " VALUES (?3, ?1, ?2, ?4, 'held_released', ?5)",
    };
    char key[160];
    long n = 0;

    *allowed = false;
    if (tx_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: held release: %s",
                    sqlite3_errmsg(j->db));
            sqlite3_finalize(s);
            return tx_fail(j);
        }
        snprintf(key, sizeof key, "held:%s:%ld:%s:%ld", suite_id, idx, job_spec, n + 1);
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, idx);
        if (i == 1) {
            sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 4, attempt);
            sqlite3_bind_double(s, 5, now_s());
        }
        int rc = sqlite3_step(s);
        if (i == 0 && rc == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: held release: %s",
                    sqlite3_errmsg(j->db));
            return tx_fail(j);
        }
        if (i == 0 && n >= max)
            break;
        if (i == 1)
            *allowed = true;
    }
    return tx_commit(j, err);
}

/* Whether a submission other than `intent` holds an attempt of task idx in
 * (attempt, upto]: the element that ran `attempt` had already queued its
 * successor (or a sync resubmitted the task) when Slurm reran it as upto,
 * so that rerun is not the task's attempt. */
int ts_journal_task_moved_on(ts_journal *j, const char *suite_id, long idx,
                             int attempt, int upto, int64_t intent, bool *moved,
                             ts_err *err)
{
    static const char sql[] =
        "SELECT 1 FROM submission_tasks WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt > ?3 AND attempt <= ?5 AND submission_id != ?4 LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc;

    *moved = false;
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: task moved on: %s", sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    sqlite3_bind_int64(s, 4, intent);
    sqlite3_bind_int(s, 5, upto);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        *moved = true;
    else if (rc != SQLITE_DONE)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: task moved on: %s",
                       sqlite3_errmsg(j->db));
    return 0;
}

/* A job that already runs the task's attempt `next` (queued by the previous
 * attempt's own job, see exec) becomes a submission of its own, left as an
 * intent with its job recorded, so that the next sync writes its manifest,
 * gives it a reconcile job and marks it submitted without queueing anything.
 * The task is pending with that attempt. One submission per (task,
 * attempt): when one exists already, nothing changes (*adopted 0). No
 * transaction of its own. */
static int adopt_job(ts_journal *j, const char *suite_id, long idx, int next,
                     uint32_t job_id, bool *adopted, ts_err *err)
{
    static const char *const sql[] = {
        "SELECT 1 FROM submission_tasks WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt = ?3 LIMIT 1",
        "INSERT INTO submissions(suite_id, state, created_at, updated_at)"
        " VALUES (?1, 'intent', ?4, ?4)",
        "INSERT INTO submission_tasks(submission_id, position, suite_id, task_idx,"
        " attempt) VALUES (?5, 0, ?1, ?2, ?3)",
        "INSERT INTO slurm_jobs(submission_id, array_job_id, index_offset, first_index,"
        " last_index) VALUES (?5, ?6, 0, 0, 0)",
        "UPDATE tasks SET state = 'pending', attempts = MAX(attempts, ?3), updated_at = ?4"
        " WHERE suite_id = ?1 AND idx = ?2 AND state != 'cancelled' AND attempts < ?3",
    };
    sqlite3_int64 sub = 0;
    *adopted = false;
    if (task_row(j, suite_id, idx, err) < 0)    /* submission_tasks refers to it */
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            sqlite3_finalize(s);
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: adopt job %u: %s", job_id,
                           sqlite3_errmsg(j->db));
        }
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, idx);
        sqlite3_bind_int(s, 3, next);
        if (sqlite3_bind_parameter_index(s, "?4"))
            sqlite3_bind_double(s, 4, now_s());
        if (sqlite3_bind_parameter_index(s, "?5"))
            sqlite3_bind_int64(s, 5, sub);
        if (sqlite3_bind_parameter_index(s, "?6"))
            sqlite3_bind_int64(s, 6, job_id);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (i == 0 && rc == SQLITE_ROW)
            return 0;                   /* that attempt has its submission */
        if (rc != SQLITE_DONE)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: adopt job %u: %s", job_id,
                           sqlite3_errmsg(j->db));
        if (i == 1)
            sub = sqlite3_last_insert_rowid(j->db);
    }
    *adopted = true;
    return 0;
}

int ts_journal_adopt_job(ts_journal *j, const char *suite_id, long idx, int next_attempt,
                         uint32_t job_id, bool *adopted, ts_err *err)
{
    bool dummy;
    if (!adopted)
        adopted = &dummy;
    if (tx_begin(j, err) < 0)
        return -1;
    if (adopt_job(j, suite_id, idx, next_attempt, job_id, adopted, err) < 0)
        return tx_fail(j);
    return tx_commit(j, err);
}

/* ================================================================ checkpoints */

int ts_journal_checkpoints_foreach(ts_journal *j, const char *suite_id, long task_idx,
                                   ts_checkpoint_cb cb, void *arg, ts_err *err)
{
    static const char sql[] =
        "SELECT task_idx, attempt, path, step, at, node FROM checkpoints"
        " WHERE suite_id = ?1 AND (?2 < 0 OR task_idx = ?2)"
        " ORDER BY task_idx, attempt, at, id";
    sqlite3_stmt *s = NULL;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list checkpoints: %s",
                       sqlite3_errmsg(j->db));
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, task_idx);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_checkpoint_info c = {
            .task_idx = (long)sqlite3_column_int64(s, 0),
            .attempt = sqlite3_column_int(s, 1),
            .path = (const char *)sqlite3_column_text(s, 2),
            .step = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1
                                                              : (long)sqlite3_column_int64(s, 3),
            .at = sqlite3_column_double(s, 4),
            .node = (const char *)sqlite3_column_text(s, 5),
        };
        if ((ret = cb(&c, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: list checkpoints: %s",
                      sqlite3_errmsg(j->db));
    sqlite3_finalize(s);
    return ret;
}

/* ================================================================ status walk */

/* Three statements stepped side by side, each in its primary key or index
 * order (no sort, nothing held but the current rows), under one read
 * snapshot. The page cache is kept small while they run: a walk touches
 * every page of the suite once, and caching them would make the memory of
 * `status --json` grow with the suite. */
#define WALK_CACHE_KIB "2048"

/* The walk's cursors over attempts and checkpoints, advanced task by task. */
struct walk {
    ts_journal *j;
    const ts_suite_walk_cbs *cb;
    void *arg;
    sqlite3_stmt *s[2];
    int rc[2];
};

static int walk_attempts(struct walk *w, const ts_task_info *ti)
{
    int ret;
    /* Rows of a task not in the table cannot be (foreign keys); skip
     * any below the current index all the same. */
    for (; w->rc[0] == SQLITE_ROW; w->rc[0] = sqlite3_step(w->s[0])) {
        sqlite3_stmt *a = w->s[0];
        long idx = (long)sqlite3_column_int64(a, 0);
        if (idx > ti->idx)
            break;
        if (idx < ti->idx || !w->cb->attempt)
            continue;
        ts_attempt_info ai = {
            .suite_id = ti->suite_id,
            .task_idx = idx,
            .attempt = sqlite3_column_int(a, 1),
            .slurm_job_id = col_text(a, 2) ? col_text(a, 2) : "",
            .node = col_text(a, 3) ? col_text(a, 3) : "",
            .num_nodes = sqlite3_column_int(a, 4),
            .ranks_started = -1,
            .ranks_exited = -1,
            .state = (enum ts_attempt_state)ts_attempt_state_parse(col_text(a, 5)),
            .classified = sqlite3_column_int(a, 6) != 0,
            .started_at = sqlite3_column_double(a, 7),
            .ended_at = sqlite3_column_double(a, 8),
            .exit_code = col_null(a, 9) ? -1 : sqlite3_column_int(a, 9),
            .signal = sqlite3_column_int(a, 10),
            .warned = sqlite3_column_int(a, 11) != 0,
            .warn_signal = sqlite3_column_int(a, 12),
        };
        if ((ret = w->cb->attempt(&ai, w->arg)) != 0)
            return ret;
    }
    return 0;
}

static int walk_checkpoints(struct walk *w, const ts_task_info *ti)
{
    int ret;
    for (; w->rc[1] == SQLITE_ROW; w->rc[1] = sqlite3_step(w->s[1])) {
        sqlite3_stmt *c = w->s[1];
        long idx = (long)sqlite3_column_int64(c, 0);
        if (idx > ti->idx)
            break;
        if (idx < ti->idx || !w->cb->checkpoint)
            continue;
        ts_checkpoint_info ci = {
            .task_idx = idx,
            .attempt = sqlite3_column_int(c, 1),
            .path = col_text(c, 2),
            .step = col_null(c, 3) ? -1 : (long)sqlite3_column_int64(c, 3),
            .at = sqlite3_column_double(c, 4),
            .node = col_text(c, 5),
        };
        if ((ret = w->cb->checkpoint(&ci, w->arg)) != 0)
            return ret;
    }
    return 0;
}

static int walk_task(const ts_task_info *ti, void *arg)
{
    struct walk *w = arg;
    int ret;

    if (w->cb->task && (ret = w->cb->task(ti, w->arg)) != 0)
        return ret;
    if ((ret = walk_attempts(w, ti)) != 0 || (ret = walk_checkpoints(w, ti)) != 0)
        return ret;
    if (w->cb->task_end && (ret = w->cb->task_end(ti, w->arg)) != 0)
        return ret;
    return 0;
}

int ts_journal_suite_walk(ts_journal *j, const char *suite_id,
                          const ts_suite_walk_cbs *cb, void *arg, ts_err *err)
{
    static const char *const sql[2] = {
        ("SELECT task_idx, attempt, slurm_job_id, node, num_nodes, state,"
         " classified, started_at, ended_at, exit_code, signal, warned, warn_signal"
         " FROM attempts WHERE suite_id = ?1 ORDER BY task_idx, attempt"),
        ("SELECT task_idx, attempt, path, step, at, node FROM checkpoints"
         " WHERE suite_id = ?1 ORDER BY task_idx, attempt, at, id"),
    };
    struct walk w = { .j = j, .cb = cb, .arg = arg,
                      .rc = { SQLITE_DONE, SQLITE_DONE } };
    int ret = 0;
    bool began = false;

    if (exec_sql(j, "walk suite", "PRAGMA cache_size = -" WALK_CACHE_KIB, err) < 0)
        return -1;
    if (sqlite3_get_autocommit(j->db)) {
        if (exec_sql(j, "walk suite", "BEGIN", err) < 0) {
            ret = -1;
            goto out;
        }
        began = true;
    }
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(j->db, sql[k], -1, &w.s[k], NULL) != SQLITE_OK) {
            ret = dberr(j, "walk suite", err);
            goto out;
        }
        bind_text(w.s[k], 1, suite_id);
        w.rc[k] = sqlite3_step(w.s[k]);
    }
    ret = tasks_merged(j, suite_id, 0, "walk suite", walk_task, &w, err);
    for (int k = 0; ret == 0 && k < 2; k++)
        if (w.rc[k] != SQLITE_DONE && w.rc[k] != SQLITE_ROW)
            ret = dberr(j, "walk suite", err);
out:
    for (int k = 0; k < 2; k++)
        sqlite3_finalize(w.s[k]);
    if (began)
        sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_exec(j->db, "PRAGMA cache_size = -" CACHE_KIB, NULL, NULL, NULL);
    return ret;
}

/* ================================================================ settled */

int ts_journal_count_states(ts_journal *j, const char *suite_id, unsigned state_mask,
                            long *n, ts_err *err)
{
    char sql[1024], states[256];
    sqlite3_stmt *s = NULL;
    int rc;

    *n = 0;
    if (!state_mask)
        return 0;
    if (state_in("state", task_state_names, TS_TASK_NSTATES, state_mask, states,
                 sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: count tasks: bad filter");
    snprintf(sql, sizeof sql, "SELECT (SELECT COUNT(*) FROM tasks WHERE suite_id = ?1"
             " AND %s) + (SELECT COALESCE(SUM(untouched), 0) FROM task_chunks"
             " WHERE suite_id = ?1 AND %s)", states, states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "count tasks", err);
    bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return dberr(j, "count tasks", err);
    return 0;
}

int ts_journal_settle_key(ts_journal *j, const char *suite_id, char *buf,
                          size_t len, bool *quiet, ts_counts *counts, ts_err *err)
{
    static const char sql[] =
        "SELECT s.state, s.total_tasks, s.last_added_at, s.completions,"
        " s.close_after_s, s.max_retries, s.retry_on,"
        " (SELECT COUNT(*) FROM submissions b WHERE b.suite_id = s.id),"
        " (SELECT COALESCE(MAX(b.id), 0) FROM submissions b WHERE b.suite_id = s.id),"
        " EXISTS (SELECT 1 FROM submissions b WHERE b.suite_id = s.id"
        "         AND b.state IN ('intent', 'submitted')),"
        " EXISTS (SELECT 1 FROM attempts a WHERE a.suite_id = s.id"
        "         AND a.state IN ('running', 'ended_by_signal'))"
        " FROM suites s WHERE s.id = ?1";
    sqlite3_stmt *s = NULL;
    ts_counts c;
    size_t o;
    int rc;

    *quiet = false;
    if (ts_journal_counts(j, suite_id, &c, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "read suite fingerprint", err);
    bind_text(s, 1, suite_id);
    if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", suite_id, j->path);
        else
            dberr(j, "read suite fingerprint", err);
        sqlite3_finalize(s);
        return -1;
    }
    o = (size_t)snprintf(buf, len, "1 %s %lld %.6f %lld %lld %d %lld %lld %lld",
                         col_text(s, 0) ? col_text(s, 0) : "?",
                         (long long)sqlite3_column_int64(s, 1),
                         sqlite3_column_double(s, 2),
                         (long long)sqlite3_column_int64(s, 3),
                         (long long)sqlite3_column_int64(s, 4),
                         sqlite3_column_int(s, 5),
                         (long long)sqlite3_column_int64(s, 6),
                         (long long)sqlite3_column_int64(s, 7),
                         (long long)sqlite3_column_int64(s, 8));
    for (int k = 0; k < TS_TASK_NSTATES && o < len; k++)
        o += (size_t)snprintf(buf + o, len - o, "%s%ld", k ? "," : " ", c.n[k]);
    *quiet = c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 0
             && sqlite3_column_int(s, 9) == 0 && sqlite3_column_int(s, 10) == 0;
    sqlite3_finalize(s);
    if (o >= len)
        return ts_errc(err, TS_EXIT_FAIL, "journal: suite fingerprint too long");
    if (counts)
        *counts = c;
    return 0;
}

int ts_journal_settled_get(ts_journal *j, const char *suite_id, char *buf,
                           size_t len, ts_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (len)
        buf[0] = '\0';
    if (sqlite3_prepare_v2(j->db, "SELECT settled FROM suites WHERE id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return dberr(j, "read settled mark", err);
    bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && col_text(s, 0) && len)
        snprintf(buf, len, "%s", col_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dberr(j, "read settled mark", err);
    return 0;
}

int ts_journal_settled_set(ts_journal *j, const char *suite_id, const char *key,
                           ts_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "UPDATE suites SET settled = ?2 WHERE id = ?1"
                           " AND settled IS NOT ?2", -1, &s, NULL) != SQLITE_OK)
        return dberr(j, "store settled mark", err);
    bind_text(s, 1, suite_id);
    bind_text(s, 2, key);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return dberr(j, "store settled mark", err);
    return 0;
}
