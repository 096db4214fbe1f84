/* inspect.c: what status, list, logs and cancel build on, against a real
 * journal in a temporary directory and a fake Slurm: the status JSON
 * document, the text helpers, following output files, and which Slurm jobs
 * a cancel asks for. */
#include "config.h"

#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cancel.h"
#include "events.h"
#include "exitcodes.h"
#include "journal.h"
#include "jsonout.h"
#include "layout.h"
#include "logtail.h"
#include "report.h"
#include "report_json.h"
#include "sync.h"
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

/* ---------------------------------------------------------------- JSON */

/* What the tree of `status --json` was before it was streamed: cJSON
 * objects for everything, printed at once (the reference for the bytes). */
static int ref_task(const ts_task_info *t, void *arg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "idx", (double)t->idx);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "state", ts_task_state_name(t->state));
    cJSON_AddNumberToObject(o, "attempts", t->attempts);
    if (t->has_exit && t->last_exit >= 0)
        cJSON_AddNumberToObject(o, "last_exit", t->last_exit);
    else
        cJSON_AddNullToObject(o, "last_exit");
    if (t->last_signal > 0)
        cJSON_AddNumberToObject(o, "last_signal", t->last_signal);
    else
        cJSON_AddNullToObject(o, "last_signal");
    if (t->last_checkpoint)
        cJSON_AddStringToObject(o, "checkpoint", t->last_checkpoint);
    else
        cJSON_AddNullToObject(o, "checkpoint");
    if (t->last_step >= 0)
        cJSON_AddNumberToObject(o, "step", (double)t->last_step);
    else
        cJSON_AddNullToObject(o, "step");
    cJSON_AddArrayToObject(o, "attempt_history");
    cJSON_AddArrayToObject(o, "checkpoints");
    cJSON_AddItemToArray(arg, o);
    return 0;
}

static cJSON *ref_task_obj(cJSON *tasks, long idx)
{
    cJSON *t;
    cJSON_ArrayForEach(t, tasks)
        if ((long)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "idx")) == idx)
            return t;
    return NULL;
}

static void opt_num(cJSON *o, const char *k, int known, double v)
{
    if (known)
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static int ref_attempt(const ts_attempt_info *a, void *arg)
{
    cJSON *t = ref_task_obj(arg, a->task_idx), *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "attempt", a->attempt);
    cJSON_AddStringToObject(o, "state", ts_attempt_state_name(a->state));
    opt_num(o, "exit_code", a->exit_code >= 0, a->exit_code);
    opt_num(o, "signal", a->signal > 0, a->signal);
    if (a->slurm_job_id && *a->slurm_job_id)
        cJSON_AddStringToObject(o, "slurm_job_id", a->slurm_job_id);
    else
        cJSON_AddNullToObject(o, "slurm_job_id");
    if (a->node && *a->node)
        cJSON_AddStringToObject(o, "node", a->node);
    else
        cJSON_AddNullToObject(o, "node");
    cJSON_AddNumberToObject(o, "num_nodes", a->num_nodes);
    opt_num(o, "started_at", a->started_at > 0, a->started_at);
    opt_num(o, "ended_at", a->ended_at > 0, a->ended_at);
    cJSON_AddItemToArray(cJSON_GetObjectItem(t, "attempt_history"), o);
    return 0;
}

static int ref_checkpoint(const ts_checkpoint_info *c, void *arg)
{
    cJSON *t = ref_task_obj(arg, c->task_idx), *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "attempt", c->attempt);
    cJSON_AddStringToObject(o, "path", c->path);
    opt_num(o, "step", c->step >= 0, (double)c->step);
    cJSON_AddNumberToObject(o, "at", c->at);
    cJSON_AddItemToArray(cJSON_GetObjectItem(t, "checkpoints"), o);
    return 0;
}

static char *ref_status(ts_journal *j, const ts_suite_info *si, const ts_counts *c,
                        const char *dir)
{
    ts_err err = { .code = 0 };
    cJSON *doc = ts_json_suite_summary(si, c), *tasks = cJSON_CreateArray();
    char *text, *out;

    cJSON_AddNumberToObject(doc, "completions", (double)si->completions);
    cJSON_AddStringToObject(doc, "dir", dir);
    cJSON_AddNullToObject(doc, "sync_error");
    cJSON_AddItemToObject(doc, "tasks", tasks);
    ts_journal_tasks_foreach(j, si->id, 0, ref_task, tasks, &err);
    ts_journal_attempts_foreach(j, si->id, -1, 0, ref_attempt, tasks, &err);
    ts_journal_checkpoints_foreach(j, si->id, -1, ref_checkpoint, tasks, &err);
    cJSON_AddItemToObject(doc, "checkpoint_triggers", cJSON_CreateArray());   /* issue 16 */
    text = cJSON_Print(doc);
    cJSON_Delete(doc);
    out = text ? malloc(strlen(text) + 2) : NULL;
    if (out)
        sprintf(out, "%s\n", text);
    free(text);
    return out;
}

