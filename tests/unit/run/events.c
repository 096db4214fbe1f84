/* events.c: event records, their files, and their ingestion into a journal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "events.h"
#include "exitcodes.h"
#include "journal.h"
#include "tap.h"

static char root[256];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static long long sql_int(const char *dbpath, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;

    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        else if (rc == SQLITE_DONE)
            v = 0;
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    int c;
    if (!f)
        return -1;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void append_raw(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            diag("append %s: %s", path, strerror(errno));
        close(fd);
    }
}

/* ------------------------------------------------------------ records */

static void test_format_parse(void)
{
    char line[TS_EVENT_MAX + 1];
    ts_event ev, back;
    ts_err err = { .msg = "" };
    int n;

    memset(&ev, 0, sizeof ev);
    ev.type = TS_EV_CHECKPOINT;
    ok(ts_event_key_new(ev.key, &err) == 0 && strlen(ev.key) == 32
       && strspn(ev.key, "0123456789abcdef") == 32, "key: 32 hex digits");
    ev.time = 1700000000.123;
    snprintf(ev.suite_id, sizeof ev.suite_id, "ab12cd34");
    ev.task_idx = 17;
    ev.attempt = 2;
    snprintf(ev.jobid, sizeof ev.jobid, "4242");
    snprintf(ev.node, sizeof ev.node, "n001");
    ev.node_rank = 1;
    ev.num_nodes = 2;
    snprintf(ev.path, sizeof ev.path, "/scratch/ck \"quoted\"\n.pt");
    ev.step = 1200;
    n = ts_event_format(&ev, line, sizeof line, &err);
    ok(n > 0 && line[n - 1] == '\n' && strchr(line, '\n') == line + n - 1,
       "one line, newline-terminated (%d bytes)", n);
    ok(strstr(line, "\"type\":\"checkpoint\"") && strstr(line, "\"time\":1700000000.123")
       && strstr(line, "\"task_idx\":17") && strstr(line, "\"step\":1200"),
       "fields as documented");
    ok(ts_event_parse(line, (size_t)n, &back, &err) == 0, "parses back");
    ok(strcmp(back.key, ev.key) == 0 && back.type == TS_EV_CHECKPOINT
       && back.time == ev.time && back.task_idx == 17 && back.attempt == 2
       && back.node_rank == 1 && back.num_nodes == 2 && back.step == 1200
       && strcmp(back.path, ev.path) == 0 && strcmp(back.jobid, "4242") == 0
       && strcmp(back.node, "n001") == 0, "round trip is exact");

    /* exited: exactly one of exit_code / signal */
    ev.type = TS_EV_EXITED;
    ev.exit_code = -1;
    ev.signal = 9;
    n = ts_event_format(&ev, line, sizeof line, &err);
    ok(ts_event_parse(line, (size_t)n, &back, &err) == 0 && back.signal == 9
       && back.exit_code == -1 && !strstr(line, "exit_code"),
       "exited by a signal");
    ev.signal = 0;
    ev.exit_code = 75;
    n = ts_event_format(&ev, line, sizeof line, &err);
    ok(ts_event_parse(line, (size_t)n, &back, &err) == 0 && back.exit_code == 75
       && back.signal == 0, "exited with a code");

    static const struct { const char *line, *why; } bad[] = {
        { "", "empty line" },
        { "{\"key\":", "not valid JSON" },
        { "[1,2]", "not a JSON object" },
        { "{\"type\":\"started\",\"time\":1,\"suite_id\":\"a\",\"task_idx\":0,"
          "\"attempt\":1}", "missing \"key\"" },
        { "{\"key\":\"k\",\"type\":\"dance\",\"time\":1}", "unknown event type \"dance\"" },
        { "{\"key\":\"k\",\"type\":\"exited\",\"time\":1,\"suite_id\":\"a\","
          "\"task_idx\":0,\"attempt\":1,\"exit_code\":0,\"signal\":9}",
          "exited needs exactly one of \"exit_code\" and \"signal\"" },
        { "{\"key\":\"k\",\"type\":\"started\",\"time\":1,\"suite_id\":\"a\","
          "\"task_idx\":0,\"attempt\":0}", "\"attempt\" is not an integer in "
          "[1, 2147483647]" },
        { "{\"key\":\"k\",\"type\":\"started\",\"time\":1,\"suite_id\":\"a\","
          "\"task_idx\":0,\"attempt\":1,\"node_rank\":2,\"num_nodes\":2}",
          "node_rank 2 is not below num_nodes 2" },
        { "{\"key\":\"k\",\"type\":\"checkpoint\",\"time\":1,\"suite_id\":\"a\","
          "\"task_idx\":0,\"attempt\":1}", "missing \"path\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_err e = { .msg = "" };
        int rc = ts_event_parse(bad[i].line, strlen(bad[i].line), &back, &e);
        ok(rc < 0 && strcmp(e.msg, bad[i].why) == 0, "bad record %zu: %s", i,
           e.msg);
    }
    const char *future = "{\"v\":2,\"key\":\"k\",\"type\":\"started\",\"time\":1,"
                         "\"suite_id\":\"a\",\"task_idx\":0,\"attempt\":1,"
                         "\"new_field\":{\"x\":1}}\n";
    ok(ts_event_parse(future, strlen(future), &back, &err) == 0
       && back.num_nodes == 1 && back.node_rank == 0,
       "unknown fields ignored, defaults for rank and node count");

    /* Too long for one atomic append. */
    char longpath[TS_EVENT_MAX];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    memcpy(ev.path, longpath, sizeof longpath);
    ev.type = TS_EV_CHECKPOINT;
    ok(ts_event_format(&ev, line, sizeof line, &err) < 0
       && strstr(err.msg, "record too long"), "over-long record refused: %s",
       err.msg);
    ok(ts_event_type_parse("graceful_timeout") == TS_EV_GRACEFUL_TIMEOUT
       && ts_event_type_parse("x") == -1
       && strcmp(ts_event_type_name(TS_EV_SIGNAL_RECEIVED), "signal_received") == 0
       && ts_event_type_name(TS_EV_NTYPES) == NULL, "type names");
}

/* ------------------------------------------------------------ files */

struct collect {
    int n, bad;
    char types[256];
    char lastbad[256];
};

static int collect_cb(const ts_event *ev, const char *bad, void *arg)
{
    struct collect *c = arg;
    if (ev) {
        c->n++;
        if (strlen(c->types) + 20 < sizeof c->types) {
            strcat(c->types, ts_event_type_name(ev->type));
            strcat(c->types, ",");
        }
    } else {
        c->bad++;
        snprintf(c->lastbad, sizeof c->lastbad, "%s", bad);
    }
    return 0;
}

static void test_writer(const char *sdir)
{
    ts_evctx ctx = { .suite_dir = sdir, .suite_id = "ab12cd34", .task_idx = 3,
                     .attempt = 1, .jobid = "4242", .node = "n/001",
                     .node_rank = 0, .num_nodes = 1 };
    char path[PATH_MAX], want[PATH_MAX], cp[PATH_MAX];
    ts_err err = { .msg = "" };
    struct collect c = { .n = 0 };
    struct stat sb;
    long long end = -1, size;
    long step;

    ok(ts_events_path(&ctx, path, sizeof path, &err) == 0, "path");
    snprintf(want, sizeof want, "%s/events/3/1-4242-n_001.ev", sdir);
    is_str(path, want, "SUITEDIR/events/<idx>/<attempt>-<jobid>-<node>.ev, sanitised");
    ok(ts_events_started(&ctx, &err) == 0
       && ts_events_checkpoint(&ctx, "/ck/1", 10, &err) == 0
       && ts_events_signal_received(&ctx, SIGUSR2, &err) == 0
       && ts_events_graceful_timeout(&ctx, &err) == 0
       && ts_events_exited(&ctx, 75, 0, &err) == 0, "five records appended");
    is_int(count_lines(path), 5, "five lines");
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == (0644 & ~(mode_t)022),
       "file mode 0644 (umask 022)");
    ok(ts_events_read(path, 0, collect_cb, &c, &end, &err) == 0 && c.n == 5
       && c.bad == 0, "read back five records");
    is_str(c.types, "started,checkpoint,signal_received,graceful_timeout,exited,",
           "in order");
    is_int(end, (long long)sb.st_size, "end offset = file size");

    /* A torn record: not delivered, the offset stays before it. */
    size = sb.st_size;
    append_raw(path, "{\"v\":1,\"key\":\"torn");
    memset(&c, 0, sizeof c);
    ok(ts_events_read(path, size, collect_cb, &c, &end, &err) == 0 && c.n == 0
       && c.bad == 0 && end == size, "a torn last line is left alone");
    /* The next writer ends the fragment first; the fragment reads as bad. */
    ok(ts_events_checkpoint(&ctx, "/ck/2", -1, &err) == 0, "append after a torn line");
    memset(&c, 0, sizeof c);
    ok(ts_events_read(path, size, collect_cb, &c, &end, &err) == 0 && c.n == 1
       && c.bad == 1, "fragment skipped as bad, the new record intact (%s)",
       c.lastbad);
    memset(&c, 0, sizeof c);
    ts_events_read(path, 0, collect_cb, &c, NULL, &err);
    is_int(c.n, 6, "six good records in all");
    ok(ts_events_read(path, 1LL << 40, collect_cb, &c, &end, &err) == 0,
       "an offset past the end restarts at 0");

    /* A big file: chunk boundaries, and an over-long line in the middle. */
    char big[PATH_MAX];
    snprintf(big, sizeof big, "%s/events/3/9-big-n1.ev", sdir);
    FILE *bf = fopen(big, "w");
    for (int i = 0; bf && i < 3000; i++) {
        char l[TS_EVENT_MAX + 1];
        ts_event e;
        memset(&e, 0, sizeof e);
        e.type = TS_EV_CHECKPOINT;
        snprintf(e.key, sizeof e.key, "k%d", i);
        e.time = 1700000000 + i;
        snprintf(e.suite_id, sizeof e.suite_id, "ab12cd34");
        e.task_idx = 3;
        e.attempt = 9;
        e.num_nodes = 1;
        e.step = i;
        snprintf(e.path, sizeof e.path, "/ck/big/%d", i);
        int len = ts_event_format(&e, l, sizeof l, &err);
        if (len > 0)
            fwrite(l, 1, (size_t)len, bf);
        if (i == 1500) {
            for (int k = 0; k < 3 * TS_EVENT_MAX; k++)
                fputc('x', bf);
            fputc('\n', bf);
        }
    }
    if (bf)
        fclose(bf);
    memset(&c, 0, sizeof c);
    stat(big, &sb);
    int rrc = ts_events_read(big, 0, collect_cb, &c, &end, &err);
    ok(rrc == 0 && c.n == 3000 && c.bad == 1 && end == (long long)sb.st_size,
       "3000 records across chunks, one over-long line skipped (%d, %d)", c.n,
       c.bad);
    ok(ts_events_last_checkpoint(sdir, 3, cp, sizeof cp, &step, &err) == 1
       && strcmp(cp, "/ck/big/2999") == 0 && step == 2999,
       "last checkpoint of the big file's attempt 9");
    unlink(big);

    /* Other attempts of the same task, for last_checkpoint. */
    ts_evctx a2 = ctx;
    a2.attempt = 2;
    a2.jobid = "4300";
    a2.node = NULL;             /* this host */
    ok(ts_events_last_checkpoint(sdir, 3, cp, sizeof cp, &step, &err) == 1,
       "last checkpoint found");
    is_str(cp, "/ck/2", "latest of attempt 1");
    is_int(step, -1, "no step given");
    ts_events_checkpoint(&a2, "/ck/a2-early", 5, &err);
    ts_events_checkpoint(&a2, "/ck/a2-late", 6, &err);
    ok(ts_events_last_checkpoint(sdir, 3, cp, sizeof cp, &step, &err) == 1
       && strcmp(cp, "/ck/a2-late") == 0 && step == 6,
       "the highest attempt's latest wins (%s)", cp);
    ok(ts_events_last_checkpoint(sdir, 4, cp, sizeof cp, &step, &err) == 0
       && cp[0] == '\0' && step == -1, "no checkpoint: 0 and empty");
    ok(ts_events_last_checkpoint(sdir, 3, cp, 4, &step, &err) < 0,
       "too small a buffer is an error");

    ts_evctx badctx = ctx;
    badctx.node_rank = 2;
    badctx.num_nodes = 2;
    ok(ts_events_started(&badctx, &err) < 0, "rank >= node count refused");
    badctx = ctx;
    badctx.attempt = 0;
    ok(ts_events_started(&badctx, &err) < 0, "attempt 0 refused");
    ok(ts_events_exited(&ctx, 256, 0, &err) < 0, "exit code > 255 refused");
    badctx = ctx;
    badctx.suite_dir = "/nonexistent/suite";
    ok(ts_events_started(&badctx, &err) < 0
       && strstr(err.msg, "/nonexistent/suite/events"),
       "missing suite dir: %s", err.msg);
}

