/* inspect.c: what status, list, logs and cancel build on, against a real
 * journal in a temporary directory and a fake Slurm: the status JSON
 * document, the text helpers, following output files, and which Slurm jobs
 * a cancel asks for. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cancel.h"
#include "events.h"
#include "exitcodes.h"
#include "journal.h"
#include "layout.h"
#include "logtail.h"
#include "report.h"
#include "report_json.h"
#include "tap.h"

static char root[256];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void write_file(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Everything written to a FILE, as a string (static). */
static const char *slurp(FILE *f)
{
    static char buf[8192];
    size_t n;
    fflush(f);
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- fake Slurm */

static ts_job_info fake_jobs[16];
static size_t fake_n;
static char cancelled[16][64];
static size_t ncancelled;
static int fake_fail;

static void fake_reset(void)
{
    fake_n = 0;
    ncancelled = 0;
    fake_fail = 0;
}

static void fake_add(uint32_t array, uint32_t idx, ts_job_state st, const char *name,
                     const char *comment)
{
    ts_job_info *ji = &fake_jobs[fake_n++];
    memset(ji, 0, sizeof *ji);
    ji->job_id = st == TS_JOB_PENDING ? 0 : array + 100 + idx;
    ji->array_job_id = array;
    ji->array_task_id = idx;
    ji->state = st;
    snprintf(ji->name, sizeof ji->name, "%s", name);
    snprintf(ji->comment, sizeof ji->comment, "%s", comment);
}

static int fake_find(uid_t uid, const char *prefix, ts_job_info **out, size_t *n,
                     ts_err *err)
{
    (void)uid;
    if (fake_fail)
        return ts_errc(err, TS_EXIT_SLURM, "cannot reach the Slurm controller: fake");
    *out = malloc(sizeof fake_jobs);
    *n = 0;
    for (size_t i = 0; i < fake_n; i++)
        if (!strncmp(fake_jobs[i].name, prefix, strlen(prefix)))
            (*out)[(*n)++] = fake_jobs[i];
    return 0;
}

static int fake_elements(uint32_t id, ts_job_info **out, size_t *n, ts_err *err)
{
    (void)err;
    *out = malloc(sizeof fake_jobs);
    *n = 0;
    for (size_t i = 0; i < fake_n; i++)
        if (fake_jobs[i].array_job_id == id)
            (*out)[(*n)++] = fake_jobs[i];
    return 0;
}

static int fake_cancel(const char *spec, ts_err *err)
{
    (void)err;
    if (ncancelled < 16)
        snprintf(cancelled[ncancelled++], sizeof cancelled[0], "%s", spec);
    return 0;
}

static const ts_cancel_slurm fake = {
    .find_jobs = fake_find, .array_elements = fake_elements, .cancel = fake_cancel,
};

static const char *cancelled_list(void)
{
    static char buf[1024];
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ncancelled; i++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", i ? " " : "",
                                cancelled[i]);
    return buf;
}

/* ---------------------------------------------------------------- fixtures */

static const ts_task_new three[] = {
    { .name = "ok" }, { .name = "fails" }, { .name = "sleeper" },
};

static void suite_dir(ts_journal *j, const char *id, char *buf, size_t len)
{
    ts_err err = { .code = 0 };
    snprintf(buf, len, "%s/suites/%s", ts_journal_home(j), id);
    if (ts_mkdirs(buf, 0755, &err) < 0)
        diag("%s", err.msg);
}

static int task_state(ts_journal *j, const char *id, const char *name)
{
    ts_task_brief tb;
    ts_err err = { .code = 0 };
    int st;
    if (ts_report_task_get(j, id, name, &tb, &err) < 0)
        return -1;
    st = (int)tb.state;
    ts_task_brief_clear(&tb);
    return st;
}

/* ---------------------------------------------------------------- tests */