/* The streamed document, as a string (caller frees). */
static int stream_status(ts_journal *j, const ts_suite_info *si, const ts_counts *c,
                         const char *dir, char **text)
{
    ts_err err = { .code = 0 };
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    int rc;

    if (!f)
        return -1;
    rc = ts_json_suite_status_write(f, j, si, c, dir, NULL, &err);
    if (rc < 0)
        diag("status json: %s", err.msg);
    fclose(f);
    return rc;
}

/* The writer prints what cJSON_Print prints: values, nesting, strings with
 * every byte, numbers of every kind. */
static char *jout_text(const cJSON *item)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ts_jout *w = malloc(sizeof *w);
    ts_jout_init(w, f);
    ts_jout_item(w, NULL, item);
    if (ts_jout_finish(w) < 0)
        diag("jout failed");
    free(w);
    fclose(f);
    return text;
}

static int same_as_cjson(const cJSON *item, const char *what)
{
    char *want = cJSON_Print(item), *got = jout_text(item);
    int r = want && got && !strcmp(want, got);
    if (!r)
        diag("%s: want\n%s\ngot\n%s", what, want ? want : "(null)", got ? got : "(null)");
    free(want);
    free(got);
    return r;
}

static void test_jsonout(void)
{
    static const char *const docs[] = {
        "{}", "[]", "[[]]", "{\"a\":{}}", "{\"a\":[]}", "[{}]", "[{}, {}]",
        "{\"a\":1,\"b\":[1,2,{\"c\":null,\"d\":[true,false]}],\"e\":{\"f\":\"g\"}}",
        "[[1,[2,[3,{\"x\":[{\"y\":{}}]}]]]]", "\"top\"", "42", "null",
        "{\"k\\\"\\\\\\n\":\"v\\t\\u0001\\u001f\u00e9\"}",
    };
    static const double nums[] = {
        0.0, -0.0, 1, -1, 7, 2147483647.0, 2147483648.0, -2147483648.0,
        -2147483649.0, 999999999999999.0, 1e15, -1e15, 1e16, 1e300, -1e300,
        0.1, 0.5, 66.7, 87.3, 100.0 / 3, 1e-7, 5e-324, 1700000000.0,
        1700000000.123456, 1764480000.987654321, 3.141592653589793,
        123456789.123, 1e21, 4503599627370496.5,
    };
    int all = 1;

    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *d = cJSON_Parse(docs[i]);
        if (!d) {
            diag("cannot parse %s", docs[i]);
            all = 0;
            continue;
        }
        all &= same_as_cjson(d, docs[i]);
        cJSON_Delete(d);
    }
    ok(all, "nested objects and arrays, empty ones, every value type");

    all = 1;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000 + (int)(sizeof nums / sizeof nums[0]); i++) {
        double v;
        char got[32], want[64];
        if (i < (int)(sizeof nums / sizeof nums[0])) {
            v = nums[i];
        } else {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            switch (i % 6) {
            case 0: v = 1.7e9 + (double)(x % 100000000000ULL) / 1e6; break;  /* times */
            case 1: v = -(1.7e9 + (double)(x % 1000000) / 1e3); break;
            case 2: v = (double)(x % 100000000000000ULL) / 100.0; break;
            case 3: v = (double)(x % 1000) / 10.0; break;                   /* percent */
            case 4: v = (double)(int64_t)(x >> 1) / (double)(1ULL << (x % 30 + 1)); break;
            default: memcpy(&v, &x, sizeof v); if (isnan(v)) v = 0; break;
            }
        }
        cJSON *n = cJSON_CreateNumber(v);
        ts_jout_number_text(got, v);
        if (!cJSON_PrintPreallocated(n, want, sizeof want, 1) || strcmp(got, want)) {
            if (all)
                diag("number %.17g: want %s got %s", v, want, got);
            all = 0;
        }
        cJSON_Delete(n);
    }
    ok(all, "200,000 numbers (times, fractions, integers, any bits) as cJSON prints them");
    cJSON *inf = cJSON_CreateArray();
    cJSON_AddItemToArray(inf, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(inf, cJSON_CreateNumber(NAN));
    ok(same_as_cjson(inf, "inf/nan"), "infinity and NaN: null, as cJSON");
    cJSON_Delete(inf);

    char bytes[256];
    for (int b = 1; b < 256; b++)
        bytes[b - 1] = (char)b;
    bytes[255] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, bytes, bytes);
    cJSON_AddStringToObject(o, "empty", "");
    ok(same_as_cjson(o, "bytes"), "strings and keys with every byte 1..255");
    cJSON_Delete(o);

    /* the writer's own calls, against the same tree built with cJSON */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ts_jout *w = malloc(sizeof *w);
    ts_jout_init(w, f);
    ts_jout_obj(w, NULL);
    ts_jout_str(w, "s", "x");
    ts_jout_str(w, "n", NULL);
    ts_jout_opt(w, "o", false, 1);
    ts_jout_opt(w, "p", true, 2.5);
    ts_jout_arr(w, "a");
    ts_jout_obj(w, NULL);
    ts_jout_end(w);
    ts_jout_num(w, NULL, 3);
    ts_jout_end(w);
    ts_jout_end(w);
    ok(ts_jout_finish(w) == 0, "writer: no error");
    fclose(f);
    cJSON *ref = cJSON_Parse("{\"s\":\"x\",\"n\":null,\"o\":null,\"p\":2.5,\"a\":[{},3]}");
    char *want = cJSON_Print(ref);
    is_str(text, want, "writer calls give cJSON_Print's bytes");
    free(want);
    free(text);
    cJSON_Delete(ref);

    f = open_memstream(&text, &len);
    ts_jout_init(w, f);
    ts_jout_obj(w, NULL);
    ts_jout_num(w, NULL, 1);
    ok(ts_jout_finish(w) < 0, "a member without a key is an error");
    fclose(f);
    free(text);
    free(w);
}

