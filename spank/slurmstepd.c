/* slurmstepd.c: inside the step daemon, for every step of a --task-suite
 * job (the batch script is a step too), and the extern step that closes the
 * allocation. The dispatcher (tasksuite.c) calls these only in Slurm's
 * "remote" context, and ts_slurmstepd_extern_exit only in the extern step.
 *
 *   user_init             (slurmstepd, once per step, before the tasks are
 *                         forked) export the TASK_SUITE_* variables to every
 *                         task of the step; note what preparation needs
 *   task_init_privileged  (root, in each task's process, inside the job's
 *                         cgroup, before it execs) the first task on the node
 *                         runs env_preparation as the user; the others wait
 *                         for it (src/node/nodehooks.c)
 *   task_init             (as the user, stdio already connected to srun or the
 *                         batch output) when preparation failed, print why and
 *                         fail the task. Errors from user_init never reach
 *                         srun, so this is where the user hears about it.
 *   exit (extern step)    (root, PrologFlags=Contain, after every other step
 *                         on the node ended) env_cleanup from the record
 *
 * A step counts as a suite step only when it carries the option itself: a
 * job submitted from inside a suite inherits TASK_SUITE_SPEC in its
 * environment, but Slurm clears the option's own variable from the tasks.
 * Jobs without the option return at the first check and are left untouched.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "nodehooks.h"
#include "plugin.h"
#include "spec_json.h"

/* Set in user_init (the slurmstepd process), inherited by the task
 * processes it forks next. */
static int step_has_spec;
static char step_spec[TS_HOOKSPEC_MAX + 1];
static ts_prep_limit step_limits[TS_PREP_MAX_LIMITS];
static int step_n_limits;
static char step_nodelist[8192], step_num_nodes[16], step_work_dir[PATH_MAX];
static char task_failure[1536];   /* set in task_init_privileged, told in task_init */

/* The limits Slurm propagates from the submitting shell (SLURM_RLIMIT_*,
 * applied to tasks after task_init_privileged): the hook gets the same soft
 * limits under slurmstepd's hard ones, as set_user_limits does for tasks. */
static const struct { const char *name; int resource; } rlimit_names[] = {
    { "SLURM_RLIMIT_CPU", RLIMIT_CPU },       { "SLURM_RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "SLURM_RLIMIT_DATA", RLIMIT_DATA },     { "SLURM_RLIMIT_STACK", RLIMIT_STACK },
    { "SLURM_RLIMIT_CORE", RLIMIT_CORE },     { "SLURM_RLIMIT_RSS", RLIMIT_RSS },
    { "SLURM_RLIMIT_NPROC", RLIMIT_NPROC },   { "SLURM_RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "SLURM_RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "SLURM_RLIMIT_AS", RLIMIT_AS },
};

static void note_limits(spank_t sp)
{
    char buf[64];
    step_n_limits = 0;
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++) {
        struct rlimit now;
        char *end;
        if (spank_getenv(sp, rlimit_names[i].name, buf, sizeof buf) != ESPANK_SUCCESS
            || getrlimit(rlimit_names[i].resource, &now) < 0)
            continue;
        const char *v = buf[0] == 'U' ? buf + 1 : buf;   /* U: asked for explicitly */
        errno = 0;
        unsigned long long want = strtoull(v, &end, 10);
        if (errno || end == v || *end)
            continue;
        ts_prep_limit *l = &step_limits[step_n_limits++];
        l->resource = rlimit_names[i].resource;
        l->max = now.rlim_max;
        l->cur = now.rlim_max != RLIM_INFINITY && want > now.rlim_max ? now.rlim_max : want;
    }
}

static void note_env(spank_t sp, const char *name, char *buf, size_t len)
{
    if (spank_getenv(sp, name, buf, (int)len) != ESPANK_SUCCESS)
        buf[0] = '\0';
}

static void export(spank_t sp, const char *name, const char *value)
{
    if (value && spank_setenv(sp, name, value, 1) != ESPANK_SUCCESS)
        slurm_error("tasksuite: cannot set %s for the job's tasks", name);
}

static void export_u32(spank_t sp, const char *name, spank_item_t item)
{
    uint32_t v;
    char buf[16];
    if (spank_get_item(sp, item, &v) == ESPANK_SUCCESS) {
        snprintf(buf, sizeof buf, "%lu", (unsigned long)v);
        export(sp, name, buf);
    }
}

/* The step's node count; the batch step has none of its own (0): the
 * batch script sees the allocation's. */
