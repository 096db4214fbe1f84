/* localrun.c: the local runner of a --local suite (see localrun.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctrlc.h"
#include "events.h"
#include "graceful.h"   /* issue 16 */
#include "grow.h"
#include "localhooks.h"
#include "localproc.h"
#include "localrun.h"
#include "opentasks.h"
#include "submission.h"
#include "sync.h"

/* Between the TERM a stopped task's processes get and the KILL. */
#define STOP_GRACE_S 5.0
/* How often the runner looks at the journal, the markers and its children. */
#define POLL_MS 200

int ts_localrun_mark(ts_journal *j, int64_t sub_id, ts_err *err)
{
    return ts_journal_intent_set_state(j, sub_id, TS_SUB_SUBMITTED, err);
}

int ts_localrun(ts_journal *j, const char *suite_id, const char *suite_dir,
                const char *self, ts_err *err)
{
    ts_localproc p;
    (void)j;
    if (ts_localproc_read(suite_dir, &p) && ts_localproc_alive(&p))
        return 0;   /* it picks up the new submission itself */
    return ts_localproc_spawn_runner(self, suite_id, suite_dir, err);
}

/* ------------------------------------------------------------ lost runner */

int ts_localrun_check_lost(ts_journal *j, const char *suite_id, const char *suite_dir,
                           long *lost, ts_err *err)
{
    ts_localproc p;
    ts_open_tasks o = { 0 };
    long n = 0;
    int rc = -1;

    if (lost)
        *lost = 0;
    if (!ts_localproc_read(suite_dir, &p) || ts_localproc_alive(&p))
        return 0;
    if (ts_open_tasks_load(j, suite_id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING), &o, err) < 0)
        goto out;
    for (size_t i = 0; i < o.n; i++) {
        if (o.attempt[i] < 1)
            continue;
        if (ts_journal_attempt_classify(j, suite_id, o.idx[i], o.attempt[i], TS_ATT_NODE_FAIL,
                                        err) < 0)
            goto out;
        n++;
    }
    ts_localproc_clear(suite_dir);
    if (n)
        fprintf(stderr, "tasksuite: suite %s: its local runner (pid %ld) is gone; %ld unfinished "
                "task%s marked node_fail (tasksuite retry %s, or submit --local the same file, "
                "runs them again)\n", suite_id, (long)p.pid, n, n == 1 ? "" : "s", suite_id);
    if (lost)
        *lost = n;
    rc = 0;
out:
    ts_open_tasks_free(&o);
    return rc;
}

/* ------------------------------------------------------------ the runner */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

typedef struct child {
    pid_t pid;
    long idx;
    int attempt;
    int64_t sub;
    bool killed;          /* stopped by us: a cancel or the runner's stop */
    double killed_at;
    bool ended;
    int status;
    bool warned;          /* issue 16: sent the grace signal (cancel --grace) */
} child;

typedef struct intent {
    int64_t id;
    char *manifest;
} intent;

typedef struct cand {
    long pos, idx;
    int attempt;
    size_t intent;        /* into runner.intents */
} cand;

typedef struct runner {
    ts_journal *j;
    char id[TS_SUITE_ID_LEN + 1];
    ts_submit_store store;
    ts_submit_ctx ctx;
    child *kids;
    size_t nkids, kcap;
    intent *intents;
    size_t nintents, icap;
    cand *cands;
    size_t ncands, ccap;
    ts_open_tasks open;
    long width;
    bool prepared;
    char prep_error[1024];
    long started, stopped_running;
} runner;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const runner *r, const char *fmt, ...)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    va_list ap;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
    fprintf(stderr, "%s local runner %ld, suite %s: ", when, (long)getpid(), r->id);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* Every process below pid (the task's own process group is not exec's):
 * SIGKILL, for a task that ignored the TERM. */
static void kill_tree(pid_t top)
{
    pid_t tree[4096];
    size_t n = 1;
    tree[0] = top;
    for (size_t pass = 0; pass < 8; pass++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        size_t before = n;
        if (!d)
            break;
        while ((e = readdir(d)) && n < sizeof tree / sizeof tree[0]) {
            char path[300], buf[512];
            long pid = strtol(e->d_name, NULL, 10), ppid = 0;
            if (pid <= 0)
                continue;
            snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            size_t len = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[len] = '\0';
            char *p = strrchr(buf, ')');
            if (!p || sscanf(p + 2, "%*c %ld", &ppid) != 1)
                continue;
            bool known = false, under = false;
            for (size_t i = 0; i < n; i++) {
                known |= tree[i] == (pid_t)pid;
                under |= tree[i] == (pid_t)ppid;
            }
            if (under && !known)
                tree[n++] = (pid_t)pid;
        }
        closedir(d);
        if (n == before)
            break;
    }
    for (size_t i = n; i-- > 0;)
        kill(tree[i], SIGKILL);
}

