/* nodehooks.c: env_preparation / env_cleanup once per node per allocation
 * (nodehooks.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "nodehooks.h"

#define HOOK_PATH "/usr/local/bin:/usr/bin:/bin"
#define LOCK_MARGIN_MS 30000L

/* Messages: cut at the buffer's end, never an error. */
static void say(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ paths */

/* A node name as one path component. */
static void component(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in && *in ? in : "node"; *p && o + 1 < len; p++)
        out[o++] = (*p == '/' || *p == '\n' || (p == in && *p == '.')) ? '_' : *p;
    out[o] = '\0';
}

int ts_node_log_path(const ts_node_ctx *c, const ts_hookspec *spec, const char *hook,
                     const char *home, char *buf, size_t len, ts_err *err)
{
    char node[256];
    int n;
    component(c->node, node, sizeof node);
    const char *base = spec->suite_dir && spec->suite_dir[0] == '/' ? spec->suite_dir
                       : spec->output_dir && spec->output_dir[0] == '/' ? spec->output_dir
                       : NULL;
    if (base)
        n = snprintf(buf, len, "%s/hooks/%lu/%s.%s.log", base, (unsigned long)c->job_id,
                     node, hook);
    else
        n = snprintf(buf, len, "%s/tasksuite-%lu/%s.%s.log",
                     spec->workdir && spec->workdir[0] == '/' ? spec->workdir
                     : c->work_dir && c->work_dir[0] == '/'   ? c->work_dir
                     : home && home[0] == '/'                 ? home
                                                              : "/tmp",
                     (unsigned long)c->job_id, node, hook);
    if (n < 0 || (size_t)n >= len)
        return ts_errf(err, "the log path of %s is too long", hook);
    return 0;
}

int ts_node_hook_cwd(const ts_node_ctx *c, const ts_hookspec *spec, const char *home,
                     char *buf, size_t len, ts_err *err)
{
    int n;
    const char *wd = c->work_dir && c->work_dir[0] == '/' ? c->work_dir : NULL;
    if (spec->workdir && spec->workdir[0] == '/')
        n = snprintf(buf, len, "%s", spec->workdir);
    else if (spec->workdir && spec->workdir[0] && wd)
        n = snprintf(buf, len, "%s/%s", wd, spec->workdir);
    else if (wd)
        n = snprintf(buf, len, "%s", wd);
    else
        n = snprintf(buf, len, "%s", home && home[0] ? home : "/");
    if (n < 0 || (size_t)n >= len)
        return ts_errf(err, "the working directory is too long");
    return 0;
}

long ts_node_timeout(const ts_node_ctx *c, const ts_hook *h)
{
    long t = h->timeout_s > 0 ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S;
    if (c->max_timeout_s > 0 && t > c->max_timeout_s)
        t = c->max_timeout_s;
    return t;
}

/* ------------------------------------------------------------ environment */

static int set_context(const ts_node_ctx *c, const ts_hookspec *spec, const char *hook,
                       const ts_hook_user *u, const char *log, ts_env *e)
{
    int bad = 0;
    bad |= ts_env_set(e, "TASK_SUITE_HOOK", hook);
    bad |= ts_env_set(e, "TASK_SUITE_NAME", spec->suite_name ? spec->suite_name : "");
    if (spec->suite_id)
        bad |= ts_env_set(e, "TASK_SUITE_ID", spec->suite_id);
    if (spec->suite_dir)
        bad |= ts_env_set(e, "TASK_SUITE_DIR", spec->suite_dir);
    bad |= ts_env_setf(e, "TASK_SUITE_WORKER_COUNT", "%d", spec->worker_count);
    bad |= ts_env_set(e, "TASK_SUITE_HOOK_LOG", log);
    bad |= ts_env_set(e, "SLURMD_NODENAME", c->node ? c->node : "");
    bad |= ts_env_setf(e, "SLURM_JOB_ID", "%lu", (unsigned long)c->job_id);
    if (c->nodelist)
        bad |= ts_env_set(e, "SLURM_JOB_NODELIST", c->nodelist);
    if (c->num_nodes)
        bad |= ts_env_set(e, "SLURM_JOB_NUM_NODES", c->num_nodes);
    bad |= ts_env_set(e, "SLURM_JOB_USER", u->name);
    bad |= ts_env_setf(e, "SLURM_JOB_UID", "%ld", (long)u->uid);
    bad |= ts_env_setf(e, "SLURM_JOB_GID", "%ld", (long)u->gid);
    if (c->work_dir)
        bad |= ts_env_set(e, "SLURM_JOB_WORK_DIR", c->work_dir);
    if (c->slurm_conf)
        bad |= ts_env_set(e, "SLURM_CONF", c->slurm_conf);
    return bad ? -1 : 0;
}