static void test_text(void)
{
    char buf[128];

    is_str(ts_report_exit(buf, sizeof buf, true, 3, 0), "exit 3", "exit code");
    is_str(ts_report_exit(buf, sizeof buf, true, 0, 0), "exit 0", "exit 0");
    is_str(ts_report_exit(buf, sizeof buf, false, 0, 9), "SIGKILL", "a signal wins");
    is_str(ts_report_exit(buf, sizeof buf, false, 0, 0), "-", "nothing known");
    is_str(ts_report_exit(buf, sizeof buf, false, 0, 99), "signal 99", "unnamed signal");
    is_str(ts_report_labels(buf, sizeof buf, "[\"a:b\",\"c\"]"), "a:b,c", "labels");
    is_str(ts_report_labels(buf, sizeof buf, "[]"), "", "no labels");
    is_str(ts_report_labels(buf, sizeof buf, "not json"), "", "bad labels JSON");
    is_str(ts_report_labels(buf, 8, "[\"abcdef\",\"ghijkl\"]"), "abcd...",
           "truncated labels end in ...");
    is_str(ts_report_time(buf, sizeof buf, 0), "-", "unknown time");
    ok(ts_attempt_ended(TS_ATT_ENDED_BY_SIGNAL) && !ts_attempt_ended(TS_ATT_RUNNING),
       "ended_by_signal has ended, running has not");
}

static void test_status_json(ts_journal *j)
{
    ts_suite_new sn = { .name = "demo", .owner_uid = getuid(), .close_after_s = -1 };
    char id[TS_SUITE_ID_LEN + 1], dir[512], latest[TS_SUITE_ID_LEN + 1];
    ts_err err = { .code = 0 };
    ts_suite_info si;
    ts_counts c;
    cJSON *doc = NULL;
    int64_t sub;

    if (ts_journal_suite_create(j, &sn, three, 3, id, &sub, &err) < 0)
        diag("create: %s", err.msg);
    suite_dir(j, id, dir, sizeof dir);
    for (int i = 0; i < 3; i++) {
        ts_evctx ctx = { .suite_dir = dir, .suite_id = id, .task_idx = i, .attempt = 1,
                         .jobid = "4242", .node = "n1", .num_nodes = 1 };
        int rc = ts_events_started(&ctx, &err);
        if (i == 0)
            rc = rc < 0 ? rc : ts_events_checkpoint(&ctx, "/ck/1", 7, &err) < 0
                 ? -1 : ts_events_exited(&ctx, 0, 0, &err);
        else if (i == 1)
            rc = rc < 0 ? rc : ts_events_exited(&ctx, 3, 0, &err);
        if (rc < 0)
            diag("events: %s", err.msg);
    }
    ok(ts_journal_ingest(j, id, dir, NULL, &err) == 0, "events ingested");
    ok(ts_journal_suite_get(j, id, &si, &err) == 0 && ts_journal_counts(j, id, &c, &err) == 0,
       "suite and counts read");
    ok(ts_json_suite_status(j, &si, &c, dir, NULL, &doc, &err) == 0 && doc,
       "status document built");

    const char *keys[] = { "id", "name", "state", "total", "done", "percent", "counts",
                           "tasks", "labels", "created_at", "sync_error", "dir" };
    int all = 1;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!cJSON_HasObjectItem(doc, keys[k])) {
            diag("missing key %s", keys[k]);
            all = 0;
        }
    ok(all, "every top-level key is there");
    is_int((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "total")), 3, "total 3");
    is_int((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "done")), 2, "done 2");
    ok(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "percent")) == 66.7, "percent 66.7");
    ok(cJSON_IsNull(cJSON_GetObjectItem(doc, "sync_error")), "sync_error null");
    cJSON *counts = cJSON_GetObjectItem(doc, "counts");
    is_int(cJSON_GetArraySize(counts), TS_TASK_NSTATES, "a counter per task state");
    is_int((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "failed")), 1,
           "counts.failed 1");
    cJSON *tasks = cJSON_GetObjectItem(doc, "tasks");
    is_int(cJSON_GetArraySize(tasks), 3, "three tasks");
    cJSON *t0 = cJSON_GetArrayItem(tasks, 0), *t1 = cJSON_GetArrayItem(tasks, 1),
          *t2 = cJSON_GetArrayItem(tasks, 2);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(t0, "checkpoint")), "/ck/1",
           "task 0 checkpoint");
    is_int((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(t0, "step")), 7, "and step");
    is_int((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(t1, "last_exit")), 3,
           "task 1 last_exit 3");
    ok(cJSON_IsNull(cJSON_GetObjectItem(t2, "last_exit")), "running task: last_exit null");
    cJSON *h = cJSON_GetObjectItem(t1, "attempt_history");
    is_int(cJSON_GetArraySize(h), 1, "task 1 has one attempt");
    cJSON *a = cJSON_GetArrayItem(h, 0);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "state")), "failed", "attempt failed");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "slurm_job_id")), "4242", "its job");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "node")), "n1", "its node");
    ok(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(
           cJSON_GetObjectItem(t2, "attempt_history"), 0), "ended_at")),
       "a running attempt has ended_at null");
    cJSON_Delete(doc);

    doc = ts_json_suite_summary(&si, NULL);
    ok(doc && cJSON_IsNull(cJSON_GetObjectItem(doc, "counts")), "summary without counts");
    cJSON_Delete(doc);
    ts_suite_info_clear(&si);

    ok(ts_report_latest_suite(j, getuid(), latest, &err) == 0 && !strcmp(latest, id),
       "the latest suite of the user");
    ok(ts_report_latest_suite(j, getuid() + 4242, latest, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "another user has none: NOTFOUND");

    ts_task_brief tb;
    ok(ts_report_task_get(j, id, "sleeper", &tb, &err) == 0 && tb.idx == 2
       && tb.attempts == 1 && tb.state == TS_TASK_RUNNING, "task by name");
    ts_task_brief_clear(&tb);
    ok(ts_report_task_get(j, id, "nosuch", &tb, &err) < 0 && err.code == TS_EXIT_NOTFOUND,
       "unknown task: NOTFOUND");
    diag("%s", err.msg);
    ok(strstr(err.msg, "no task \"nosuch\" in suite") != NULL, "with the journal's message");
    ok(ts_report_task_by_idx(j, id, -1, &tb, &err) == 0 && !strcmp(tb.name, "ok"),
       "first task");
    ts_task_brief_clear(&tb);

    ts_attempt_info ai;
    is_int(ts_report_attempt_get(j, id, 1, 1, &ai, &err), 1, "attempt 1 of task 1 found");
    is_int(ai.state, TS_ATT_FAILED, "its state");
    is_int(ts_report_attempt_get(j, id, 1, 2, &ai, &err), 0, "no attempt 2");
}