static void stop_child(child *k)
{
    if (k->killed || k->ended)
        return;
    k->killed = true;
    k->killed_at = now_s();
    kill(-k->pid, SIGTERM);   /* exec forwards it to the task's process group */
}

static void stop_all(runner *r)
{
    for (size_t i = 0; i < r->nkids; i++)
        stop_child(&r->kids[i]);
}

static int note_intent(const ts_intent_info *in, void *arg)
{
    runner *r = arg;
    if (!in->manifest)
        return 0;
    if (ts_grow((void **)&r->intents, &r->icap, r->nintents, sizeof *r->intents) < 0)
        return -1;
    if (!(r->intents[r->nintents].manifest = strdup(in->manifest)))
        return -1;
    r->intents[r->nintents++].id = in->id;
    return 0;
}

static void intents_free(runner *r)
{
    for (size_t i = 0; i < r->nintents; i++)
        free(r->intents[i].manifest);
    r->nintents = 0;
}

static bool running_task(const runner *r, long idx)
{
    for (size_t i = 0; i < r->nkids; i++)
        if (r->kids[i].idx == idx)
            return true;
    return false;
}

typedef struct cand_walk {
    runner *r;
    size_t intent;
    long found, ours;
    long need;            /* free slots: the walk stops once it has them */
} cand_walk;

#define WALK_FULL 1       /* note_cand: enough found, stop walking */

static int note_cand(long position, long task_idx, int attempt, void *arg)
{
    cand_walk *w = arg;
    runner *r = w->r;
    bool cancelled = false;
    if (running_task(r, task_idx)) {
        w->ours++;
        return 0;
    }
    if (ts_open_tasks_attempt(&r->open, task_idx) != attempt)
        return 0;   /* started and ended, cancelled, or a later attempt's */
    ts_err e = { 0 };
    if (ts_events_is_cancelled(r->store.dir, task_idx, &cancelled, &e) == 0 && cancelled)
        return 0;   /* a cancelled task never starts */
    if (ts_grow((void **)&r->cands, &r->ccap, r->ncands, sizeof *r->cands) < 0)
        return -1;
    r->cands[r->ncands++] = (cand){ position, task_idx, attempt, w->intent };
    w->found++;
    /* Only as many as can start now: a walk over every pending task on each
     * wake-up made a large local suite quadratic. */
    return (long)r->ncands >= w->need ? WALK_FULL : 0;
}

/* What can start now: the pending tasks of submitted intents at the
 * intent's attempt. An intent left with nothing to run or wait for is done. */
static int collect(runner *r, ts_err *err)
{
    intents_free(r);
    r->ncands = 0;
    if (ts_open_tasks_load(r->j, r->id, TS_BIT(TS_TASK_PENDING), &r->open, err) < 0
        || ts_journal_intents_foreach(r->j, r->id, TS_BIT(TS_SUB_SUBMITTED), note_intent, r,
                                      err) < 0)
        return -1;
    long need = r->width - (long)r->nkids;
    for (size_t i = 0; i < r->nintents && (long)r->ncands < need; i++) {
        cand_walk w = { .r = r, .intent = i, .need = need };
        int rc = ts_journal_intent_tasks_foreach(r->j, r->intents[i].id, note_cand, &w, err);
        if (rc < 0)
            return -1;
        if (rc == WALK_FULL)
            break;
        if (!w.found && !w.ours
            && ts_journal_intent_set_state(r->j, r->intents[i].id, TS_SUB_DONE, err) < 0)
            return -1;
    }
    return 0;
}

