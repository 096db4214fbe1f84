/* Unit tests for the pool claim protocol (src/pool/claims.h): queue epochs,
 * priority order, claims racing between forked agents, release, a SIGKILLed
 * agent's claims found lost/returned, torn and garbage files.
 *
 * The racing part forks 8 agents over 2,000 tasks; under valgrind (seen
 * from LD_PRELOAD) it uses 200 tasks. TS_POOL_STRESS_TASKS=N sets the size. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claims.h"
#include "tap.h"

#define AGENTS 8
#define PREFETCH 4

static char root[512];
/* Per-task run counts; file scope so forked children (which never free
 * the parent's memory) do not show it as lost under valgrind. */
static int *counts;

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void rm_rf(const char *path)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        diag("could not remove %s", path);
}

static void pooldir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", root, name);
}

static void test_queue(void)
{
    char pd[1024], path[PATH_MAX];
    ts_pool_entry in[] = {{1, 1, 0, 5}, {2, 1, 0, 9}, {3, 2, 0, 5}, {0, 1, 0, -1}};
    ts_pool_entry *out = NULL;
    size_t n = 0;
    long epoch = -1;
    ts_err err = {0};

    pooldir(pd, sizeof pd, "queue");
    ok(ts_pool_init(pd, &err) == 0, "init: %s", err.msg);
    ok(ts_pool_init(pd, &err) == 0, "init twice is fine");
    ok(ts_pool_queue_append(pd, in, 4, &epoch, &err) == 0, "append epoch: %s", err.msg);
    is_int(epoch, 1, "first epoch is 1");
    snprintf(path, sizeof path, "%s/queue/00000001.q", pd);
    ok(ts_pool_queue_read(path, &out, &n, &err) == 0, "read it back: %s", err.msg);
    is_int((long)n, 4, "4 entries");
    if (n == 4) {
        is_int(out[0].task, 2, "priority 9 first");
        is_int(out[1].task, 1, "then priority 5, task 1");
        is_int(out[2].task, 3, "then priority 5, task 3");
        is_int(out[2].attempt, 2, "attempt kept");
        is_int(out[3].priority, -1, "negative priority last");
    } else {
        skip(5, "no entries");
    }
    free(out);
    ok(ts_pool_queue_append(pd, in, 1, &epoch, &err) == 0 && epoch == 2,
       "a later append is epoch 2");
    ok(ts_pool_queue_append(pd, in, 0, &epoch, &err) == 0 && epoch == 0,
       "an empty append writes nothing");

    /* A segment cut short and plain garbage are errors naming the file. */
    snprintf(path, sizeof path, "%s/torn.q", root);
    put(path, "TSQ1 3\n1 1 0 5\n2 1 0 4\n");
    ok(ts_pool_queue_read(path, &out, &n, &err) < 0 && strstr(err.msg, "torn.q")
       && strstr(err.msg, "entry 3 of 3"), "torn segment: %s", err.msg);
    put(path, "\x01\x02garbage");
    ok(ts_pool_queue_read(path, &out, &n, &err) < 0 && strstr(err.msg, "bad header"),
       "garbage segment: %s", err.msg);
    put(path, "TSQ1 1\n1 1 0 5\n");
    ok(ts_pool_queue_read(path, &out, &n, &err) < 0 && strstr(err.msg, "no end marker"),
       "segment without end: %s", err.msg);
    ok(ts_pool_queue_read("/nonexistent/x.q", &out, &n, &err) < 0
       && strstr(err.msg, "/nonexistent/x.q"), "missing file: %s", err.msg);
}

