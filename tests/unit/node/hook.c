/* hook: one command as a user, own process group, clean environment, log,
 * timeout that stops the whole group; and what an HPC security review asks
 * (issue 8): nothing it starts survives it, the job's limits, a log that
 * cannot block or be someone else's, no root descriptor before exec, any
 * number of groups. Runs as whoever runs the tests (the target user is the
 * current one); the privilege-drop cases run only as root (as tsuser or
 * nobody), the pre-exec cases only with --enable-fault-injection. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "reaper.h"
#include "tap.h"

static char dir[256];
static ts_hook_user me;
static ts_hook_user other;     /* as root: tsuser or nobody, to drop to */
static bool have_other;
static volatile sig_atomic_t cancel_flag;

static char *slurp(const char *path)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Run req as given, with defaults for what it leaves out: the log in
 * dir/NAME.log, a small environment, cwd dir, the current user, 10 s. */
static int run_req(const char *name, ts_hook_req req, ts_hook_result *res)
{
    char log[PATH_MAX];
    static char *default_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
                                   "TASK_SUITE_HOOK=env_preparation", "GREETING=hello world",
                                   NULL };
    ts_err err = { 0 };
    if (!req.log_path) {
        snprintf(log, sizeof log, "%s/%s.log", dir, name);
        req.log_path = log;
    }
    if (!req.envp)
        req.envp = default_env;
    if (!req.cwd)
        req.cwd = dir;
    if (!req.user)
        req.user = &me;
    if (!req.timeout_s)
        req.timeout_s = 10;
    int rc = ts_hook_run(&req, res, &err);
    if (rc < 0)
        diag("ts_hook_run: %s", err.msg);
    return rc;
}

/* Run `run` (sh text) or argv with a small environment; log in dir/NAME.log. */
static int run_hook(const char *name, const char *run, char *const *argv,
                    char *const *envp, long timeout_s, long grace_ms,
                    const ts_hook_user *u, ts_hook_result *res)
{
    ts_hook_req req = { .argv = argv, .run = run, .envp = envp, .log_header = "header line\n",
                        .user = u, .timeout_s = timeout_s, .grace_ms = grace_ms };
    return run_req(name, req, res);
}

/* dir/u<uid>: the user's own directory (0700) for logs, returns "u<uid>". */
static const char *user_dir(const ts_hook_user *u)
{
    static char name[32];
    char p[PATH_MAX];
    snprintf(name, sizeof name, "u%ld", (long)u->uid);
    path_in(p, sizeof p, name);
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        diag("mkdir %s: %s", p, strerror(errno));
    if (chown(p, u->uid, u->gid) < 0)
        diag("chown %s: %s", p, strerror(errno));
    return name;
}

static void on_alarm(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

/* *cancel becomes 1 from a signal handler, ms from now. */
static void cancel_in(long ms)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    struct itimerval it = { .it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 } };
    cancel_flag = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
}

static void cancel_off(void)
{
    struct itimerval none = { 0 };
    setitimer(ITIMER_REAL, &none, NULL);
    signal(SIGALRM, SIG_DFL);
    cancel_flag = 0;
}

