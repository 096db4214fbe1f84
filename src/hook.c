/* hook.c: run one command as a user, in its own process group, with a
 * timeout that stops the whole group. See hook.h for the sequence. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"

extern char **environ;

#define POLL_MS 20              /* while waiting for a group to go away */
#define KILL_WAIT_MS 10000      /* after SIGKILL, before giving up on a D-state process */
#define CANCEL_POLL_MS 200      /* how often *cancel is looked at */

/* ------------------------------------------------------------ the user */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int ts_hook_user_lookup(uid_t uid, gid_t gid, ts_hook_user *u, ts_err *err)
{
    struct passwd pw, *res = NULL;
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    char *buf = NULL;
    int rc;

    memset(u, 0, sizeof *u);
    if (size < 1024)
        size = 1024;
    for (;;) {
        char *nb = realloc(buf, (size_t)size);
        if (!nb) {
            free(buf);
            return ts_errf(err, "out of memory");
        }
        buf = nb;
        rc = getpwuid_r(uid, &pw, buf, (size_t)size, &res);
        if (rc != ERANGE || size > (1L << 20))
            break;
        size *= 2;
    }
    if (rc != 0 || !res) {
        free(buf);
        return ts_errf(err, "no passwd entry for uid %ld%s%s", (long)uid,
                       rc ? ": " : "", rc ? strerror(rc) : "");
    }
    u->uid = uid;
    u->gid = gid;
    u->name = dup_or_empty(pw.pw_name);
    u->home = dup_or_empty(pw.pw_dir);
    u->shell = dup_or_empty(pw.pw_shell);
    free(buf);
    if (!u->name || !u->home || !u->shell) {
        ts_hook_user_free(u);
        return ts_errf(err, "out of memory");
    }

    int n = 32;
    for (;;) {
        gid_t *g = realloc(u->groups, (size_t)n * sizeof *g);
        if (!g) {
            ts_hook_user_free(u);
            return ts_errf(err, "out of memory");
        }
        u->groups = g;
        int want = n;
        if (getgrouplist(u->name, gid, u->groups, &want) >= 0) {
            u->ngroups = want;
            break;
        }
        if (want <= n || want > 65536) {
            ts_hook_user_free(u);
            return ts_errf(err, "cannot list the groups of %s", pw.pw_name);
        }
        n = want;
    }
    return 0;
}

void ts_hook_user_free(ts_hook_user *u)
{
    free(u->name);
    free(u->home);
    free(u->shell);
    free(u->groups);
    memset(u, 0, sizeof *u);
}

/* ------------------------------------------------------------ helpers */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

int ts_hook_mkdirs_for(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            struct stat st;
            *p = '\0';
            if (mkdir(buf, 0755) < 0 && errno != EEXIST
                && !(stat(buf, &st) == 0 && S_ISDIR(st.st_mode)))
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ the child */

/* The child only reports through this pipe (and, once open, the log): a
 * message means it never reached exec. */
typedef struct child_ctx {
    int errfd;
    int log_open;
} child_ctx;

static void child_fail(const child_ctx *c, const char *what, const char *arg,
                       int errnum) __attribute__((noreturn));
static void child_fail(const child_ctx *c, const char *what, const char *arg,
                       int errnum)
{
    char msg[TS_HOOK_ERRLEN];
    int n = snprintf(msg, sizeof msg, "%s%s%s%s%s", what, arg ? " " : "",
                     arg ? arg : "", errnum ? ": " : "",
                     errnum ? strerror(errnum) : "");
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    write_all(c->errfd, msg, (size_t)n);
    if (c->log_open) {
        write_all(STDERR_FILENO, "tasksuite: ", 11);
        write_all(STDERR_FILENO, msg, (size_t)n);
        write_all(STDERR_FILENO, "\n", 1);
    }
    _exit(TS_HOOK_SETUP_EXIT);
}

static void child_reset_signals(void)
{
    struct sigaction sa;
    sigset_t none;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)sigaction(s, &sa, NULL);   /* fails for the RT signals glibc keeps */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_reset_oom(void)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        write_all(fd, "0", 1);
        close(fd);
    }
}

/* Every descriptor above 2 is closed at exec; the error pipe (already
 * close-on-exec) stays usable until then. Without close_range(2) (old
 * kernels, valgrind), every other descriptor is closed now. */
static void child_close_stray(int keep)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 3; fd < max; fd++)
        if (fd != keep)
            (void)close(fd);
}

static int has_gid(const gid_t *v, int n, gid_t g)
{
    for (int i = 0; i < n; i++)
        if (v[i] == g)
            return 1;
    return 0;
}

/* Drop to the user and prove it: real, effective and saved ids, the group
 * list, and that root cannot be regained. */
