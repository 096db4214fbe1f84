#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"
#include "runner.h"
#include "simplecmd.h"

/* Signals the runner owns while a task runs. SIGCONT is forwarded too: Slurm
 * sends it ahead of the warning and the TERM so stopped tasks can act. */
static void owned_signals(sigset_t *set, int warn)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGCONT);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
    if (warn > 0)
        sigaddset(set, warn);
}

static int open_out(const char *path, int fallback)
{
    if (!path)
        return dup(fallback);
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* In the child: new process group, stdio, cwd, default signal state, exec. */
static void child_exec(const ts_run_req *req, const char *text)
{
    int in = open("/dev/null", O_RDONLY);
    int out = open_out(req->stdout_path, STDOUT_FILENO);
    int errfd = open_out(req->stderr_path, STDERR_FILENO);

    setpgid(0, 0);
    if (in < 0 || out < 0 || errfd < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
        || dup2(errfd, 2) < 0) {
        dprintf(errfd >= 0 ? errfd : 2, "tasksuite: cannot set up task output: %s\n",
                strerror(errno));
        _exit(127);
    }
    if (req->cwd && chdir(req->cwd) < 0) {
        dprintf(2, "tasksuite: cannot enter %s: %s\n", req->cwd, strerror(errno));
        _exit(127);
    }
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    /* A task starts with no blocked signals, whatever exec had blocked. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (!text) {
        execvpe(req->argv[0], req->argv, req->envp);
        dprintf(2, "tasksuite: cannot run %s: %s\n", req->argv[0], strerror(errno));
        _exit(127);
    }
    ts_exec_simple(text, req->envp);   /* returns when the shell is needed */
    char *argv[] = { "sh", "-c", (char *)text, NULL };
    execve("/bin/sh", argv, req->envp);
    dprintf(2, "tasksuite: cannot run /bin/sh: %s\n", strerror(errno));
    _exit(127);
}

pid_t ts_run_start(const ts_run_req *req, const char *text, ts_err *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return ts_errf(err, "cannot start the task: fork: %s", strerror(errno));
    if (pid == 0) {
        if (req->pre_exec)
            req->pre_exec(req->pre_exec_arg);
        child_exec(req, text);
    }
    setpgid(pid, pid);   /* both sides: no window where a signal misses it */
    return pid;
}

void ts_run_status(int status, ts_run_result *res)
{
    if (WIFEXITED(status)) {
        res->exit_code = WEXITSTATUS(status);
        res->term_signal = 0;
    } else if (WIFSIGNALED(status)) {
        res->exit_code = -1;
        res->term_signal = WTERMSIG(status);
    }
}

/* A signal held back by req->defer until its time (at most one: the
 * warning), across setup and run. */
typedef struct deferred {
    int sig;                    /* 0: none */
    double due;                 /* epoch seconds */
} deferred;

static double now_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void ts_run_signal(const ts_run_req *req, pid_t pid, int sig, ts_run_result *res)
{
    if (sig == req->warn_signal)
        res->warned = 1;
    /* The warning spares tasksuite's own commands in the group (see
     * ts_signal_group_sparing); every other signal goes to the whole group. */
    if (sig != req->warn_signal || ts_signal_group_sparing(pid, sig, "/proc/self/exe") < 0)
        kill(-pid, sig);
    if (req->on_signal && sig != SIGCONT)
        req->on_signal(sig, req->arg);
}

/* Run one shell text to completion, forwarding signals to its group. */
static int run_one(const ts_run_req *req, const char *text, const sigset_t *owned,
                   ts_run_result *res, pid_t *group, deferred *later, ts_err *err)
{
    int status = 0;

    pid_t pid = ts_run_start(req, text, err);
    if (pid < 0)
        return -1;
    *group = pid;

    for (;;) {
        siginfo_t si;
        int sig;
        if (later->sig) {
            double left = later->due - now_epoch();
            if (left <= 0) {
                ts_run_signal(req, pid, later->sig, res);
                later->sig = 0;
                continue;
            }
            struct timespec to = { .tv_sec = (time_t)left,
                                   .tv_nsec = (long)((left - (double)(time_t)left) * 1e9) };
            sig = sigtimedwait(owned, &si, &to);
            if (sig < 0 && errno == EAGAIN)
                continue;       /* its time has come: delivered above */
        } else {
            sig = sigwaitinfo(owned, &si);
        }
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sig == SIGCHLD) {
            /* As the subreaper we also get the task's orphans: reap them
             * as they exit, so none lingers as a zombie. */
            bool done = false;
            pid_t r;
            int st;
            while ((r = waitpid(-1, &st, WNOHANG)) > 0)
                if (r == pid) {
                    status = st;
                    done = true;
                }
            if (done)
                break;
            continue;
        }
        if (req->filter && !req->filter(sig, req->arg))
            continue;
        double due = req->defer ? req->defer(sig, req->arg) : 0;
        if (due > now_epoch()) {
            later->sig = sig;
            later->due = due;
            continue;
        }
        ts_run_signal(req, pid, sig, res);
    }
    ts_run_status(status, res);
    return 0;
}

void ts_runner_block_signals(int warn_signal)
{
    sigset_t owned;
    owned_signals(&owned, warn_signal);
    sigprocmask(SIG_BLOCK, &owned, NULL);
}

int ts_run_task(const ts_run_req *req, ts_run_result *res, ts_err *err)
{
    sigset_t owned, old;
    int rc = 0;

    pid_t group = 0;
    deferred later = { 0 };

    memset(res, 0, sizeof *res);
    /* Whatever the task starts comes to us when its parent exits, so that
     * nothing of it outlives the attempt (see the end). */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* Blocked across setup and run, so a signal between the two is queued
     * and forwarded to run rather than killing us with its default action. */
    owned_signals(&owned, req->warn_signal);
    sigprocmask(SIG_BLOCK, &owned, &old);
    if (req->setup && *req->setup) {
        rc = run_one(req, req->setup, &owned, res, &group, &later, err);
        if (rc == 0 && res->exit_code != 0)
            res->failed_in_setup = 1;
    }
    if (rc == 0 && !res->failed_in_setup) {
        int warned = res->warned;
        rc = run_one(req, req->argv ? NULL : req->run, &owned, res, &group, &later, err);
        res->warned |= warned;
    }
    /* The task is over when its main process is: stop and reap the rest
     * (the group first, then every descendant that came to us, even one
     * that left the group), so nothing of it runs on after the attempt. */
    if (group > 0)
        (void)kill(-group, SIGTERM);
    res->leftovers = ts_reaper_stop_all(TS_RUNNER_LEFTOVER_TERM_MS, 10000);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