/* ------------------------------------------------------------ ingestion */

struct tstate { enum ts_task_state st[16]; int attempts[16]; char cp[16][64];
                long step[16]; int exit_[16]; int sig[16]; };

static int task_cb(const ts_task_info *t, void *arg)
{
    struct tstate *ts = arg;
    if (t->idx < 16) {
        ts->st[t->idx] = t->state;
        ts->attempts[t->idx] = t->attempts;
        snprintf(ts->cp[t->idx], sizeof ts->cp[t->idx], "%s",
                 t->last_checkpoint ? t->last_checkpoint : "");
        ts->step[t->idx] = t->last_step;
        ts->exit_[t->idx] = t->has_exit ? t->last_exit : -1;
        ts->sig[t->idx] = t->last_signal;
    }
    return 0;
}

static void tasks_now(ts_journal *j, const char *id, struct tstate *ts)
{
    ts_err err = { .msg = "" };
    memset(ts, 0, sizeof *ts);
    if (ts_journal_tasks_foreach(j, id, 0, task_cb, ts, &err) < 0)
        diag("tasks: %s", err.msg);
}

struct astate { enum ts_attempt_state st; bool warned; int ranks_started,
                ranks_exited, exit_code, signal, found, want; bool classified; };

/* Keeps the attempt numbered as->want (0: every one, the last wins). */
static int att_cb(const ts_attempt_info *a, void *arg)
{
    struct astate *as = arg;
    if (as->want && a->attempt != as->want)
        return 0;
    as->st = a->state;
    as->warned = a->warned;
    as->ranks_started = a->ranks_started;
    as->ranks_exited = a->ranks_exited;
    as->exit_code = a->exit_code;
    as->signal = a->signal;
    as->classified = a->classified;
    as->found++;
    return 0;
}

