/* hook.c: run one command as a user under a supervisor that stops and reaps
 * everything the command started. See hook.h for the sequence.
 *
 * Three processes: the caller (ts_hook_run), the supervisor it forks, and
 * the hook's child the supervisor forks. After each fork only system calls
 * are made (no malloc, no stdio but snprintf into stack buffers): the caller
 * may be multi-threaded (slurmstepd). */
#include "config.h"

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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "reaper.h"

extern char **environ;

#define POLL_MS 50              /* longest sleep while waiting for children
                                 * (SIGCHLD usually ends it sooner) */
#define KILL_WAIT_MS 10000      /* after SIGKILL, before giving up on a D-state process */
#define CANCEL_POLL_MS 200      /* how often the caller looks at *cancel */
#define REPORT_MARGIN_MS 5000   /* the caller's own bound, past the supervisor's */
#define REPORT_MAGIC 0x54534b48u
#define ERR_FD 3                /* the child's error pipe, once moved */

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
            ts_errf(err, "cannot list the groups of %s", u->name);
            ts_hook_user_free(u);
            return -1;
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

static void write_all(int fd, const void *buf, size_t n)
{
    const char *s = buf;
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

/* Signal one of our own unreaped children: through its pidfd when there is
 * one, else by pid (safe: an unreaped child's pid cannot be reused). */
static void signal_child(pid_t pid, int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
        return;
    if (pidfd >= 0 && errno == ESRCH)
        return;   /* it has exited */
#else
    (void)pidfd;
#endif
    (void)kill(pid, sig);
}

static const struct {
    int resource;
    const char *name;
} rlimit_names[] = {
    { RLIMIT_CPU, "RLIMIT_CPU" },         { RLIMIT_FSIZE, "RLIMIT_FSIZE" },
    { RLIMIT_DATA, "RLIMIT_DATA" },       { RLIMIT_STACK, "RLIMIT_STACK" },
    { RLIMIT_CORE, "RLIMIT_CORE" },       { RLIMIT_RSS, "RLIMIT_RSS" },
    { RLIMIT_NPROC, "RLIMIT_NPROC" },     { RLIMIT_NOFILE, "RLIMIT_NOFILE" },
    { RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" }, { RLIMIT_AS, "RLIMIT_AS" },
    { RLIMIT_LOCKS, "RLIMIT_LOCKS" },     { RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING" },
    { RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE" }, { RLIMIT_NICE, "RLIMIT_NICE" },
    { RLIMIT_RTPRIO, "RLIMIT_RTPRIO" },   { RLIMIT_RTTIME, "RLIMIT_RTTIME" },
};

const char *ts_hook_rlimit_name(int resource)
{
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
        if (rlimit_names[i].resource == resource)
            return rlimit_names[i].name;
    return NULL;
}

/* ------------------------------------------------------------ the log */

/* An existing directory on the way: not writable by others unless sticky;
 * one just created (or the last) must be the user's. */
static int check_dir(int fd, const char *shown, const ts_hook_user *u, bool mine, char *why,
                     size_t len)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(why, len, "cannot inspect the directory %s: %s", shown, strerror(errno));
        return -1;
    }
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        snprintf(why, len, "the directory %s is writable by others (and not sticky): "
                 "refusing to put the log there", shown);
        return -1;
    }
    if (mine && st.st_uid != u->uid) {
        snprintf(why, len, "the directory %s of the log is not owned by %s", shown, u->name);
        return -1;
    }
    return 0;
}

int ts_hook_open_logdir(const char *path, const ts_hook_user *u, const char **leaf, char *why,
                        size_t len)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (path[0] != '/' || n >= sizeof buf) {
        snprintf(why, len, "the log %.200s is not an absolute path of at most %d bytes", path,
                 PATH_MAX - 1);
        return -1;
    }
    memcpy(buf, path, n + 1);
    char *last = strrchr(buf, '/');
    *leaf = path + (last - buf) + 1;
    if (!**leaf) {
        snprintf(why, len, "the log %s names a directory", path);
        return -1;
    }
    *last = '\0';   /* buf: the directory ("" for "/") */

    int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(why, len, "cannot open /: %s", strerror(errno));
        return -1;
    }
    if (check_dir(dfd, "/", u, false, why, len) < 0)
        goto fail;
    for (char *p = buf + 1; p <= buf + strlen(buf);) {
        char *end = strchr(p, '/');
        if (end)
            *end = '\0';
        if (*p) {
            bool created = false;
            int nfd = openat(dfd, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (nfd < 0 && errno == ENOENT) {
                if (mkdirat(dfd, p, 0700) == 0)
                    created = true;
                else if (errno != EEXIST) {
                    snprintf(why, len, "cannot create the directory %s: %s", buf,
                             strerror(errno));
                    goto fail;
                }
                nfd = openat(dfd, p, O_PATH | O_DIRECTORY | O_CLOEXEC | (created ? O_NOFOLLOW : 0));
            }
            if (nfd < 0) {
                snprintf(why, len, "cannot open the directory %s: %s", buf, strerror(errno));
                goto fail;
            }
            close(dfd);
            dfd = nfd;
            if (check_dir(dfd, buf, u, created, why, len) < 0)
                goto fail;
        }
        if (!end)
            break;
        *end = '/';
        p = end + 1;
    }
    /* The last one: the user's (another user's directory is refused even
     * when the user may write into it). */
    struct stat st;
    if (fstat(dfd, &st) < 0 || st.st_uid != u->uid) {
        snprintf(why, len, "the directory %s of the log is not owned by %s", buf[0] ? buf : "/",
                 u->name);
        goto fail;
    }
    return dfd;
fail:
    close(dfd);
    return -1;
}