static int start(runner *r, const cand *c, ts_err *err)
{
    char pos[32];
    snprintf(pos, sizeof pos, "%ld", c->pos);
    if (ts_grow((void **)&r->kids, &r->kcap, r->nkids, sizeof *r->kids) < 0)
        return ts_errf(err, "out of memory");
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return ts_errf(err, "cannot start a task: fork: %s", strerror(errno));
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);   /* the runner blocks SIGCHLD */
        setpgid(0, 0);
        /* the runner killed (kill -9): the task is stopped, not orphaned */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execl(r->store.self, "tasksuite", "exec", "--dir", r->store.dir, "--manifest",
              r->intents[c->intent].manifest, "--position", pos, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);   /* both sides: no window where a stop misses it */
    r->kids[r->nkids++] = (child){ .pid = pid, .idx = c->idx, .attempt = c->attempt,
                                   .sub = r->intents[c->intent].id };
    r->started++;
    return 0;
}

typedef struct att_find {
    int attempt;
    int state;            /* -1: no such open attempt */
} att_find;

static int note_att(const ts_attempt_info *a, void *arg)
{
    att_find *f = arg;
    if (a->attempt == f->attempt)
        f->state = (int)a->state;
    return 0;
}

/* A child ended (its events are ingested): an attempt it left open is
 * closed here, as Slurm's record closes one on a cluster. */
static int settle(runner *r, const child *k, ts_err *err)
{
    att_find f = { .attempt = k->attempt, .state = -1 };
    if (ts_journal_attempts_foreach(r->j, r->id, k->idx,
                                    TS_BIT(TS_ATT_RUNNING) | TS_BIT(TS_ATT_ENDED_BY_SIGNAL),
                                    note_att, &f, err) < 0)
        return -1;
    bool open = ts_open_tasks_attempt(&r->open, k->idx) == k->attempt;
    if (f.state < 0 && !open)
        return 0;   /* it ended and said so */
    enum ts_attempt_state to = k->killed ? TS_ATT_CANCELLED
                               : f.state == TS_ATT_ENDED_BY_SIGNAL ? TS_ATT_FAILED
                                                                   : TS_ATT_NODE_FAIL;
    if (to == TS_ATT_NODE_FAIL)
        say(r, "task %ld attempt %d: tasksuite exec ended (status %d) without recording the "
            "task's end: node_fail", k->idx, k->attempt, k->status);
    return ts_journal_attempt_classify(r->j, r->id, k->idx, k->attempt, to, err);
}

/* env_preparation failed: the tasks it was for fail, as on a node. */
static int fail_prepared(runner *r, ts_err *err)
{
    for (size_t i = 0; i < r->ncands; i++)
        if (ts_journal_attempt_classify(r->j, r->id, r->cands[i].idx, r->cands[i].attempt,
                                        TS_ATT_FAILED, err) < 0)
            return -1;
    say(r, "%s: %zu task%s failed without running", r->prep_error, r->ncands,
        r->ncands == 1 ? "" : "s");
    /* for whoever follows the suite (submit --local prints it) */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/local-runner.error", r->store.dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n", r->prep_error);
        fclose(f);
    }
    return 0;
}

static int sync_now(runner *r, ts_err *err)
{
    ts_sync_opts so = { .no_slurm = true, .quiet = true, .local_runner = true,
                         .run_on_complete = true };   /* the local suite's one place */
    return ts_sync(r->j, r->id, &so, NULL, err);
}

/* Reap, ingest, settle what ended. */
static int reap(runner *r, ts_err *err)
{
    int status;
    pid_t pid;
    size_t ended = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < r->nkids; i++)
            if (r->kids[i].pid == pid) {
                r->kids[i].ended = true;
                r->kids[i].status = status;
                ended++;
            }
    if (sync_now(r, err) < 0)
        return -1;
    if (!ended)
        return 0;
    if (ts_journal_lock(r->j, err) < 0)
        return -1;
    int rc = ts_open_tasks_load(r->j, r->id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING),
                       &r->open, err);
    size_t kept = 0;
    for (size_t i = 0; i < r->nkids; i++) {
        if (!r->kids[i].ended) {
            r->kids[kept++] = r->kids[i];
            continue;
        }
        if (r->kids[i].killed && stop_signal)
            r->stopped_running++;
        if (rc == 0 && settle(r, &r->kids[i], err) < 0)
            rc = -1;
    }
    r->nkids = kept;
    ts_journal_unlock(r->j);
    /* a next attempt the rules give (exit 75, retry_on) is queued here */
    return rc < 0 ? -1 : sync_now(r, err);
}

