/* suite_query.c: finding and reading suites: an ID from a prefix, one
 * suite's record, the suites of a filter (label, owner, state). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

/* A suite name where an ID is expected: the most recently created suite of
 * that name (a file run again with --new keeps its name; the latest is the
 * one a user means). 1 found, 0 none, -1 database error. */
static int by_name(ts_journal *j, const char *name, char id[TS_SUITE_ID_LEN + 1],
                   ts_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(j->db, "SELECT id FROM suites WHERE name = ?1"
                           " ORDER BY created_at DESC, rowid DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "find suite by name", err);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(id, TS_SUITE_ID_LEN + 1, "%s", jn_col_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return jn_dberr(j, "find suite by name", err);
    return rc == SQLITE_ROW;
}

static int resolve_id(ts_journal *j, const char *prefix,
                      char id[TS_SUITE_ID_LEN + 1], ts_err *err);

int ts_journal_suite_resolve(ts_journal *j, const char *prefix,
                             char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    ts_err idle = { .code = 0 };
    int rc;

    if (!prefix || !*prefix)
        return ts_errc(err, TS_EXIT_USAGE, "empty suite ID");
    /* An ID or a unique prefix of one wins; a name is tried when it matches
     * no ID, or several (then a suite of exactly that name is meant). */
    if (resolve_id(j, prefix, id, &idle) == 0)
        return 0;
    if (idle.code != TS_EXIT_NOTFOUND && idle.code != TS_EXIT_USAGE) {
        *err = idle;
        return -1;
    }
    if ((rc = by_name(j, prefix, id, err)) < 0)
        return -1;
    if (rc == 1)
        return 0;
    *err = idle;
    return -1;
}

static int resolve_id(ts_journal *j, const char *prefix,
                      char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    char upper[TS_SUITE_ID_LEN + 2], found[6][TS_SUITE_ID_LEN + 1];
    sqlite3_stmt *s;
    size_t n = 0, len = prefix ? strlen(prefix) : 0;
    int rc;

    if (len == 0)
        return ts_errc(err, TS_EXIT_USAGE, "empty suite ID");
    /* Nothing outside [a-z0-9]{1,8} can match. */
    if (len > TS_SUITE_ID_LEN || strspn(prefix, jn_id_chars) != len)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", prefix,
                       j->path);
    /* Every ID starting with prefix sorts in [prefix, prefix + '{'). */
    snprintf(upper, sizeof upper, "%s{", prefix);
    if (!(s = jn_st(j, S_SUITE_RESOLVE, err)))
        return -1;
    jn_bind_text(s, 1, prefix);
    jn_bind_text(s, 2, upper);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 6) {
        snprintf(found[n], sizeof found[n], "%s", jn_col_text(s, 0));
        if (strcmp(found[n], prefix) == 0) {      /* an exact match wins */
            sqlite3_reset(s);
            memcpy(id, found[n], sizeof found[n]);
            return 0;
        }
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jn_dberr(j, jn_stmts[S_SUITE_RESOLVE].op, err);
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
    snprintf(si->id, sizeof si->id, "%s", jn_col_text(s, 0) ? jn_col_text(s, 0) : "");
    si->name = (char *)jn_col_text(s, 1);
    si->owner_uid = (uid_t)sqlite3_column_int64(s, 2);
    si->spec_path = (char *)jn_col_text(s, 3);
    si->submit_record = (char *)jn_col_text(s, 4);
    si->output_dir = (char *)jn_col_text(s, 5);
    si->labels_json = (char *)jn_col_text(s, 6);
    si->state = (enum ts_suite_state)ts_suite_state_parse(jn_col_text(s, 7));
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
    free(si->submit_record);
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
             "s.submit_record");
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "read suite", err);
    jn_bind_text(s, 1, id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s",
                    id_or_prefix, j->path);
        else
            jn_dberr(j, "read suite", err);
        sqlite3_finalize(s);
        return -1;
    }
    suite_row(s, &si);
    si.name = dup_or_null(si.name, &oom);
    si.spec_path = dup_or_null(si.spec_path, &oom);
    si.submit_record = dup_or_null(si.submit_record, &oom);
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
    if (jn_state_in("s.state", jn_suite_state_names, TS_SUITE_NSTATES, f->state_mask,
                    states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list suites: bad filter");
    snprintf(sql, sizeof sql,
             "SELECT " SUITE_COLS " FROM suites s WHERE %s"
             " AND (?1 IS NULL OR EXISTS (SELECT 1 FROM suite_labels l"
             "      WHERE l.suite_id = s.id AND l.label = ?1))"
             " AND (?2 = 0 OR s.owner_uid = ?3)"
             " ORDER BY s.created_at, s.id", "NULL", states);
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "list suites", err);
    jn_bind_text(s, 1, f->label);
    sqlite3_bind_int(s, 2, f->only_owner ? 1 : 0);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)f->owner_uid);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_suite_info si;
        suite_row(s, &si);
        if ((ret = cb(&si, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = jn_dberr(j, "list suites", err);
    sqlite3_finalize(s);
    return ret;
}
