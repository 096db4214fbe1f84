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

#include "cgjoin.h"
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
    /* Paths and names are the user's: no control character reaches
     * slurmd's log or the user's terminal. */
    for (char *p = buf; len && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
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
    const char *dir = spec->workdir && spec->workdir[0] == '/' ? spec->workdir
                      : c->work_dir && c->work_dir[0] == '/'   ? c->work_dir
                      : home && home[0] == '/'                 ? home
                                                               : NULL;
    if (base)
        n = snprintf(buf, len, "%s/hooks/%lu/%s.%s.log", base, (unsigned long)c->job_id,
                     node, hook);
    else if (dir)
        n = snprintf(buf, len, "%s/tasksuite-%lu/%s.%s.log", dir, (unsigned long)c->job_id,
                     node, hook);
    else
        return ts_errf(err, "no directory for the log of %s (no absolute workdir, job work "
                            "directory or home)", hook);
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
    if (bad) {
        ts_env_free(env);
        return ts_errf(err, "out of memory building the environment of %s", hook);
    }
    /* The user's values, expanded under root's caps (taskenv.h): a spec is
     * user data end to end, so this is where the bound is enforced. */
    if (ts_env_apply(env, &h->envs, hook, err) < 0) {
        ts_env_free(env);
        return -1;
    }
    /* The context is not the user's to change (a hook's envs may still set
     * PATH, HOME and anything else). */
    if (set_context(c, spec, hook, u, log, env) < 0) {
        ts_env_free(env);
        return ts_errf(err, "the environment of %s is too large", hook);
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
    ts_hook_rlimit lim[TS_PREP_MAX_LIMITS];
    size_t nlim = 0;
    for (int i = 0; i < c->n_limits && i < TS_PREP_MAX_LIMITS; i++)
        lim[nlim++] = (ts_hook_rlimit){ .resource = c->limits[i].resource,
                                        .cur = (rlim_t)c->limits[i].cur,
                                        .max = (rlim_t)c->limits[i].max };
    /* In the job's own containment for the rest of the allocation (the
     * extern step's cgroup, PrologFlags=Contain), not only the step's. */
    char (*cg)[PATH_MAX] = calloc(TS_NODE_MAX_CGROUPS, PATH_MAX);
    int ncg = cg ? ts_cgroup_extern_procs(c->job_id, cg, TS_NODE_MAX_CGROUPS - 1) : 0;
    if (cg && c->extra_cgroup)
        snprintf(cg[ncg++], PATH_MAX, "%s", c->extra_cgroup);
    rep->in_job_cgroup = ncg > 0;
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
        .rlimits = lim,
        .n_rlimits = nlim,
        .cgroup_procs = (const char (*)[PATH_MAX])cg,
        .n_cgroup_procs = (size_t)ncg,
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
    free(cg);
}

static long lock_wait_ms(const ts_node_ctx *c)
{
    long grace = c->grace_ms >= 0 ? c->grace_ms : TS_HOOK_DEFAULT_GRACE_MS;
    long max = c->max_timeout_s > 0 ? c->max_timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S;
    return max * 1000 + grace + LOCK_MARGIN_MS;
}

/* The failure message every task of the job on this node prints. */
static void failure_message(const ts_node_ctx *c, const ts_node_report *rep, ts_prepstamp *st)
{
    char what[768];
    ts_hook_describe(&rep->res, what, sizeof what);
    if (st->log[0])
        say(st->message, sizeof st->message,
            "tasksuite: %s failed on node %s for job %lu: %s; its output is in %s",
            TS_HOOK_PREP, c->node ? c->node : "?", (unsigned long)c->job_id, what, st->log);
    else
        say(st->message, sizeof st->message, "tasksuite: %s failed on node %s for job %lu: %s",
            TS_HOOK_PREP, c->node ? c->node : "?", (unsigned long)c->job_id, what);
}

/* What the end of the allocation needs, kept in the record. */
static void remember(const ts_node_ctx *c, const char *spec_text, ts_prepstamp *st)
{
    st->spec = (char *)spec_text;
    st->nodelist = (char *)c->nodelist;
    snprintf(st->num_nodes, sizeof st->num_nodes, "%s", c->num_nodes ? c->num_nodes : "");
    snprintf(st->work_dir, sizeof st->work_dir, "%s", c->work_dir ? c->work_dir : "");
    snprintf(st->slurm_conf, sizeof st->slurm_conf, "%s", c->slurm_conf ? c->slurm_conf : "");
    st->n_limits = c->n_limits < TS_PREP_MAX_LIMITS ? c->n_limits : TS_PREP_MAX_LIMITS;
    for (int i = 0; i < st->n_limits; i++)
        st->limits[i] = c->limits[i];
}

/* Tell the tasks whether they may start, from a record read under the lock. */
static int verdict(const ts_node_ctx *c, const ts_prepstamp *st, char *msg, size_t len)
{
    const char *node = c->node ? c->node : "?";
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
    default:
        say(msg, len, "%s", st->message[0] ? st->message : "tasksuite: " TS_HOOK_PREP " failed");
        return 1;
    }
}