/* issue 16: a task cancelled with a grace (graceful.h) first gets the
 * signal (exec forwards it to the task), and until the deadline the time
 * to checkpoint and exit; true while that lasts. */
static bool grace_pending(runner *r, child *k, double t)
{
    bool found = false;
    int sig = 0;
    double deadline = 0;
    ts_err e = { 0 };
    if (ts_grace_file_read(r->store.dir, k->idx, &found, &sig, &deadline, &e) < 0 || !found
        || t >= deadline)
        return false;
    if (!k->warned) {
        k->warned = true;
        kill(k->pid, sig);
    }
    return true;
}

static void watch_cancels(runner *r, bool suite_cancelled)
{
    double t = now_s();
    for (size_t i = 0; i < r->nkids; i++) {
        child *k = &r->kids[i];
        bool marked = false;
        ts_err e = { 0 };
        if (!suite_cancelled && !stop_signal && !k->killed
            && ts_events_is_cancelled(r->store.dir, k->idx, &marked, &e) == 0 && marked
            && grace_pending(r, k, t))
            continue;
        if (suite_cancelled || stop_signal || marked
            || (ts_events_is_cancelled(r->store.dir, k->idx, &marked, &e) == 0 && marked))
            stop_child(k);
        if (k->killed && !k->ended && t - k->killed_at > STOP_GRACE_S) {
            kill_tree(k->pid);
            k->killed_at = t;   /* again later if something survived */
        }
    }
}

static int suite_state(runner *r, enum ts_suite_state *st, ts_err *err)
{
    ts_suite_info si = { 0 };
    if (ts_journal_suite_get(r->j, r->id, &si, err) < 0)
        return -1;
    *st = si.state;
    ts_suite_info_clear(&si);
    return 0;
}

/* Stopped by a signal: what never started will not start; say so. */
static int cancel_pending(runner *r, long *n, ts_err *err)
{
    *n = 0;
    if (ts_journal_lock(r->j, err) < 0)
        return -1;
    int rc = ts_open_tasks_load(r->j, r->id, TS_BIT(TS_TASK_PENDING), &r->open, err);
    for (size_t i = 0; rc == 0 && i < r->open.n; i++) {
        rc = ts_journal_task_set_state(r->j, r->id, r->open.idx[i], TS_TASK_CANCELLED, err);
        (*n)++;
    }
    ts_journal_unlock(r->j);
    return rc;
}

/* Until a child ends, a stop signal arrives or ms pass (SIGCHLD is blocked
 * in the runner, so an end between two looks is not missed). */
static void nap(long ms)
{
    sigset_t chld;
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (!stop_signal)
        (void)sigtimedwait(&chld, NULL, &ts);
}

static int serve(runner *r, ts_err *err)
{
    enum ts_suite_state st;
    for (;;) {
        if (reap(r, err) < 0 || suite_state(r, &st, err) < 0)
            return -1;
        bool cancelled = st == TS_SUITE_CANCELLED;
        watch_cancels(r, cancelled);
        if (stop_signal || cancelled) {
            if (!r->nkids)
                return 0;
            nap(POLL_MS);
            continue;
        }
        if (ts_journal_lock(r->j, err) < 0)
            return -1;
        int rc = collect(r, err);
        ts_journal_unlock(r->j);
        if (rc < 0)
            return -1;
        if (r->ncands && !r->prepared) {
            r->prepared = true;
            ts_err he = { 0 };
            if (ts_localhook_run(r->store.s, "env_preparation", r->id, r->store.dir,
                                 r->store.workdir, &stop_signal, &he) < 0)
                snprintf(r->prep_error, sizeof r->prep_error, "%s", he.msg);
            else if (r->store.s->env_preparation.present)
                say(r, "env_preparation succeeded");
            /* The hook may have taken long: what was collected before it
             * may be cancelled now (a cancelled task never starts). */
            continue;
        }
        if (r->ncands && r->prep_error[0]) {
            if (ts_journal_lock(r->j, err) < 0)
                return -1;
            rc = fail_prepared(r, err);
            ts_journal_unlock(r->j);
            if (rc < 0 || sync_now(r, err) < 0)
                return -1;
            continue;
        }
        for (size_t i = 0; i < r->ncands && (long)r->nkids < r->width; i++)
            if (start(r, &r->cands[i], err) < 0)
                return -1;
        if (!r->nkids && !r->ncands)
            return 0;
        nap(POLL_MS);
    }
}

