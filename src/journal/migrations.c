/* migrations.c: the journal's schema, as the list of migrations (the
 * `migrations` array below: step i brings PRAGMA user_version from i to
 * i + 1; append a new step at its end, never edit one), and applying the
 * missing ones when a journal is opened (jn_upgrade, called by db.c). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "journal.h"
#include "journal_int.h"

/* A step that rebuilds a table other tables refer to starts with this:
 * jn_upgrade turns foreign keys off around it (not possible inside its
 * transaction) and checks them before committing. */
#define FK_OFF_MARK "-- foreign keys off\n"

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
     * time anything changes it (jn_task_row). Until then it is `untouched`:
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
    /* The column holds the submit record (src/suite/record.h), not a spec. */
    "ALTER TABLE suites RENAME COLUMN spec_json TO submit_record;",
    /* 5 -> 6: a lazy matrix suite (expand.h) stores its axes once here
     * instead of every task's name and args in task_chunk_data: its
     * task_chunks rows have no data row, and readers decode the tasks from
     * the axes (matrix.c). axes: see axes_pack; num_nodes: the suite's. */
    "CREATE TABLE task_matrix ("
    "  suite_id  TEXT PRIMARY KEY REFERENCES suites(id) ON DELETE CASCADE,"
    "  num_nodes INTEGER NOT NULL,"
    "  axes      BLOB NOT NULL"
    ") WITHOUT ROWID;",
    /* 6 -> 7: a task of a graph whose upstream failed for good is
     * `skipped` (doc/dags.md). SQLite cannot change a CHECK in place: the
     * table is rebuilt (SQLite's documented procedure, ALTER TABLE section
     * 7), with foreign keys off meanwhile so that dropping the old table
     * cascades to nothing (jn_upgrade does that for a step starting with
     * FK_OFF_MARK). */
    FK_OFF_MARK
    "CREATE TABLE tasks_new ("
    "  suite_id        TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  idx             INTEGER NOT NULL CHECK (idx >= 0),"
    "  name            TEXT NOT NULL,"
    "  args_json       TEXT NOT NULL DEFAULT '{}',"
    "  priority        INTEGER NOT NULL DEFAULT 0,"
    "  num_nodes       INTEGER NOT NULL DEFAULT 1,"
    "  state           TEXT NOT NULL DEFAULT 'pending'"
    "                  CHECK (state IN ('pending','running','completed','failed',"
    "                         'timeout','cancelled','node_fail','preempted','skipped')),"
    "  attempts        INTEGER NOT NULL DEFAULT 0,"
    "  last_exit       INTEGER,"
    "  last_signal     INTEGER,"
    "  last_checkpoint TEXT,"
    "  last_step       INTEGER,"
    "  updated_at      REAL NOT NULL,"
    "  PRIMARY KEY (suite_id, idx),"
    "  UNIQUE (suite_id, name)"
    ") WITHOUT ROWID;"
    "INSERT INTO tasks_new SELECT suite_id, idx, name, args_json, priority, num_nodes,"
    "  state, attempts, last_exit, last_signal, last_checkpoint, last_step, updated_at"
    "  FROM tasks;"
    "DROP TABLE tasks;"
    "ALTER TABLE tasks_new RENAME TO tasks;"
    "CREATE INDEX tasks_state ON tasks(suite_id, state);",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int ts_journal_schema_version(void)
{
    return SCHEMA_VERSION;
}

int jn_user_version(ts_journal *j, int *v, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    *v = 0;
    if (sqlite3_prepare_v2(j->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "read schema version", err);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(s, 0);
    else
        jn_dberr(j, "read schema version", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* After a table rebuild: no row may refer to one that is gone. */
static int fk_check(ts_journal *j, const char *op, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(j->db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, op, err);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return ts_errf(err, "journal: %s: a row refers to one that is gone", op);
    return rc == SQLITE_DONE ? 0 : jn_dberr(j, op, err);
}

/* Under the lock: set the journal mode, apply missing migrations. */
int jn_upgrade(ts_journal *j, bool set_mode, ts_err *err)
{
    int v;

    if (set_mode && jn_exec(j, "set journal mode", j->wal
                             ? "PRAGMA journal_mode=WAL"
                             : "PRAGMA journal_mode=DELETE", err) < 0)
        return -1;
    if (jn_user_version(j, &v, err) < 0)
        return -1;
    for (; v < SCHEMA_VERSION; v++) {
        char op[64], pragma[64];
        snprintf(op, sizeof op, "migrate schema to version %d", v + 1);
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        bool fk_off = strncmp(migrations[v], FK_OFF_MARK, strlen(FK_OFF_MARK)) == 0;
        if (fk_off && jn_exec(j, op, "PRAGMA foreign_keys = OFF", err) < 0)
            return -1;
        if (jn_exec(j, op, "BEGIN IMMEDIATE", err) < 0)
            goto fail;
        if (jn_exec(j, op, migrations[v], err) < 0
            || (fk_off && fk_check(j, op, err) < 0)
            || jn_exec(j, op, pragma, err) < 0
            || jn_exec(j, op, "COMMIT", err) < 0) {
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (fk_off && jn_exec(j, op, "PRAGMA foreign_keys = ON", err) < 0)
            return -1;
        continue;
fail:
        if (fk_off)
            sqlite3_exec(j->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}