/* Peak RSS (KiB) of a child that streams the status document of suite id to
 * /dev/null: the same for 1,000 and 30,000 tasks (it grew with the suite
 * when the whole tree was built first). */
static long stream_rss_kib(const char *home, const char *id)
{
    int fd[2];
    long kib = -1;
    pid_t pid;

    if (pipe(fd) < 0)
        return -1;
    if ((pid = fork()) == 0) {
        ts_journal *j = NULL;
        ts_err err = { .code = 0 };
        ts_suite_info si;
        ts_counts c;
        struct rusage ru;
        FILE *null = fopen("/dev/null", "w");
        long r = -1;
        if (null && ts_journal_open(home, &j, &err) == 0
            && ts_journal_suite_get(j, id, &si, &err) == 0
            && ts_journal_counts(j, id, &c, &err) == 0
            && ts_json_suite_status_write(null, j, &si, &c, NULL, NULL, &err) == 0
            && getrusage(RUSAGE_SELF, &ru) == 0)
            r = ru.ru_maxrss;
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (pid > 0 && read(fd[0], &kib, sizeof kib) != (ssize_t)sizeof kib)
        kib = -1;
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return kib;
}

/* AddressSanitizer keeps freed memory in quarantine: RSS says nothing there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void test_status_json_memory(void)
{
    char home[300], id[2][TS_SUITE_ID_LEN + 1];
    long n[2] = { 1000, 30000 }, kib[2];
    ts_task_new *tasks = calloc(30000, sizeof *tasks);
    char (*names)[16] = calloc(30000, sizeof *names);
    ts_journal *j = NULL;
    ts_err err = { .code = 0 };

    snprintf(home, sizeof home, "%s/memory", root);
    if (!tasks || !names || ts_journal_open(home, &j, &err) < 0) {
        ok(0, "memory: setup: %s", err.msg);
        free(tasks);
        free(names);
        return;
    }
    for (int i = 0; i < 30000; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        tasks[i].name = names[i];
        tasks[i].args_json = "{\"lr\":\"0.1\",\"depth\":\"50\"}";
    }
    for (int k = 0; k < 2; k++) {
        ts_suite_new sn = { .name = "big", .owner_uid = getuid(), .close_after_s = -1 };
        if (ts_journal_suite_create(j, &sn, tasks, (size_t)n[k], id[k], NULL, &err) < 0)
            diag("create: %s", err.msg);
    }
    ts_journal_close(j);
    free(tasks);
    free(names);
    for (int k = 0; k < 2; k++)
        kib[k] = stream_rss_kib(home, id[k]);
    diag("status --json peak RSS: %ld KiB for %ld tasks, %ld KiB for %ld", kib[0], n[0],
         kib[1], n[1]);
#ifdef UNDER_ASAN
    ok(kib[0] > 0 && kib[1] > 0, "streamed both (memory not compared under ASan)");
#else
    ok(kib[0] > 0 && kib[1] > 0 && kib[1] - kib[0] < 4096,
       "streaming 30x the tasks takes less than 4 MiB more memory");
#endif
}

/* Task idx ran once and exited with code (its event records). */
static void task_done(const char *id, const char *dir, long idx, int code)
{
    ts_err err = { .code = 0 };
    ts_evctx ctx = { .suite_dir = dir, .suite_id = id, .task_idx = idx, .attempt = 1,
                     .jobid = "77", .node = "n1", .num_nodes = 1 };
    if (ts_events_started(&ctx, &err) < 0 || ts_events_exited(&ctx, code, 0, &err) < 0)
        diag("events: %s", err.msg);
}

/* A finished suite that stays open (close_after_s): the first sync finds
 * nothing to do and marks it settled; the next ones skip ingest (a late
 * record in a settled task's file waits for the full read before the suite
 * completes, as before); adding a task clears the mark. */
static void test_settled(ts_journal *j)
{
    ts_suite_new sn = { .name = "settle", .owner_uid = getuid(), .close_after_s = 3600 };
    const ts_task_new two[] = { { .name = "a" }, { .name = "b" } }, more[] = { { .name = "c" } };
    ts_sync_opts so = { .no_slurm = true, .quiet = true };
    char id[TS_SUITE_ID_LEN + 1], dir[512], mark[TS_SETTLE_KEY_MAX], mark2[TS_SETTLE_KEY_MAX];
    ts_err err = { .code = 0 };
    ts_sync_result res;
    long first;

    int64_t sub;

    /* Its submission is done with (as classify leaves it once Slurm has
     * no element of it left open). */
    if (ts_journal_suite_create(j, &sn, two, 2, id, &sub, &err) < 0
        || ts_journal_intent_set_state(j, sub, TS_SUB_DONE, &err) < 0)
        diag("create: %s", err.msg);
    suite_dir(j, id, dir, sizeof dir);
    task_done(id, dir, 0, 0);
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.ingested == 2
       && ts_journal_settled_get(j, id, mark, sizeof mark, &err) == 0 && !mark[0],
       "a task still pending: not settled");
    task_done(id, dir, 1, 3);
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.ingested == 2 && res.state == TS_SUITE_OPEN,
       "both finished, the suite open");
    /* the sync that read the last records had a live task: the next one
     * finds none and marks the suite */
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.ingested == 0
       && ts_journal_settled_get(j, id, mark, sizeof mark, &err) == 0 && mark[0],
       "the next sync finds nothing to do: settled (%s)", mark);
    ok(res.counted && res.counts.n[TS_TASK_COMPLETED] == 1 && res.counts.n[TS_TASK_FAILED] == 1,
       "the sync's counters: 1 completed, 1 failed");

    ts_evctx late = { .suite_dir = dir, .suite_id = id, .task_idx = 1, .attempt = 1,
                      .jobid = "77", .node = "n1", .num_nodes = 1 };
    ts_events_checkpoint(&late, "/ck/late", 1, &err);
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.ingested == 0 && res.counted
       && res.counts.total == 2 && ts_journal_settled_get(j, id, mark2, sizeof mark2, &err) == 0
       && mark[0] && !strcmp(mark, mark2), "settled: the next sync reads no event file");

    ok(ts_journal_tasks_add(j, id, more, 1, &first, &sub, &err) == 0, "a task added");
    ok(ts_sync(j, id, &so, &res, &err) == 0
       && ts_journal_settled_get(j, id, mark2, sizeof mark2, &err) == 0 && !mark2[0],
       "adding a task clears the mark");
    ts_journal_intent_set_state(j, sub, TS_SUB_DONE, &err);
    task_done(id, dir, first, 0);
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.ingested == 2
       && ts_sync(j, id, &so, &res, &err) == 0
       && ts_journal_settled_get(j, id, mark2, sizeof mark2, &err) == 0 && mark2[0]
       && strcmp(mark, mark2) != 0, "finished again: settled with a new fingerprint");
    ts_suite_info si;
    ok(ts_journal_suite_get(j, id, &si, &err) == 0 && si.state == TS_SUITE_OPEN,
       "still open (close_after_s)");
    ts_suite_info_clear(&si);
}