int ts_node_prepare_step(const ts_node_ctx *c, const ts_hookspec *spec, const char *spec_text,
                         ts_node_report *rep, ts_prepstamp *out, char *msg, size_t len,
                         ts_err *err)
{
    const char *node = c->node ? c->node : "?";
    ts_err e = { 0 };
    ts_prepstamp st;
    memset(rep, 0, sizeof *rep);
    memset(out, 0, sizeof *out);
    if (len)
        msg[0] = '\0';
    if (!spec->prep.present && !spec->cleanup.present) {
        rep->debug = true;
        say(rep->text, sizeof rep->text, "the suite has no hooks: nothing to do on %s", node);
        return 0;
    }
    if (!c->user_hooks) {
        /* Once per step and node is enough for slurmd's log. */
        if (c->first_task)
            say(rep->text, sizeof rep->text,
                "user hooks are disabled (user_hooks=no): %s not run on %s",
                spec->prep.present ? TS_HOOK_PREP : TS_HOOK_CLEANUP, node);
        return 0;
    }
    if (ts_prepstate_dir(c->state_dir, &e) < 0) {
        /* Do not start without the preparation the suite asked for. */
        say(msg, len, "tasksuite: %s cannot run on node %s for job %lu: %s (see tasksuite.so(8))",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
        if (err)
            *err = e;
        return 1;
    }
    /* The first task takes the lock at once; the others wait (killable). */
    int fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, true, true, 0, &e);
    if (fd < 0 && errno == ETIMEDOUT) {
        if (c->waiting)
            c->waiting(true);
        fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, true, true,
                                      lock_wait_ms(c), &e);
        int saved = errno;
        if (c->waiting)
            c->waiting(false);
        errno = saved;
    }
    if (fd < 0) {
        say(msg, len, "tasksuite: cannot tell whether %s succeeded on node %s for job %lu: %s",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
        if (err)
            *err = e;
        return 1;
    }
    int rc;
    if (ts_prepstate_read(fd, &st, &e) < 0) {
        say(msg, len, "tasksuite: cannot tell whether %s succeeded on node %s for job %lu: %s",
            TS_HOOK_PREP, node, (unsigned long)c->job_id, e.msg);
        if (err)
            *err = e;
        rc = 1;
        goto out;
    }
    /* A record of an earlier run of this job id (a requeued job, where
     * nothing removed it at the end: no extern step) is not this run's. */
    bool stale = st.started != 0 && st.restart != c->restart;
    if (st.state != TS_PREP_RUNNING && !stale) {   /* decided by an earlier task */
        rc = verdict(c, &st, msg, len);
        snprintf(out->log, sizeof out->log, "%s", st.log);
        ts_prepstamp_free(&st);
        goto out;
    }
    /* Ours to run: a new record, or one whose preparer died holding the lock
     * (its step was cancelled): run it (again). */
    bool again = st.started != 0 && !stale;
    ts_prepstamp_free(&st);
    memset(&st, 0, sizeof st);
    st.uid = (long)c->uid;
    st.restart = c->restart;
    st.started = (long)time(NULL);
    st.pid = (long)getpid();
    /* Without an end of the allocation to act on the record (no extern
     * step, no job epilog) it only serves this run's tasks: keep it small,
     * it stays in state_dir (tmpfs) until the node reboots. */
    char (*probe)[PATH_MAX] = c->cleanup_by_epilog ? NULL : calloc(TS_NODE_MAX_CGROUPS, PATH_MAX);
    bool has_end = c->cleanup_by_epilog
                   || (probe && ts_cgroup_extern_procs(c->job_id, probe, TS_NODE_MAX_CGROUPS) > 0);
    free(probe);
    remember(c, has_end ? spec_text : NULL, &st);
    if (has_end && ts_cgroup_job_memory(c->job_id, st.mem_parent, sizeof st.mem_parent,
                                        &st.mem_limit) < 0) {
        st.mem_parent[0] = '\0';
        st.mem_limit = 0;
    }
    if (!has_end)
        st.nodelist = NULL;
    if (!spec->prep.present) {
        st.state = TS_PREP_NOHOOK;
        st.finished = st.started;
        rep->debug = true;
        say(rep->text, sizeof rep->text, "no %s in the suite; %s will run at the end on %s",
            TS_HOOK_PREP, TS_HOOK_CLEANUP, node);
    } else {
        st.state = TS_PREP_RUNNING;
        if (ts_prepstate_write(fd, &st, &e) < 0)
            goto write_failed;
        if (c->waiting)
            c->waiting(true);   /* killable while the hook runs */
        run_hook(c, spec, &spec->prep, TS_HOOK_PREP, rep, NULL);
        if (c->waiting)
            c->waiting(false);
        if (spec->cleanup.present && !rep->in_job_cgroup && !c->cleanup_by_epilog
            && rep->text[0]) {
            size_t n = strlen(rep->text);
            say(rep->text + n, sizeof rep->text - n,
                "; no extern step found for the job here: without PrologFlags=Contain "
                "(or tasksuite_epilog.so) %s will not run on %s", TS_HOOK_CLEANUP, node);
        }
        if (again && rep->text[0]) {
            size_t n = strlen(rep->text);
            say(rep->text + n, sizeof rep->text - n, " (run again: an earlier attempt was interrupted)");
        }
        st.finished = (long)time(NULL);
        snprintf(st.log, sizeof st.log, "%s", rep->log);
        st.state = rep->failed ? TS_PREP_FAILED : TS_PREP_OK;
        if (rep->failed)
            failure_message(c, rep, &st);
    }
    st.pid = 0;
    if (ts_prepstate_write(fd, &st, &e) < 0)
        goto write_failed;
    snprintf(out->log, sizeof out->log, "%s", st.log);
    rc = verdict(c, &st, msg, len);
    goto out;
write_failed:
    say(msg, len, "tasksuite: cannot record %s on node %s for job %lu: %s", TS_HOOK_PREP, node,
        (unsigned long)c->job_id, e.msg);
    if (err)
        *err = e;
    rc = 1;
out:
    ts_prepstate_close(fd);
    return rc;
}

