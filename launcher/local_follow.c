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
#include "local_follow.h"
#include "localproc.h"
#include "localrun.h"
#include "progress.h"
#include "report.h"
#include "sync.h"

int ts_local_launch(ts_journal *j, const char *id, const char *dir, const char *self)
{
    ts_err err = { 0 };
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