/* A big suite still running: with 4,096 live tasks or more, ingest lists
 * events/ once and opens only the directories there; what those hold is
 * read all the same, the others cost nothing. */
static void test_ingest_many_live(ts_journal *j)
{
    enum { N = 5000 };
    ts_suite_new sn = { .name = "many", .owner_uid = getuid(), .close_after_s = -1 };
    ts_task_new *t = calloc(N, sizeof *t);
    char (*names)[16] = calloc(N, sizeof *names);
    char id[TS_SUITE_ID_LEN + 1], dir[512];
    ts_err err = { .code = 0 };
    ts_ingest_stats st;
    ts_counts c;

    for (int i = 0; t && names && i < N; i++) {
        snprintf(names[i], sizeof names[i], "m%d", i);
        t[i].name = names[i];
    }
    if (!t || !names || ts_journal_suite_create(j, &sn, t, N, id, NULL, &err) < 0) {
        ok(0, "many: create: %s", err.msg);
        free(t);
        free(names);
        return;
    }
    free(t);
    free(names);
    suite_dir(j, id, dir, sizeof dir);
    task_done(id, dir, 0, 0);
    task_done(id, dir, 4321, 2);
    task_done(id, dir, N - 1, 0);
    ts_evctx run = { .suite_dir = dir, .suite_id = id, .task_idx = 77, .attempt = 1,
                     .jobid = "78", .node = "n2", .num_nodes = 1 };
    ts_events_started(&run, &err);
    int rc = ts_journal_ingest(j, id, dir, &st, &err);
    ok(rc == 0 && st.applied == 7 && st.dirs == N,
       "5,000 live tasks, 4 started: their 7 records read (%ld, %ld live)", st.applied,
       st.dirs);
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.n[TS_TASK_COMPLETED] == 2
       && c.n[TS_TASK_FAILED] == 1 && c.n[TS_TASK_RUNNING] == 1
       && c.n[TS_TASK_PENDING] == N - 4, "2 completed, 1 failed, 1 running, the rest pending");
    rc = ts_journal_ingest(j, id, dir, &st, &err);
    ok(rc == 0 && st.applied == 0 && st.dirs == N - 3,
       "again: nothing new, the three finished ones no longer live (%ld)", st.dirs);
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
    char *text = NULL;
    ok(stream_status(j, &si, &c, dir, &text) == 0 && text, "status document written");
    doc = text ? cJSON_Parse(text) : NULL;
    ok(doc != NULL, "and it is one JSON document");
    char *want = ref_status(j, &si, &c, dir);
    ok(want && text && !strcmp(text, want),
       "byte for byte what cJSON_Print gives for the whole tree");
    free(want);
    free(text);

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
    char dir[PATH_MAX];
    bool marked = false;
    suite_dir(j, id, dir, sizeof dir);
    ok(ts_cancel_task(j, id, "sleeper", &o, &r, &err) == 0, "cancel --task sleeper");
    ok(ts_events_is_cancelled(dir, 2, &marked, &err) == 0 && marked,
       "it leaves the marker an element started later finds (runs nothing)");
    marked = true;
    ok(ts_events_is_cancelled(dir, 1, &marked, &err) == 0 && !marked, "not for the others");
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
    char wname[64], wkey[64];
    snprintf(wname, sizeof wname, "ts-%s-reconcile", id);
    snprintf(wkey, sizeof wkey, "tasksuite:%s:watch", id);
    fake_add(503, 0, TS_JOB_PENDING, wname, wkey);
    ok(ts_cancel_suite(j, id, &o, &r, &err) == 0, "cancel the suite");
    is_str(cancelled_list(), "500 501 777 502 503",
           "arrays, the unrecorded one, the reconcile job, the watchdog");
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
    test_jsonout();
    test_status_json(j);
    test_status_json_memory();
    test_settled(j);
    test_ingest_many_live(j);
    test_logtail();
    test_cancel(j);
    ts_journal_close(j);
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
