/* suites.c: creating a suite (its row, labels, and its tasks through
 * tasks.c), suite IDs, the suite's state: tick (open -> closed ->
 * complete), cancel, discard. Reading suites back is suite_query.c. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "jsonw.h"

const char jn_id_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";

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
                id[got++] = jn_id_chars[b[i] % 36];
    }
    id[TS_SUITE_ID_LEN] = '\0';
    return 0;
}

bool ts_suite_id_valid(const char *id)
{
    if (!id || strlen(id) != TS_SUITE_ID_LEN)
        return false;
    return strspn(id, jn_id_chars) == TS_SUITE_ID_LEN;
}

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

/* A fresh ID (inside a tx); 36^8 makes a collision rare, not impossible. */
static int fresh_suite_id(ts_journal *j, char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    for (int tries = 0; ; tries++) {
        if (tries == 16)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert suite: no free "
                           "suite ID");
        if (ts_suite_id_new(id, err) < 0 || !(s = jn_st(j, S_SUITE_EXISTS, err)))
            return -1;
        jn_bind_text(s, 1, id);
        if ((rc = jn_row(j, s, S_SUITE_EXISTS, err)) < 0)
            return -1;
        sqlite3_reset(s);
        if (rc == 0)
            return 0;
    }
}

/* The suite's row and its labels' (inside a tx). */
static int insert_suite_row(ts_journal *j, const ts_suite_new *sn, const char *id,
                            const char *outdir, const char *labels, int nodes,
                            size_t ntasks, double now, ts_err *err)
{
    sqlite3_stmt *s;

    if (!(s = jn_st(j, S_SUITE_INSERT, err)))
        return -1;
    jn_bind_text(s, 1, id);
    jn_bind_text(s, 2, sn->name);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)sn->owner_uid);
    jn_bind_text(s, 4, sn->spec_path);
    jn_bind_text(s, 5, sn->submit_record);
    jn_bind_text(s, 6, outdir);
    jn_bind_text(s, 7, labels);
    sqlite3_bind_int64(s, 8, sn->close_after_s < 0 ? TS_CLOSE_AFTER_DEFAULT_S
                                                   : sn->close_after_s);
    sqlite3_bind_int(s, 9, sn->max_retries);
    sqlite3_bind_int64(s, 10, (sqlite3_int64)sn->retry_on);
    sqlite3_bind_int(s, 11, nodes);
    sqlite3_bind_int64(s, 12, (sqlite3_int64)ntasks);
    sqlite3_bind_double(s, 13, now);
    if (jn_run(j, s, S_SUITE_INSERT, err) < 0)
        return -1;
    for (size_t i = 0; i < sn->nlabels; i++) {
        if (!(s = jn_st(j, S_LABEL_INSERT, err)))
            return -1;
        jn_bind_text(s, 1, id);
        jn_bind_text(s, 2, sn->labels[i]);
        if (jn_run(j, s, S_LABEL_INSERT, err) < 0)
            return -1;
    }
    return 0;
}

/* The suite and its tasks: tasks[] (ntasks), or the lazy matrix lazy
 * (ntasks = its count; tasks NULL), stored as its axes only. */