static void child_become(const child_ctx *c, const ts_hook_user *u)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    int changed = 0;

    if (geteuid() == 0 && (u->uid != 0 || getuid() != 0)) {
        if (setgroups((size_t)u->ngroups, u->groups) < 0)
            child_fail(c, "cannot set the supplementary groups of", u->name, errno);
        if (setresgid(u->gid, u->gid, u->gid) < 0)
            child_fail(c, "cannot set the group id of", u->name, errno);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
            child_fail(c, "cannot set the user id of", u->name, errno);
        changed = 1;
    } else if (geteuid() == 0) {
        /* root's own job: root's groups, nothing to drop */
        if (setgroups((size_t)u->ngroups, u->groups) < 0
            || setresgid(u->gid, u->gid, u->gid) < 0)
            child_fail(c, "cannot set the groups of", u->name, errno);
        changed = 1;
    } else if (u->uid != geteuid() || u->uid != getuid()) {
        child_fail(c, "cannot run as", u->name, EPERM);
    }

    if (getresuid(&ru, &eu, &su) < 0 || ru != u->uid || eu != u->uid || su != u->uid)
        child_fail(c, "user id check failed for", u->name, 0);
    if (changed) {
        if (getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid || sg != u->gid)
            child_fail(c, "group id check failed for", u->name, 0);
        gid_t now[1024];
        int n = getgroups((int)(sizeof now / sizeof now[0]), now);
        if (n < 0 || n != u->ngroups)
            child_fail(c, "group list check failed for", u->name, 0);
        for (int i = 0; i < n; i++)
            if (!has_gid(u->groups, u->ngroups, now[i]))
                child_fail(c, "group list check failed for", u->name, 0);
    }
    if (u->uid != 0) {
        if (setuid(0) == 0 || seteuid(0) == 0)
            child_fail(c, "privileges could still be regained: refusing to run as", u->name, 0);
        if (changed && u->gid != 0 && !has_gid(u->groups, u->ngroups, 0)
            && (getegid() == 0 || getgid() == 0))
            child_fail(c, "group 0 still held: refusing to run as", u->name, 0);
    }
}

static void child_main(const ts_hook_req *req, int errfd)
{
    /* The caller may run with stdio closed: keep the error pipe clear of
     * 0-2 before they are replaced. */
    if (errfd <= STDERR_FILENO) {
        int moved = fcntl(errfd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (moved >= 0)
            errfd = moved;
    }
    child_ctx c = { .errfd = errfd, .log_open = 0 };

    if (setsid() < 0)
        child_fail(&c, "cannot start a new session", NULL, errno);
    child_reset_signals();
    if (geteuid() == 0)
        child_reset_oom();

    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0)
        child_fail(&c, "cannot open", "/dev/null", errno);
    if (null != STDIN_FILENO)
        close(null);
    child_close_stray(errfd);

    child_become(&c, req->user);
    umask(022);

    /* From here on everything is done as the user. */
    if (ts_hook_mkdirs_for(req->log_path) < 0)
        child_fail(&c, "cannot create the directory of the log", req->log_path, errno);
    int log = open(req->log_path,
                   O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
    if (log < 0)
        child_fail(&c, "cannot open the log", req->log_path, errno);
    if (dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
        child_fail(&c, "cannot redirect output to", req->log_path, errno);
    if (log > STDERR_FILENO)
        close(log);
    c.log_open = 1;
    if (req->log_header)
        write_all(STDOUT_FILENO, req->log_header, strlen(req->log_header));

    if (chdir(req->cwd) < 0)
        child_fail(&c, "cannot change to directory", req->cwd, errno);

    environ = (char **)req->envp;
    if (req->argv) {
        execvp(req->argv[0], req->argv);
        child_fail(&c, "cannot execute", req->argv[0], errno);
    }
    char *sh[] = { "/bin/sh", "-c", (char *)req->run, NULL };
    execve(sh[0], sh, req->envp);
    child_fail(&c, "cannot execute", "/bin/sh", errno);
}

/* ------------------------------------------------------------ the parent */

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

/* A live (not zombie) process in group pgid? Zombies are ignored: they are
 * reaped by whoever inherited them, and cannot be killed anyway. */
static bool group_alive(pid_t pgid)
{
    if (kill(-pgid, 0) < 0 && errno == ESRCH)
        return false;
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        char path[64], buf[512];
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%.20s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        char state;
        int ppid, pgrp;
        if (p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3
            && pgrp == pgid && state != 'Z' && state != 'X')
            found = true;
    }
    closedir(d);
    return found;
}

/* Reap the leader if it has exited: 1 reaped (status set), 0 still there. */
static int try_reap(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        *status = -1;   /* ECHILD: someone else reaped it */
        return 1;
    }
}

/* Wait for the leader until deadline or *cancel: 1 reaped, 0 deadline
 * passed, -1 cancelled. */
