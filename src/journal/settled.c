/* settled.c: the suite's fingerprint (ts_journal_settle_key) and the
 * settled mark a sync that found nothing to do leaves, so that later syncs
 * skip all but the tick while the fingerprint stays the same. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

int ts_journal_count_states(ts_journal *j, const char *suite_id, unsigned state_mask,
                            long *n, ts_err *err)
{
    char sql[1024], states[256];
    sqlite3_stmt *s = NULL;
    int rc;

    *n = 0;
    if (!state_mask)
        return 0;
    if (jn_state_in("state", jn_task_state_names, TS_TASK_NSTATES, state_mask, states,
                    sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: count tasks: bad filter");
    snprintf(sql, sizeof sql, "SELECT (SELECT COUNT(*) FROM tasks WHERE suite_id = ?1"
             " AND %s) + (SELECT COALESCE(SUM(untouched), 0) FROM task_chunks"
             " WHERE suite_id = ?1 AND %s)", states, states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "count tasks", err);
    jn_bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return jn_dberr(j, "count tasks", err);
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
        return jn_dberr(j, "read suite fingerprint", err);
    jn_bind_text(s, 1, suite_id);
    if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", suite_id, j->path);
        else
            jn_dberr(j, "read suite fingerprint", err);
        sqlite3_finalize(s);
        return -1;
    }
    o = (size_t)snprintf(buf, len, "1 %s %lld %.6f %lld %lld %d %lld %lld %lld",
                         jn_col_text(s, 0) ? jn_col_text(s, 0) : "?",
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
        return jn_dberr(j, "read settled mark", err);
    jn_bind_text(s, 1, suite_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && jn_col_text(s, 0) && len)
        snprintf(buf, len, "%s", jn_col_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return jn_dberr(j, "read settled mark", err);
    return 0;
}

int ts_journal_settled_set(ts_journal *j, const char *suite_id, const char *key,
                           ts_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "UPDATE suites SET settled = ?2 WHERE id = ?1"
                           " AND settled IS NOT ?2", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "store settled mark", err);
    jn_bind_text(s, 1, suite_id);
    jn_bind_text(s, 2, key);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return jn_dberr(j, "store settled mark", err);
    return 0;
}