int ts_node_hook_env(const ts_node_ctx *c, const ts_hookspec *spec, const ts_hook *h,
                     const char *hook, const ts_hook_user *u, const char *log,
                     ts_env *env, ts_err *err)
{
    int bad = ts_env_init(env, NULL) < 0;
    bad = bad || ts_env_set(env, "PATH", HOOK_PATH) < 0
          || ts_env_set(env, "HOME", u->home) < 0
          || ts_env_set(env, "USER", u->name) < 0
          || ts_env_set(env, "LOGNAME", u->name) < 0
          || ts_env_set(env, "SHELL", u->shell[0] ? u->shell : "/bin/sh") < 0
          || set_context(c, spec, hook, u, log, env) < 0;
    for (size_t i = 0; !bad && i < h->envs.n; i++) {
        char *v = ts_env_expand(env, h->envs.v[i].value);
        bad = !v || ts_env_set(env, h->envs.v[i].key, v) < 0;
        free(v);
    }
    /* The context is not the user's to change (a hook's envs may still set
     * PATH, HOME and anything else). */
    bad = bad || set_context(c, spec, hook, u, log, env) < 0;
    if (bad) {
        ts_env_free(env);
        return ts_errf(err, "out of memory building the environment of %s", hook);
    }
    return 0;
}

/* ------------------------------------------------------------ running */

static void header(char *buf, size_t len, const ts_node_ctx *c, const char *hook,
                   const ts_hook_user *u, long timeout)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "%lld", (long long)now);
    snprintf(buf, len, "tasksuite: %s of job %lu on %s, as %s (uid %ld), at %s, timeout %lds\n",
             hook, (unsigned long)c->job_id, c->node ? c->node : "?", u->name,
             (long)u->uid, when, timeout);
}

/* Run one hook of the suite as the job's user; the outcome (including "could
 * not start" before anything ran) is in rep->res, rep->failed, rep->text. */
static void run_hook(const ts_node_ctx *c, const ts_hookspec *spec, const ts_hook *h,
                     const char *hook, ts_node_report *rep, volatile sig_atomic_t *cancel)
{
    ts_hook_user u;
    ts_env env = { 0 };
    ts_err e = { 0 };
    char cwd[PATH_MAX], head[512], what[768];
    long timeout = ts_node_timeout(c, h);
    const char *node = c->node ? c->node : "?";

    rep->res.timeout_s = timeout;
    rep->res.exit_code = -1;
    if (ts_hook_user_lookup(c->uid, c->gid, &u, &e) < 0) {
        say(rep->res.error, sizeof rep->res.error, "%s", e.msg);
        rep->failed = true;
        ts_hook_describe(&rep->res, what, sizeof what);
        say(rep->text, sizeof rep->text, "%s on %s: failed: %s", hook, node, what);
        return;
    }
    header(head, sizeof head, c, hook, &u, timeout);
    ts_hook_req req = {
        .argv = h->run ? NULL : h->args.v,
        .run = h->run,
        .cwd = cwd,
        .log_path = rep->log,
        .log_header = head,
        .user = &u,
        .timeout_s = timeout,
        .grace_ms = c->grace_ms,
        .cancel = cancel,
    };
    int ready = ts_node_log_path(c, spec, hook, u.home, rep->log, sizeof rep->log, &e) == 0
                && ts_node_hook_cwd(c, spec, u.home, cwd, sizeof cwd, &e) == 0
                && ts_node_hook_env(c, spec, h, hook, &u, rep->log, &env, &e) == 0;
    req.envp = env.v;
    if (!ready || ts_hook_run(&req, &rep->res, &e) < 0) {
        memset(&rep->res, 0, sizeof rep->res);
        rep->res.timeout_s = timeout;
        rep->res.exit_code = -1;
        say(rep->res.error, sizeof rep->res.error, "%s", e.msg);
    }
    rep->ran = rep->res.started;
    rep->failed = !ts_hook_ok(&rep->res);
    ts_hook_describe(&rep->res, what, sizeof what);
    say(rep->text, sizeof rep->text, "%s on %s as %s (%ld.%02lds): %s%s%s (log: %s)",
        hook, node, u.name, rep->res.elapsed_ms / 1000, (rep->res.elapsed_ms % 1000) / 10,
        rep->failed ? "failed: " : "", what,
        rep->res.leftovers ? "; processes it left behind were stopped" : "",
        rep->log[0] ? rep->log : "none");
    ts_env_free(&env);
    ts_hook_user_free(&u);
}