static void runner_free(runner *r)
{
    intents_free(r);
    free(r->intents);
    free(r->kids);
    free(r->cands);
    ts_open_tasks_free(&r->open);
}

int ts_localrun_serve(ts_journal *j, const char *suite_arg, ts_err *err)
{
    runner r = { .j = j };
    ts_suite_info si = { 0 };
    char lock[PATH_MAX];
    int lockfd = -1, rc = -1;

    if (ts_journal_suite_get(j, suite_arg, &si, err) < 0)
        return -1;
    snprintf(r.id, sizeof r.id, "%s", si.id);
    if (ts_submission_load(j, &si, &r.store, &r.ctx, err) < 0) {
        ts_suite_info_clear(&si);
        return -1;
    }
    ts_suite_info_clear(&si);
    /* one runner per suite: a second one (a retry while the first ends)
     * waits, then serves what is left */
    snprintf(lock, sizeof lock, "%s/local-runner.lock", r.store.dir);
    lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0) {
        ts_errf(err, "cannot open %s: %s", lock, strerror(errno));
        goto out;
    }
    while (flock(lockfd, LOCK_EX) < 0)
        if (errno != EINTR) {
            ts_errf(err, "cannot lock %s: %s", lock, strerror(errno));
            goto out;
        }
    if (ts_localproc_write_self(r.store.dir, err) < 0)
        goto out;
    snprintf(lock, sizeof lock, "%s/local-runner.error", r.store.dir);
    unlink(lock);   /* an earlier runner's reason; this one tries again */
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);   /* taken by nap() */
    r.width = sysconf(_SC_NPROCESSORS_ONLN);
    if (r.width < 1)
        r.width = 1;
    say(&r, "started (up to %ld tasks at a time)", r.width);
    rc = serve(&r, err);
    /* A retry or add that saw this runner alive just before it ended left
     * its tasks to it: look once more after the record is gone (one that
     * looks later starts a runner of its own, which waits for the lock). */
    while (rc == 0 && !stop_signal) {
        ts_localproc_clear(r.store.dir);
        if (ts_journal_lock(j, err) < 0) {
            rc = -1;
            break;
        }
        rc = collect(&r, err);
        ts_journal_unlock(j);
        if (rc < 0 || !r.ncands)
            break;
        if ((rc = ts_localproc_write_self(r.store.dir, err)) == 0)
            rc = serve(&r, err);
    }
    if (rc < 0) {
        say(&r, "%s; stopping its tasks", err->msg);
        stop_all(&r);
        while (r.nkids) {   /* never leave a task behind */
            ts_err e2 = { 0 };
            watch_cancels(&r, true);
            if (reap(&r, &e2) < 0)
                break;
            ts_nap_ms(POLL_MS);
        }
    }
    if (stop_signal) {
        long pending = 0;
        ts_err e2 = { 0 };
        if (cancel_pending(&r, &pending, &e2) < 0)
            say(&r, "%s", e2.msg);
        say(&r, "stopped by signal %d: %ld running task%s stopped and %ld pending task%s "
            "marked cancelled (tasksuite retry %s runs them again)", (int)stop_signal,
            r.stopped_running, r.stopped_running == 1 ? "" : "s", pending,
            pending == 1 ? "" : "s", r.id);
        ts_err e3 = { 0 };
        (void)sync_now(&r, &e3);
    }
    if (r.prepared) {
        ts_err he = { 0 };
        /* after a stop signal too: cleanup is what a stop owes the node */
        if (ts_localhook_run(r.store.s, "env_cleanup", r.id, r.store.dir, r.store.workdir,
                             NULL, &he) < 0)
            say(&r, "%s", he.msg);
    }
    say(&r, "done: %ld task attempt%s started", r.started, r.started == 1 ? "" : "s");
    ts_localproc_clear(r.store.dir);
out:
    if (lockfd >= 0)
        close(lockfd);
    runner_free(&r);
    ts_submission_store_free(&r.store);
    return rc;
}

int ts_local_fits(const ts_suite *s, const char *file, ts_err *err)
{
    if (s->num_nodes <= 1)
        return 0;
    return ts_errf(err, "%s: num_nodes: %d needs Slurm; --local runs each task on this one "
                   "machine (set num_nodes: 1, or submit without --local)", file, s->num_nodes);
}
