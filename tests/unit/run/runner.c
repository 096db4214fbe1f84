/* runner: one task's setup and run on this node (src/run/runner.c). The
 * exit code and a death by signal come back as such; the warning signal
 * that reaches the runner is forwarded to the task's process group, and
 * one the defer hook holds back arrives when it is due, not before; what
 * the task leaves running when its main process exits is stopped, even
 * when it left the process group. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "tap.h"

extern char **environ;

static char root[] = "/tmp/ts-runner-XXXXXX";
static char out[PATH_MAX], errp[PATH_MAX];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first line of root/name, "" when there is none. */
static const char *first_line(const char *name)
{
    static char buf[256];
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, name);
    FILE *f = fopen(p, "r");
    buf[0] = '\0';
    if (f) {
        if (fgets(buf, sizeof buf, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
    return buf;
}

static int run(const char *setup, const char *text, ts_run_result *res)
{
    ts_run_req req = { .setup = setup, .run = text, .envp = environ, .cwd = root,
                       .stdout_path = out, .stderr_path = errp };
    ts_err err = { 0 };
    int rc = ts_run_task(&req, res, &err);
    if (rc < 0)
        diag("ts_run_task: %s", err.msg);
    return rc;
}

static void test_exit(void)
{
    ts_run_result res;
    is_int(run(NULL, "echo hello; exit 3", &res), 0, "a task that exits 3 runs");
    is_int(res.exit_code, 3, "its exit code is 3");
    is_int(res.term_signal, 0, "no signal ended it");
    is_str(first_line("out"), "hello", "its stdout went to the attempt's file");
    is_int(run(NULL, "true", &res), 0, "a task that exits 0 runs");
    is_int(res.exit_code, 0, "its exit code is 0");
    is_int(run("exit 4", "touch ran", &res), 0, "a task whose setup fails runs");
    ok(res.failed_in_setup && res.exit_code == 4, "setup's exit code 4, failed_in_setup (%d)",
       res.exit_code);
    ok(access("ran", F_OK) < 0, "run never started after a failed setup");
}

static void test_signal(void)
{
    ts_run_result res;
    is_int(run(NULL, "kill -KILL $$", &res), 0, "a task that dies of SIGKILL runs");
    is_int(res.exit_code, -1, "a killed task has no exit code");
    is_int(res.term_signal, SIGKILL, "the signal that ended it is SIGKILL");
}

typedef struct warn_ctx {
    int calls;              /* on_signal for the warning */
    int defers;             /* defer asked */
    double hold_s;          /* defer holds the first warning this long */
    double due;
} warn_ctx;

static void on_signal(int signo, void *arg)
{
    warn_ctx *w = arg;
    if (signo == SIGUSR2)
        w->calls++;
}

static double defer(int signo, void *arg)
{
    warn_ctx *w = arg;
    if (signo != SIGUSR2 || w->hold_s <= 0)
        return 0;
    w->defers++;
    w->due = now() + w->hold_s;
    return w->due;
}

/* The task sends the warning to its runner (its parent), as Slurm sends it
 * to the batch step; the runner must forward it to the whole group: the
 * shell's trap and a child of it both see it. */
static void run_warned(double hold_s, warn_ctx *w, ts_run_result *res, double *took)
{
    /* No sleeps as synchronisation (a loaded machine outran them): the
     * warning is asked for once the child's trap is set ("ready"), and the
     * shell's trap waits (bounded) for the child's before the task ends and
     * its group is stopped. */
    static const char text[] =
        "rm -f ready; "
        "trap 'date +%s.%N > trap; i=0; "
        "while [ ! -s child ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; exit 7' USR2; "
        "(trap 'echo child > child; exit 0' USR2; : > ready; while :; do sleep 0.05; done) & "
        "while [ ! -e ready ]; do sleep 0.05; done; kill -USR2 $PPID; "
        "while :; do sleep 0.05; done";
    memset(w, 0, sizeof *w);
    w->hold_s = hold_s;
    ts_run_req req = { .run = text, .envp = environ, .cwd = root, .stdout_path = out,
                       .stderr_path = errp, .warn_signal = SIGUSR2, .on_signal = on_signal,
                       .defer = defer, .arg = w };
    ts_err err = { 0 };
    double t0 = now();
    if (ts_run_task(&req, res, &err) < 0)
        diag("ts_run_task: %s", err.msg);
    *took = now() - t0;
}

static void test_warning(void)
{
    ts_run_result res;
    warn_ctx w;
    double took;

    run_warned(0, &w, &res, &took);
    is_int(res.exit_code, 7, "the warning reached the task's trap (exit 7)");
    ok(res.warned, "the result says the warning came");
    is_int(w.calls, 1, "on_signal saw the warning once");
    is_str(first_line("child"), "child", "a child in the group got the warning too");
    ok(took < 30, "forwarded at once (%.2f s)", took);

    remove("child");
    run_warned(1.5, &w, &res, &took);
    double trapped = strtod(first_line("trap"), NULL);
    is_int(res.exit_code, 7, "a deferred warning still reaches the task");
    is_int(w.defers, 1, "defer was asked once");
    ok(trapped >= w.due - 0.05, "it arrived when due, not before (%.3f s after due)",
       trapped - w.due);
    ok(took >= 1.4 && took < 60, "the attempt lasted the hold (%.2f s)", took);
    is_int(w.calls, 1, "on_signal saw it once, when forwarded");
}

static void test_leftovers(void)
{
    ts_run_result res;
    /* One in the group, one that left it (setsid): both are stopped. */
    is_int(run(NULL, "sleep 30 & echo $! > ingroup; setsid sleep 30 & echo $! > outside; "
               "sleep 0.2; exit 0", &res), 0, "a task that leaves two sleeps behind runs");
    is_int(res.exit_code, 0, "it exited 0");
    ok(res.leftovers >= 1, "its leftovers were counted (%d)", res.leftovers);
    pid_t in = (pid_t)atol(first_line("ingroup")), outside = (pid_t)atol(first_line("outside"));
    ok(in > 0 && kill(in, 0) < 0 && errno == ESRCH, "the sleep in its group is gone");
    ok(outside > 0 && kill(outside, 0) < 0 && errno == ESRCH,
       "the sleep that left its group is gone");
    is_int(run(NULL, "exit 0", &res), 0, "a task that leaves nothing runs");
    is_int(res.leftovers, 0, "nothing left behind, nothing counted");
}

int main(void)
{
    if (!mkdtemp(root) || chdir(root) < 0) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(errp, sizeof errp, "%s/err", root);
    test_exit();
    test_signal();
    test_warning();
    test_leftovers();
    if (chdir("/") == 0)
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