static long lock_wait_ms(const ts_node_ctx *c)
{
    long grace = c->grace_ms >= 0 ? c->grace_ms : TS_HOOK_DEFAULT_GRACE_MS;
    long max = c->max_timeout_s > 0 ? c->max_timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S;
    return max * 1000 + grace + LOCK_MARGIN_MS;
}

/* Run env_preparation and record the outcome (the caller holds fd's lock). */
static int prepare_locked(const ts_node_ctx *c, const ts_hookspec *spec, int fd,
                          ts_prepstamp *st, ts_node_report *rep,
                          volatile sig_atomic_t *cancel, ts_err *err)
{
    run_hook(c, spec, &spec->prep, TS_HOOK_PREP, rep, cancel);
    st->finished = (long)time(NULL);
    st->pid = 0;
    snprintf(st->log, sizeof st->log, "%s", rep->log);
    if (rep->failed) {
        char what[768];
        ts_hook_describe(&rep->res, what, sizeof what);
        st->state = TS_PREP_FAILED;
        if (st->log[0])
            say(st->message, sizeof st->message,
                "tasksuite: %s failed on node %s for job %lu: %s; its output is in %s",
                TS_HOOK_PREP, c->node ? c->node : "?", (unsigned long)c->job_id, what,
                st->log);
        else
            say(st->message, sizeof st->message, "tasksuite: %s failed on node %s for job %lu: %s",
                TS_HOOK_PREP, c->node ? c->node : "?", (unsigned long)c->job_id, what);
    } else {
        st->state = TS_PREP_OK;
    }
    return ts_prepstate_write(fd, st, err);
}

static int keep_above_stdio(int fd)
{
    if (fd < 0 || fd > STDERR_FILENO)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    return moved >= 0 ? moved : fd;
}

static volatile sig_atomic_t keeper_cancel;

static void keeper_on_signal(int sig)
{
    (void)sig;
    keeper_cancel = 1;
}

/* The background keeper: a root process of its own that holds the lock,
 * runs the hook, records the outcome and reports it. Never returns. */
static void keeper_main(const ts_node_ctx *c, const ts_hookspec *spec, int fd,
                        ts_prepstamp *st, int ready) __attribute__((noreturn));
static void keeper_main(const ts_node_ctx *c, const ts_hookspec *spec, int fd,
                        ts_prepstamp *st, int ready)
{
    ts_node_report rep;
    ts_err err = { 0 };
    struct sigaction sa;
    sigset_t set;

    memset(&rep, 0, sizeof rep);
    /* slurmstepd's prolog may run with stdin closed: keep what we hold
     * clear of 0-2 before those become /dev/null. */
    fd = keep_above_stdio(fd);
    ready = keep_above_stdio(ready);
    (void)setsid();   /* out of the prolog's process group, which Slurm may kill */
    (void)prctl(PR_SET_NAME, TS_PREP_KEEPER_NAME, 0, 0, 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        (void)dup2(null, STDIN_FILENO);
        (void)dup2(null, STDOUT_FILENO);
        (void)dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = keeper_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGCHLD, SIG_DFL);

    st->pid = (long)getpid();
    int recorded = ts_prepstate_write(fd, st, &err);
    /* The prolog returns only once the record names us: an epilog that
     * comes early can then find us and stop the hook. */
    ssize_t told = write(ready, "k", 1);
    (void)told;
    close(ready);
    if (recorded < 0 || prepare_locked(c, spec, fd, st, &rep, &keeper_cancel, &err) < 0) {
        rep.failed = true;
        say(rep.text, sizeof rep.text, "%s on %s: cannot record the outcome: %s", TS_HOOK_PREP,
            c->node ? c->node : "?", err.msg);
    }
    if (c->log)
        c->log(c, &rep);
    ts_prepstate_close(fd);
    _exit(0);
}

