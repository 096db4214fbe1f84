/* attempts.c: the attempt state machine over SQLite: an attempt's ranks
 * read back and folded by the pure rule of rankrule.c into the attempt's
 * state, the task following its latest attempt, reconcile's classification
 * and listing attempts. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "rankrule.h"

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
int jn_task_follow(ts_journal *j, const char *suite_id, long idx,
                   int attempt, enum ts_attempt_state astate, int exit_code,
                       int signo, double now, ts_err *err)
{
    sqlite3_stmt *s;
    enum ts_task_state want = task_state_of(astate);
    int attempts, cur_exit, cur_sig, rc;
    const char *cur;
    bool cancelled, same;

    if (jn_task_row(j, suite_id, idx, err) < 0 || !(s = jn_st(j, S_TASK_GET, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    if ((rc = jn_row(j, s, S_TASK_GET, err)) <= 0)
        return rc;
    attempts = sqlite3_column_int(s, 0);
    cur = jn_col_text(s, 1);
    cancelled = strcmp(cur, "cancelled") == 0
                /* skipped stays skipped for the attempt Slurm ended unrun */
                || (strcmp(cur, "skipped") == 0 && astate == TS_ATT_CANCELLED);
    cur_exit = jn_col_null(s, 2) ? -1 : sqlite3_column_int(s, 2);
    cur_sig = jn_col_null(s, 3) ? 0 : sqlite3_column_int(s, 3);
    same = strcmp(cur, ts_task_state_name(want)) == 0 && attempt == attempts
        && cur_exit == exit_code && cur_sig == signo;
    sqlite3_reset(s);
    if (cancelled || attempt < attempts || same)
        return 0;
    if (!(s = jn_st(j, S_TASK_FOLLOW, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    jn_bind_text(s, 3, ts_task_state_name(want));
    sqlite3_bind_int(s, 4, attempt);
    if (exit_code >= 0)
        sqlite3_bind_int(s, 5, exit_code);
    if (signo > 0)
        sqlite3_bind_int(s, 6, signo);
    sqlite3_bind_double(s, 7, now);
    return jn_run(j, s, S_TASK_FOLLOW, err);
}

/* The attempt's num_nodes (at least ev's), state and classified flag;
 * 0: no such attempt. */
static int attempt_get(ts_journal *j, const ts_event *ev, int *num_nodes,
                       enum ts_attempt_state *state, bool *classified, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_ATT_GET, err);
    int rc;

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    if ((rc = jn_row(j, s, S_ATT_GET, err)) <= 0)
        return rc;
    *num_nodes = sqlite3_column_int(s, 0);
    if (ev->num_nodes > *num_nodes)
        *num_nodes = ev->num_nodes;
    *state = (enum ts_attempt_state)ts_attempt_state_parse(jn_col_text(s, 1));
    *classified = sqlite3_column_int(s, 2) != 0;
    sqlite3_reset(s);
    return 1;
}

/* The attempt's rank rows, in rank order, folded by the rank rule. */
static int ranks_fold(ts_journal *j, const ts_event *ev, ts_rank_fold *f,
                      ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_RANKS, err);
    int rc;

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_rank_end r = {
            .has_start = !jn_col_null(s, 1),
            .started_at = sqlite3_column_double(s, 1),
            .has_end = !jn_col_null(s, 2),
            .ended_at = sqlite3_column_double(s, 2),
            .exit_code = jn_col_null(s, 3) ? -1 : sqlite3_column_int(s, 3),
            .signal = jn_col_null(s, 4) ? 0 : sqlite3_column_int(s, 4),
            .graceful = sqlite3_column_int(s, 5) != 0,
        };
        ts_rank_fold_add(f, &r);
    }
    if (rc != SQLITE_DONE) {
        jn_dberr(j, jn_stmts[S_RANKS].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

/* Recompute an attempt from its ranks (see journal.h, rankrule.h), then
 * its task; ev is the rank record that changed (its identity fields are
 * folded in). */
int jn_reaggregate(ts_journal *j, const ts_event *ev, double now, ts_err *err)
{
    ts_rank_fold fold = TS_RANK_FOLD_INIT;
    ts_rank_verdict v;
    enum ts_attempt_state old;
    bool classified;
    int num_nodes, rc;
    sqlite3_stmt *s;

    if ((rc = attempt_get(j, ev, &num_nodes, &old, &classified, err)) <= 0)
        return rc;
    if (ranks_fold(j, ev, &fold, err) < 0)
        return -1;
    v = ts_rank_fold_verdict(&fold, num_nodes);
    /* Reconcile's verdict stands unless the task itself says otherwise. */
    if (classified && !ts_attempt_state_is_final(v.state))
        v.state = old;
    else
        classified = false;

    if (!(s = jn_st(j, S_ATT_UPDATE, err)))
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    jn_bind_text(s, 4, ts_attempt_state_name(v.state));
    sqlite3_bind_int(s, 5, classified ? 1 : 0);
    if (v.started_at > 0)
        sqlite3_bind_double(s, 6, v.started_at);
    if (v.ended_at > 0)
        sqlite3_bind_double(s, 7, v.ended_at);
    if (v.exit_code >= 0)
        sqlite3_bind_int(s, 8, v.exit_code);
    if (v.signal > 0)
        sqlite3_bind_int(s, 9, v.signal);
    sqlite3_bind_int(s, 10, num_nodes);
    jn_bind_text(s, 11, ev->jobid);
    sqlite3_bind_int(s, 12, ev->node_rank);
    jn_bind_text(s, 13, ev->node);
    if (jn_run(j, s, S_ATT_UPDATE, err) < 0)
        return -1;
    return jn_task_follow(j, ev->suite_id, ev->task_idx, ev->attempt, v.state,
                          v.exit_code, v.signal, now, err);
}

int ts_journal_attempts_foreach(ts_journal *j, const char *suite_id,
                                long task_idx, unsigned state_mask,
                                ts_attempt_cb cb, void *arg, ts_err *err)
{
    char sql[2048], states[256];
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (jn_state_in("a.state", jn_attempt_state_names, TS_ATT_NSTATES, state_mask,
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
        return jn_dberr(j, "list attempts", err);
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_attempt_info a = {
            .suite_id = suite_id,
            .task_idx = (long)sqlite3_column_int64(s, 0),
            .attempt = sqlite3_column_int(s, 1),
            .slurm_job_id = jn_col_text(s, 2) ? jn_col_text(s, 2) : "",
            .node = jn_col_text(s, 3) ? jn_col_text(s, 3) : "",
            .num_nodes = sqlite3_column_int(s, 4),
            .state = (enum ts_attempt_state)ts_attempt_state_parse(jn_col_text(s, 5)),
            .classified = sqlite3_column_int(s, 6) != 0,
            .started_at = sqlite3_column_double(s, 7),
            .ended_at = sqlite3_column_double(s, 8),
            .exit_code = jn_col_null(s, 9) ? -1 : sqlite3_column_int(s, 9),
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
        ret = jn_dberr(j, "list attempts", err);
    sqlite3_finalize(s);
    return ret;
}

int ts_journal_attempt_classify(ts_journal *j, const char *suite_id,
                                long task_idx, int attempt,
                                enum ts_attempt_state state, ts_err *err)
{
    sqlite3_stmt *s;
    int exit_code, signo;

    if (!ts_attempt_state_name(state) || !ts_attempt_state_is_final(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: classify attempt: \"%s\" "
                       "is not a final state",
                       ts_attempt_state_name(state) ? ts_attempt_state_name(state)
                                                    : "?");
    if (attempt < 1)
        return ts_errc(err, TS_EXIT_FAIL, "journal: classify attempt: bad "
                       "attempt number %d", attempt);
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_task_row(j, suite_id, task_idx, err) < 0 || !(s = jn_st(j, S_ATT_CLASSIFY, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    sqlite3_bind_int(s, 3, attempt);
    jn_bind_text(s, 4, ts_attempt_state_name(state));
    if (jn_run(j, s, S_ATT_CLASSIFY, err) < 0) {
        if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
            ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s", task_idx,
                    suite_id);
        goto fail;
    }
    if (!(s = jn_st(j, S_ATT_GET, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, task_idx);
    sqlite3_bind_int(s, 3, attempt);
    if (jn_row(j, s, S_ATT_GET, err) <= 0)         /* upserted above: it exists */
        goto fail;
    exit_code = jn_col_null(s, 3) ? -1 : sqlite3_column_int(s, 3);
    signo = jn_col_null(s, 4) ? 0 : sqlite3_column_int(s, 4);
    sqlite3_reset(s);
    if (jn_task_follow(j, suite_id, task_idx, attempt, state, exit_code, signo,
                       jn_now(), err) < 0)
        goto fail;
    return jn_tx_commit(j, err);
fail:
    return jn_tx_fail(j);
}