/* The log itself, in dfd, as the user: never blocks (a FIFO), a regular file
 * of the user's or nothing. */
static int open_log(int dfd, const char *leaf, const char *path, const ts_hook_user *u,
                    char *why, size_t len)
{
    struct stat st;
    int fd = openat(dfd, leaf,
                    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK,
                    0600);
    if (fd < 0) {
        int e = errno;
        if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
            snprintf(why, len, "the log %s is not a regular file", path);
        else
            snprintf(why, len, "cannot open the log %s: %s", path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "the log %s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_uid != u->uid) {
        snprintf(why, len, "the log %s is not owned by %s", path, u->name);
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        snprintf(why, len, "cannot use the log %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ------------------------------------------------------------ groups */

/* In place, no allocation: the child may not malloc. */
static void sort_gids(gid_t *v, int n)
{
    for (int start = n / 2 - 1, end = n - 1;;) {
        int root;
        if (start >= 0) {
            root = start--;
        } else {
            if (end <= 0)
                return;
            gid_t t = v[0];
            v[0] = v[end];
            v[end] = t;
            root = 0;
            end--;
        }
        for (int child; (child = 2 * root + 1) <= end; root = child) {
            if (child < end && v[child] < v[child + 1])
                child++;
            if (v[root] >= v[child])
                break;
            gid_t t = v[root];
            v[root] = v[child];
            v[child] = t;
        }
    }
}

static int unique_gids(gid_t *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    return k;
}

static bool sorted_has(const gid_t *v, int n, gid_t g)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] == g)
            return true;
        if (v[mid] < g)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* ------------------------------------------------------------ the request */

enum { FAULT_NONE, FAULT_STUCK, FAULT_STOP };

/* What the supervisor and the child use, all prepared before the fork. */
typedef struct run_ctx {
    const ts_hook_req *req;
    gid_t *want;          /* the user's groups, sorted, unique */
    int n_want;
    gid_t *scratch;       /* for getgroups() in the child */
    int n_scratch;
    int64_t start, deadline;
    long grace_ms;
    pid_t caller;
    int fault;
} run_ctx;

typedef struct hook_report {
    unsigned magic;
    ts_hook_result res;
} hook_report;

/* ------------------------------------------------------------ the child */

/* The child only reports through the error pipe (and, once open, the log): a
 * message means it never reached exec. */
typedef struct child_ctx {
    int errfd;
    int log_open;
} child_ctx;

static void child_report(const child_ctx *c, const char *msg) __attribute__((noreturn));
static void child_report(const child_ctx *c, const char *msg)
{
    size_t n = strlen(msg);
    write_all(c->errfd, msg, n);
    if (c->log_open) {
        write_all(STDERR_FILENO, "tasksuite: ", 11);
        write_all(STDERR_FILENO, msg, n);
        write_all(STDERR_FILENO, "\n", 1);
    }
    _exit(TS_HOOK_SETUP_EXIT);
}

static void child_fail(const child_ctx *c, const char *what, const char *arg,
                       int errnum) __attribute__((noreturn));
static void child_fail(const child_ctx *c, const char *what, const char *arg,
                       int errnum)
{
    char msg[TS_HOOK_ERRLEN];
    snprintf(msg, sizeof msg, "%s%s%s%s%s", what, arg ? " " : "", arg ? arg : "",
             errnum ? ": " : "", errnum ? strerror(errnum) : "");
    child_report(c, msg);
}

static void reset_dispositions(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)sigaction(s, &sa, NULL);   /* fails for the RT signals glibc keeps */
}

static void reset_signals(void)
{
    sigset_t none;
    reset_dispositions();
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

typedef struct close_pass {
    int keep, dir, closed;
} close_pass;

static void close_one(const char *name, void *arg)
{
    close_pass *p = arg;
    char *end;
    long fd = strtol(name, &end, 10);
    if (*end || end == name || fd <= p->keep || fd == p->dir)
        return;
    if (close((int)fd) == 0)
        p->closed++;
}

/* Close every descriptor above keep for real (not close-on-exec: the child
 * is the user before it execs). Without close_range(2), the ones
 * /proc/self/fd lists, else every number up to the limit. */
static void close_above(int keep)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
        return;
#endif
    close_pass p = { .keep = keep };
    p.dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p.dir >= 0) {
        int rc = -1;
        do {   /* closing while reading: read the list again until clean */
            p.closed = 0;
            rc = ts_each_dirent(p.dir, close_one, &p);
        } while (rc == 0 && p.closed);
        close(p.dir);
        if (rc == 0)
            return;
    }
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = keep + 1; fd < max; fd++)
        (void)close(fd);
}

