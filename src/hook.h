/* hook.h: run one command as a given user, safely (a suite's
 * env_preparation / env_cleanup, started by the plugin as root).
 *
 * ts_hook_run forks a child that, in this order: becomes its own session and
 * process group; resets signal dispositions and the signal mask; resets
 * oom_score_adj (as root); points stdin at /dev/null; marks every other
 * inherited descriptor close-on-exec; drops to the user (supplementary
 * groups, gid, uid) and checks that no privilege is left; only then creates
 * the log (and its directories) as that user, sends stdout and stderr there,
 * changes to the working directory and execs: an argv directly (execvp, PATH
 * from the hook's own environment), or a text through "/bin/sh -c". No shell
 * ever runs as root, and root never opens a file in a user-writable place.
 *
 * The parent waits up to the timeout; then it sends SIGTERM to the whole
 * process group, waits the grace period and sends SIGKILL. Processes the
 * command leaves behind in its group when it exits are stopped the same way
 * (they would otherwise escape the job's process tracking).
 *
 * Everything the child needs (user, groups, environment) is prepared before
 * the fork: the child only makes system calls, so this is safe to call from
 * a multi-threaded host process.
 */
#ifndef TS_HOOK_H
#define TS_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
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
    int ngroups;
} ts_hook_user;

/* getpwuid_r + getgrouplist. -1 with err if the uid has no passwd entry. */
int ts_hook_user_lookup(uid_t uid, gid_t gid, ts_hook_user *u, ts_err *err);
void ts_hook_user_free(ts_hook_user *u);

typedef struct ts_hook_req {
    char *const *argv;        /* args form: exec'd as is; NULL for the run form */
    const char *run;          /* run form: "/bin/sh -c run"; NULL for args */
    char *const *envp;        /* the complete environment (nothing inherited) */
    const char *cwd;          /* working directory; must exist */
    const char *log_path;     /* absolute; missing directories are created */
    const char *log_header;   /* written to the log first (may be NULL) */
    const ts_hook_user *user;
    long timeout_s;           /* > 0 */
    long grace_ms;            /* between SIGTERM and SIGKILL; < 0: default */
    volatile sig_atomic_t *cancel;  /* may be NULL; when it becomes non-zero
                                     * (a signal handler), the hook is stopped
                                     * like at its timeout */
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
    bool leftovers;       /* it exited but left processes in its group */
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
 * "could not start: cannot change to directory /x: No such file or directory". */
void ts_hook_describe(const ts_hook_result *r, char *buf, size_t len);

/* mkdir -p of the directories above path (not path itself), mode 0755
 * before the umask. For the child, running as the user; exposed for tests. */
int ts_hook_mkdirs_for(const char *path);

#endif