static const char *log_of(const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s.log", dir, name);
    return slurp(p);
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Reap whatever was re-parented to us (we are a subreaper). */
static void reap_orphans(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static int gone(pid_t pid)
{
    reap_orphans();
    return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static pid_t read_pid(const char *name)
{
    char p[PATH_MAX];
    path_in(p, sizeof p, name);
    return (pid_t)strtol(slurp(p), NULL, 10);
}

/* Durations bound only what matters: a stop came, and far sooner than the
 * hang it replaces (a 120 s timeout, a sleep 1000). An upper bound close to
 * the expected time fails on a loaded CI machine under ASan, not on a bug. */
static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_args_verbatim(void)
{
    ts_hook_result r;
    char *argv[] = { "printf", "[%s]\\n", "$(touch pwned)", "a b", "*", NULL };
    char p[PATH_MAX];
    run_hook("args", NULL, argv, NULL, 10, 200, NULL, &r);
    ok(ts_hook_ok(&r), "args: exec'd (found in the hook's PATH) and exited 0");
    is_str(log_of("args"), "header line\n[$(touch pwned)]\n[a b]\n[*]\n",
           "args: every word reaches the program verbatim (no shell, no globbing)");
    path_in(p, sizeof p, "pwned");
    ok(access(p, F_OK) < 0, "args: the $(...) in an argument was not executed");
}

static void test_run_shell(void)
{
    ts_hook_result r;
    run_hook("run", "echo out; echo err >&2; echo \"$GREETING\"", NULL, NULL, 10, 200, NULL, &r);
    ok(ts_hook_ok(&r), "run: /bin/sh -c text exits 0");
    is_str(log_of("run"), "header line\nout\nerr\nhello world\n",
           "run: stdout and stderr both go to the log, after the header");
}

static void test_env(void)
{
    ts_hook_result r;
    setenv("TS_SECRET_PARENT_VAR", "leaked", 1);
    run_hook("env", "env | sort", NULL, NULL, 10, 200, NULL, &r);
    const char *log = log_of("env");
    ok(ts_hook_ok(&r), "env: ran");
    ok(contains(log, "\nGREETING=hello world\n"), "env: the hook's envs are there");
    ok(contains(log, "\nTASK_SUITE_HOOK=env_preparation\n"), "env: TASK_SUITE_HOOK is there");
    ok(contains(log, "\nPATH=/usr/local/bin:/usr/bin:/bin\n"), "env: the clean PATH");
    ok(!contains(log, "TS_SECRET_PARENT_VAR"), "env: nothing of the caller's environment leaks");
    unsetenv("TS_SECRET_PARENT_VAR");
}

static void test_cwd_stdin_session(void)
{
    ts_hook_result r;
    char want[PATH_MAX + 2];
    run_hook("cwd", "pwd", NULL, NULL, 10, 200, NULL, &r);
    snprintf(want, sizeof want, "header line\n%s\n", dir);
    is_str(log_of("cwd"), want, "cwd: runs in the requested directory");

    run_hook("stdin", "readlink /proc/$$/fd/0; cat; echo rc=$?", NULL, NULL, 5, 200, NULL, &r);
    is_str(log_of("stdin"), "header line\n/dev/null\nrc=0\n", "stdin is /dev/null (cat returns at once)");

    /* pid, session id and process group of the shell: all equal */
    run_hook("session", "set -- $(sed 's/.*) //' /proc/$$/stat); echo $$ $3 $4", NULL, NULL, 5,
             200, NULL, &r);
    char pid[32];
    const char *log = log_of("session") + strlen("header line\n");
    snprintf(pid, sizeof pid, "%.20s", log);
    char *sp = strchr(pid, ' ');
    if (sp)
        *sp = '\0';
    char want2[128];
    snprintf(want2, sizeof want2, "%s %s %s\n", pid, pid, pid);
    is_str(log, want2, "its own session and process group (leader = the hook)");
}

static void test_fds_and_signals(void)
{
    ts_hook_result r;
    int stray = open("/dev/null", O_RDONLY);   /* no O_CLOEXEC on purpose */
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_term, old_int;
    sigset_t block, old_mask;
    sigaction(SIGTERM, &ign, &old_term);
    sigaction(SIGINT, &ign, &old_int);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old_mask);

    /* the shell's descriptors while it waits for ls (a pipeline would show
     * the shell's pipe while it forks) */
    run_hook("fds", "ls /proc/$$/fd", NULL, NULL, 5, 200, NULL, &r);
    char fds_log[256];
    snprintf(fds_log, sizeof fds_log, "%s", log_of("fds"));
    /* the signal state of the program the child execs itself (a shell's
     * own mask changes while it waits for its children) */
    char *sig_argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
    run_hook("sigs", NULL, sig_argv, NULL, 5, 200, NULL, &r);
    char log[1024];
    snprintf(log, sizeof log, "%s%s", fds_log, log_of("sigs"));
    ok(contains(log, "header line\n0\n1\n2\nheader line\n"),
       "only stdin, stdout and stderr are open in the hook");
    /* valgrind hands its own signal mask to exec'd programs */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        skip(1, "signal mask under valgrind");
    else if (!ok(contains(log, "SigBlk:\t0000000000000000"), "no signal is blocked in the hook"))
        diag("log: %s", log);
    /* glibc keeps 32 and 33 to itself (sigaction refuses them): the
     * standard signals are what matters. */
    const char *sigign = strstr(log, "SigIgn:\t");
    unsigned long long ignored = sigign ? strtoull(sigign + 8, NULL, 16) : ~0ULL;
    ok((ignored & 0x7fffffffULL) == 0, "no standard signal is ignored in the hook (SigIgn %llx)",
       ignored);
    if (!contains(log, "header line\n0\n1\n2\nheader line\n") || (ignored & 0x7fffffffULL))
        diag("log: %s", log);

    /* The caller ignores SIGTERM: a hook must still be stoppable. */
    long t0 = now_ms();
    run_hook("termable", "sleep 30", NULL, NULL, 1, 2000, NULL, &r);
    ok(r.timed_out && r.signal == SIGTERM, "a caller ignoring SIGTERM does not make the hook immune (signal %d)",
       r.signal);
    ok(now_ms() - t0 < 2500, "it stopped at SIGTERM, without waiting for the grace period");

    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    close(stray);
}

static void test_exit_and_signal(void)
{
    ts_hook_result r;
    char buf[256];
    run_hook("exit3", "echo failing; exit 3", NULL, NULL, 5, 200, NULL, &r);
    ok(r.started && !r.timed_out, "exit 3: started, not timed out");
    is_int(r.exit_code, 3, "exit 3: the exit code");
    ok(!ts_hook_ok(&r), "exit 3: not ok");
    ts_hook_describe(&r, buf, sizeof buf);
    is_str(buf, "exit status 3", "exit 3: described");

    run_hook("kill9", "kill -9 $$", NULL, NULL, 5, 200, NULL, &r);
    is_int(r.signal, 9, "a hook killed by a signal: the signal");
    ts_hook_describe(&r, buf, sizeof buf);
    is_str(buf, "killed by signal 9 (Killed)", "a signal: described");
}

static void test_timeout_group(void)
{
    ts_hook_result r;
    char buf[256];
    long t0 = now_ms();
    run_hook("hang",
             "sleep 1000 & echo $! > bg.pid; (sleep 1000; echo never) & echo $! > sub.pid; "
             "echo started; sleep 1000",
             NULL, NULL, 1, 500, NULL, &r);
    long took = now_ms() - t0;
    ok(r.timed_out, "a hanging hook is stopped at its timeout");
    ok(took >= 1000 && took < 60000, "after about the timeout (%ld ms)", took);
    ts_hook_describe(&r, buf, sizeof buf);
    is_str(buf, "timed out after 1s (stopped with its whole process group)", "timeout: described");
    pid_t bg = read_pid("bg.pid"), sub = read_pid("sub.pid");
    ok(bg > 0 && gone(bg), "its backgrounded grandchild is gone too (pid %ld)", (long)bg);
    ok(sub > 0 && gone(sub), "and its subshell (pid %ld)", (long)sub);
    ok(!contains(log_of("hang"), "never"), "nothing of it ran on after the timeout");

    /* TERM ignored by the whole group: KILL after the grace period. */
    t0 = now_ms();
    run_hook("stubborn", "trap '' TERM; sleep 1000 & echo $! > stub.pid; sleep 1000", NULL, NULL,
             1, 700, NULL, &r);
    took = now_ms() - t0;
    pid_t st = read_pid("stub.pid");
    ok(r.timed_out && r.signal == SIGKILL, "a group ignoring SIGTERM gets SIGKILL (signal %d)",
       r.signal);
    ok(took >= 1700 && took < 60000, "after the timeout plus the grace period (%ld ms)", took);
    ok(st > 0 && gone(st), "its child ignoring SIGTERM is gone too");

    /* Exits at once but leaves a process behind: that one is stopped. */
    run_hook("leftover", "sleep 1000 & echo $! > left.pid; exit 0", NULL, NULL, 10, 500, NULL, &r);
    pid_t left = read_pid("left.pid");
    ok(ts_hook_ok(&r) && r.leftovers, "a hook that exits 0 but leaves a process: ok, leftovers noted");
    ok(left > 0 && gone(left), "the process it left behind is stopped");
}

static void test_setup_errors(void)
{
    ts_hook_result r;
    char buf[512], log[PATH_MAX];
    ts_err err = { 0 };
    static char *env[] = { "PATH=/usr/bin:/bin", NULL };

    char *argv[] = { "no-such-command-ts", "x", NULL };
    run_hook("noexec", NULL, argv, NULL, 5, 200, NULL, &r);
    ok(!r.started && !ts_hook_ok(&r), "a missing program: not started");
    ts_hook_describe(&r, buf, sizeof buf);
    is_str(buf, "could not start: cannot execute no-such-command-ts: No such file or directory",
           "a missing program: described");
    ok(contains(log_of("noexec"), "tasksuite: cannot execute no-such-command-ts"),
       "the reason is in the hook's log too");

    path_in(log, sizeof log, "nocwd.log");
    ts_hook_req req = { .run = "true", .envp = env, .cwd = "/nonexistent-ts-dir",
                        .log_path = log, .user = &me, .timeout_s = 5, .grace_ms = 100 };
    ts_hook_run(&req, &r, &err);
    ts_hook_describe(&r, buf, sizeof buf);
    is_str(buf, "could not start: cannot change to directory /nonexistent-ts-dir: No such file or directory",
           "a missing working directory: described");

    /* The log's directories are created; later runs append. */
    path_in(log, sizeof log, "deep/er/hook.log");
    req = (ts_hook_req){ .run = "echo one", .envp = env, .cwd = dir, .log_path = log,
                         .user = &me, .timeout_s = 5, .grace_ms = 100 };
    ts_hook_run(&req, &r, &err);
    req.run = "echo two";
    ts_hook_run(&req, &r, &err);
    is_str(slurp(log), "one\ntwo\n", "the log's directories are created and runs append");

    ts_hook_req bad = { .run = "true", .argv = (char *[]){ "true", NULL }, .envp = env,
                        .cwd = dir, .log_path = log, .user = &me, .timeout_s = 5 };
    ok(ts_hook_run(&bad, &r, &err) < 0, "both argv and run: refused");
    bad = (ts_hook_req){ .run = "true", .envp = env, .cwd = dir, .log_path = "relative.log",
                         .user = &me, .timeout_s = 5 };
    ok(ts_hook_run(&bad, &r, &err) < 0, "a relative log path: refused");
}

/* As root: the hook runs as another user with that user's groups, root's
 * privileges cannot come back, the log is created by that user, and
 * oom_score_adj is reset. */
static void test_drop_privileges(void)
{
    if (!have_other) {
        skip(7, "privilege drop needs root and tsuser or nobody");
        return;
    }
    ts_hook_user *u = &other;
    ts_err err = { 0 };
    ts_hook_result r;
    char want[256], log[PATH_MAX], name[64];
    /* the lookup main() did: another user, with its groups (the job's gid at least) */
    ok(u->uid != 0 && u->uid != getuid() && u->name && u->ngroups > 0, "look up %s", u->name);

    FILE *f = fopen("/proc/self/oom_score_adj", "r+");
    int old_adj = 0;
    if (f && fscanf(f, "%d", &old_adj) == 1) {
        rewind(f);
        fprintf(f, "-500\n");
        fflush(f);
    }
    snprintf(name, sizeof name, "%s/asuser", user_dir(u));
    run_hook(name,
             "id -u; id -g; id -G | tr ' ' '\\n' | sort -n | tr '\\n' ' '; echo; "
             "cat /proc/self/oom_score_adj; grep -E '^(Uid|Gid)' /proc/$$/status | tr -s '\\t' ' '",
             NULL, NULL, 10, 200, u, &r);
    if (f) {
        rewind(f);
        fprintf(f, "%d\n", old_adj);
        fclose(f);
    }
    const char *out = log_of(name);
    snprintf(want, sizeof want, "\n%ld\n%ld\n", (long)u->uid, (long)u->gid);
    ok(ts_hook_ok(&r) && contains(out, want), "runs with the user's uid and gid");
    char groups[256] = "";
    for (int i = 0; i < u->ngroups; i++)   /* getgrouplist order is not sorted */
        for (int j = 0; j < u->ngroups; j++) {
            int smaller = 0;
            for (int k = 0; k < u->ngroups; k++)
                smaller += u->groups[k] < u->groups[j];
            if (smaller == i) {
                size_t l = strlen(groups);
                snprintf(groups + l, sizeof groups - l, "%ld ", (long)u->groups[j]);
            }
        }
    ok(contains(out, groups), "with exactly the user's supplementary groups (%s)", groups);
    snprintf(want, sizeof want, "Uid: %ld %ld %ld %ld", (long)u->uid, (long)u->uid,
             (long)u->uid, (long)u->uid);
    ok(contains(out, want), "real, effective, saved and fs uid are all the user's");
    ok(contains(out, "\n0\nUid"), "oom_score_adj reset to 0 (the caller had -500)");
    struct stat st;
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    ok(stat(log, &st) == 0 && st.st_uid == u->uid, "the log was created by the user, not by root");
    if (!ts_hook_ok(&r))
        diag("%s; log: %s", r.error, out);

    /* A log in a place the user cannot write: the hook does not run, and
     * root did not create it either. */
    ts_hook_req req = { .run = "echo hi", .envp = (char *[]){ "PATH=/bin", NULL }, .cwd = "/",
                        .log_path = "/root/ts-hook-test-denied/x.log", .user = u,
                        .timeout_s = 5, .grace_ms = 100 };
    ts_hook_run(&req, &r, &err);
    ok(!r.started && access("/root/ts-hook-test-denied", F_OK) < 0,
       "a log the user may not create: refused, nothing created as root (%s)", r.error);
}

static void test_not_root_cannot_switch(void)
{
    if (geteuid() == 0) {
        /* As root, prove it from a child that is no longer root. */
        pid_t pid = fork();
        if (pid == 0) {
            ts_hook_user nobody = me;
            ts_hook_result nr;
            if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                _exit(2);
            nobody.uid = 65535;
            nobody.gid = 65534;
            nobody.groups = NULL;
            nobody.ngroups = 0;
            run_hook("other", "true", NULL, NULL, 5, 100, &nobody, &nr);
            _exit(nr.started ? 1 : 0);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "as non-root (uid 65534), running as another uid is refused");
        return;
    }
    ts_hook_user someone = me;
    ts_hook_result r;
    someone.uid = me.uid + 1;
    run_hook("other", "true", NULL, NULL, 5, 100, &someone, &r);
    ok(!r.started, "as non-root, running as another uid is refused (%s)", r.error);
}

/* ---------------------------------------------------------------- issue 8 */

/* Nothing the hook started survives it: not what left its process group
 * and session (setsid, a double fork), not what ignores SIGTERM, not after
 * its caller died. The hook's parent is the supervisor, not the caller. */
static void test_escapes(void)
{
    ts_hook_result r;
    long t0 = now_ms();
    run_hook("esc1",
             "setsid sh -c 'echo $$ > esc1.pid; exec sleep 77' & "
             "until [ -s esc1.pid ]; do sleep 0.05; done; echo parent=$(cat /proc/$PPID/comm)",
             NULL, NULL, 10, 500, NULL, &r);
    long took = now_ms() - t0;
    pid_t esc = read_pid("esc1.pid");
    ok(ts_hook_ok(&r) && r.leftovers, "setsid: the hook exits 0, what it left is noted");
    ok(esc > 0 && gone(esc), "what it setsid'd is gone when ts_hook_run returns (pid %ld)",
       (long)esc);
    ok(took < 30000, "stopped at SIGTERM, not after its sleep 77 (%ld ms)", took);
    ok(contains(log_of("esc1"), "parent=tasksuite-hook\n"),
       "the hook is the child of the supervisor, not of the caller");

    run_hook("esc2",
             "(setsid sh -c 'echo $$ > esc2.pid; exec sleep 77' &) & "
             "until [ -s esc2.pid ]; do sleep 0.05; done",
             NULL, NULL, 10, 500, NULL, &r);
    esc = read_pid("esc2.pid");
    ok(ts_hook_ok(&r) && r.leftovers, "a double fork into a new session: noted");
    ok(esc > 0 && gone(esc), "and gone too (pid %ld)", (long)esc);

    /* Escaped, TERM ignored, and the hook hangs: SIGKILL after the grace. */
    t0 = now_ms();
    run_hook("esc3",
             "setsid sh -c 'trap \"\" TERM; echo $$ > esc3.pid; while :; do sleep 1; done' & "
             "until [ -s esc3.pid ]; do sleep 0.05; done; sleep 1000",
             NULL, NULL, 1, 300, NULL, &r);
    took = now_ms() - t0;
    esc = read_pid("esc3.pid");
    ok(r.timed_out && r.stuck == 0, "a hanging hook whose escapee ignores SIGTERM: timed out");
    ok(esc > 0 && gone(esc), "the escapee is gone (pid %ld)", (long)esc);
    ok(took >= 1000 && took < 60000, "at the timeout plus the grace period (%ld ms)", took);

    /* The caller dies (SIGKILL) while the hook runs: the hook is stopped. */
    char p[PATH_MAX];
    path_in(p, sizeof p, "orphan.pid");
    pid_t caller = fork();
    if (caller == 0) {
        ts_hook_result cr;
        run_hook("orphan", "echo $$ > orphan.pid; exec sleep 1000", NULL, NULL, 60, 300, NULL,
                 &cr);
        _exit(0);
    }
    for (int i = 0; i < 200 && read_pid("orphan.pid") <= 0; i++)
        usleep(20000);
    pid_t hook = read_pid("orphan.pid");
    kill(caller, SIGKILL);
    waitpid(caller, NULL, 0);
    bool stopped = false;
    for (int i = 0; i < 100 && !(stopped = hook > 0 && gone(hook)); i++)
        usleep(20000);
    ok(stopped, "a caller killed mid-hook: the hook is stopped too (pid %ld)", (long)hook);
}

/* The caller's cancel flag, set by a signal handler, stops the hook now. */
static void test_cancel(void)
{
    ts_hook_result r;
    ts_hook_req req = { .run = "sleep 300", .timeout_s = 120, .grace_ms = 300,
                        .cancel = &cancel_flag };
    long t0 = now_ms();
    cancel_in(300);
    run_req("cancel", req, &r);
    long took = now_ms() - t0;
    cancel_off();
    ok(r.cancelled && !ts_hook_ok(&r), "cancel: the hook is stopped (signal %d)", r.signal);
    ok(took < 30000, "promptly, not at the 120 s timeout (%ld ms)", took);
}

/* The job's limits, applied as root before the drop. */
static void test_limits(void)
{
    ts_hook_result r;
    struct rlimit old;
    getrlimit(RLIMIT_NOFILE, &old);
    bool root = geteuid() == 0;
    if (!root && old.rlim_max < 456) {
        skip(3, "the hard limit of open files is below 456");
        return;
    }
    const char *preload = getenv("LD_PRELOAD");
    bool valgrind = preload && strstr(preload, "vgpreload");
    /* The hook's hard limit above the caller's: only root can (with
     * CAP_SYS_RESOURCE, which some containers drop): try in a child first. */
    bool raise_ok = false;
    if (root) {
        pid_t probe = fork();
        if (probe == 0) {
            struct rlimit low = { 300, 300 }, high = { 456, 456 };
            _exit(setrlimit(RLIMIT_NOFILE, &low) == 0 && setrlimit(RLIMIT_NOFILE, &high) == 0
                  ? 0 : 1);
        }
        int status = -1;
        waitpid(probe, &status, 0);
        raise_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (raise_ok) {
            struct rlimit low = { 300, 300 };
            setrlimit(RLIMIT_NOFILE, &low);
        } else {
            diag("root cannot raise a hard limit here (no CAP_SYS_RESOURCE): lowering only");
        }
    }
    const ts_hook_user *u = have_other ? &other : &me;
    char name[64];
    snprintf(name, sizeof name, "%s/limits", have_other ? user_dir(u) : ".");
    ts_hook_rlimit lim[] = { { RLIMIT_NOFILE, 123, 456 }, { RLIMIT_CORE, 0, 0 } };
    ts_hook_req req = { .run = "echo $(ulimit -n) $(ulimit -Hn) $(ulimit -c) $(ulimit -Hc)",
                        .user = u, .grace_ms = 200, .rlimits = lim, .n_rlimits = 2 };
    run_req(name, req, &r);
    setrlimit(RLIMIT_NOFILE, &old);
    if (valgrind)   /* it keeps the hard limit of open files to itself */
        skip(1, "the hard limit of open files under valgrind");
    else if (!ok(ts_hook_ok(&r) && contains(log_of(name), "123 456 0 0\n"),
            "the hook has the requested limits: nofile 123/456%s, core 0/0",
            raise_ok ? " (above the caller's 300: set as root)" : ""))
        diag("%s; log: %s", r.error, log_of(name));

    ts_hook_rlimit bad[] = { { RLIMIT_CORE, 0, 0 }, { RLIMIT_NOFILE, 500, 400 } };
    req.rlimits = bad;
    run_req(name, req, &r);
    ok(!r.started && contains(r.error, "RLIMIT_NOFILE"),
       "a limit that cannot be set: not started, the error names it (%s)", r.error);
    ts_hook_rlimit unknown[] = { { 999, 1, 1 } };
    req.rlimits = unknown;
    req.n_rlimits = 1;
    run_req(name, req, &r);
    ok(!r.started && contains(r.error, "limit 999"), "an unknown resource: refused (%s)", r.error);
}

/* The log: never a FIFO, directory or symlink; private; only in the user's
 * own directory, reached through no directory others may write. */
static void test_log_safety(void)
{
    ts_hook_result r;
    char p[PATH_MAX], q[PATH_MAX];
    struct stat st;

    path_in(p, sizeof p, "fifo.log");
    mkfifo(p, 0666);
    ts_hook_req req = { .run = "echo never", .log_path = p, .timeout_s = 120, .grace_ms = 200 };
    long t0 = now_ms();
    run_req("fifo", req, &r);
    long took = now_ms() - t0;
    ok(!r.started && contains(r.error, "fifo.log is not a regular file"),
       "a FIFO as the log: refused (%s)", r.error);
    ok(took < 30000, "at once, without blocking on the FIFO until the 120 s timeout (%ld ms)", took);

    path_in(p, sizeof p, "dirlog.log");
    mkdir(p, 0700);
    req.log_path = p;
    run_req("dirlog", req, &r);
    ok(!r.started && contains(r.error, "dirlog.log is not a regular file"),
       "a directory as the log: refused (%s)", r.error);

    path_in(p, sizeof p, "link.log");
    path_in(q, sizeof q, "link-target");
    if (symlink(q, p) < 0)
        diag("symlink: %s", strerror(errno));
    req.log_path = p;
    run_req("link", req, &r);
    ok(!r.started && contains(r.error, "link.log is not a regular file")
       && access(q, F_OK) < 0, "a symlink as the log: refused, its target not created (%s)",
       r.error);

    /* New directories 0700, the log 0600, the hook's umask 077. */
    path_in(p, sizeof p, "private/logs/p.log");
    req = (ts_hook_req){ .run = "umask", .log_path = p, .grace_ms = 200 };
    run_req("private", req, &r);
    ok(ts_hook_ok(&r) && contains(slurp(p), "0077"), "the hook runs with umask 077");
    unsigned mode = stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
    ok(mode == 0600, "the log is created 0600 (%o)", mode);
    path_in(q, sizeof q, "private/logs");
    mode = stat(q, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
    ok(mode == 0700, "the directories it creates are 0700 (%o)", mode);

    /* A directory on the way that anyone may write: refused. */
    path_in(q, sizeof q, "open");
    mkdir(q, 0777);
    chmod(q, 0777);
    path_in(p, sizeof p, "open/sub/x.log");
    req.log_path = p;
    run_req("open", req, &r);
    path_in(q, sizeof q, "open/sub");
    ok(!r.started && contains(r.error, "open is writable by others") && access(q, F_OK) < 0,
       "a world-writable directory on the way: refused, nothing created (%s)", r.error);
    path_in(q, sizeof q, "sticky");
    mkdir(q, 0777);
    chmod(q, 01777);
    path_in(p, sizeof p, "sticky/mine/x.log");
    req.log_path = p;
    run_req("sticky", req, &r);
    ok(ts_hook_ok(&r), "a sticky one (like /tmp) is fine%s%s", r.error[0] ? ": " : "", r.error);

    if (!have_other) {
        skip(3, "another user's directory needs root");
    } else {
        /* The user may write there (group), but it is someone else's. */
        ts_hook_user *u = &other;
        uid_t owner = u->uid == 65534 ? 65533 : 65534;
        path_in(q, sizeof q, "foreign");
        mkdir(q, 0770);
        if (chown(q, owner, u->gid) < 0 || chmod(q, 0770) < 0)
            diag("foreign: %s", strerror(errno));
        path_in(p, sizeof p, "foreign/x.log");
        req = (ts_hook_req){ .run = "echo secret-token", .log_path = p, .user = u,
                             .grace_ms = 200 };
        run_req("foreign", req, &r);
        ok(!r.started && contains(r.error, "foreign of the log is not owned by"),
           "a log directory owned by another user is refused (%s)", r.error);
        ok(access(p, F_OK) < 0, "nothing was written into it");

        /* In the user's own directory, a log that is not the user's. */
        snprintf(p, sizeof p, "%s/%s/theirs.log", dir, user_dir(u));
        int fd = open(p, O_WRONLY | O_CREAT, 0666);
        if (fd >= 0) {
            fchmod(fd, 0666);
            close(fd);
        }
        req.log_path = p;
        run_req("theirs", req, &r);
        ok(!r.started && contains(r.error, "theirs.log is not owned by")
           && !contains(slurp(p), "secret-token"),
           "a log file owned by someone else is refused (%s)", r.error);
    }
}

/* The child stuck while it sets up (a log on a dead file server: only
 * SIGKILL ends it) is stopped at the deadline, and at once on cancel. */
static void test_stuck_setup(void)
{
#ifndef TS_FAULT_INJECTION
    skip(4, "needs --enable-fault-injection");
#else
    ts_hook_result r;
    char p[PATH_MAX];
    path_in(p, sizeof p, "stuck.fifo");
    mkfifo(p, 0666);
    setenv("TASKSUITE_FAULT", "hook-child-stuck", 1);
    ts_hook_req req = { .run = "echo never", .log_path = p, .timeout_s = 120, .grace_ms = 300,
                        .cancel = &cancel_flag };
    long t0 = now_ms();
    cancel_in(300);
    run_req("stuck", req, &r);
    long took = now_ms() - t0;
    cancel_off();
    ok(r.cancelled, "stuck in setup, cancelled: stopped (signal %d)", r.signal);
    ok(took < 30000, "promptly: cancel plus the grace period, not the 120 s timeout (%ld ms)", took);

    req.timeout_s = 1;
    req.cancel = NULL;
    t0 = now_ms();
    run_req("stuck", req, &r);
    took = now_ms() - t0;
    ok(r.timed_out && r.signal == SIGKILL, "stuck in setup: stopped at the timeout, with SIGKILL");
    ok(took >= 1000 && took < 60000, "after the timeout plus the grace period (%ld ms)", took);
    unsetenv("TASKSUITE_FAULT");
#endif
}

#ifdef TS_FAULT_INJECTION
/* Looks for the hook's child stopped just before exec (a child or
 * grandchild of test), writes what it holds to out, and lets it go on. */
static void inspect_stopped(pid_t test, const char *secret, const char *out)
{
    struct rlimit nofile;   /* valgrind's own descriptors are above it */
    getrlimit(RLIMIT_NOFILE, &nofile);
    char path[PATH_MAX], buf[1024], fds[512] = "";
    int holds_secret = 0;
    long uid = -1, fd_owner = -1;
    pid_t found = 0;
    for (int i = 0; i < 500 && !found; i++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && !found && (e = readdir(d))) {
            long pid = strtol(e->d_name, NULL, 10);
            if (pid <= 0)
                continue;
            snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            FILE *f = fopen(path, "r");
            char state = 0;
            long ppid = 0, gppid = 0;
            if (f && fgets(buf, sizeof buf, f) && strrchr(buf, ')'))
                sscanf(strrchr(buf, ')') + 1, " %c %ld", &state, &ppid);
            if (f)
                fclose(f);
            if (state != 'T' || ppid <= 0)
                continue;
            if (ppid == test) {
                found = (pid_t)pid;
                break;
            }
            snprintf(path, sizeof path, "/proc/%ld/stat", ppid);
            f = fopen(path, "r");
            char st2;
            if (f && fgets(buf, sizeof buf, f) && strrchr(buf, ')'))
                sscanf(strrchr(buf, ')') + 1, " %c %ld", &st2, &gppid);
            if (f)
                fclose(f);
            if (gppid == test)
                found = (pid_t)pid;
        }
        if (d)
            closedir(d);
        if (!found)
            usleep(20000);
    }
    if (found) {
        snprintf(path, sizeof path, "/proc/%ld/fd", (long)found);
        struct stat st;
        if (stat(path, &st) == 0)
            fd_owner = (long)st.st_uid;
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.' || strtoul(e->d_name, NULL, 10) >= nofile.rlim_cur)
                continue;
            char link[PATH_MAX + 300], target[PATH_MAX] = "";
            snprintf(link, sizeof link, "%s/%s", path, e->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            if (strcmp(target, secret) == 0)
                holds_secret = 1;
            size_t l = strlen(fds);
            snprintf(fds + l, sizeof fds - l, "%s%s", l ? " " : "", e->d_name);
        }
        if (d)
            closedir(d);
        snprintf(path, sizeof path, "/proc/%ld/status", (long)found);
        FILE *f = fopen(path, "r");
        while (f && fgets(buf, sizeof buf, f))
            if (strncmp(buf, "Uid:", 4) == 0)
                uid = strtol(buf + 4, NULL, 10);
        if (f)
            fclose(f);
        kill(found, SIGCONT);
    }
    FILE *o = fopen(out, "w");
    if (o) {
        fprintf(o, "found=%d\nfds=%s\nsecret=%d\nuid=%ld\nfd_owner=%ld\n", found > 0, fds,
                holds_secret, uid, fd_owner);
        fclose(o);
    }
}

#endif

/* Root's descriptors are closed before the child becomes the user, not
 * only at exec: a test point stops the child just before exec and another
 * process looks at what it holds. */
static void test_fd_window(void)
{
#ifndef TS_FAULT_INJECTION
    skip(4, "needs --enable-fault-injection");
#else
    ts_hook_result r;
    char secret[PATH_MAX], out[PATH_MAX], name[64];
    path_in(secret, sizeof secret, "secret");
    path_in(out, sizeof out, "inspect.out");
    int fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);   /* no O_CLOEXEC */
    int high = fd >= 0 ? dup2(fd, 100) : -1;                     /* nor here */
    const ts_hook_user *u = have_other ? &other : &me;
    snprintf(name, sizeof name, "%s/window", have_other ? user_dir(u) : ".");

    pid_t test = getpid();
    pid_t inspector = fork();
    if (inspector == 0) {
        inspect_stopped(test, secret, out);
        _exit(0);
    }
    setenv("TASKSUITE_FAULT", "hook-child-stop", 1);
    ts_hook_req req = { .run = "true", .user = u, .grace_ms = 200 };
    run_req(name, req, &r);
    unsetenv("TASKSUITE_FAULT");
    waitpid(inspector, NULL, 0);
    const char *got = slurp(out);
    ok(contains(got, "found=1\n") && ts_hook_ok(&r),
       "the child was seen stopped just before exec, and then ran");
    if (geteuid() == 0) {
        ok(contains(got, "\nfds=0 1 2 3\n"),
           "it holds stdin, stdout, stderr and its error pipe, nothing else");
        ok(contains(got, "\nsecret=0\n"), "not root's file descriptors (fd %d and %d)", fd, high);
    } else {
        skip(2, "only root may look into a child that is not dumpable");
    }
    if (u->uid != 0) {
        char want[64];
        snprintf(want, sizeof want, "\nuid=%ld\nfd_owner=0\n", (long)u->uid);
        ok(contains(got, want), "already the user, and not dumpable (its /proc is root's)");
    } else {
        skip(1, "dumpable: the hook runs as root");
    }
    if (!contains(got, "\nfds=0 1 2 3\nsecret=0\n") && geteuid() == 0)
        diag("%s", got);
    close(fd);
    close(high);
#endif
}

/* More supplementary groups than the 1024 a fixed buffer held. */
static void test_many_groups(void)
{
    if (!have_other) {
        skip(2, "many groups need root");
        return;
    }
    ts_hook_result r;
    ts_hook_user u = other;
    gid_t groups[1500];
    char name[64];
    for (int i = 0; i < 1500; i++)
        groups[i] = (gid_t)(200000 + i);
    u.groups = groups;
    u.ngroups = 1500;
    snprintf(name, sizeof name, "%s/groups", user_dir(&u));
    ts_hook_req req = { .run = "grep '^Groups:' /proc/self/status | wc -w", .user = &u,
                        .grace_ms = 200 };
    run_req(name, req, &r);
    ok(ts_hook_ok(&r), "a user in 1500 groups: the hook runs%s%s", r.error[0] ? ": " : "",
       r.error);
    is_str(log_of(name), "1501\n", "with all 1500 of them");
}

/* The supervisor joins the cgroups it is given before it forks the hook
 * (here plain files stand for cgroup.procs: what is written, and when). */
static void test_cgroup_join(void)
{
    ts_hook_result r;
    char procs[2][PATH_MAX];
    path_in(procs[0], sizeof procs[0], "cg1.procs");
    path_in(procs[1], sizeof procs[1], "cg2.procs");
    for (int i = 0; i < 2; i++)
        close(open(procs[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ts_hook_req req = { .run = "true", .grace_ms = 200, .cgroup_procs = procs,
                        .n_cgroup_procs = 2 };
    run_req("cgroup", req, &r);
    char both[32];
    snprintf(both, sizeof both, "%s", slurp(procs[0]));
    strncat(both, slurp(procs[1]), sizeof both - strlen(both) - 1);
    ok(ts_hook_ok(&r) && strcmp(both, "00") == 0,
       "the supervisor writes 0 to each cgroup.procs it is given, then runs the hook");
    path_in(procs[1], sizeof procs[1], "no-such-cgroup/cgroup.procs");
    run_req("cgroup", req, &r);
    ok(!r.started && contains(r.error, "no-such-cgroup/cgroup.procs"),
       "one it cannot join: the hook does not run (%s)", r.error);
}


/* The warning spares tasksuite's own commands in the task's group: a
 * process running the spared program lives, the others of the group get
 * the signal, a process of another group is not touched. */
static void start_in_group(pid_t *pid, pid_t pgid, const char *prog)
{
    *pid = fork();
    if (*pid == 0) {
        setpgid(0, pgid);
        if (strcmp(prog, "/usr/bin/tail") == 0)
            execl(prog, prog, "-f", "/dev/null", (char *)NULL);
        else
            execl(prog, prog, "30", (char *)NULL);
        _exit(127);
    }
    setpgid(*pid, pgid ? pgid : *pid);
}

static bool died_of(pid_t pid, int sig)
{
    int st = 0;
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFSIGNALED(st) && WTERMSIG(st) == sig;
        usleep(10000);
    }
    return false;
}

static bool alive(pid_t pid)
{
    return waitpid(pid, NULL, WNOHANG) == 0;
}

static void test_signal_group_sparing(void)
{
    pid_t leader, spared, victim, outsider;
    start_in_group(&leader, 0, "/bin/sleep");
    start_in_group(&spared, leader, "/usr/bin/tail");   /* tail -f /dev/null */
    start_in_group(&victim, leader, "/bin/sleep");
    start_in_group(&outsider, 0, "/bin/sleep");
    usleep(100000);   /* let each exec its program */
    int n = ts_signal_group_sparing(leader, SIGUSR2, "/usr/bin/tail");
    ok(n == 2, "the warning went to the group's 2 other processes (%d)", n);
    ok(died_of(leader, SIGUSR2) && died_of(victim, SIGUSR2), "they died of it");
    ok(alive(outsider), "a process of another group is untouched");
    ok(ts_signal_group_sparing(1, SIGUSR2, "/usr/bin/tail") < 0, "group 1 is refused");
    ok(ts_signal_group_sparing(leader, SIGUSR2, "/nonexistent") < 0,
       "an unknown spared program is an error (the caller signals the group)");
    kill(spared, SIGKILL);
    kill(outsider, SIGKILL);
    waitpid(spared, NULL, 0);
    waitpid(outsider, NULL, 0);
}

int main(void)
{
    /* forked children (and valgrind's exit handlers in them) must not
     * flush a copy of our pending output */
    setvbuf(stdout, NULL, _IOLBF, 0);
    ts_err err = { 0 };
    snprintf(dir, sizeof dir, "/tmp/ts-hook-unit.XXXXXX");
    if (!mkdtemp(dir) || ts_hook_user_lookup(getuid(), getgid(), &me, &err) < 0) {
        printf("Bail out! setup: %s\n", err.msg);
        return 1;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (geteuid() == 0) {
        /* Other users reach their own directories in dir (and run there). */
        struct passwd *pw = getpwnam("tsuser");
        if (!pw)
            pw = getpwnam("nobody");
        have_other = pw && ts_hook_user_lookup(pw->pw_uid, pw->pw_gid, &other, &err) == 0;
        chmod(dir, 0711);
    }

    test_args_verbatim();
    test_run_shell();
    test_env();
    test_cwd_stdin_session();
    test_fds_and_signals();
    test_exit_and_signal();
    test_timeout_group();
    test_setup_errors();
    test_drop_privileges();
    test_not_root_cannot_switch();
    test_escapes();
    test_cancel();
    test_limits();
    test_log_safety();
    test_stuck_setup();
    test_fd_window();
    test_many_groups();
    test_cgroup_join();
    test_signal_group_sparing();

    if (have_other)
        ts_hook_user_free(&other);
    ts_hook_user_free(&me);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