static void child_limits(const child_ctx *c, const ts_hook_req *req)
{
    for (size_t i = 0; i < req->n_rlimits; i++) {
        const ts_hook_rlimit *l = &req->rlimits[i];
        struct rlimit rl = { .rlim_cur = l->cur, .rlim_max = l->max };
        if (setrlimit(l->resource, &rl) == 0)
            continue;
        int e = errno;
        char msg[TS_HOOK_ERRLEN], cur[32], max[32];
        const char *name = ts_hook_rlimit_name(l->resource);
        if (l->cur == RLIM_INFINITY)
            snprintf(cur, sizeof cur, "unlimited");
        else
            snprintf(cur, sizeof cur, "%llu", (unsigned long long)l->cur);
        if (l->max == RLIM_INFINITY)
            snprintf(max, sizeof max, "unlimited");
        else
            snprintf(max, sizeof max, "%llu", (unsigned long long)l->max);
        if (name)
            snprintf(msg, sizeof msg, "cannot set the limit %s to %s (hard %s): %s", name, cur,
                     max, strerror(e));
        else
            snprintf(msg, sizeof msg, "cannot set the limit %d to %s (hard %s): %s",
                     l->resource, cur, max, strerror(e));
        child_report(c, msg);
    }
}

/* Drop to the user and prove it: real, effective and saved ids, the group
 * list (any size: the scratch space is the caller's), and that root cannot
 * be regained. */
static void child_become(const child_ctx *c, const run_ctx *x)
{
    const ts_hook_user *u = x->req->user;
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
        int n = getgroups(x->n_scratch, x->scratch);
        if (n < 0)
            child_fail(c, "group list check failed for", u->name, errno);
        sort_gids(x->scratch, n);
        n = unique_gids(x->scratch, n);
        if (n != x->n_want || memcmp(x->scratch, x->want, (size_t)n * sizeof *x->want) != 0)
            child_fail(c, "group list check failed for", u->name, 0);
    }
    if (u->uid != 0) {
        if (setuid(0) == 0 || seteuid(0) == 0)
            child_fail(c, "privileges could still be regained: refusing to run as", u->name, 0);
        if (changed && u->gid != 0 && !sorted_has(x->want, x->n_want, 0)
            && (getegid() == 0 || getgid() == 0))
            child_fail(c, "group 0 still held: refusing to run as", u->name, 0);
    }
}