static void test_logtail(void)
{
    char a[512], b[512];
    FILE *out = tmpfile();
    snprintf(a, sizeof a, "%s/node-0.stdout", root);
    snprintf(b, sizeof b, "%s/node-1.stdout", root);
    const char *paths[] = { a, b }, *pre[] = { "node-0 | ", "node-1 | " };
    ts_logtail *t = ts_logtail_new(2, paths, pre);
    ts_err err = { .code = 0 };

    ok(ts_logtail_poll(t, out, &err) == 0 && ts_logtail_seen(t) == 0,
       "missing files are not an error");
    write_file(a, "a1\na2\n", "w");
    write_file(b, "b1\nb-part", "w");
    ts_logtail_poll(t, out, &err);
    is_str(slurp(out), "node-0 | a1\nnode-0 | a2\nnode-1 | b1\n",
           "whole files in rank order, partial line held back");
    is_int((long long)ts_logtail_seen(t), 2, "both seen");
    write_file(b, "ial\nb3\n", "a");
    write_file(a, "a3\n", "a");
    ts_logtail_poll(t, out, &err);
    is_str(slurp(out), "node-0 | a1\nnode-0 | a2\nnode-1 | b1\nnode-0 | a3\n"
                       "node-1 | b-partial\nnode-1 | b3\n",
           "following: only new lines, the partial line completed");
    write_file(a, "tail", "a");
    ts_logtail_poll(t, out, &err);
    ts_logtail_flush(t, out);
    ok(strstr(slurp(out), "node-0 | tail\n") != NULL, "flush ends a partial line");
    write_file(a, "new\n", "w");
    ts_logtail_poll(t, out, &err);
    ok(strstr(slurp(out), "node-0 | new\n") != NULL, "a truncated file is read again");
    ts_logtail_free(t);
    fclose(out);

    out = tmpfile();
    const char *one[] = { a };
    t = ts_logtail_new(1, one, NULL);
    write_file(a, "raw\nno newline", "w");
    ts_logtail_poll(t, out, &err);
    ts_logtail_flush(t, out);
    is_str(slurp(out), "raw\nno newline", "without prefix: byte for byte");
    ts_logtail_free(t);
    fclose(out);
}

