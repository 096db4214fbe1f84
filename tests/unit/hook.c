/* hook: one command as a user, own process group, clean environment, log,
 * timeout that stops the whole group. Runs as whoever runs the tests (the
 * target user is the current one); the privilege-drop cases run only as root. */
#include "config.h"

#include <grp.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "tap.h"

static char dir[256];
static ts_hook_user me;

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

/* Run `run` (sh text) or argv with a small environment; log in dir/NAME.log. */
static int run_hook(const char *name, const char *run, char *const *argv,
                    char *const *envp, long timeout_s, long grace_ms,
                    const ts_hook_user *u, ts_hook_result *res)
{
    char log[PATH_MAX];
    static char *default_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
                                   "TASK_SUITE_HOOK=env_preparation", "GREETING=hello world",
                                   NULL };
    ts_err err = { 0 };
    path_in(log, sizeof log, name);
    strncat(log, ".log", sizeof log - strlen(log) - 1);
    ts_hook_req req = { .argv = argv, .run = run, .envp = envp ? envp : default_env,
                        .cwd = dir, .log_path = log, .log_header = "header line\n",
                        .user = u ? u : &me, .timeout_s = timeout_s,
                        .grace_ms = grace_ms };
    int rc = ts_hook_run(&req, res, &err);
    if (rc < 0)
        diag("ts_hook_run: %s", err.msg);
    return rc;
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

    run_hook("fds", "ls /proc/$$/fd | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign)' /proc/$$/status",
             NULL, NULL, 5, 200, NULL, &r);
    const char *log = log_of("fds");
    ok(contains(log, "\n0 1 2 \n"), "only stdin, stdout and stderr are open in the hook");
    /* valgrind hands its own signal mask to exec'd programs */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        ok(1, "# SKIP signal mask under valgrind");
    else
        ok(contains(log, "SigBlk:\t0000000000000000"), "no signal is blocked in the hook");
    /* glibc keeps 32 and 33 to itself (sigaction refuses them): the
     * standard signals are what matters. */
    const char *sigign = strstr(log, "SigIgn:\t");
    unsigned long long ignored = sigign ? strtoull(sigign + 8, NULL, 16) : ~0ULL;
    ok((ignored & 0x7fffffffULL) == 0, "no standard signal is ignored in the hook (SigIgn %llx)",
       ignored);
    if (!contains(log, "\n0 1 2 \n") || (ignored & 0x7fffffffULL))
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
    ok(took >= 1000 && took < 3000, "after about the timeout (%ld ms)", took);
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
    ok(took >= 1700 && took < 4000, "after the timeout plus the grace period (%ld ms)", took);
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
    if (geteuid() != 0) {
        for (int i = 0; i < 7; i++)
            ok(1, "# SKIP privilege drop needs root");
        return;
    }
    const char *name = getpwnam("tsuser") ? "tsuser" : "nobody";
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        for (int i = 0; i < 7; i++)
            ok(1, "# SKIP no tsuser or nobody");
        return;
    }
    ts_hook_user u;
    ts_err err = { 0 };
    ts_hook_result r;
    char want[256], log[PATH_MAX];
    ok(ts_hook_user_lookup(pw->pw_uid, pw->pw_gid, &u, &err) == 0, "look up %s", name);
    chmod(dir, 0777);   /* the user creates its log here */

    FILE *f = fopen("/proc/self/oom_score_adj", "r+");
    int old_adj = 0;
    if (f && fscanf(f, "%d", &old_adj) == 1) {
        rewind(f);
        fprintf(f, "-500\n");
        fflush(f);
    }
    run_hook("asuser",
             "id -u; id -g; id -G | tr ' ' '\\n' | sort -n | tr '\\n' ' '; echo; "
             "cat /proc/self/oom_score_adj; grep -E '^(Uid|Gid)' /proc/$$/status | tr -s '\\t' ' '",
             NULL, NULL, 10, 200, &u, &r);
    if (f) {
        rewind(f);
        fprintf(f, "%d\n", old_adj);
        fclose(f);
    }
    const char *out = log_of("asuser");
    snprintf(want, sizeof want, "\n%ld\n%ld\n", (long)u.uid, (long)u.gid);
    ok(ts_hook_ok(&r) && contains(out, want), "runs with the user's uid and gid");
    char groups[256] = "";
    for (int i = 0; i < u.ngroups; i++)   /* getgrouplist order is not sorted */
        for (int j = 0; j < u.ngroups; j++) {
            int smaller = 0;
            for (int k = 0; k < u.ngroups; k++)
                smaller += u.groups[k] < u.groups[j];
            if (smaller == i) {
                size_t l = strlen(groups);
                snprintf(groups + l, sizeof groups - l, "%ld ", (long)u.groups[j]);
            }
        }
    ok(contains(out, groups), "with exactly the user's supplementary groups (%s)", groups);
    snprintf(want, sizeof want, "Uid: %ld %ld %ld %ld", (long)u.uid, (long)u.uid, (long)u.uid,
             (long)u.uid);
    ok(contains(out, want), "real, effective, saved and fs uid are all the user's");
    ok(contains(out, "\n0\nUid"), "oom_score_adj reset to 0 (the caller had -500)");
    struct stat st;
    path_in(log, sizeof log, "asuser.log");
    ok(stat(log, &st) == 0 && st.st_uid == u.uid, "the log was created by the user, not by root");
    if (!ts_hook_ok(&r))
        diag("log: %s", out);

    /* A log in a place the user cannot write: the hook does not run, and
     * root did not create it either. */
    ts_hook_req req = { .run = "echo hi", .envp = (char *[]){ "PATH=/bin", NULL }, .cwd = "/",
                        .log_path = "/root/ts-hook-test-denied/x.log", .user = &u,
                        .timeout_s = 5, .grace_ms = 100 };
    ts_hook_run(&req, &r, &err);
    ok(!r.started && access("/root/ts-hook-test-denied", F_OK) < 0,
       "a log the user may not create: refused, nothing created as root (%s)", r.error);
    ts_hook_user_free(&u);
    chmod(dir, 0700);
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
    ts_hook_user other = me;
    ts_hook_result r;
    other.uid = me.uid + 1;
    run_hook("other", "true", NULL, NULL, 5, 100, &other, &r);
    ok(!r.started, "as non-root, running as another uid is refused (%s)", r.error);
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

    ts_hook_user_free(&me);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