static struct astate attempt_now(ts_journal *j, const char *id, long idx,
                                 int attempt)
{
    struct astate as = { .want = attempt };
    ts_err err = { .msg = "" };
    if (ts_journal_attempts_foreach(j, id, idx, 0, att_cb, &as, &err) < 0)
        diag("attempts: %s", err.msg);
    return as;
}

static int ingest(ts_journal *j, const char *id, const char *sdir,
                  ts_ingest_stats *st)
{
    ts_err err = { .msg = "" };
    int rc = ts_journal_ingest(j, id, sdir, st, &err);
    if (rc < 0)
        diag("ingest: %s", err.msg);
    return rc;
}

static void test_ingest(void)
{
    char home[512], sdir[1024], id[9], path[PATH_MAX];
    ts_task_new tasks[8] = {
        { .name = "t0" }, { .name = "t1" }, { .name = "t2", .num_nodes = 2 },
        { .name = "t3", .num_nodes = 2 }, { .name = "t4" }, { .name = "t5" },
        { .name = "t6" }, { .name = "t7" },
    };
    ts_suite_new sn = { .name = "ing", .close_after_s = -1, .max_retries = 3,
                        .retry_on = 1 };
    ts_err err = { .msg = "" };
    ts_ingest_stats st;
    struct tstate ts;
    struct astate as;
    ts_journal *j = NULL;
    const char *db;
    int rc;

    snprintf(home, sizeof home, "%s/home", root);
    if (ts_journal_open(home, &j, &err) < 0) {
        diag("open: %s", err.msg);
        return;
    }
    db = ts_journal_path(j);
    ts_journal_suite_create(j, &sn, tasks, 8, id, NULL, &err);
    snprintf(sdir, sizeof sdir, "%s/suites", home);
    mkdir(sdir, 0755);
    snprintf(sdir, sizeof sdir, "%s/suites/%s", home, id);
    ok(mkdir(sdir, 0755) == 0, "suite run directory made");
    char sdb[PATH_MAX + 64];
    snprintf(sdb, sizeof sdb, "%s", db);

    ok(ingest(j, id, sdir, &st) == 0 && st.files == 0,
       "ingest with no events/ yet is fine");

    /* Task 0: started, checkpoint, exited 0. */
    ts_evctx c0 = { .suite_dir = sdir, .suite_id = id, .task_idx = 0,
                    .attempt = 1, .jobid = "100", .node = "n1" };
    ts_events_started(&c0, &err);
    ts_events_checkpoint(&c0, "/ck/t0-a", 1, &err);
    ts_events_checkpoint(&c0, "/ck/t0-b", 2, &err);
    ts_events_exited(&c0, 0, 0, &err);
    ok(ingest(j, id, sdir, &st) == 0 && st.files == 1 && st.records == 4
       && st.applied == 4 && st.bad == 0, "4 records ingested");
    tasks_now(j, id, &ts);
    ok(ts.st[0] == TS_TASK_COMPLETED && ts.exit_[0] == 0, "task 0 completed");
    is_str(ts.cp[0], "/ck/t0-b", "last checkpoint recorded");
    is_int(ts.step[0], 2, "with its step");
    as = attempt_now(j, id, 0, 1);
    ok(as.found == 1 && as.st == TS_ATT_COMPLETED && as.ranks_started == 1
       && as.ranks_exited == 1, "attempt row completed");
    long long nev = sql_int(sdb, "SELECT COUNT(*) FROM events");
    long long ncp = sql_int(sdb, "SELECT COUNT(*) FROM checkpoints");

    /* Idempotent: again (nothing new), and after forgetting the offsets. */
    ok(ingest(j, id, sdir, &st) == 0 && st.files == 0 && st.records == 0,
       "second ingest reads nothing");
    sql_int(sdb, "DELETE FROM ingest_offsets");
    ok(ingest(j, id, sdir, &st) == 0 && st.records == 0,
       "a finished task's files are not even looked at");
    ok(ts_journal_ingest_all(j, id, sdir, &st, &err) == 0 && st.records == 4
       && st.applied == 0, "a full re-read of the same records applies none");
    is_int(sql_int(sdb, "SELECT COUNT(*) FROM events"), nev, "no new event rows");
    is_int(sql_int(sdb, "SELECT COUNT(*) FROM checkpoints"), ncp,
           "no duplicate checkpoints");
    tasks_now(j, id, &ts);
    ok(ts.st[0] == TS_TASK_COMPLETED, "task 0 unchanged");

    /* Appending more: only the new bytes are read. */
    ts_evctx c1 = c0;
    c1.task_idx = 1;
    ts_events_started(&c1, &err);
    ts_events_started(&c1, &err);          /* a duplicate start is harmless */
    ok(ingest(j, id, sdir, &st) == 0 && st.files == 1 && st.records == 2
       && st.applied == 2, "only the new file is read");
    tasks_now(j, id, &ts);
    ok(ts.st[1] == TS_TASK_RUNNING, "task 1 running");
    ts_events_exited(&c1, 3, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(st.records == 1 && ts.st[1] == TS_TASK_FAILED && ts.exit_[1] == 3,
       "task 1 failed with exit 3 (appended record only)");

    /* Torn last line through ingestion. */
    ts_evctx c4 = c0;
    c4.task_idx = 4;
    ts_events_started(&c4, &err);
    ts_events_path(&c4, path, sizeof path, &err);
    char line[TS_EVENT_MAX + 1];
    ts_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = TS_EV_EXITED;
    ts_event_key_new(ev.key, &err);
    ev.time = 1700000001;
    snprintf(ev.suite_id, sizeof ev.suite_id, "%s", id);
    ev.task_idx = 4;
    ev.attempt = 1;
    ev.num_nodes = 1;
    ev.exit_code = 0;
    int n = ts_event_format(&ev, line, sizeof line, &err);
    char half[TS_EVENT_MAX + 1];
    snprintf(half, (size_t)n / 2 + 1, "%s", line);
    append_raw(path, half);
    ok(ingest(j, id, sdir, &st) == 0 && st.records == 1 && st.bad == 0,
       "torn record not read");
    tasks_now(j, id, &ts);
    ok(ts.st[4] == TS_TASK_RUNNING, "task 4 still running");
    append_raw(path, line + n / 2);        /* the writer finishes the line */
    ok(ingest(j, id, sdir, &st) == 0 && st.records == 1 && st.applied == 1,
       "completed record read next time");
    tasks_now(j, id, &ts);
    ok(ts.st[4] == TS_TASK_COMPLETED, "task 4 completed");

    /* Multi-node: task 2 completes only when both ranks exit 0. */
    ts_evctx r0 = { .suite_dir = sdir, .suite_id = id, .task_idx = 2,
                    .attempt = 1, .jobid = "200", .node = "n1", .node_rank = 0,
                    .num_nodes = 2 };
    ts_evctx r1 = r0;
    r1.node = "n2";
    r1.node_rank = 1;
    ts_events_started(&r0, &err);
    ts_events_started(&r1, &err);
    ts_events_exited(&r0, 0, 0, &err);
    ingest(j, id, sdir, &st);
    as = attempt_now(j, id, 2, 1);
    tasks_now(j, id, &ts);
    ok(as.st == TS_ATT_RUNNING && as.ranks_started == 2 && as.ranks_exited == 1
       && ts.st[2] == TS_TASK_RUNNING, "one of two ranks exited: still running");
    ts_events_exited(&r1, 0, 0, &err);
    ingest(j, id, sdir, &st);
    as = attempt_now(j, id, 2, 1);
    tasks_now(j, id, &ts);
    ok(as.st == TS_ATT_COMPLETED && ts.st[2] == TS_TASK_COMPLETED,
       "both ranks exited 0: completed");

    /* Task 3: a failing rank fails the attempt at once. */
    r0.task_idx = r1.task_idx = 3;
    ts_events_started(&r0, &err);
    ts_events_started(&r1, &err);
    ts_events_exited(&r1, 2, 0, &err);
    ingest(j, id, sdir, &st);
    as = attempt_now(j, id, 3, 1);
    tasks_now(j, id, &ts);
    ok(as.st == TS_ATT_FAILED && ts.st[3] == TS_TASK_FAILED && ts.exit_[3] == 2,
       "rank 1 exited 2: failed before rank 0 ends");
    ts_events_exited(&r0, 0, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(ts.st[3] == TS_TASK_FAILED, "rank 0's exit 0 does not undo it");

    /* Task 5: warning signal, then killed by SIGTERM -> ended_by_signal. */
    ts_evctx c5 = c0;
    c5.task_idx = 5;
    ts_events_started(&c5, &err);
    ts_events_signal_received(&c5, SIGUSR2, &err);
    ts_events_exited(&c5, -1, SIGTERM, &err);
    ingest(j, id, sdir, &st);
    as = attempt_now(j, id, 5, 1);
    tasks_now(j, id, &ts);
    ok(as.st == TS_ATT_ENDED_BY_SIGNAL && as.warned && as.signal == SIGTERM,
       "killed after a warning: ended_by_signal, warned");
    ok(ts.st[5] == TS_TASK_RUNNING, "task waits for reconcile (running)");
    ok(ts_journal_attempt_classify(j, id, 5, 1, TS_ATT_TIMEOUT, &err) == 0,
       "reconcile classifies it");
    as = attempt_now(j, id, 5, 1);
    tasks_now(j, id, &ts);
    ok(as.st == TS_ATT_TIMEOUT && as.classified && ts.st[5] == TS_TASK_TIMEOUT
       && ts.sig[5] == SIGTERM, "timeout (task follows, signal kept)");
    ok(ts_journal_attempt_classify(j, id, 5, 1, TS_ATT_ENDED_BY_SIGNAL, &err) < 0,
       "classify refuses a non-final state: %s", err.msg);
    sql_int(sdb, "DELETE FROM ingest_offsets");
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(ts.st[5] == TS_TASK_TIMEOUT, "re-ingesting keeps the verdict");

    /* Task 6: exit 75 is a (graceful) timeout; and a retry. */
    ts_evctx c6 = c0;
    c6.task_idx = 6;
    ts_events_started(&c6, &err);
    ts_events_checkpoint(&c6, "/ck/t6-1", 100, &err);
    ts_events_exited(&c6, 75, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(ts.st[6] == TS_TASK_TIMEOUT && ts.exit_[6] == 75, "exit 75: timeout");
    long six = 6;
    ts_journal_intent_create(j, id, &six, 1, NULL, &err);
    tasks_now(j, id, &ts);
    ok(ts.st[6] == TS_TASK_PENDING && ts.attempts[6] == 2,
       "retried: pending attempt 2");
    /* A late record of attempt 1 must not move the task. */
    ts_evctx late = c6;
    late.node = "n9";
    ts_events_exited(&late, 0, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(ts.st[6] == TS_TASK_PENDING, "a late record of attempt 1 is ignored by the task");
    char cp[PATH_MAX];
    long step;
    ok(ts_events_last_checkpoint(sdir, 6, cp, sizeof cp, &step, &err) == 1
       && strcmp(cp, "/ck/t6-1") == 0 && step == 100,
       "the compute node finds attempt 1's checkpoint");
    ts_evctx c6b = c6;
    c6b.attempt = 2;
    c6b.jobid = "300";
    ts_events_started(&c6b, &err);
    ts_events_graceful_timeout(&c6b, &err);
    ts_events_exited(&c6b, -1, SIGTERM, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    as = attempt_now(j, id, 6, 2);
    ok(as.st == TS_ATT_TIMEOUT && ts.st[6] == TS_TASK_TIMEOUT,
       "graceful_timeout + signal: timeout");
    is_str(ts.cp[6], "/ck/t6-1", "checkpoint carried across attempts");

    /* Task 7: cancelled stays cancelled. */
    ts_journal_task_set_state(j, id, 7, TS_TASK_CANCELLED, &err);
    ts_evctx c7 = c0;
    c7.task_idx = 7;
    ts_events_started(&c7, &err);
    ts_events_exited(&c7, 0, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    as = attempt_now(j, id, 7, 1);
    ok(ts.st[7] == TS_TASK_CANCELLED && as.st == TS_ATT_COMPLETED,
       "a cancelled task stays cancelled; its attempt is recorded");

    /* Reconcile's verdict for an attempt never seen (node lost). */
    ts_task_new more = { .name = "t8" };
    long first = 0;
    ts_journal_tasks_add(j, id, &more, 1, &first, NULL, &err);
    ok(ts_journal_attempt_classify(j, id, first, 1, TS_ATT_NODE_FAIL, &err) == 0,
       "classify an attempt with no events");
    tasks_now(j, id, &ts);
    ok(ts.st[8] == TS_TASK_NODE_FAIL, "task node_fail");
    /* ...then its events show up and say it completed: they win. */
    ts_evctx c8 = c0;
    c8.task_idx = first;
    ts_events_started(&c8, &err);
    ts_events_exited(&c8, 0, 0, &err);
    ingest(j, id, sdir, &st);
    tasks_now(j, id, &ts);
    ok(ts.st[8] == TS_TASK_COMPLETED, "the task's own exit 0 overrides node_fail");
    ok(ts_journal_attempt_classify(j, id, 99, 1, TS_ATT_FAILED, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "classify of an unknown task: %s",
       err.msg);

    /* Bad records are skipped and counted, not fatal. */
    char evdir[PATH_MAX];
    snprintf(evdir, sizeof evdir, "%s/events/0/1-x-garbage.ev", sdir);
    append_raw(evdir, "not json\n");
    ts_evctx foreign = c0;
    foreign.suite_id = "zzzzzzzz";
    ts_events_started(&foreign, &err);
    ts_evctx ghost = c0;
    ghost.task_idx = 50;
    ts_events_started(&ghost, &err);
    ok(ingest(j, id, sdir, &st) == 0 && st.files == 0 && st.bad == 0,
       "finished tasks' directories are not read again");
    rc = ts_journal_ingest_all(j, id, sdir, &st, &err);
    /* ...and the one record the live set skipped: task 3's rank 0 exit,
     * after its rank 1 had already failed the attempt. */
    ok(rc == 0 && st.bad == 3 && st.applied == 1, "a full ingest reads them: "
       "3 bad records skipped (first: %s; %ld applied, %ld bad)", st.first_bad,
       st.applied, st.bad);
    ok(strstr(st.first_bad, ".ev: ") != NULL, "first_bad names the file");
    ok(ts_journal_ingest_all(j, id, sdir, &st, &err) == 0 && st.records == 0,
       "and only once");

    /* Counters match the walk, and reconcile's query works. */
    ts_counts cnt;
    ts_journal_counts(j, id, &cnt, &err);
    ok(cnt.total == 9 && cnt.n[TS_TASK_COMPLETED] == 4 && cnt.n[TS_TASK_FAILED] == 2
       && cnt.n[TS_TASK_TIMEOUT] == 2 && cnt.n[TS_TASK_CANCELLED] == 1,
       "counters: 4 completed, 2 failed, 2 timeout, 1 cancelled");
    memset(&as, 0, sizeof as);
    ok(ts_journal_attempts_foreach(j, id, -1, TS_BIT(TS_ATT_RUNNING)
                                   | TS_BIT(TS_ATT_ENDED_BY_SIGNAL), att_cb, &as,
                                   &err) == 0 && as.found == 0,
       "no attempt left for reconcile");
    memset(&as, 0, sizeof as);
    rc = ts_journal_attempts_foreach(j, id, -1, 0, att_cb, &as, &err);
    ok(rc == 0 && as.found == 10, "10 attempts in all (%d)", as.found);
    ts_journal_close(j);
}

/* In-job resume: the attempt's own job queued the next attempt and said so
 * (resubmitted, before exited): the task is pending with attempt 2 under a
 * submission of its own that records the job; reading the records again,
 * or a sync finding the same job by its key, adds nothing. */
/* Pool mode: an agent queued attempt 2 in the pool and said so with
 * next_job 0: the task is pending at attempt 2 under a submission already
 * submitted, with no job (nothing for a sync to queue). */
static void test_resubmitted_pool(void)
{
    char home[512], sdir[1024], id[9];
    ts_task_new tasks[1] = { { .name = "p0" } };
    ts_suite_new sn = { .name = "pooled", .max_retries = 3, .retry_on = 1 };
    ts_err err = { .msg = "" };
    ts_ingest_stats st;
    struct tstate ts;
    ts_journal *j = NULL;

    snprintf(home, sizeof home, "%s/home-pool", root);
    if (ts_journal_open(home, &j, &err) < 0) {
        diag("open: %s", err.msg);
        return;
    }
    const char *db = ts_journal_path(j);
    ts_journal_suite_create(j, &sn, tasks, 1, id, NULL, &err);
    snprintf(sdir, sizeof sdir, "%s/suites", home);
    mkdir(sdir, 0755);
    snprintf(sdir, sizeof sdir, "%s/suites/%s", home, id);
    mkdir(sdir, 0755);
    ts_evctx c = { .suite_dir = sdir, .suite_id = id, .task_idx = 0, .attempt = 1,
                   .jobid = "100", .node = "n1" };
    ts_events_started(&c, &err);
    ts_events_exited(&c, 75, 0, &err);
    ok(ts_events_resubmitted(&c, 0, &err) == 0, "pool: resubmitted with next_job 0 written");
    ok(ingest(j, id, sdir, &st) == 0 && st.applied == 3, "pool: started, exited, resubmitted "
       "ingested: %s", err.msg);
    tasks_now(j, id, &ts);
    ok(ts.st[0] == TS_TASK_PENDING, "pool: the task is pending (attempt 2 is in the pool)");
    is_int(sql_int(db, "SELECT attempts FROM tasks"), 2, "pool: with attempt 2");
    is_int(sql_int(db, "SELECT COUNT(*) FROM submissions s JOIN submission_tasks t"
                       " ON t.submission_id = s.id WHERE s.state = 'submitted' AND t.attempt = 2"),
           1, "pool: attempt 2 has its submission, already submitted");
    is_int(sql_int(db, "SELECT COUNT(*) FROM slurm_jobs"), 0, "pool: and no job");
    ts_journal_close(j);
}

static void test_resubmitted(void)
{
    char home[512], sdir[1024], id[9], line[TS_EVENT_MAX + 1];
    ts_task_new tasks[1] = { { .name = "r0" } };
    ts_suite_new sn = { .name = "res", .max_retries = 3, .retry_on = 1 };
    ts_err err = { .msg = "" };
    ts_ingest_stats st;
    struct tstate ts;
    ts_journal *j = NULL;
    ts_event ev, back;

    memset(&ev, 0, sizeof ev);
    ev.type = TS_EV_RESUBMITTED;
    ts_event_key_new(ev.key, &err);
    ev.time = 1700000000;
    snprintf(ev.suite_id, sizeof ev.suite_id, "abcdefgh");
    ev.attempt = 1;
    ev.num_nodes = 1;
    ev.next_job = 4242;
    int n = ts_event_format(&ev, line, sizeof line, &err);
    ok(n > 0 && strstr(line, "\"type\":\"resubmitted\"") && strstr(line, "\"next_job\":4242"),
       "resubmitted record carries next_job");
    ok(ts_event_parse(line, (size_t)n, &back, &err) == 0 && back.type == TS_EV_RESUBMITTED
       && back.next_job == 4242, "and parses back");
    ok(ts_event_parse("{\"v\":1,\"key\":\"k\",\"type\":\"resubmitted\",\"time\":1,"
                      "\"suite_id\":\"a\",\"task_idx\":0,\"attempt\":1}", 80, &back, &err) < 0,
       "resubmitted without next_job is refused");
    ev.next_job = 0;
    n = ts_event_format(&ev, line, sizeof line, &err);
    ok(n > 0 && ts_event_parse(line, (size_t)n, &back, &err) == 0
       && back.type == TS_EV_RESUBMITTED && back.next_job == 0,
       "next_job 0 (queued in the pool) is written and parsed back");

    snprintf(home, sizeof home, "%s/home-res", root);
    if (ts_journal_open(home, &j, &err) < 0) {
        diag("open: %s", err.msg);
        return;
    }
    const char *db = ts_journal_path(j);
    ts_journal_suite_create(j, &sn, tasks, 1, id, NULL, &err);
    snprintf(sdir, sizeof sdir, "%s/suites", home);
    mkdir(sdir, 0755);
    snprintf(sdir, sizeof sdir, "%s/suites/%s", home, id);
    mkdir(sdir, 0755);
    ts_evctx c = { .suite_dir = sdir, .suite_id = id, .task_idx = 0, .attempt = 1,
                   .jobid = "100", .node = "n1" };
    ts_events_started(&c, &err);
    ok(ts_events_resubmitted(&c, 4242, &err) == 0, "resubmitted record written");
    ok(ingest(j, id, sdir, &st) == 0 && st.applied == 2, "started + resubmitted ingested");
    tasks_now(j, id, &ts);
    ok(ts.st[0] == TS_TASK_PENDING, "the task is pending (its next attempt is queued)");
    is_int(sql_int(db, "SELECT attempts FROM tasks"), 2, "with attempt 2");
    is_int(sql_int(db, "SELECT COUNT(*) FROM submissions s JOIN slurm_jobs sj"
                       " ON s.id = sj.submission_id WHERE s.state = 'intent'"), 1,
           "a submission of its own, left for the next sync to finish");
    is_int(sql_int(db, "SELECT array_job_id FROM slurm_jobs sj JOIN submissions s"
                       " ON s.id = sj.submission_id WHERE s.state = 'intent'"), 4242,
           "that records the job");
    ts_events_exited(&c, 75, 0, &err);
    ok(ingest(j, id, sdir, &st) == 0 && st.applied == 1, "the exit of attempt 1 comes after");
    tasks_now(j, id, &ts);
    ok(ts.st[0] == TS_TASK_PENDING, "the task stays pending on attempt 2");
    is_int(sql_int(db, "SELECT COUNT(*) FROM attempts WHERE attempt = 1 AND state = 'timeout'"), 1,
           "attempt 1 is a timeout");
    sql_int(db, "DELETE FROM ingest_offsets");
    ts_journal_ingest_all(j, id, sdir, &st, &err);
    bool adopted = true;
    ok(ts_journal_adopt_job(j, id, 0, 2, 4243, &adopted, &err) == 0 && !adopted,
       "the same attempt found again (by its key) is not adopted twice");
    is_int(sql_int(db, "SELECT COUNT(*) FROM submissions"), 2,
           "still one submission per attempt (the first and the adopted one)");

    /* Slurm requeues job 100 (its node died while it was still running in
     * Slurm's view): as attempt 2 it would duplicate job 4242's. */
    bool moved = false;
    ok(ts_events_chain_moved_on(sdir, 0, 1, 2, "100", &moved, &err) == 0 && moved,
       "a rerun of the element that queued its successor: moved on");
    ok(ts_events_chain_moved_on(sdir, 0, 1, 3, "100", &moved, &err) == 0 && moved,
       "also on a second requeue (attempt 3)");
    ok(ts_events_chain_moved_on(sdir, 1, 1, 2, "100", &moved, &err) == 0 && !moved,
       "another task (no event file): not moved on");
    /* Task 0 of job 200, attempt 1 lost with its node (no record after
     * `started`): its rerun is attempt 2, the task's. */
    char sdir2[1100];
    snprintf(sdir2, sizeof sdir2, "%s/other", sdir);
    mkdir(sdir2, 0755);
    ts_evctx c2 = { .suite_dir = sdir2, .suite_id = id, .task_idx = 0, .attempt = 1,
                    .jobid = "200", .node = "n1" };
    ts_events_started(&c2, &err);
    ok(ts_events_chain_moved_on(sdir2, 0, 1, 2, "200", &moved, &err) == 0 && !moved,
       "an attempt lost with its node: its rerun runs");
    /* exit 75 and `scontrol requeue` (no resubmitted record): runs too */
    ts_events_exited(&c2, 75, 0, &err);
    ok(ts_events_chain_moved_on(sdir2, 0, 1, 2, "200", &moved, &err) == 0 && !moved,
       "an attempt requeued by its own job (exit 75, no successor): its rerun runs");
    /* another job already wrote records of attempt 2 */
    ts_evctx c3 = c2;
    c3.attempt = 2;
    c3.jobid = "300";
    ts_events_started(&c3, &err);
    ok(ts_events_chain_moved_on(sdir2, 0, 1, 2, "200", &moved, &err) == 0 && moved,
       "another job runs attempt 2: moved on");
    ts_journal_close(j);
}

int main(void)
{
    char sdir[512];

    umask(022);
    snprintf(root, sizeof root, "/tmp/ts-events-XXXXXX");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    unsetenv("TASKSUITE_JOURNAL_MODE");
    snprintf(sdir, sizeof sdir, "%s/suite", root);
    mkdir(sdir, 0755);
    test_format_parse();
    test_writer(sdir);
    test_ingest();
    test_resubmitted();
    test_resubmitted_pool();
    if (!getenv("TS_TEST_KEEP"))  /* keep the files to look at */
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