static void test_cancel(ts_journal *j)
{
    ts_suite_new sn = { .name = "c", .owner_uid = getuid(), .close_after_s = -1 };
    char id[TS_SUITE_ID_LEN + 1], name[32], key[64], id2[TS_SUITE_ID_LEN + 1];
    ts_err err = { .code = 0 };
    ts_cancel_result r;
    ts_suite_info si;
    FILE *out = tmpfile();
    ts_cancel_opts o = { .out = out, .slurm = &fake };
    int64_t sub, sub2;
    long idx;

    ts_journal_suite_create(j, &sn, three, 3, id, &sub, &err);
    snprintf(name, sizeof name, "ts-%s", id);
    snprintf(key, sizeof key, "tasksuite:%s:%lld:0", id, (long long)sub);
    /* positions 0..2: array 500 holds position 0, array 501 (offset 1)
     * holds positions 1..2 as elements 0..1 */
    ts_slurm_job j0 = { .array_job_id = 500, .index_offset = 0, .first_index = 0,
                        .last_index = 0 };
    ts_slurm_job j1 = { .array_job_id = 501, .index_offset = 1, .first_index = 0,
                        .last_index = 1, .reconcile_job_id = 502 };
    ts_journal_intent_add_job(j, sub, &j0, &err);
    ts_journal_intent_add_job(j, sub, &j1, &err);
    ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err);

    fake_reset();
    fake_add(500, 0, TS_JOB_RUNNING, name, key);
    fake_add(501, 0, TS_JOB_RUNNING, name, key);
    fake_add(501, 1, TS_JOB_PENDING, name, key);
    fake_add(502, 0, TS_JOB_PENDING, "ts-reconcile", "");
    ok(ts_cancel_task(j, id, "sleeper", &o, &r, &err) == 0, "cancel --task sleeper");
    is_str(cancelled_list(), "501_1", "its element: position 2 - offset 1");
    ok(r.pending == 1 && r.running == 0 && r.tasks == 1, "one pending element, one task");
    is_int(task_state(j, id, "sleeper"), TS_TASK_CANCELLED, "the task is cancelled");
    is_int(task_state(j, id, "fails"), TS_TASK_PENDING, "the others are not");

    fake_reset();
    fake_add(501, 0, TS_JOB_RUNNING, name, key);
    o.keep_running = true;
    ok(ts_cancel_task(j, id, "fails", &o, &r, &err) == 0, "cancel --task fails --keep-running");
    is_str(cancelled_list(), "", "its running element is left alone");
    is_int(r.left_running, 1, "and counted");
    is_int(task_state(j, id, "fails"), TS_TASK_CANCELLED, "the task is cancelled all the same");
    o.keep_running = false;

    /* a completed task is left as it is */
    ts_journal_task_find(j, id, "ok", &idx, &err);
    ts_journal_task_set_state(j, id, idx, TS_TASK_COMPLETED, &err);
    fake_reset();
    ok(ts_cancel_task(j, id, "ok", &o, &r, &err) == 0 && r.not_cancellable,
       "a completed task is not cancelled");
    is_int(task_state(j, id, "ok"), TS_TASK_COMPLETED, "and stays completed");
    ok(ts_cancel_task(j, id, "nosuch", &o, &r, &err) < 0 && err.code == TS_EXIT_NOTFOUND,
       "unknown task: NOTFOUND");

    /* Slurm down with arrays recorded: error, nothing marked */
    fake_reset();
    fake_fail = 1;
    ok(ts_cancel_suite(j, id, &o, &r, &err) < 0 && err.code == TS_EXIT_SLURM,
       "Slurm unreachable: TS_EXIT_SLURM");
    ts_journal_suite_get(j, id, &si, &err);
    is_int(si.state, TS_SUITE_OPEN, "and the suite is not marked");
    ts_suite_info_clear(&si);

    /* the suite: recorded arrays whole, an unrecorded one with the key,
     * the reconcile job; a stranger's job with the same name but no key
     * is left */
    fake_reset();
    fake_add(500, 0, TS_JOB_RUNNING, name, key);
    fake_add(501, 1, TS_JOB_PENDING, name, key);
    fake_add(777, 0, TS_JOB_PENDING, name, key);
    fake_add(888, 0, TS_JOB_PENDING, name, "something else");
    fake_add(502, 0, TS_JOB_PENDING, "ts-reconcile", "");
    ok(ts_cancel_suite(j, id, &o, &r, &err) == 0, "cancel the suite");
    is_str(cancelled_list(), "500 501 777 502", "arrays, the unrecorded one, the reconcile job");
    ok(r.arrays == 3 && r.pending == 2 && r.running == 1 && r.reconcile == 1,
       "counted by state");
    ts_journal_suite_get(j, id, &si, &err);
    is_int(si.state, TS_SUITE_CANCELLED, "the suite is cancelled");
    ts_suite_info_clear(&si);
    ok(strstr(slurp(out), "not recorded in the journal") != NULL,
       "the unrecorded array is pointed out");

    fake_reset();
    ok(ts_cancel_suite(j, id, &o, &r, &err) == 0 && r.already, "again: already cancelled");
    is_str(cancelled_list(), "", "nothing live, nothing cancelled");

    /* --keep-running: pending elements only, the suite still cancelled */
    ts_journal_suite_create(j, &sn, three, 3, id2, &sub2, &err);
    snprintf(name, sizeof name, "ts-%s", id2);
    snprintf(key, sizeof key, "tasksuite:%s:%lld:0", id2, (long long)sub2);
    ts_slurm_job j2 = { .array_job_id = 600, .index_offset = 0, .first_index = 0,
                        .last_index = 2, .reconcile_job_id = 601 };
    ts_journal_intent_add_job(j, sub2, &j2, &err);
    fake_reset();
    fake_add(600, 0, TS_JOB_RUNNING, name, key);
    fake_add(600, 1, TS_JOB_PENDING, name, key);
    fake_add(600, 2, TS_JOB_PENDING, name, key);
    fake_add(601, 0, TS_JOB_PENDING, "ts-reconcile", "");
    o.keep_running = true;
    ok(ts_cancel_suite(j, id2, &o, &r, &err) == 0, "cancel --keep-running");
    is_str(cancelled_list(), "600_1 600_2", "only the pending elements, not the reconcile job");
    ok(r.pending == 2 && r.left_running == 1 && r.tasks == 3, "counted");
    ts_journal_suite_get(j, id2, &si, &err);
    is_int(si.state, TS_SUITE_CANCELLED, "the suite is cancelled");
    ts_suite_info_clear(&si);

    /* never on Slurm: Slurm is not asked */
    ts_journal_suite_create(j, &sn, three, 3, id2, &sub2, &err);
    ts_journal_intent_set_state(j, sub2, TS_SUB_SUBMITTED, &err);
    fake_reset();
    fake_fail = 1;
    o.keep_running = false;
    ok(ts_cancel_suite(j, id2, &o, &r, &err) == 0 && r.tasks == 3,
       "a suite without arrays is cancelled without Slurm");
    fclose(out);
}

int main(void)
{
    ts_journal *j = NULL;
    ts_err err = { .code = 0 };

    snprintf(root, sizeof root, "%s/ts-inspect-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("TASKSUITE_JOURNAL_MODE", "wal", 1);
    if (ts_journal_open(root, &j, &err) < 0) {
        diag("open: %s", err.msg);
        return 1;
    }
    test_text();
    test_status_json(j);
    test_logtail();
    test_cancel(j);
    ts_journal_close(j);
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