int ts_node_prepare(const ts_node_ctx *c, const ts_hookspec *spec, ts_node_report *rep,
                    ts_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (!spec->prep.present && !spec->cleanup.present) {
        rep->debug = true;
        say(rep->text, sizeof rep->text, "the suite has no hooks: nothing to do on %s",
            c->node ? c->node : "?");
        return 0;
    }
    if (!c->user_hooks) {
        say(rep->text, sizeof rep->text,
            "user hooks are disabled (user_hooks=no): %s not run on %s",
            spec->prep.present ? TS_HOOK_PREP : TS_HOOK_CLEANUP, c->node ? c->node : "?");
        return 0;
    }
    if (ts_prepstate_dir(c->state_dir, err) < 0)
        return -1;
    int fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, true, true,
                                      lock_wait_ms(c), err);
    if (fd < 0)
        return -1;

    ts_prepstamp st = { .uid = (long)c->uid, .restart = c->restart,
                        .started = (long)time(NULL) };
    int rc = -1;
    if (!spec->prep.present) {
        st.state = TS_PREP_NOHOOK;
        st.finished = st.started;
        rep->debug = true;
        say(rep->text, sizeof rep->text, "no %s in the suite; %s will run at the end on %s",
            TS_HOOK_PREP, TS_HOOK_CLEANUP, c->node ? c->node : "?");
        rc = ts_prepstate_write(fd, &st, err);
        goto out;
    }
    st.state = TS_PREP_RUNNING;
    if (ts_prepstate_write(fd, &st, err) < 0)
        goto out;
    int ready[2];
    if (c->background && pipe2(ready, O_CLOEXEC) == 0) {
        pid_t k = fork();
        if (k == 0) {
            close(ready[0]);
            keeper_main(c, spec, fd, &st, ready[1]);
        }
        close(ready[1]);
        if (k > 0) {
            char x;
            while (read(ready[0], &x, 1) < 0 && errno == EINTR)
                ;
            close(ready[0]);
            rep->keeper = k;
            rep->debug = true;
            say(rep->text, sizeof rep->text, "%s started on %s (process %ld waits for it)",
                TS_HOOK_PREP, c->node ? c->node : "?", (long)k);
            rc = 0;
            goto out;
        }
        close(ready[0]);
        /* no fork: run it here */
    }
    rc = prepare_locked(c, spec, fd, &st, rep, NULL, err);
out:
    ts_prepstate_close(fd);
    return rc;
}

/* A preparation still running when the allocation ends: ask its keeper to
 * stop it. Only a process that is our keeper (by name) is signalled. */
static void stop_running_preparation(const ts_node_ctx *c, ts_node_report *rep)
{
    ts_prepstamp st;
    ts_err e = { 0 };
    char path[64], comm[64] = "";
    if (ts_prepstate_peek(c->state_dir, c->job_id, c->node, &st, &e) < 0
        || st.state != TS_PREP_RUNNING || st.pid <= 1)
        return;
    snprintf(path, sizeof path, "/proc/%ld/comm", st.pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, comm, sizeof comm - 1);
        comm[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    if (strncmp(comm, TS_PREP_KEEPER_NAME, strlen(TS_PREP_KEEPER_NAME)) != 0)
        return;
    if (kill((pid_t)st.pid, SIGTERM) == 0)
        say(rep->text, sizeof rep->text, "%s still running on %s when the allocation ended: stopping it",
            TS_HOOK_PREP, c->node ? c->node : "?");
}

int ts_node_cleanup(const ts_node_ctx *c, const ts_hookspec *spec, ts_node_report *rep,
                    ts_err *err)
{
    ts_err e = { 0 };
    memset(rep, 0, sizeof *rep);
    if (!spec->prep.present && !spec->cleanup.present) {
        rep->debug = true;
        say(rep->text, sizeof rep->text, "the suite has no hooks: nothing to do on %s",
            c->node ? c->node : "?");
        return 0;
    }
    int fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, false, true, 0, &e);
    if (fd < 0 && errno == ETIMEDOUT) {
        ts_node_report early;
        memset(&early, 0, sizeof early);
        stop_running_preparation(c, &early);
        if (early.text[0] && c->log)
            c->log(c, &early);
        fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, false, true,
                                      lock_wait_ms(c), &e);
    }
    if (fd < 0) {
        if (errno != ENOENT) {
            if (err)
                *err = e;
            return -1;
        }
        rep->debug = true;
        say(rep->text, sizeof rep->text,
            "%s did not run on %s in this allocation: %s not run",
            TS_HOOK_PREP, c->node ? c->node : "?", TS_HOOK_CLEANUP);
        return 0;
    }
    if (!c->user_hooks) {
        say(rep->text, sizeof rep->text,
            "user hooks are disabled (user_hooks=no): %s not run on %s", TS_HOOK_CLEANUP,
            c->node ? c->node : "?");
    } else if (!spec->cleanup.present) {
        rep->debug = true;
        say(rep->text, sizeof rep->text, "no %s in the suite", TS_HOOK_CLEANUP);
    } else {
        run_hook(c, spec, &spec->cleanup, TS_HOOK_CLEANUP, rep, NULL);
    }
    int rc = ts_prepstate_remove(c->state_dir, c->job_id, c->node, err);
    ts_prepstate_close(fd);
    return rc;
}

