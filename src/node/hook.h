/* hook.h: run one command as a given user, safely (a suite's
 * env_preparation / env_cleanup, started by the plugin as root).
 *
 * Three processes: the caller, a supervisor, the hook.
 *
 * The supervisor (forked by ts_hook_run; root when the caller is) makes
 * itself a child subreaper and not dumpable, in a process group of its own;
 * keeps none of the caller's descriptors but the pipe it reports on; stops
 * the hook when the caller dies (parent-death signal); joins the cgroups it
 * is given (the job's extern step); and forks the hook's child.
 *
 * The child, in this order: becomes its own session and process group;
 * resets signal dispositions and the signal mask; resets oom_score_adj (as
 * root); makes itself not dumpable (exec makes the new program dumpable
 * again); points stdin at /dev/null; closes every other descriptor for real
 * (only the pipe that reports a failure to start stays, close-on-exec);
 * applies the requested resource limits (still root: hard limits may be
 * raised); drops to the user (supplementary groups, gid, uid) and checks
 * that no privilege is left; sets umask 077. Only then, as that user, it
 * opens the log's directory one component at a time from "/" (creating what
 * is missing, mode 0700; refusing an existing directory that anyone may
 * write and that is not sticky, and a last directory that is not the
 * user's: group-writable ones are the user's choice) and the log itself
 * (O_NOFOLLOW, O_NONBLOCK so that a FIFO cannot hold it; refused unless a
 * regular file owned by the user; created 0600: preparation output often
 * holds tokens); sends stdout and stderr there, changes to the working
 * directory and execs: an argv directly (execvp, PATH from the hook's own
 * environment), or a text through "/bin/sh -c". No shell ever runs as root,
 * root never opens a file in a user-writable place, and nothing of root's
 * but that pipe is open once the child is the user.
 *
 * The supervisor waits up to the timeout (the child's setup counts: a log
 * on a hung file system is stopped like a hung hook), or until told to stop
 * (SIGTERM: the caller relays *cancel that way). Then SIGTERM (and SIGCONT)
 * to the hook's process group and to each of its own children, the grace
 * period, SIGKILL. Whatever the hook started goes with it, including what
 * left its group or session (setsid, double forks): orphans are re-parented
 * to the supervisor, which, when the hook exits, stops them the same way
 * (leftovers), then SIGKILLs and reaps its children until it has none. Only
 * its own children are ever signalled (and the hook's process group, while
 * the hook's leader, kept unreaped, holds its id): never a process found by
 * name, or by an id that could have been reused. A process still in
 * uninterruptible sleep after SIGKILL is counted (stuck); it dies when it
 * wakes. The supervisor reports the outcome over the pipe and exits; the
 * caller reaps it.
 *
 * Everything the children need (user, groups, environment, limits, scratch
 * space for the group check) is prepared before the fork: after it they only
 * make system calls, so this is safe to call from a multi-threaded process.
 *
 * Test points (--enable-fault-injection, TASKSUITE_FAULT=NAME, read before
 * the fork): hook-child-stuck, the child blocks every signal and waits just
 * before the log (an open() on a dead file server: only SIGKILL ends it);
 * hook-child-stop, the child stops itself (SIGSTOP) just before exec.
 */
#ifndef TS_HOOK_H
#define TS_HOOK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "err.h"

/* Who a hook runs as: looked up once, before the fork. */
typedef struct ts_hook_user {
    uid_t uid;
    gid_t gid;            /* the job's gid (primary group) */
    char *name;
    char *home;
    char *shell;
    gid_t *groups;        /* supplementary groups, getgrouplist(name, gid) */
    int ngroups;          /* up to NGROUPS_MAX (65536) */
} ts_hook_user;

/* getpwuid_r + getgrouplist. -1 with err if the uid has no passwd entry. */
int ts_hook_user_lookup(uid_t uid, gid_t gid, ts_hook_user *u, ts_err *err);
void ts_hook_user_free(ts_hook_user *u);