static void export_num_nodes(spank_t sp)
{
    uint32_t n = 0;
    char buf[16];
    if (spank_get_item(sp, S_JOB_NNODES, &n) == ESPANK_SUCCESS && n > 0) {
        snprintf(buf, sizeof buf, "%lu", (unsigned long)n);
        export(sp, "NUM_NODES", buf);
    } else if (spank_getenv(sp, "SLURM_JOB_NUM_NODES", buf, sizeof buf) == ESPANK_SUCCESS
               || spank_getenv(sp, "SLURM_NNODES", buf, sizeof buf) == ESPANK_SUCCESS) {
        export(sp, "NUM_NODES", buf);
    }
}

int ts_slurmstepd_user_init(spank_t sp)
{
    char *text = step_spec;
    ts_hookspec spec;
    ts_err err = { 0 };
    char workers[16];

    if (!ts_option_value)
        return 0;   /* not a --task-suite step: leave it untouched */
    spank_err_t got = spank_getenv(sp, "SLURM_SPANK_" TS_JOBENV_SPEC, text, sizeof step_spec);
    if (got == ESPANK_NOSPACE) {   /* never start without the preparation asked for */
        snprintf(task_failure, sizeof task_failure,
                 "tasksuite: the job's suite is larger than %d bytes: env_preparation cannot run",
                 TS_HOOKSPEC_MAX);
        return 0;
    }
    if (got != ESPANK_SUCCESS)
        return 0;
    if (ts_cfg_broken) {
        snprintf(task_failure, sizeof task_failure, "%s",
                 "tasksuite: the plugin's arguments in plugstack.conf are invalid on this node "
                 "(see slurmd's log): env_preparation cannot run");
        return 0;
    }
    if (ts_hooks_deserialize(text, &spec, &err) < 0) {
        slurm_error("tasksuite: %s", err.msg);
        snprintf(task_failure, sizeof task_failure, "tasksuite: the job's suite cannot be read: %s",
                 err.msg);
        return 0;
    }
    step_has_spec = 1;
    note_limits(sp);
    note_env(sp, "SLURM_JOB_NODELIST", step_nodelist, sizeof step_nodelist);
    if (!step_nodelist[0])
        note_env(sp, "SLURM_NODELIST", step_nodelist, sizeof step_nodelist);
    note_env(sp, "SLURM_JOB_NUM_NODES", step_num_nodes, sizeof step_num_nodes);
    if (!step_num_nodes[0])
        note_env(sp, "SLURM_NNODES", step_num_nodes, sizeof step_num_nodes);
    note_env(sp, "SLURM_SUBMIT_DIR", step_work_dir, sizeof step_work_dir);
    export(sp, "TASK_SUITE_NAME", spec.suite_name);
    export(sp, "TASK_SUITE_ID", spec.suite_id);
    export(sp, "TASK_SUITE_DIR", spec.suite_dir);
    snprintf(workers, sizeof workers, "%d", spec.worker_count);
    export(sp, "TASK_SUITE_WORKER_COUNT", workers);
    /* This step's nodes: rank in 0..NUM_NODES-1 (tasksuite exec sets its
     * own values for the tasks it runs). */
    export_u32(sp, "NODE_RANK", S_JOB_NODEID);
    export_num_nodes(sp);
    ts_hookspec_free(&spec);
    return 0;
}

/* slurmstepd sets SLURMD_NODENAME in its own environment; the job's
 * environment may hold the batch node's name, inherited by srun. */
static const char *node_name(char *buf, size_t len)
{
    const char *env = getenv("SLURMD_NODENAME");
    if (env && *env)
        return env;
    if (gethostname(buf, len) == 0) {
        buf[len - 1] = '\0';
        return buf;
    }
    return "?";
}

/* A task waiting for env_preparation must stay killable (scancel, time
 * limit): slurmstepd forks it with SIGTERM blocked, and proctrack/linuxproc
 * never signals a process named like slurmstepd. While it waits it is
 * "tasksuite-wait" with SIGTERM/SIGINT at their defaults; after, all is as
 * slurmstepd left it. */
static void task_waiting(bool start)
{
    static char comm[17];
    static struct sigaction old_term, old_int;
    static sigset_t old_mask;
    struct sigaction dfl;
    sigset_t set;

    if (start) {
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGTERM, &dfl, &old_term);
        sigaction(SIGINT, &dfl, &old_int);
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_UNBLOCK, &set, &old_mask);
        if (prctl(PR_GET_NAME, comm, 0, 0, 0) < 0)
            comm[0] = '\0';
        (void)prctl(PR_SET_NAME, "tasksuite-wait", 0, 0, 0);
    } else {
        if (comm[0])
            (void)prctl(PR_SET_NAME, comm, 0, 0, 0);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGINT, &old_int, NULL);
    }
}