/* The end of the allocation: the lock is free by now (every step's
 * processes are gone), so a short wait covers a task still unwinding. */
#define FINISH_LOCK_WAIT_MS 5000L

int ts_node_finish(const ts_node_ctx *c, ts_node_report *rep, ts_err *err)
{
    ts_err e = { 0 };
    ts_prepstamp st;
    ts_hookspec spec;
    const char *node = c->node ? c->node : "?";
    memset(rep, 0, sizeof *rep);
    /* The record decides what runs as the user: never read it from a
     * directory someone else could have written into. */
    if (ts_prepstate_dir_check(c->state_dir, &e) < 0) {
        if (errno == ENOENT) {
            rep->debug = true;   /* no suite job ever prepared on this node */
            return 0;
        }
        if (err)
            *err = e;
        return -1;
    }
    int fd = ts_prepstate_open_locked(c->state_dir, c->job_id, c->node, false, true,
                                      FINISH_LOCK_WAIT_MS, &e);
    if (fd < 0) {
        if (errno == ENOENT) {
            rep->debug = true;   /* not a --task-suite job, or nothing prepared here */
            return 0;
        }
        if (err)
            *err = e;
        return -1;
    }
    int rc = 0;
    if (ts_prepstate_read(fd, &st, &e) < 0) {
        rep->failed = true;
        say(rep->text, sizeof rep->text, "%s on %s not run: %s", TS_HOOK_CLEANUP, node, e.msg);
        goto remove;
    }
    if (st.uid != (long)c->uid || !st.spec) {
        rep->failed = true;
        say(rep->text, sizeof rep->text, "%s on %s not run: the record %s", TS_HOOK_CLEANUP, node,
            st.uid != (long)c->uid ? "belongs to another user" : "has no hook spec");
        ts_prepstamp_free(&st);
        goto remove;
    }
    if (ts_hooks_deserialize(st.spec, &spec, &e) < 0) {
        rep->failed = true;
        say(rep->text, sizeof rep->text, "%s on %s not run: %s", TS_HOOK_CLEANUP, node, e.msg);
        ts_prepstamp_free(&st);
        goto remove;
    }
    ts_node_ctx cc = *c;   /* what the preparing step knew */
    cc.nodelist = st.nodelist;
    cc.num_nodes = st.num_nodes[0] ? st.num_nodes : NULL;
    cc.work_dir = st.work_dir[0] ? st.work_dir : NULL;
    cc.slurm_conf = st.slurm_conf[0] ? st.slurm_conf : NULL;
    cc.limits = st.limits;
    cc.n_limits = st.n_limits;
    if (!c->user_hooks) {
        say(rep->text, sizeof rep->text,
            "user hooks are disabled (user_hooks=no): %s not run on %s", TS_HOOK_CLEANUP, node);
    } else if (!spec.cleanup.present) {
        rep->debug = true;
        say(rep->text, sizeof rep->text, "no %s in the suite", TS_HOOK_CLEANUP);
    } else {
        /* The extern step's memory cgroup is gone by now: a cgroup of the
         * cleanup's own, with the job's memory limit (cgjoin.h). */
        char cgdir[PATH_MAX], procs[PATH_MAX + 16];
        bool own = st.mem_parent[0] && st.mem_limit
                   && ts_cgroup_cleanup_create(st.mem_parent, c->job_id, c->node, st.mem_limit,
                                               cgdir, sizeof cgdir, procs, sizeof procs) == 0;
        cc.extra_cgroup = own ? procs : NULL;
        run_hook(&cc, &spec, &spec.cleanup, TS_HOOK_CLEANUP, rep, NULL);
        if (own)
            ts_cgroup_cleanup_remove(cgdir);
        else if (st.mem_parent[0] && st.mem_limit && rep->text[0]) {
            size_t n = strlen(rep->text);
            say(rep->text + n, sizeof rep->text - n,
                "; it ran without the job's memory limit (no cgroup of its own under %s)",
                st.mem_parent);
        }
    }
    ts_hookspec_free(&spec);
    ts_prepstamp_free(&st);
remove:
    if (ts_prepstate_remove(c->state_dir, c->job_id, c->node, &e) < 0) {
        if (err)
            *err = e;
        rc = -1;
    }
    ts_prepstate_close(fd);
    return rc;
}
