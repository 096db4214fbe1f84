/* runner.h: run one task's setup and run text on this node.
 *
 * The text runs as `/bin/sh -c TEXT` (we are already the job's user: this is
 * the batch step, never root), or exec'd directly when the shell would add
 * nothing (simplecmd.h), in a new process group, stdin /dev/null,
 * stdout/stderr appended to the attempt's files. The runner waits with all
 * relevant signals blocked and handled synchronously (sigwaitinfo): Slurm's
 * warning signal, SIGTERM at the walltime and SIGINT/SIGHUP are forwarded to
 * the whole process group, so a task's children see them too; shell traps in
 * the batch script are never relied on.
 *
 * The runner makes itself the child subreaper (PR_SET_CHILD_SUBREAPER):
 * when the task's main process ends, whatever it left running (in its
 * process group or not) is stopped and reaped before ts_run_task returns
 * (reaper.h), so nothing of a task outlives its attempt.
 */
#ifndef TS_RUNNER_H
#define TS_RUNNER_H

#include "err.h"

typedef struct ts_run_req {
    const char *setup;          /* NULL: none */
    const char *run;            /* shell text */
    char *const *argv;          /* instead of run: exec'd directly (PATH search) */
    char *const *envp;          /* complete environment */
    const char *cwd;            /* NULL: inherit */
    const char *stdout_path;    /* opened O_APPEND|O_CREAT */
    const char *stderr_path;
    int warn_signal;            /* forwarded and reported; 0: none */
    /* Called from the wait loop (not a signal handler) for each forwarded
     * signal; may write events. */
    void (*on_signal)(int signo, void *arg);
    /* Called first for each signal: 0 drops it (not forwarded, no
     * on_signal). NULL forwards everything. */
    int (*filter)(int signo, void *arg);
    /* Called next: an epoch time in the future holds the signal back until
     * then (one at a time; a later one replaces it), anything else
     * forwards it now. NULL forwards everything now. */
    double (*defer)(int signo, void *arg);
    void *arg;
    /* In the child, first (the pool binds the worker's CPUs): it may
     * _exit; it must not return into the caller's code otherwise. */
    void (*pre_exec)(void *arg);
    void *pre_exec_arg;
} ts_run_req;

typedef struct ts_run_result {
    int exit_code;              /* 0..255 if exited, -1 if killed */
    int term_signal;            /* signal that killed it, else 0 */
    int warned;                 /* the warning signal arrived */
    int failed_in_setup;        /* setup failed; run never started */
    int leftovers;              /* processes of the task still running when
                                   its main process ended, then stopped
                                   (SIGTERM, SIGKILL after
                                   TS_RUNNER_LEFTOVER_TERM_MS) */
} ts_run_result;

#define TS_RUNNER_LEFTOVER_TERM_MS 2000

int ts_run_task(const ts_run_req *req, ts_run_result *res, ts_err *err);

/* The pieces of ts_run_task for a caller with a wait loop of its own (the
 * pool agent, attempt.h): start one text (req->setup or req->run) in a new
 * process group and return its pid, which is the group's; send a signal as
 * the runner forwards it (the warning spares tasksuite's own commands, and
 * counts in res->warned; req->on_signal is called); and read a wait status
 * into res. */
pid_t ts_run_start(const ts_run_req *req, const char *text, ts_err *err);
void ts_run_signal(const ts_run_req *req, pid_t group, int sig, ts_run_result *res);
void ts_run_status(int status, ts_run_result *res);

/* Block the signals the runner forwards, as early as possible in `exec`, so
 * a warning that arrives before the task starts is queued, not fatal. The
 * child gets the mask the process had before (see ts_run_task). */
void ts_runner_block_signals(int warn_signal);

#endif