static void child_main(const run_ctx *x, int errfd) __attribute__((noreturn));
static void child_main(const run_ctx *x, int errfd)
{
    const ts_hook_req *req = x->req;
    pid_t supervisor = getppid();

    /* The error pipe first, at a fixed number above stdio (the caller may
     * run with 0-2 closed): everything else is closed below. */
    if (errfd != ERR_FD) {
        if (dup3(errfd, ERR_FD, O_CLOEXEC) < 0)
            _exit(TS_HOOK_SETUP_EXIT);
        close(errfd);
    }
    child_ctx c = { .errfd = ERR_FD, .log_open = 0 };

    if (setsid() < 0)
        child_fail(&c, "cannot start a new session", NULL, errno);
    reset_signals();
    if (geteuid() == 0)
        child_reset_oom();
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0)
        child_fail(&c, "cannot open", "/dev/null", errno);
    if (null != STDIN_FILENO)
        close(null);
    close_above(ERR_FD);

    child_limits(&c, req);
    child_become(&c, x);
    /* The credentials changed: the parent-death signal is set now. */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != supervisor)
        _exit(TS_HOOK_SETUP_EXIT);
    umask(077);

#ifdef TS_FAULT_INJECTION
    if (x->fault == FAULT_STUCK) {   /* like an open() on a dead file server */
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (;;)
            pause();
    }
#endif

    /* From here on everything is done as the user. */
    char why[TS_HOOK_ERRLEN];
    const char *leaf;
    int dfd = ts_hook_open_logdir(req->log_path, req->user, &leaf, why, sizeof why);
    if (dfd < 0)
        child_report(&c, why);
    int log = open_log(dfd, leaf, req->log_path, req->user, why, sizeof why);
    if (log < 0)
        child_report(&c, why);
    close(dfd);
    if (dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
        child_fail(&c, "cannot redirect output to", req->log_path, errno);
    if (log > STDERR_FILENO)
        close(log);
    c.log_open = 1;
    if (req->log_header)
        write_all(STDOUT_FILENO, req->log_header, strlen(req->log_header));

    if (chdir(req->cwd) < 0)
        child_fail(&c, "cannot change to directory", req->cwd, errno);

#ifdef TS_FAULT_INJECTION
    if (x->fault == FAULT_STOP)   /* a test looks at us just before exec */
        raise(SIGSTOP);
#endif
    environ = (char **)req->envp;
    if (req->argv) {
        execvp(req->argv[0], req->argv);
        child_fail(&c, "cannot execute", req->argv[0], errno);
    }
    char *sh[] = { "/bin/sh", "-c", (char *)req->run, NULL };
    execve(sh[0], sh, req->envp);
    child_fail(&c, "cannot execute", "/bin/sh", errno);
}

/* ------------------------------------------------------------ the supervisor */

static volatile sig_atomic_t sup_stop;

static void sup_on_stop(int sig)
{
    (void)sig;
    sup_stop = 1;
}

static void sup_on_child(int sig)
{
    (void)sig;   /* only ends ppoll() */
}

/* Signals: the defaults, then TERM/INT/HUP mean "stop the hook" and CHLD
 * wakes us; all of them are blocked except inside ppoll(). */
static void sup_signals(void)
{
    struct sigaction sa;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);   /* no default action meanwhile */
    reset_dispositions();
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = sup_on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = sup_on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, NULL);
    sigprocmask(SIG_SETMASK, &block, NULL);
}

/* Wait for fds or a signal, at most ms. */
static int sup_poll(struct pollfd *p, int n, int64_t ms)
{
    sigset_t none;
    sigemptyset(&none);
    if (ms < 0)
        ms = 0;
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    return ppoll(p, (nfds_t)n, &ts, &none);
}

/* Has the leader exited? It stays unreaped (a zombie), so that its pid, the
 * id of its process group, cannot be reused while we still signal the group. */
static bool leader_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Reap the children that have exited, but not the leader (see above): the
 * hook may run long and leave many short-lived orphans to us. */
static void reap_others(pid_t leader)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0
            || si.si_pid == leader)
            return;
        (void)waitpid(si.si_pid, NULL, WNOHANG);
    }
}

/* The hook's leader (unreaped, so the group's id is still its) and its
 * group: TERM+CONT, or KILL. */
static void signal_leader_group(pid_t pid, int pidfd, bool exited, int sig)
{
    (void)kill(-pid, sig);
    if (!exited)
        signal_child(pid, pidfd, sig);   /* in case it has not called setsid() yet */
    if (sig == SIGTERM) {
        (void)kill(-pid, SIGCONT);
        if (!exited)
            signal_child(pid, pidfd, SIGCONT);
    }
}