static void test_priority_epochs(void)
{
    char pd[1024], path[PATH_MAX];
    ts_pool_entry first[6], later[] = {{100, 1, 0, 50}, {101, 1, 0, 0}};
    ts_pool_entry got[16];
    ts_err err = {0}, warn = {0};
    ts_pool_agent *ag;
    int n, order_ok = 1;

    pooldir(pd, sizeof pd, "prio");
    for (int i = 0; i < 6; i++)
        first[i] = (ts_pool_entry){i, 1, 0, (i * 7) % 5};   /* 0 2 4 1 3 0 */
    ts_pool_queue_append(pd, first, 6, NULL, &err);
    ag = ts_pool_agent_open(pd, "node1", "77", 1234, 1000, &err);
    ok(ag != NULL, "agent opened: %s", err.msg);
    if (!ag)
        return;
    is_str(ts_pool_agent_id(ag), "node1.77.1234.1000", "agent id");
    n = ts_pool_claim(ag, got, 3, &warn, &err);
    is_int(n, 3, "prefetch 3 claimed 3");
    for (int i = 1; i < n; i++)
        order_ok &= got[i - 1].priority >= got[i].priority;
    ok(order_ok && n == 3 && got[0].task == 2 && got[1].task == 4 && got[2].task == 1,
       "highest priority first (tasks 2, 4, 1)");

    /* A later epoch appends; its high-priority entry comes before the
     * first epoch's rest, its low one after. Garbage epoch: skipped. */
    ts_pool_queue_append(pd, later, 2, NULL, &err);
    snprintf(path, sizeof path, "%s/queue/00000099.q", pd);
    put(path, "TSQ1 2\n1 1 0 5\nnonsense\n");
    n = ts_pool_claim(ag, got, 16, &warn, &err);
    is_int(n, 5, "the other 3 + the 2 appended");
    ok(n == 5 && got[0].task == 100 && got[1].task == 3 && got[4].task == 101,
       "appended priority 50 first, appended priority 0 after the tie");
    ok(strstr(warn.msg, "00000099.q") != NULL, "garbage epoch reported: %s", warn.msg);
    is_int(ts_pool_claim(ag, got, 16, &warn, &err), 0, "nothing left");
    ts_pool_agent_close(ag);
}

static void test_release(void)
{
    char pd[1024];
    ts_pool_entry q[4] = {{0, 1, 0, 0}, {1, 1, 0, 0}, {2, 3, 0, 0}, {3, 1, 0, 0}};
    ts_pool_entry got[8], got2[8];
    ts_pool_claimrec *c = NULL;
    size_t nc = 0;
    ts_pool_scan_stats st;
    ts_err err = {0};
    ts_pool_agent *a, *b;
    int n;

    pooldir(pd, sizeof pd, "release");
    ts_pool_queue_append(pd, q, 4, NULL, &err);
    a = ts_pool_agent_open(pd, "n1", "1", 1, 1, &err);
    b = ts_pool_agent_open(pd, "n2", "2", 2, 2, &err);
    if (!a || !b) {
        ok(0, "agents: %s", err.msg);
        ts_pool_agent_close(a);
        ts_pool_agent_close(b);
        return;
    }
    n = ts_pool_claim(a, got, 4, NULL, &err);
    is_int(n, 4, "a claimed all 4");
    is_int(ts_pool_claim(b, got2, 4, NULL, &err), 0, "b finds none");
    is_int(ts_pool_start(a, &got[0], &err), 1, "a starts task 0");
    is_int(ts_pool_start(a, &got[0], &err), 0, "starting twice is refused");
    is_int(ts_pool_release(a, got, 4, &err), 3, "release gives back the 3 unstarted");
    is_int(ts_pool_start(a, &got[1], &err), 0, "a released claim cannot be started");
    n = ts_pool_claim(b, got2, 8, NULL, &err);
    is_int(n, 3, "b claims the 3 returned");
    ok(n == 3 && got2[0].gen == 1 && got2[2].task == 3 && got2[1].attempt == 3,
       "same attempt, next generation");
    is_int(ts_pool_start(b, &got2[0], &err), 1, "b starts a returned one");
    is_int(ts_pool_claim(a, got, 4, NULL, &err), 0, "nothing left for a");

    ok(ts_pool_scan(pd, &c, &nc, &st, &err) == 0, "scan: %s", err.msg);
    is_int((long)nc, 7, "4 generation-0 claims + 3 generation-1");
    if (nc == 7) {
        is_int(c[0].fate, TS_POOL_STARTED, "task 0 started");
        is_int(c[1].fate, TS_POOL_RETURNED, "task 1 gen 0 returned");
        ok(c[1].has_next, "and its next generation is claimed");
        is_int(ts_pool_decide(&c[1], true, false), TS_POOL_KEEP, "returned+next: keep");
        is_str(c[2].agent, "n2.2.2.2", "gen 1 claimed by b");
        is_int(c[2].fate, TS_POOL_STARTED, "and started");
    } else {
        skip(6, "wrong claim count");
    }
    free(c);
    ts_pool_agent_close(a);
    ts_pool_agent_close(b);
}