static int suite_create(ts_journal *j, const ts_suite_new *sn,
                        const ts_task_new *tasks, size_t ntasks,
                        const ts_lazy_matrix *lazy,
                        char id_out[TS_SUITE_ID_LEN + 1], int64_t *sub_id,
                        ts_err *err)
{
    char id[TS_SUITE_ID_LEN + 1], outdir[PATH_MAX];
    double now = jn_now();
    int nodes = sn->num_nodes > 0 ? sn->num_nodes : 1;
    char *labels = NULL;
    int rc;

    if (!sn->name || !*sn->name)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert suite: no name");
    if (!(labels = labels_json(sn->labels, sn->nlabels)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert suite: out of memory");
    if (jn_tx_begin(j, err) < 0) {
        free(labels);
        return -1;
    }
    if (fresh_suite_id(j, id, err) < 0)
        goto fail;
    if (sn->output_dir && *sn->output_dir)
        rc = snprintf(outdir, sizeof outdir, "%s", sn->output_dir);
    else
        rc = snprintf(outdir, sizeof outdir, "%s/suites/%s", j->home, id);
    if (!jn_fits(rc, sizeof outdir)) {
        ts_errc(err, TS_EXIT_FAIL, "journal: insert suite: output directory "
                "path too long");
        goto fail;
    }
    if (insert_suite_row(j, sn, id, outdir, labels, nodes, ntasks, now, err) < 0)
        goto fail;
    if (jn_insert_tasks(j, id, nodes, tasks, ntasks, 0, true, lazy, now, sub_id, err) < 0)
        goto fail;
    if (jn_tx_commit(j, err) < 0) {
        free(labels);
        return -1;
    }
    free(labels);
    if (id_out)
        memcpy(id_out, id, sizeof id);
    return 0;
fail:
    free(labels);
    return jn_tx_fail(j);
}

int ts_journal_suite_create(ts_journal *j, const ts_suite_new *sn,
                            const ts_task_new *tasks, size_t ntasks,
                            char id_out[TS_SUITE_ID_LEN + 1], int64_t *sub_id,
                            ts_err *err)
{
    return suite_create(j, sn, tasks, ntasks, NULL, id_out, sub_id, err);
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
                                      const char *submit_record,
                                      char id[TS_SUITE_ID_LEN + 1],
                                      int64_t *sub_id, ts_err *err)
{
    ts_task_new *tasks;
    ts_suite_new sn = {
        .name = s->name,
        .owner_uid = getuid(),
        .spec_path = s->path,
        .submit_record = submit_record,
        .output_dir = s->output_dir,
        .labels = (const char *const *)s->labels.v,
        .nlabels = s->labels.n,
        .close_after_s = s->close_after_s,
        .max_retries = s->resume.max_retries,
        .retry_on = s->resume.retry_on,
        .num_nodes = s->num_nodes,
    };
    size_t *off;
    ts_strbuf args = { 0 };
    int rc = -1;

    /* A lazy matrix is stored as its axes: nothing per task here. */
    if (tl->lazy)
        return suite_create(j, &sn, NULL, tl->n, tl->lazy, id, sub_id, err);
    tasks = calloc(tl->n ? tl->n : 1, sizeof *tasks);
    off = calloc(tl->n ? tl->n : 1, sizeof *off);
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
int jn_suite_state(ts_journal *j, const char *suite_id,
                   enum ts_suite_state *state, int *nodes, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    /* Defined even on failure. */
    *state = TS_SUITE_OPEN;
    if (nodes)
        *nodes = 0;
    if (!(s = jn_st(j, S_SUITE_STATE, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    if ((rc = jn_row(j, s, S_SUITE_STATE, err)) < 0)
        return -1;
    if (rc == 0)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s",
                       suite_id, j->path);
    *state = (enum ts_suite_state)ts_suite_state_parse(jn_col_text(s, 0));
    if (nodes)
        *nodes = sqlite3_column_int(s, 1);
    sqlite3_reset(s);
    return 0;
}

int jn_set_suite_state(ts_journal *j, const char *suite_id,
                       enum ts_suite_state state, double now, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_SUITE_SET_STATE, err);
    if (!s)
        return -1;
    jn_bind_text(s, 1, suite_id);
    jn_bind_text(s, 2, ts_suite_state_name(state));
    sqlite3_bind_double(s, 3, now);
    return jn_run(j, s, S_SUITE_SET_STATE, err);
}

static int count_active(ts_journal *j, const char *suite_id, long *n, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_ACTIVE, err);
    if (!s)
        return -1;
    jn_bind_text(s, 1, suite_id);
    if (jn_row(j, s, S_ACTIVE, err) <= 0)
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
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (!(s = jn_st(j, S_SUITE_TICK, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    if ((rc = jn_row(j, s, S_SUITE_TICK, err)) < 0)
        goto fail;
    if (rc == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no suite \"%s\" in %s", suite_id, j->path);
        goto fail;
    }
    was = state = (enum ts_suite_state)ts_suite_state_parse(jn_col_text(s, 0));
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
            if (!(s = jn_st(j, S_SUITE_COMPLETE, err)))
                goto fail;
            jn_bind_text(s, 1, suite_id);
            sqlite3_bind_double(s, 2, now);
            if (jn_run(j, s, S_SUITE_COMPLETE, err) < 0)
                goto fail;
            state = TS_SUITE_COMPLETE;
            if (became_complete)
                *became_complete = true;
        }
    }
    if (state != was && state != TS_SUITE_COMPLETE
        && jn_set_suite_state(j, suite_id, state, now, err) < 0)
        goto fail;
    if (jn_tx_commit(j, err) < 0) {
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
    return jn_tx_fail(j);
}

int ts_journal_suite_cancel(ts_journal *j, const char *suite_id, ts_err *err)
{
    enum ts_suite_state state;
    double now = jn_now();
    sqlite3_stmt *s;

    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if (state != TS_SUITE_CANCELLED) {
        if (jn_set_suite_state(j, suite_id, TS_SUITE_CANCELLED, now, err) < 0
            || !(s = jn_st(j, S_CANCEL_TASKS, err)))
            goto fail;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_double(s, 2, now);
        if (jn_run(j, s, S_CANCEL_TASKS, err) < 0 || !(s = jn_st(j, S_CANCEL_CHUNKS, err)))
            goto fail;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_double(s, 2, now);
        if (jn_run(j, s, S_CANCEL_CHUNKS, err) < 0)
            goto fail;
    }
    return jn_tx_commit(j, err);
fail:
    return jn_tx_fail(j);
}

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
    if (jn_tx_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: discard suite %s: %s", suite_id,
                    sqlite3_errmsg(j->db));
            sqlite3_finalize(s);
            return jn_tx_fail(j);
        }
        sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: discard suite %s: %s", suite_id,
                    sqlite3_errmsg(j->db));
            return jn_tx_fail(j);
        }
    }
    return jn_tx_commit(j, err);
}