/* SIGTERM to the group and to each of our children (those that come to us
 * meanwhile too), until the leader has exited and no other child is alive,
 * at most ms. */
static void stop_gently(pid_t pid, int pidfd, bool *exited, int64_t ms)
{
    pid_t termed[TS_REAPER_MAX_TERMED];
    int n_termed = 0;
    int64_t end = now_ms() + ms;
    signal_leader_group(pid, pidfd, *exited, SIGTERM);
    for (;;) {
        if (!*exited)
            *exited = leader_exited(pid);
        int live = ts_reaper_sweep(pid, SIGTERM, termed, &n_termed);
        if (*exited && live == 0)
            return;
        int64_t left = end - now_ms();
        if (left <= 0)
            return;
        sup_poll(NULL, 0, left < POLL_MS ? left : POLL_MS);
    }
}

/* SIGKILL to the group (once, while the leader holds its id) and to every
 * child of ours until there is none: orphans come to us, so nothing the hook
 * started is missed. Reaps the leader (*status, -1 if someone else did).
 * Returns the number of processes still there after ms (uninterruptible
 * sleep), -1 if the leader itself could not be reaped. */
static int stop_all(pid_t pid, int pidfd, bool *exited, int *status, int64_t ms)
{
    bool reaped = false;
    int live = 0;
    int64_t end = now_ms() + ms;
    signal_leader_group(pid, pidfd, *exited || leader_exited(pid), SIGKILL);
    for (;;) {
        if (!*exited)
            *exited = leader_exited(pid);
        live = ts_reaper_sweep(pid, SIGKILL, NULL, NULL);
        if (*exited && !reaped) {
            pid_t r;
            while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
                ;
            reaped = true;
            if (r != pid)
                *status = -1;
        }
        if (reaped) {
            siginfo_t si;
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            memset(&si, 0, sizeof si);
            if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
                return 0;   /* no child at all: nothing the hook started is left */
        }
        if (now_ms() >= end)
            return reaped ? (live > 0 ? live : 0) : -1;
        sup_poll(NULL, 0, POLL_MS);
    }
}

/* Read what the child wrote before exec (non-blocking): true at EOF. */
static bool read_errpipe(int fd, char *buf, size_t len, size_t *n)
{
    for (;;) {
        char tmp[256];
        ssize_t got = read(fd, tmp, sizeof tmp);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno != EAGAIN;
        if (got == 0)
            return true;
        size_t k = (size_t)got < len - 1 - *n ? (size_t)got : len - 1 - *n;
        memcpy(buf + *n, tmp, k);
        *n += k;
        buf[*n] = '\0';
    }
}

