/* local_follow.c: `submit --local` after the journal has the suite (see
 * local_follow.h). */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ctrlc.h"
#include "exitcodes.h"
#include "grow.h"
#include "local_follow.h"
#include "localproc.h"
#include "localrun.h"
#include "progress.h"
#include "report.h"
#include "retry.h"
#include "sync.h"

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int note_lost(const ts_task_info *t, void *arg)
{
    names *l = arg;
    if (ts_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0
        || !(l->v[l->n] = strdup(t->name)))
        return -1;
    l->n++;
    return 0;
}

/* The tasks a lost runner left get their next attempt (under the lock). */
static int continue_lost(ts_journal *j, const char *id, ts_err *err)
{
    ts_suite_info si = { 0 };
    names l = { 0 };
    ts_retry_result res;
    ts_sync_opts so = { .no_slurm = true, .quiet = true };
    int rc = -1;

    if (ts_sync(j, id, &so, NULL, err) < 0 || ts_journal_lock(j, err) < 0)
        return -1;
    if (ts_journal_suite_get(j, id, &si, err) == 0
        && ts_journal_tasks_foreach(j, id, TS_BIT(TS_TASK_NODE_FAIL), note_lost, &l, err) == 0
        && (l.n == 0
            || ts_suite_retry(j, &si, (const char *const *)l.v, l.n, &res, err) == 0))
        rc = 0;
    if (rc == 0 && l.n)
        ts_cli_say("submit", "suite %s: %zu task%s its earlier local runner lost run again",
                   id, l.n, l.n == 1 ? "" : "s");
    ts_journal_unlock(j);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    ts_suite_info_clear(&si);
    return rc;
}

int ts_local_launch(ts_journal *j, const char *id, const char *dir, const char *self,
                    bool attached)
{
    ts_err err = { 0 };
    if (attached && continue_lost(j, id, &err) < 0)
        return ts_report_fail("submit", &err);
    if (ts_localrun(j, id, dir, self, &err) < 0)
        return ts_report_fail("submit", &err);
    return TS_EXIT_OK;
}

static volatile sig_atomic_t term_signal;

static void on_term(int sig)
{
    term_signal = sig;
}

static bool interrupted(void)
{
    return ts_ctrlc() || term_signal;
}

/* A short nap that a SIGTERM ends too (ts_nap_ms watches only Ctrl-C). */
static void nap(long ms)
{
    for (; ms > 0 && !interrupted(); ms -= 100)
        ts_nap_ms(100);
}

int ts_local_follow(ts_journal *j, const char *id, const char *dir, const char *self)
{
    ts_sync_opts so = { .no_slurm = true };
    ts_counts c = { 0 };
    ts_err err = { 0 };
    long last_done = -1;
    time_t last_start = time(NULL);
    int tty = isatty(STDERR_FILENO);

    ts_ctrlc_catch();
    struct sigaction sa = { .sa_handler = on_term };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    while (!interrupted()) {
        if (ts_sync(j, id, &so, NULL, &err) < 0 || ts_journal_counts(j, id, &c, &err) < 0)
            return ts_report_fail("submit", &err);
        ts_progress_follow(stderr, &c, &last_done, tty);
        if (c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 0)
            break;
        /* No runner recorded for a while with work left (it could not
         * start, or ended as the work came in): start one. A second one
         * only waits for the first (localrun.h). */
        ts_localproc p;
        if (time(NULL) - last_start >= 5
            && !(ts_localproc_read(dir, &p) && ts_localproc_alive(&p))) {
            last_start = time(NULL);
            if (ts_localrun(j, id, dir, self, &err) < 0)
                return ts_report_fail("submit", &err);
        }
        nap(500);
    }
    if (tty)
        fputc('\n', stderr);
    if (interrupted()) {
        ts_localproc p = { 0 };
        char who[64] = "";
        if (ts_localproc_read(dir, &p) && ts_localproc_alive(&p))
            snprintf(who, sizeof who, " (local runner pid %ld)", (long)p.pid);
        ts_cli_say("submit", "%s: detached; suite %s keeps running here in the background%s: "
                   "tasksuite status %s follows it, tasksuite cancel %s stops it",
                   term_signal ? strsignal(term_signal) : "interrupted", id, who, id, id);
        return TS_EXIT_OK;
    }
    if (c.n[TS_TASK_COMPLETED] == c.total)
        return TS_EXIT_OK;
    char path[PATH_MAX], why[1024] = "";
    snprintf(path, sizeof path, "%s/local-runner.error", dir);
    FILE *f = fopen(path, "r");
    if (f) {   /* the runner's own reason (a failed env_preparation) */
        if (fgets(why, sizeof why, f))
            why[strcspn(why, "\n")] = '\0';
        fclose(f);
    }
    if (why[0])
        ts_cli_say("submit", "suite %s: %s", id, why);
    if (ts_progress_failed(&c) > 0)   /* name them (cancelled ones are no news) */
        ts_report_failed_names(stderr, j, id, 5, &err);
    else
        ts_cli_say("submit", "suite %s: %ld of %ld tasks did not complete (tasksuite status %s)",
                   id, c.total - c.n[TS_TASK_COMPLETED], c.total, id);
    return TS_EXIT_TASKS;
}