static int wait_leader(pid_t pid, int pidfd, int64_t deadline, int *status,
                       volatile sig_atomic_t *cancel)
{
    for (;;) {
        if (try_reap(pid, status))
            return 1;
        if (cancel && *cancel)
            return -1;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        if (cancel && left > CANCEL_POLL_MS)
            left = CANCEL_POLL_MS;   /* a signal may land just before poll() */
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };
            (void)poll(&p, 1, left > 60000 ? 60000 : (int)left);
        } else {
            sleep_ms(left < POLL_MS ? (long)left : POLL_MS);
        }
    }
}

/* Wait until the leader is reaped and no live process is left in its group. */
static bool wait_gone(pid_t pid, bool *reaped, int *status, long ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        if (!*reaped)
            *reaped = try_reap(pid, status);
        if (*reaped && !group_alive(pid))
            return true;
        if (now_ms() >= deadline)
            return false;
        sleep_ms(POLL_MS);
    }
}

static void signal_group(pid_t pid, bool reaped, int sig)
{
    (void)kill(-pid, sig);
    if (!reaped)
        (void)kill(pid, sig);   /* in case it has not called setsid() yet */
    if (sig == SIGTERM) {
        (void)kill(-pid, SIGCONT);
        if (!reaped)
            (void)kill(pid, SIGCONT);
    }
}

/* TERM, grace, KILL: stop everything in the group (and the leader). */
static void stop_group(pid_t pid, bool *reaped, int *status, long grace_ms)
{
    signal_group(pid, *reaped, SIGTERM);
    if (wait_gone(pid, reaped, status, grace_ms))
        return;
    signal_group(pid, *reaped, SIGKILL);
    (void)wait_gone(pid, reaped, status, KILL_WAIT_MS);
}

/* Collect what the child wrote before exec, until EOF or deadline. */
static void read_setup_error(int fd, int64_t deadline, char *buf, size_t len)
{
    size_t n = 0;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t got = read(fd, buf + n, len - 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n >= len - 1)
            break;
    }
    buf[n] = '\0';
}

int ts_hook_run(const ts_hook_req *req, ts_hook_result *res, ts_err *err)
{
    int pfd[2];
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->timeout_s = req->timeout_s;

    if ((!req->argv || !req->argv[0]) == !req->run)
        return ts_errf(err, "hook: exactly one of argv and run is needed");
    if (!req->envp || !req->cwd || !req->log_path || req->log_path[0] != '/'
        || !req->user || req->timeout_s <= 0)
        return ts_errf(err, "hook: incomplete request");
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return ts_errf(err, "hook: pipe: %s", strerror(errno));

    int64_t start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        return ts_errf(err, "hook: fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(pfd[0]);
        child_main(req, pfd[1]);
        _exit(TS_HOOK_SETUP_EXIT);
    }
    close(pfd[1]);

    long grace = req->grace_ms >= 0 ? req->grace_ms : TS_HOOK_DEFAULT_GRACE_MS;
    int64_t deadline = start + (int64_t)req->timeout_s * 1000;
    int pidfd = pidfd_for(pid);
    int status = 0;
    bool reaped = false;

    read_setup_error(pfd[0], deadline, res->error, sizeof res->error);
    close(pfd[0]);
    res->started = res->error[0] == '\0';

    int w = wait_leader(pid, pidfd, deadline, &status, req->cancel);
    reaped = w == 1;
    if (!reaped) {
        res->timed_out = w == 0;
        res->cancelled = w < 0;
        stop_group(pid, &reaped, &status, grace);
    } else if (group_alive(pid)) {
        res->leftovers = true;
        stop_group(pid, &reaped, &status, grace);
    }
    if (pidfd >= 0)
        close(pidfd);
    if (!reaped)
        snprintf(res->error, sizeof res->error,
                 "process %ld did not exit after SIGKILL", (long)pid);
    else if (status == -1)
        snprintf(res->error, sizeof res->error,
                 "process %ld was reaped by someone else: its status is unknown", (long)pid);
    if ((res->timed_out || res->cancelled) && !res->error[0])
        res->started = true;   /* still in setup at the timeout counts as run */
    if (reaped && status != -1) {
        if (WIFEXITED(status)) {
            res->exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            res->signal = WTERMSIG(status);
        }
    }
    res->elapsed_ms = (long)(now_ms() - start);
    return 0;
}

bool ts_hook_ok(const ts_hook_result *r)
{
    return r->started && !r->timed_out && !r->cancelled && !r->error[0] && r->signal == 0
           && r->exit_code == 0;
}

void ts_hook_describe(const ts_hook_result *r, char *buf, size_t len)
{
    if (r->timed_out)
        snprintf(buf, len, "timed out after %lds (stopped with its whole process group)",
                 r->timeout_s);
    else if (r->cancelled)
        snprintf(buf, len, "stopped before it finished (the allocation ended)");
    else if (!r->started || r->error[0])
        snprintf(buf, len, "could not start: %s", r->error);
    else if (r->signal)
        snprintf(buf, len, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
    else
        snprintf(buf, len, "exit status %d", r->exit_code);
}