static void supervise(const run_ctx *x, int repfd) __attribute__((noreturn));
static void supervise(const run_ctx *x, int repfd)
{
    hook_report rep;
    ts_hook_result *res = &rep.res;
    size_t elen = 0;
    memset(&rep, 0, sizeof rep);
    rep.magic = REPORT_MAGIC;
    res->exit_code = -1;
    res->timeout_s = x->req->timeout_s;

    sup_stop = 0;
    sup_signals();
    (void)setpgid(0, 0);   /* the caller's group signals are the caller's to relay */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    (void)prctl(PR_SET_NAME, "tasksuite-hook", 0, 0, 0);
    if (getppid() != x->caller || (x->req->cancel && *x->req->cancel))
        sup_stop = 1;

    if (repfd != ERR_FD) {   /* nothing else of the caller's stays open */
        if (dup3(repfd, ERR_FD, O_CLOEXEC) < 0)
            _exit(1);
        close(repfd);
        repfd = ERR_FD;
    }
    close_above(ERR_FD);

    int efd[2];
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
        snprintf(res->error, sizeof res->error,
                 "cannot become the subreaper of the hook: %s", strerror(errno));
        goto report;
    }
    for (size_t i = 0; i < x->req->n_cgroup_procs; i++) {
        const char *procs = x->req->cgroup_procs[i];
        int fd = open(procs, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) {
            snprintf(res->error, sizeof res->error, "cannot move the hook into the cgroup of %s: %s",
                     procs, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto report;
        }
        close(fd);
    }
    if (pipe2(efd, O_CLOEXEC) < 0) {
        snprintf(res->error, sizeof res->error, "hook: pipe: %s", strerror(errno));
        goto report;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(res->error, sizeof res->error, "hook: fork: %s", strerror(errno));
        close(efd[0]);
        close(efd[1]);
        goto report;
    }
    if (pid == 0) {
        close(repfd);
        close(efd[0]);
        child_main(x, efd[1]);
    }
    close(efd[1]);
    (void)fcntl(efd[0], F_SETFL, O_NONBLOCK);
    int pidfd = pidfd_for(pid);

    /* The hook runs: until it has exited and its setup pipe is closed, its
     * timeout, or a stop. */
    bool setup_done = false, exited = false;
    for (;;) {
        if (!exited)
            exited = leader_exited(pid);
        if (setup_done && exited)
            break;
        if (sup_stop) {
            res->cancelled = true;
            break;
        }
        int64_t left = x->deadline - now_ms();
        if (left <= 0) {
            res->timed_out = true;
            break;
        }
        struct pollfd p[2];
        int n = 0;
        if (!setup_done)
            p[n++] = (struct pollfd){ .fd = efd[0], .events = POLLIN };
        if (!exited && pidfd >= 0)
            p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        if (pidfd < 0 && left > POLL_MS)
            left = POLL_MS;
        sup_poll(p, n, left);
        if (!setup_done)
            setup_done = read_errpipe(efd[0], res->error, sizeof res->error, &elen);
        reap_others(pid);
    }

    /* Stop it at its timeout or when told; stop what it left behind. */
    if (res->timed_out || res->cancelled) {
        stop_gently(pid, pidfd, &exited, x->grace_ms);
    } else if (ts_reaper_sweep(pid, 0, NULL, NULL) != 0) {
        res->leftovers = true;
        stop_gently(pid, pidfd, &exited, x->grace_ms);
    }
    int status = 0;
    int stuck = stop_all(pid, pidfd, &exited, &status, KILL_WAIT_MS);
    if (pidfd >= 0)
        close(pidfd);
    if (!setup_done)
        (void)read_errpipe(efd[0], res->error, sizeof res->error, &elen);
    close(efd[0]);
    res->stuck = stuck > 0 ? stuck : 0;

    res->started = !res->error[0];
    if (stuck < 0)
        snprintf(res->error, sizeof res->error,
                 "process %ld did not exit after SIGKILL", (long)pid);
    else if (status == -1)
        snprintf(res->error, sizeof res->error,
                 "process %ld was reaped by someone else: its status is unknown", (long)pid);
    if ((res->timed_out || res->cancelled) && !res->error[0])
        res->started = true;   /* still in setup at the timeout counts as run */
    if (stuck >= 0 && status != -1) {
        if (WIFEXITED(status))
            res->exit_code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            res->signal = WTERMSIG(status);
    }
report:
    write_all(repfd, &rep, sizeof rep);
    _exit(0);
}

/* ------------------------------------------------------------ the caller */

/* The user's groups, sorted and unique, and room for getgroups(). */
static int prepare(run_ctx *x, const ts_hook_req *req, ts_err *err)
{
    const ts_hook_user *u = req->user;
    int n = u->ngroups > 0 ? u->ngroups : 0;
    memset(x, 0, sizeof *x);
    x->req = req;
    x->want = malloc(((size_t)n + 1) * sizeof *x->want);
    x->n_scratch = n + 1;   /* one more: a longer list than expected shows */
    x->scratch = malloc((size_t)x->n_scratch * sizeof *x->scratch);
    if (!x->want || !x->scratch) {
        free(x->want);
        free(x->scratch);
        x->want = NULL;
        x->scratch = NULL;
        return ts_errf(err, "hook: out of memory");
    }
    if (n)
        memcpy(x->want, u->groups, (size_t)n * sizeof *x->want);
    sort_gids(x->want, n);
    x->n_want = unique_gids(x->want, n);
    x->grace_ms = req->grace_ms >= 0 ? req->grace_ms : TS_HOOK_DEFAULT_GRACE_MS;
    x->caller = getpid();
#ifdef TS_FAULT_INJECTION
    const char *f = getenv("TASKSUITE_FAULT");
    if (f && strcmp(f, "hook-child-stuck") == 0)
        x->fault = FAULT_STUCK;
    else if (f && strcmp(f, "hook-child-stop") == 0)
        x->fault = FAULT_STOP;
#endif
    return 0;
}