static void test_decide(void)
{
    ts_pool_claimrec c = {0};

    ok(!ts_pool_agent_dead(1000, 990, 900, 60, false), "fresh heartbeat: alive");
    ok(ts_pool_agent_dead(1000, 900, 800, 60, false), "old heartbeat: dead");
    ok(!ts_pool_agent_dead(1000, 0, 990, 60, false), "no heartbeat, fresh claim: alive");
    ok(ts_pool_agent_dead(1000, 999, 999, 60, true), "job ended: dead");
    c.fate = TS_POOL_UNSTARTED;
    is_int(ts_pool_decide(&c, false, false), TS_POOL_KEEP, "unstarted, alive: keep");
    is_int(ts_pool_decide(&c, true, false), TS_POOL_RETURN, "unstarted, dead: return");
    c.fate = TS_POOL_STARTED;
    is_int(ts_pool_decide(&c, true, false), TS_POOL_LOST, "started, dead: lost");
    is_int(ts_pool_decide(&c, true, true), TS_POOL_KEEP, "started, dead, ended: keep");
    is_int(ts_pool_decide(&c, false, false), TS_POOL_KEEP, "started, alive: keep");
    c.fate = TS_POOL_RETURNED;
    is_int(ts_pool_decide(&c, false, false), TS_POOL_REQUEUE,
           "returned without a next generation: requeue");
}

static void test_garbage_claims(void)
{
    char pd[1024], path[PATH_MAX];
    ts_pool_entry q[2] = {{5, 1, 0, 0}, {6, 1, 0, 0}};
    ts_pool_entry got[4];
    ts_pool_claimrec *c = NULL;
    size_t nc = 0;
    ts_pool_scan_stats st;
    ts_err err = {0};
    ts_pool_agent *a;
    enum ts_pool_verdict v[4];

    pooldir(pd, sizeof pd, "garbage");
    ts_pool_queue_append(pd, q, 2, NULL, &err);
    mkdir(pd, 0755);
    snprintf(path, sizeof path, "%s/claims/000000", pd);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/claims/000000/5.1.0", pd);
    put(path, "TSC1 5 1 0 0 12");             /* torn: cut mid-line */
    snprintf(path, sizeof path, "%s/claims/000000/junk", pd);
    put(path, "x");
    snprintf(path, sizeof path, "%s/claims/000000/.t.host.1.abc", pd);
    put(path, "stale temporary");
    a = ts_pool_agent_open(pd, "n1", "1", 1, 1, &err);
    if (!a) {
        ok(0, "agent: %s", err.msg);
        return;
    }
    is_int(ts_pool_claim(a, got, 4, NULL, &err), 1, "a torn claim still holds its task");
    is_int(got[0].task, 6, "the other task is claimed");
    ok(ts_pool_scan(pd, &c, &nc, &st, &err) == 0, "scan with garbage: %s", err.msg);
    is_int((long)nc, 2, "2 claims");
    is_int((long)st.bad, 2, "the torn claim and the junk name are counted bad");
    ok(strstr(st.first_bad, "5.1.0") || strstr(st.first_bad, "junk"),
       "first bad names its file: %s", st.first_bad);
    if (nc == 2) {
        ok(c[0].torn && c[0].agent[0] == '\0', "torn claim: agent unknown");
        v[0] = ts_pool_decide(&c[0], ts_pool_agent_dead(c[0].time + 1000, 0, c[0].time,
                                                       60, false), false);
        is_int(v[0], TS_POOL_RETURN, "torn claim older than the lease: return");
        v[1] = TS_POOL_KEEP;
        is_int(ts_pool_return(pd, c, v, 2, "sync", &err), 1, "returned 1");
        is_int(ts_pool_claim(a, got, 4, NULL, &err), 1, "and it is claimable again");
        ok(got[0].task == 5 && got[0].gen == 1, "task 5 generation 1");
    } else {
        skip(6, "wrong claim count");
    }
    free(c);
    ts_pool_agent_close(a);
}

/* --------------------------------------------------------- forked racers */

static void record_path(char *buf, size_t len, const char *pd, const char *who)
{
    snprintf(buf, len, "%s/rec.%s", pd, who);
}

