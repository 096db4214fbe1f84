/* requeue.c: what Slurm's requeues and the jobs' own resubmissions do to
 * the journal: a task requeued, attempts lost to a requeue, held elements
 * released, whether a task moved on, and adopting a job that already runs
 * a task's next attempt. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "rankrule.h"

int ts_journal_task_requeued(ts_journal *j, const char *suite_id, long idx,
                             int next_attempt, ts_err *err)
{
    static const char sql[] =
        "UPDATE tasks SET state = 'pending', attempts = MAX(attempts, ?3),"
        " updated_at = ?4 WHERE suite_id = ?1 AND idx = ?2"
        " AND state != 'cancelled' AND attempts < ?3";
    sqlite3_stmt *s = NULL;
    int rc;

    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_task_row(j, suite_id, idx, err) < 0)
        return jn_tx_fail(j);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: requeue task: %s", sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return jn_tx_fail(j);
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, next_attempt);
    sqlite3_bind_double(s, 4, jn_now());
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: requeue task: %s", sqlite3_errmsg(j->db));
        return jn_tx_fail(j);
    }
    return jn_tx_commit(j, err);
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
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_task_row(j, suite_id, idx, err) < 0)
        return jn_tx_fail(j);
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
                return jn_tx_fail(j);
            }
            sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, idx);
            sqlite3_bind_int(s, 3, i == 0 ? first : a);
            sqlite3_bind_int(s, 4, next);
            sqlite3_bind_double(s, 5, jn_now());
            int rc = sqlite3_step(s);
            sqlite3_finalize(s);
            if (rc != SQLITE_DONE) {
                ts_errc(err, TS_EXIT_JOURNAL, "journal: lost attempts: %s",
                        sqlite3_errmsg(j->db));
                return jn_tx_fail(j);
            }
        }
    return jn_tx_commit(j, err);
}

int ts_journal_attempt_close_stale(ts_journal *j, const char *suite_id, long idx,
                                   int attempt, enum ts_attempt_state state, bool *closed,
                                   ts_err *err)
{
    /* Read first: a sync meets the same settled attempts again and again
     * until their submission is done, and a read costs no write. */
#define TS_STALE_OPEN " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" \
        " AND (state = 'running' OR (state = 'ended_by_signal' AND classified = 0))"
    static const char *const sql[] = {
        "SELECT 1 FROM attempts" TS_STALE_OPEN,
        "UPDATE attempts SET state = ?4, classified = 1, ended_at = COALESCE(ended_at, ?5)"
        TS_STALE_OPEN,
    };
#undef TS_STALE_OPEN
    bool dummy;

    if (!closed)
        closed = &dummy;
    *closed = false;
    if (!ts_attempt_state_name(state) || !ts_attempt_state_is_final(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: close attempt: not a final state");
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: close attempt: %s", sqlite3_errmsg(j->db));
            sqlite3_finalize(s);
            return -1;
        }
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, idx);
        sqlite3_bind_int(s, 3, attempt);
        if (i == 1) {
            sqlite3_bind_text(s, 4, ts_attempt_state_name(state), -1, SQLITE_STATIC);
            sqlite3_bind_double(s, 5, jn_now());
        }
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (i == 0 && rc == SQLITE_DONE)
            return 0;                       /* not open: nothing to close */
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: close attempt: %s",
                           sqlite3_errmsg(j->db));
    }
    *closed = sqlite3_changes(j->db) > 0;
    return 0;
}

int ts_journal_attempt_unstarted(ts_journal *j, const char *suite_id, long idx, int attempt,
                                 bool *unstarted, ts_err *err)
{
    static const char sql[] =
        "SELECT (SELECT COUNT(*) FROM attempts WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt = ?3 AND started_at IS NOT NULL)"
        " + (SELECT COUNT(*) FROM attempt_ranks WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt = ?3 AND started_at IS NOT NULL)";
    sqlite3_stmt *s = NULL;

    *unstarted = false;
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: attempt started: %s", sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *unstarted = sqlite3_column_int64(s, 0) == 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: attempt started: %s",
                       sqlite3_errmsg(j->db));
    return 0;
}

int ts_journal_attempt_launch_lost(ts_journal *j, const char *suite_id, long idx,
                                   int attempt, const char *job, ts_err *err)
{
    static const char sql[] =
        "UPDATE attempts SET slurm_job_id = COALESCE(slurm_job_id, ?4),"
        " ended_at = COALESCE(ended_at, ?5)"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3";
    sqlite3_stmt *s = NULL;

    if (ts_journal_attempt_classify(j, suite_id, idx, attempt, TS_ATT_NODE_FAIL, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: lost launch: %s", sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_int(s, 3, attempt);
    sqlite3_bind_text(s, 4, job, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 5, jn_now());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: lost launch: %s", sqlite3_errmsg(j->db));
    return 0;
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
    if (jn_tx_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: held release: %s",
                    sqlite3_errmsg(j->db));
            sqlite3_finalize(s);
            return jn_tx_fail(j);
        }
        snprintf(key, sizeof key, "held:%s:%ld:%s:%ld", suite_id, idx, job_spec, n + 1);
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, idx);
        if (i == 1) {
            sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 4, attempt);
            sqlite3_bind_double(s, 5, jn_now());
        }
        int rc = sqlite3_step(s);
        if (i == 0 && rc == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: held release: %s",
                    sqlite3_errmsg(j->db));
            return jn_tx_fail(j);
        }
        if (i == 0 && n >= max)
            break;
        if (i == 1)
            *allowed = true;
    }
    return jn_tx_commit(j, err);
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
int jn_adopt_job(ts_journal *j, const char *suite_id, long idx, int next,
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
    /* job 0: a pool agent queued the attempt in the pool itself (doc/pool.md,
     * "Submitting"): a submission with nothing left to queue, no job. */
    static const char pooled[] = "INSERT INTO submissions(suite_id, state, created_at,"
                                 " updated_at) VALUES (?1, 'submitted', ?4, ?4)";
    sqlite3_int64 sub = 0;
    *adopted = false;
    if (jn_task_row(j, suite_id, idx, err) < 0)    /* submission_tasks refers to it */
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (job_id == 0 && i == 3)
            continue;
        if (sqlite3_prepare_v2(j->db, job_id == 0 && i == 1 ? pooled : sql[i], -1, &s, NULL)
            != SQLITE_OK) {
            sqlite3_finalize(s);
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: adopt job %u: %s", job_id,
                           sqlite3_errmsg(j->db));
        }
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, idx);
        sqlite3_bind_int(s, 3, next);
        if (sqlite3_bind_parameter_index(s, "?4"))
            sqlite3_bind_double(s, 4, jn_now());
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
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_adopt_job(j, suite_id, idx, next_attempt, job_id, adopted, err) < 0)
        return jn_tx_fail(j);
    return jn_tx_commit(j, err);
}
