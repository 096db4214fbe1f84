/* intents.c: submissions (intents): created before anything is queued,
 * then their manifest, state, waves and Slurm jobs as the submit goes;
 * listing them, their tasks and their jobs. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

/* Task idx's next attempt, at position pos of submission sid (inside a
 * tx): the task's attempt count bumped, a submission_tasks row for it. */
static int intent_task(ts_journal *j, const char *suite_id, int64_t sid, size_t pos,
                       long idx, double now, ts_err *err)
{
    sqlite3_stmt *s;
    int attempt;

    if (jn_task_row(j, suite_id, idx, err) < 0
        || !(s = jn_st(j, S_TASK_BUMP, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_double(s, 3, now);
    if (jn_run(j, s, S_TASK_BUMP, err) < 0)
        return -1;
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s",
                idx, suite_id);
        return -1;
    }
    if (!(s = jn_st(j, S_TASK_GET, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    if (jn_row(j, s, S_TASK_GET, err) <= 0)    /* bumped above: it exists */
        return -1;
    attempt = sqlite3_column_int(s, 0);
    sqlite3_reset(s);

    if (!(s = jn_st(j, S_SUBTASK_INSERT, err)))
        return -1;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)pos);
    jn_bind_text(s, 3, suite_id);
    sqlite3_bind_int64(s, 4, idx);
    sqlite3_bind_int(s, 5, attempt);
    if (jn_run(j, s, S_SUBTASK_INSERT, err) < 0)
        return -1;
    return 0;
}

int ts_journal_intent_create(ts_journal *j, const char *suite_id,
                             const long *task_idx, size_t n, int64_t *sub_id,
                             ts_err *err)
{
    enum ts_suite_state state;
    double now = jn_now();
    sqlite3_stmt *s;
    int64_t sid;

    if (n == 0)
        return ts_errc(err, TS_EXIT_USAGE, "no task to submit");
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if (state == TS_SUITE_CANCELLED) {
        ts_errc(err, TS_EXIT_FAIL, "suite %s is cancelled: nothing more is "
                "submitted for it", suite_id);
        goto fail;
    }
    if (!(s = jn_st(j, S_SUB_INSERT, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_double(s, 2, now);
    if (jn_run(j, s, S_SUB_INSERT, err) < 0)
        goto fail;
    sid = sqlite3_last_insert_rowid(j->db);
    for (size_t i = 0; i < n; i++)
        if (intent_task(j, suite_id, sid, i, task_idx[i], now, err) < 0)
            goto fail;
    if (state == TS_SUITE_COMPLETE
        && jn_set_suite_state(j, suite_id, TS_SUITE_CLOSED, now, err) < 0)
        goto fail;
    if (jn_tx_commit(j, err) < 0)
        return -1;
    if (sub_id)
        *sub_id = sid;
    return 0;
fail:
    return jn_tx_fail(j);
}

/* One UPDATE of a submission by id; TS_EXIT_NOTFOUND when it is unknown. */
static int sub_update(ts_journal *j, enum stmt_id id, int64_t sub_id,
                      const char *value, ts_err *err)
{
    sqlite3_stmt *s;

    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (!(s = jn_st(j, id, err)))
        return jn_tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    jn_bind_text(s, 2, value);
    sqlite3_bind_double(s, 3, jn_now());
    if (jn_run(j, s, id, err) < 0)
        return jn_tx_fail(j);
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no submission %lld in %s",
                (long long)sub_id, j->path);
        return jn_tx_fail(j);
    }
    return jn_tx_commit(j, err);
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
        return jn_dberr(j, "count waiting tasks", err);
    jn_bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *waiting = (long)sqlite3_column_int64(s, 0);
    else
        jn_dberr(j, "count waiting tasks", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int ts_journal_intent_add_job(ts_journal *j, int64_t sub_id,
                              const ts_slurm_job *job, ts_err *err)
{
    sqlite3_stmt *s;

    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (!(s = jn_st(j, S_JOB_UPSERT, err)))
        return jn_tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    sqlite3_bind_int64(s, 2, job->array_job_id);
    sqlite3_bind_int64(s, 3, job->index_offset);
    sqlite3_bind_int64(s, 4, job->first_index);
    sqlite3_bind_int64(s, 5, job->last_index);
    if (job->reconcile_job_id)
        sqlite3_bind_int64(s, 6, job->reconcile_job_id);
    else
        sqlite3_bind_null(s, 6);
    if (jn_run(j, s, S_JOB_UPSERT, err) < 0) {
        if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
            ts_errc(err, TS_EXIT_NOTFOUND, "no submission %lld in %s",
                    (long long)sub_id, j->path);
        return jn_tx_fail(j);
    }
    return jn_tx_commit(j, err);
}

int ts_journal_intent_set_reconcile_job(ts_journal *j, int64_t sub_id,
                                        uint32_t array_job_id,
                                        uint32_t reconcile_job_id, ts_err *err)
{
    sqlite3_stmt *s;

    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (!(s = jn_st(j, S_JOB_RECONCILE, err)))
        return jn_tx_fail(j);
    sqlite3_bind_int64(s, 1, sub_id);
    sqlite3_bind_int64(s, 2, array_job_id);
    sqlite3_bind_int64(s, 3, reconcile_job_id);
    if (jn_run(j, s, S_JOB_RECONCILE, err) < 0)
        return jn_tx_fail(j);
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no Slurm job %u in submission %lld",
                array_job_id, (long long)sub_id);
        return jn_tx_fail(j);
    }
    return jn_tx_commit(j, err);
}

int ts_journal_intents_foreach(ts_journal *j, const char *suite_id,
                               unsigned state_mask, ts_intent_cb cb, void *arg,
                               ts_err *err)
{
    char sql[1024], states[256];
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (jn_state_in("b.state", jn_sub_state_names, TS_SUB_NSTATES, state_mask,
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
        return jn_dberr(j, "list submissions", err);
    jn_bind_text(s, 1, suite_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_intent_info in = {
            .id = sqlite3_column_int64(s, 0),
            .suite_id = jn_col_text(s, 1),
            .state = (enum ts_sub_state)jn_sub_state_parse(jn_col_text(s, 2)),
            .manifest = jn_col_text(s, 3),
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
        ret = jn_dberr(j, "list submissions", err);
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
        return jn_dberr(j, "list submission tasks", err);
    sqlite3_bind_int64(s, 1, sub_id);
    rc = sqlite3_step(s);
    long first = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : 0;
    long count = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 1) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = jn_dberr(j, "list submission tasks", err);
    sqlite3_finalize(s);
    if (ret || count > 0) {
        for (long p = 0; !ret && p < count; p++)
            ret = cb(p, first + p, 1, arg);
        return ret;
    }
    if (sqlite3_prepare_v2(j->db, "SELECT position, task_idx, attempt FROM"
                           " submission_tasks WHERE submission_id = ?1"
                           " ORDER BY position", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "list submission tasks", err);
    sqlite3_bind_int64(s, 1, sub_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((ret = cb((long)sqlite3_column_int64(s, 0),
                      (long)sqlite3_column_int64(s, 1),
                      sqlite3_column_int(s, 2), arg)) != 0)
            break;
    if (ret == 0 && rc != SQLITE_DONE)
        ret = jn_dberr(j, "list submission tasks", err);
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
        return jn_dberr(j, "list Slurm jobs", err);
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
        ret = jn_dberr(j, "list Slurm jobs", err);
    sqlite3_finalize(s);
    return ret;
}