/* An agent that claims PREFETCH at a time and "runs" (records) each. */
static void racer(const char *pd, const char *name, const char *job)
{
    char rec[PATH_MAX], line[64];
    ts_pool_entry got[PREFETCH];
    ts_err err = {0};
    ts_pool_agent *ag = ts_pool_agent_open(pd, name, job, (long)getpid(), 1, &err);
    int fd, n, rc = 0;

    record_path(rec, sizeof rec, pd, name);
    fd = open(rec, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (!ag || fd < 0)
        _exit(2);
    while ((n = ts_pool_claim(ag, got, PREFETCH, NULL, &err)) > 0) {
        for (int i = 0; i < n; i++) {
            int len;
            if (ts_pool_start(ag, &got[i], &err) != 1) {
                rc = 3;
                continue;
            }
            len = snprintf(line, sizeof line, "%ld %d %d\n", got[i].task,
                           got[i].attempt, got[i].gen);
            if (write(fd, line, (size_t)len) != len)
                rc = 4;
        }
    }
    if (n < 0)
        rc = 5;
    close(fd);
    ts_pool_agent_close(ag);
    _exit(rc);
}

/* Tally every record file into counts[task]; returns lines read. */
static long tally(const char *pd, const char *who, int ntasks)
{
    char rec[PATH_MAX];
    long t;
    int a, g;
    long lines = 0;
    FILE *f;

    record_path(rec, sizeof rec, pd, who);
    if (!(f = fopen(rec, "r")))
        return 0;
    while (fscanf(f, "%ld %d %d\n", &t, &a, &g) == 3) {
        if (t >= 0 && t < ntasks)
            counts[t]++;
        lines++;
    }
    fclose(f);
    return lines;
}

static int run_racers(const char *pd, int first, int count, const char *job)
{
    pid_t pids[AGENTS];
    int bad = 0;

    for (int i = 0; i < count; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", first + i);
        fflush(stdout);
        if ((pids[i] = fork()) == 0)
            racer(pd, name, job);
    }
    for (int i = 0; i < count; i++) {
        int st;
        if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st)
            || WEXITSTATUS(st) != 0) {
            diag("racer %d failed (status %d)", first + i, pids[i] < 0 ? -1 : st);
            bad++;
        }
    }
    return bad;
}

static void fill_queue(const char *pd, int ntasks)
{
    ts_pool_entry *q = malloc((size_t)ntasks * sizeof *q);
    ts_err err = {0};

    if (!q)
        return;
    for (int i = 0; i < ntasks; i++)
        q[i] = (ts_pool_entry){i, 1, 0, i % 7};
    if (ts_pool_queue_append(pd, q, (size_t)ntasks, NULL, &err) < 0)
        diag("%s", err.msg);
    free(q);
}

static void test_race(int ntasks)
{
    char pd[1024], who[16];
    int once = 0, bad;
    long lines = 0;
    ts_pool_claimrec *c = NULL;
    size_t nc = 0;
    ts_pool_scan_stats st;
    ts_err err = {0};

    pooldir(pd, sizeof pd, "race");
    fill_queue(pd, ntasks);
    counts = calloc((size_t)ntasks, sizeof *counts);
    if (!counts) {
        ok(0, "out of memory");
        return;
    }
    bad = run_racers(pd, 0, AGENTS, "100");
    is_int(bad, 0, "8 racers exited cleanly");
    for (int i = 0; i < AGENTS; i++) {
        snprintf(who, sizeof who, "r%d", i);
        lines += tally(pd, who, ntasks);
    }
    for (int i = 0; i < ntasks; i++)
        once += counts[i] == 1;
    is_int(lines, ntasks, "as many runs as tasks");
    is_int(once, ntasks, "every task run exactly once (racers' own records)");
    ok(ts_pool_scan(pd, &c, &nc, &st, &err) == 0, "scan: %s", err.msg);
    is_int((long)nc, ntasks, "one claim file per task");
    once = 0;
    for (size_t i = 0; i < nc; i++)
        once += c[i].fate == TS_POOL_STARTED && c[i].e.gen == 0
                && (i == 0 || c[i].e.task != c[i - 1].e.task);
    is_int(once, ntasks, "each claim started, generation 0, no task twice");
    free(c);
    free(counts);
    counts = NULL;
}