static bool node_ctx(spank_t sp, ts_node_ctx *c, char *node, size_t len)
{
    uint32_t job_id;
    uid_t uid;
    gid_t gid;
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS)
        return false;
    *c = (ts_node_ctx){
        .job_id = job_id,
        .uid = uid,
        .gid = gid,
        .node = node_name(node, len),
        .slurm_conf = getenv("SLURM_CONF"),
        .state_dir = ts_cfg.state_dir,
        .user_hooks = ts_cfg.user_hooks,
        .max_timeout_s = ts_cfg.max_hook_timeout_s,
        .grace_ms = TS_HOOK_DEFAULT_GRACE_MS,
    };
    return true;
}

static void report(uint32_t job_id, const ts_node_report *rep)
{
    if (!rep->text[0])
        return;
    if (rep->failed)
        slurm_error("tasksuite: job %lu: %s", (unsigned long)job_id, rep->text);
    else if (ts_cfg.log_level >= (rep->debug ? TS_LOG_DEBUG : TS_LOG_INFO))
        slurm_info("tasksuite: job %lu: %s", (unsigned long)job_id, rep->text);
}

int ts_slurmstepd_task_init_privileged(spank_t sp)
{
    char node[256], msg[sizeof task_failure];
    ts_node_ctx c;
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec spec;
    ts_err err = { 0 };

    if (!step_has_spec || task_failure[0])
        return 0;
    if (!node_ctx(sp, &c, node, sizeof node)) {
        snprintf(task_failure, sizeof task_failure, "%s",
                 "tasksuite: cannot get the job's id and user from Slurm: cannot check env_preparation");
        return 0;
    }
    if (ts_hooks_deserialize(step_spec, &spec, &err) < 0)
        return 0;   /* told in user_init */
    uint32_t restart = 0;
    char rbuf[16];
    if (spank_getenv(sp, "SLURM_RESTART_COUNT", rbuf, sizeof rbuf) == ESPANK_SUCCESS)
        restart = (uint32_t)strtoul(rbuf, NULL, 10);
    c.restart = restart;
    c.nodelist = step_nodelist[0] ? step_nodelist : NULL;
    c.num_nodes = step_num_nodes[0] ? step_num_nodes : NULL;
    c.work_dir = step_work_dir[0] ? step_work_dir : NULL;
    c.limits = step_limits;
    c.n_limits = step_n_limits;
    c.waiting = task_waiting;
#ifdef TS_JOB_EPILOG
    c.cleanup_by_epilog = true;
#endif
    int local_id = 1;
    c.first_task = spank_get_item(sp, S_TASK_ID, &local_id) == ESPANK_SUCCESS && local_id == 0;
    int rc = ts_node_prepare_step(&c, &spec, step_spec, &rep, &st, msg, sizeof msg, &err);
    ts_hookspec_free(&spec);
    report(c.job_id, &rep);
    if (rc == 0) {
        if (st.log[0])
            export(sp, "TASK_SUITE_PREP_LOG", st.log);
        return 0;
    }
    if (err.msg[0])
        slurm_error("tasksuite: job %lu: %s", (unsigned long)c.job_id, err.msg);
    if (ts_cfg.log_level >= TS_LOG_DEBUG)
        slurm_info("tasksuite: job %lu: refusing to start a task on %s: %s",
                   (unsigned long)c.job_id, c.node, msg);
    snprintf(task_failure, sizeof task_failure, "%s", msg);
    return 0;
}

/* The extern step ends after every other step on the node: the end of the
 * allocation here. It does not see the job's option or environment; the
 * record says everything (and nothing is done where there is none). */
static void extern_exit(spank_t sp)
{
    char node[256];
    ts_node_ctx c;
    ts_node_report rep;
    ts_err err = { 0 };
    if (!node_ctx(sp, &c, node, sizeof node))
        return;
    if (ts_node_finish(&c, &rep, &err) < 0)
        slurm_error("tasksuite: job %lu: %s on %s: %s", (unsigned long)c.job_id,
                    TS_HOOK_CLEANUP, c.node, err.msg);
    report(c.job_id, &rep);
}

/* The end of the allocation, as root, in a child of slurmstepd. Slurm
 * 24.11's extern step calls slurm_spank_exit while another of its threads
 * shuts X11 forwarding down with seteuid(job user), which glibc applies to
 * every thread: in-process, the record, state_dir and cgroup work saw that
 * euid about one time in four (measured). A child owns its credentials:
 * the real and saved ids are still root, so it takes root back whole. */
void ts_slurmstepd_extern_exit(spank_t sp)
{
    pid_t pid = fork();
    if (pid < 0) {
        slurm_error("tasksuite: env_cleanup: fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0) {
            slurm_error("tasksuite: env_cleanup: cannot take root back: %s", strerror(errno));
            _exit(1);
        }
        extern_exit(sp);
        _exit(0);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int ts_slurmstepd_task_init(spank_t sp)
{
    (void)sp;
    if (!task_failure[0])
        return 0;
    slurm_error("%s", task_failure);
    return -1;
}