int ts_node_check(const ts_node_ctx *c, const ts_hookspec *spec, ts_prepstamp *st,
                  char *msg, size_t len, ts_err *err)
{
    const char *node = c->node ? c->node : "?";
    ts_err e = { 0 };
    memset(st, 0, sizeof *st);
    if (len)
        msg[0] = '\0';
    if (!c->user_hooks || !spec->prep.present)
        return 0;
    int fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, false, false, 0, &e);
    if (fd < 0 && errno == ETIMEDOUT) {   /* the prolog still prepares: wait */
        if (c->waiting)
            c->waiting(true);
        fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, false, false,
                                      lock_wait_ms(c), &e);
        int saved = errno;
        if (c->waiting)
            c->waiting(false);
        errno = saved;
    }
    if (fd < 0) {
        int open_errno = errno;
        if (open_errno == ENOENT && ts_prepstate_dir_check(c->state_dir, &e) < 0
            && errno != ENOENT) {
            /* The prolog cannot have recorded anything: the admin's
             * state_dir is refused. Do not start without the preparation. */
            say(msg, len, "tasksuite: %s cannot run on node %s for job %lu: %s (see tasksuite.so(8))",
                TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
            if (err)
                *err = e;
            return 1;
        }
        if (open_errno == ENOENT) {
            /* The job's prolog did not see --task-suite here: a job that only
             * inherited a suite's environment (submitted from inside one), or
             * a slurmd not restarted since the plugin was added. Not the
             * user's suite allocation: let it run, say so in slurmd's log. */
            say(msg, len,
                "no %s record on node %s for job %lu: its prolog did not see --task-suite "
                "(a job that inherited a suite's environment, or slurmd not restarted after "
                "tasksuite.so was added to plugstack.conf): its tasks start without it",
                TS_HOOK_PREP, node, (unsigned long)c->job_id);
            return 0;
        }
        say(msg, len, "tasksuite: cannot tell whether %s succeeded on node %s for job %lu: %s",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
        if (err)
            *err = e;
        return 1;
    }
    int rc = ts_prepstate_read(fd, st, &e);
    ts_prepstate_close(fd);
    if (rc < 0) {
        say(msg, len, "tasksuite: cannot tell whether %s succeeded on node %s for job %lu: %s",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
        if (err)
            *err = e;
        return 1;
    }
    if (st->uid != (long)c->uid) {
        say(msg, len,
            "tasksuite: the %s record for job %lu on node %s belongs to uid %ld, not %ld "
            "(a stale record: state_dir must be node-local and private to this cluster)",
            TS_HOOK_PREP, (unsigned long)c->job_id, node, st->uid, (long)c->uid);
        return 1;
    }
    switch (st->state) {
    case TS_PREP_OK:
    case TS_PREP_NOHOOK:
        return 0;
    case TS_PREP_FAILED:
        say(msg, len, "%s", st->message[0] ? st->message : "tasksuite: " TS_HOOK_PREP " failed");
        return 1;
    case TS_PREP_RUNNING:
    default:
        say(msg, len,
            "tasksuite: %s did not complete on node %s for job %lu (the process "
            "waiting for it, " TS_PREP_KEEPER_NAME ", was killed; see slurmd's log)%s%s",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, st->log[0] ? "; its output is in " : "",
            st->log);
        return 1;
    }
}