static void test_killed(int ntasks)
{
    char pd[1024], who[16];
    int pfd[2], lost = 0, ret = 0, once = 0, bad;
    long victim_started[2] = {-1, -1};
    pid_t vp;
    ts_pool_claimrec *c = NULL;
    size_t nc = 0;
    ts_pool_scan_stats st;
    enum ts_pool_verdict *v;
    ts_err err = {0};

    pooldir(pd, sizeof pd, "killed");
    fill_queue(pd, ntasks);
    counts = calloc((size_t)ntasks, sizeof *counts);
    if (pipe(pfd) < 0 || !counts) {
        ok(0, "pipe");
        free(counts);
        return;
    }
    fflush(stdout);
    if ((vp = fork()) == 0) {
        /* The victim: claims 4, starts 2 (records them), then hangs. */
        ts_pool_entry got[PREFETCH];
        ts_pool_agent *ag = ts_pool_agent_open(pd, "victim", "200", (long)getpid(), 1, &err);
        int n = ag ? ts_pool_claim(ag, got, PREFETCH, NULL, &err) : -1;
        long msg[2] = {-1, -1};
        close(pfd[0]);
        for (int i = 0; i < 2 && i < n; i++)
            if (ts_pool_start(ag, &got[i], &err) == 1)
                msg[i] = got[i].task;
        if (write(pfd[1], msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(2);
        for (;;)
            pause();
    }
    close(pfd[1]);
    if (read(pfd[0], victim_started, sizeof victim_started) != (ssize_t)sizeof victim_started)
        diag("victim said nothing");
    close(pfd[0]);
    ok(victim_started[0] >= 0 && victim_started[1] >= 0, "victim started 2 tasks");
    /* The others run while the victim is killed mid-run. */
    {
        pid_t wave;
        fflush(stdout);
        wave = fork();
        if (wave == 0)
            _exit(run_racers(pd, 0, AGENTS - 1, "300") ? 1 : 0);
        kill(vp, SIGKILL);
        waitpid(vp, NULL, 0);
        int stw = -1;
        waitpid(wave, &stw, 0);
        ok(WIFEXITED(stw) && WEXITSTATUS(stw) == 0, "7 racers exited cleanly");
    }

    ok(ts_pool_scan(pd, &c, &nc, &st, &err) == 0, "scan after the kill: %s", err.msg);
    v = calloc(nc ? nc : 1, sizeof *v);
    for (size_t i = 0; v && i < nc; i++) {
        bool job_ended = strcmp(c[i].jobid, "200") == 0;   /* per "Slurm" */
        double hb = ts_pool_heartbeat_time(pd, c[i].agent);
        bool dead = ts_pool_agent_dead(c[i].time + 1, hb, c[i].time, 300, job_ended);
        v[i] = ts_pool_decide(&c[i], dead, false);
        lost += v[i] == TS_POOL_LOST;
        ret += v[i] == TS_POOL_RETURN;
        if (v[i] == TS_POOL_LOST)
            ok(c[i].e.task == victim_started[0] || c[i].e.task == victim_started[1],
               "lost task %ld is one the victim started", c[i].e.task);
    }
    is_int(lost, 2, "the victim's 2 started claims are lost");
    is_int(ret, 2, "its 2 unstarted claims are to be returned");
    is_int(ts_pool_return(pd, c, v, nc, "sync", &err), 2, "2 returned to the queue");
    free(c);
    free(v);

    bad = run_racers(pd, 10, 3, "400");
    is_int(bad, 0, "a second wave of 3 racers exited cleanly");
    for (int i = 0; i < AGENTS - 1; i++) {
        snprintf(who, sizeof who, "r%d", i);
        tally(pd, who, ntasks);
    }
    long second = 0;
    for (int i = 10; i < 13; i++) {
        snprintf(who, sizeof who, "r%d", i);
        second += tally(pd, who, ntasks);
    }
    is_int(second, 2, "the second wave ran exactly the 2 returned tasks");
    for (int i = 0; i < 2; i++)
        if (victim_started[i] >= 0 && victim_started[i] < ntasks)
            counts[victim_started[i]]++;
    for (int i = 0; i < ntasks; i++)
        once += counts[i] == 1;
    is_int(once, ntasks, "every task ran exactly once (victim's 2 included)");
    free(counts);
    counts = NULL;
}

int main(void)
{
    const char *pre = getenv("LD_PRELOAD"), *size = getenv("TS_POOL_STRESS_TASKS");
    int ntasks = pre && strstr(pre, "vgpreload") ? 200 : 2000;

    if (size && atoi(size) > 0)
        ntasks = atoi(size);
    snprintf(root, sizeof root, "%s/ts-claims-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    diag("racing over %d tasks", ntasks);
    test_queue();
    test_priority_epochs();
    test_release();
    test_decide();
    test_garbage_claims();
    test_race(ntasks);
    test_killed(ntasks);
    if (!getenv("TS_TEST_KEEP"))
        rm_rf(root);
    return done_testing();
}