/* One resource limit for the hook: setrlimit(resource, {cur, max}). */
typedef struct ts_hook_rlimit {
    int resource;         /* RLIMIT_* */
    rlim_t cur, max;      /* RLIM_INFINITY as is */
} ts_hook_rlimit;

typedef struct ts_hook_req {
    char *const *argv;        /* args form: exec'd as is; NULL for the run form */
    const char *run;          /* run form: "/bin/sh -c run"; NULL for args */
    char *const *envp;        /* the complete environment (nothing inherited) */
    const char *cwd;          /* working directory; must exist */
    const char *log_path;     /* absolute; missing directories are created */
    const char *log_header;   /* written to the log first (may be NULL) */
    const ts_hook_user *user;
    long timeout_s;           /* > 0; the child's setup counts */
    long grace_ms;            /* between SIGTERM and SIGKILL; < 0: default */
    volatile sig_atomic_t *cancel;  /* may be NULL; when it becomes non-zero
                                     * (a signal handler), the hook is stopped
                                     * like at its timeout */
    const ts_hook_rlimit *rlimits;  /* the job's limits, applied in order
                                     * before the drop; others are the
                                     * caller's. May be NULL when n is 0 */
    size_t n_rlimits;
    /* cgroup.procs files (root's, e.g. from ts_cgroup_extern_procs) the
     * supervisor writes "0" to before it forks the hook: it moves itself,
     * so the hook and all it starts, into those cgroups. One that cannot be
     * written is a setup error (the hook does not run). May be NULL when n
     * is 0. */
    const char (*cgroup_procs)[PATH_MAX];
    size_t n_cgroup_procs;
} ts_hook_req;

#define TS_HOOK_DEFAULT_GRACE_MS 5000
#define TS_HOOK_SETUP_EXIT 127    /* the child's status when it never exec'd */
#define TS_HOOK_ERRLEN 512

typedef struct ts_hook_result {
    bool started;         /* the exec succeeded */
    int exit_code;        /* WEXITSTATUS, or -1 when killed by a signal */
    int signal;           /* the terminating signal, 0 if it exited */
    bool timed_out;       /* stopped at its timeout */
    bool cancelled;       /* stopped because *cancel was set */
    bool leftovers;       /* it exited but left processes behind (in its
                           * group or not): they were stopped */
    int stuck;            /* processes it started still there after SIGKILL
                           * (uninterruptible sleep); not counted as failure */
    long timeout_s;       /* the timeout that applied */
    long elapsed_ms;
    char error[TS_HOOK_ERRLEN]; /* why it could not start (empty if it did) */
} ts_hook_result;

/* Run the hook and wait for it. Returns 0 when the outcome is in *res
 * (whatever it is: see ts_hook_ok), -1 with err when nothing could be run
 * at all (bad request, fork or pipe failure). */
int ts_hook_run(const ts_hook_req *req, ts_hook_result *res, ts_err *err);

/* Started, exited 0, not timed out. */
bool ts_hook_ok(const ts_hook_result *r);

/* What happened, for messages: "exit status 3", "killed by signal 9 (Killed)",
 * "timed out after 3s (stopped with its whole process group)",
 * "stopped before it finished (the allocation ended)",
 * "could not start: cannot change to directory /x: No such file or directory",
 * "could not start: the log /x/y.log is not a regular file". */
void ts_hook_describe(const ts_hook_result *r, char *buf, size_t len);

/* "RLIMIT_NOFILE", ...; NULL for a resource this build does not know. */
const char *ts_hook_rlimit_name(int resource);

/* The directory of the log at path (absolute), opened (O_PATH) one component
 * at a time from "/": a missing directory is created (mode 0700 before the
 * umask); an existing one must not be writable by others unless it is
 * sticky; the last must be owned by u->uid. Returns the descriptor and sets
 * *leaf to the log's name in path; -1 with a one-line reason in why. For
 * the child, running as the user; exposed for tests. */
int ts_hook_open_logdir(const char *path, const ts_hook_user *u, const char **leaf, char *why,
                        size_t len);

#endif
