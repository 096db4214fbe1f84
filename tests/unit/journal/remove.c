/* remove.c: ts_journal_suite_remove deletes every row that names the
 * suite, in every table with a suite_id column (found from the schema, so a
 * table a later migration adds is checked too), and nothing of another
 * suite. Rows of the tables the journal fills while tasks run are written
 * with plain SQLite: what is deleted matters here, not how it got there. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "tap.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static const ts_task_new two[] = { { .name = "a" }, { .name = "b" } };

static int create(ts_journal *j, const char *name, char id[TS_SUITE_ID_LEN + 1])
{
    static const char *const labels[] = { "project:x" };
    ts_suite_new sn = { .name = name, .owner_uid = 1234, .labels = labels, .nlabels = 1,
                        .close_after_s = 0, .max_retries = 3, .retry_on = 1 };
    ts_err err = { .msg = "" };
    int64_t sub;
    if (ts_journal_suite_create(j, &sn, two, 2, id, &sub, &err) < 0) {
        diag("create: %s", err.msg);
        return -1;
    }
    return 0;
}

/* What the run adds: task rows, an attempt with a rank, a checkpoint, an
 * event, an ingest offset, an array. */
static int fill(sqlite3 *db, const char *id)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT OR IGNORE INTO tasks (suite_id, idx, name, updated_at) VALUES ('%1$s', 0, 'a', 0);"
             "INSERT INTO attempts (suite_id, task_idx, attempt) VALUES ('%1$s', 0, 1);"
             "INSERT INTO attempt_ranks (suite_id, task_idx, attempt, node_rank) VALUES ('%1$s', 0, 1, 0);"
             "INSERT INTO checkpoints (suite_id, task_idx, attempt, path, at) VALUES ('%1$s', 0, 1, '/c', 0);"
             "INSERT INTO events (key, suite_id, task_idx, attempt, type, at) VALUES ('k%1$s', '%1$s', 0, 1, 'started', 0);"
             "INSERT INTO ingest_offsets (suite_id, file, pos) VALUES ('%1$s', 'f', 1);"
             "INSERT INTO slurm_jobs (submission_id, array_job_id, first_index, last_index)"
             " SELECT id, 42, 0, 1 FROM submissions WHERE suite_id = '%1$s';", id);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        diag("fill: %s", msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Rows naming the suite, over every table with a suite_id column, plus its
 * suites row and the arrays of its submissions. */
static long rows_of(sqlite3 *db, const char *id)
{
    sqlite3_stmt *t;
    long n = 0;
    if (sqlite3_prepare_v2(db, "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p"
                               " WHERE m.type = 'table' AND p.name = 'suite_id'", -1, &t,
                           NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(t) == SQLITE_ROW) {
        char sql[256];
        sqlite3_stmt *c;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE suite_id = ?1",
                 (const char *)sqlite3_column_text(t, 0));
        if (sqlite3_prepare_v2(db, sql, -1, &c, NULL) != SQLITE_OK) {
            sqlite3_finalize(t);
            return -1;
        }
        sqlite3_bind_text(c, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(c) == SQLITE_ROW)
            n += sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
    }
    sqlite3_finalize(t);
    char sql[256];
    sqlite3_stmt *c;
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM suites WHERE id = '%s')"
             " + (SELECT count(*) FROM slurm_jobs WHERE submission_id NOT IN"
             " (SELECT id FROM submissions))", id);
    if (sqlite3_prepare_v2(db, sql, -1, &c, NULL) == SQLITE_OK && sqlite3_step(c) == SQLITE_ROW)
        n += sqlite3_column_int64(c, 0);
    sqlite3_finalize(c);
    return n;
}

int main(void)
{
    char root[] = "/tmp/ts-remove-XXXXXX", dbpath[256];
    char gone[TS_SUITE_ID_LEN + 1], kept[TS_SUITE_ID_LEN + 1];
    ts_journal *j = NULL;
    ts_err err = { .msg = "" };
    sqlite3 *db = NULL;

    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    snprintf(dbpath, sizeof dbpath, "%s/journal.db", root);
    if (ts_journal_open(root, &j, &err) < 0 || create(j, "gone", gone) < 0
        || create(j, "kept", kept) < 0 || sqlite3_open(dbpath, &db) != SQLITE_OK) {
        printf("Bail out! setup: %s\n", err.msg);
        return 1;
    }
    sqlite3_busy_timeout(db, 5000);
    ok(fill(db, gone) == 0 && fill(db, kept) == 0, "rows in every table for both suites");
    long before_kept = rows_of(db, kept);
    ok(rows_of(db, gone) > 10, "the suite to remove has rows (%ld)", rows_of(db, gone));
    ok(ts_journal_suite_remove(j, gone, &err) == 0, "remove: %s", err.msg);
    ok(rows_of(db, gone) == 0, "no row names the removed suite (%ld left)", rows_of(db, gone));
    ok(rows_of(db, kept) == before_kept, "the other suite keeps all its rows (%ld)",
       rows_of(db, kept));
    ts_err e2 = { .msg = "" };
    ok(ts_journal_suite_get(j, gone, &(ts_suite_info){ 0 }, &e2) < 0
       && e2.code == TS_EXIT_NOTFOUND, "it is not found any more (exit 3): %s", e2.msg);
    ok(ts_journal_suite_remove(j, gone, &err) == 0, "removing it again changes nothing");
    sqlite3_close(db);
    ts_journal_close(j);
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