int ts_hook_run(const ts_hook_req *req, ts_hook_result *res, ts_err *err)
{
    int pfd[2];
    run_ctx x;
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->timeout_s = req->timeout_s;

    if ((!req->argv || !req->argv[0]) == !req->run)
        return ts_errf(err, "hook: exactly one of argv and run is needed");
    if (!req->envp || !req->cwd || !req->log_path || req->log_path[0] != '/'
        || !req->user || req->timeout_s <= 0 || (req->n_rlimits && !req->rlimits)
        || (req->n_cgroup_procs && !req->cgroup_procs)
        || req->user->ngroups < 0 || (req->user->ngroups && !req->user->groups))
        return ts_errf(err, "hook: incomplete request");
    if (prepare(&x, req, err) < 0)
        return -1;
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        int e = errno;
        free(x.want);
        free(x.scratch);
        return ts_errf(err, "hook: pipe: %s", strerror(e));
    }

    x.start = now_ms();
    x.deadline = x.start + (int64_t)req->timeout_s * 1000;
    pid_t sup = fork();
    if (sup == 0) {
        close(pfd[0]);
        supervise(&x, pfd[1]);
        _exit(127);   /* not reached: for the analyzer */
    }
    int fork_errno = errno;
    close(pfd[1]);
    free(x.want);
    free(x.scratch);
    if (sup < 0) {
        close(pfd[0]);
        return ts_errf(err, "hook: fork: %s", strerror(fork_errno));
    }
    int supfd = pidfd_for(sup);

    /* The outcome comes in one write; *cancel is relayed as SIGTERM. */
    hook_report rep;
    size_t got = 0;
    bool relayed = false, killed = false;
    int64_t hard = x.deadline + x.grace_ms + KILL_WAIT_MS + REPORT_MARGIN_MS;
    while (got < sizeof rep) {
        if (req->cancel && *req->cancel && !relayed) {
            signal_child(sup, supfd, SIGTERM);
            relayed = true;
        }
        int64_t left = hard - now_ms();
        if (left <= 0) {
            signal_child(sup, supfd, SIGKILL);
            killed = true;
            break;
        }
        if (req->cancel && !relayed && left > CANCEL_POLL_MS)
            left = CANCEL_POLL_MS;   /* a signal may land just before poll() */
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        if (poll(&p, 1, left > 60000 ? 60000 : (int)left) <= 0)
            continue;   /* EINTR: look at *cancel; the loop is bounded by hard */
        ssize_t n = read(pfd[0], (char *)&rep + got, sizeof rep - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(pfd[0]);

    int status = 0;
    pid_t r;
    while ((r = waitpid(sup, &status, 0)) < 0 && errno == EINTR)
        ;
    if (supfd >= 0)
        close(supfd);

    if (got == sizeof rep && rep.magic == REPORT_MAGIC) {
        *res = rep.res;
        res->error[sizeof res->error - 1] = '\0';
    } else {
        char how[64] = "";
        if (r == sup && WIFSIGNALED(status))
            snprintf(how, sizeof how, ": killed by signal %d", WTERMSIG(status));
        else if (r == sup && WIFEXITED(status))
            snprintf(how, sizeof how, ": exit status %d", WEXITSTATUS(status));
        snprintf(res->error, sizeof res->error,
                 "the hook's supervisor (process %ld) %s%s", (long)sup,
                 killed ? "did not report in time and was killed" : "ended without a report",
                 how);
        res->started = false;
        res->cancelled = relayed;
    }
    res->timeout_s = req->timeout_s;
    res->elapsed_ms = (long)(now_ms() - x.start);
    return 0;
}

bool ts_hook_ok(const ts_hook_result *r)
{
    return r->started && !r->timed_out && !r->cancelled && !r->error[0] && r->signal == 0
           && r->exit_code == 0;
}

void ts_hook_describe(const ts_hook_result *r, char *buf, size_t len)
{
    int n;
    if (r->timed_out)
        n = snprintf(buf, len, "timed out after %lds (stopped with its whole process group)",
                     r->timeout_s);
    else if (r->cancelled)
        n = snprintf(buf, len, "stopped before it finished (the allocation ended)");
    else if (!r->started || r->error[0])
        n = snprintf(buf, len, "could not start: %s", r->error);
    else if (r->signal)
        n = snprintf(buf, len, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
    else
        n = snprintf(buf, len, "exit status %d", r->exit_code);
    if (r->stuck > 0 && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n,
                 "; %d of its processes did not exit after SIGKILL (uninterruptible sleep)",
                 r->stuck);
}
