/* remote.c: slurmstepd, for every step of a --task-suite job (the batch
 * script is a step too).
 *
 *   user_init             (as the user, once per step, before the tasks are
 *                         forked) export the TASK_SUITE_* variables that apply
 *                         outside the launcher to every task of the step
 *   task_init_privileged  (root, in each task's process) read this node's
 *                         preparation record (src/nodehooks.c); while the
 *                         prolog still runs env_preparation, wait for it
 *   task_init             (as the user, stdio already connected to srun or the
 *                         batch output) when preparation failed, print why and
 *                         fail the task. Errors from user_init never reach
 *                         srun, so this is where the user hears about it.
 *
 * Jobs without the option return at the first check and are left untouched.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "nodehooks.h"
#include "plugin.h"
#include "spec_json.h"

/* Set in user_init (the slurmstepd process), inherited by the task
 * processes it forks next. */
static int step_has_spec;
static int step_has_prep;
static char task_failure[1536];   /* set in task_init_privileged, told in task_init */

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

int ts_remote_user_init(spank_t sp)
{
    static char text[TS_HOOKSPEC_MAX + 1];
    ts_hookspec spec;
    ts_err err = { 0 };
    char workers[16];

    if (spank_getenv(sp, "SLURM_SPANK_" TS_JOBENV_SPEC, text, sizeof text)
        != ESPANK_SUCCESS)
        return 0;   /* not a --task-suite job: leave it untouched */
    if (ts_hooks_deserialize(text, &spec, &err) < 0) {
        slurm_error("tasksuite: %s", err.msg);
        return 0;
    }
    step_has_spec = 1;
    step_has_prep = spec.prep.present;
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

int ts_remote_task_init_privileged(spank_t sp)
{
    uint32_t job_id;
    uid_t uid;
    gid_t gid;
    char node[256], msg[sizeof task_failure];
    ts_prepstamp st;
    ts_err err = { 0 };

    if (!step_has_spec || !step_has_prep || !ts_cfg.user_hooks)
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS
        || spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
        snprintf(task_failure, sizeof task_failure, "%s",
                 "tasksuite: cannot get the job's id and user from Slurm: cannot check env_preparation");
        return 0;
    }
    ts_node_ctx c = {
        .job_id = job_id,
        .uid = uid,
        .gid = gid,
        .node = node_name(node, sizeof node),
        .state_dir = ts_cfg.state_dir,
        .user_hooks = ts_cfg.user_hooks,
        .max_timeout_s = ts_cfg.max_hook_timeout_s,
        .grace_ms = TS_HOOK_DEFAULT_GRACE_MS,
        .waiting = task_waiting,
    };
    ts_hookspec spec = { .prep = { .present = true } };
    if (ts_node_check(&c, &spec, &st, msg, sizeof msg, &err) == 0) {
        if (st.log[0])
            export(sp, "TASK_SUITE_PREP_LOG", st.log);
        if (msg[0] && ts_cfg.log_level >= TS_LOG_INFO)
            slurm_info("tasksuite: job %lu: %s", (unsigned long)job_id, msg);
        return 0;
    }
    if (err.msg[0])
        slurm_error("tasksuite: job %lu: %s", (unsigned long)job_id, err.msg);
    if (ts_cfg.log_level >= TS_LOG_DEBUG)
        slurm_info("tasksuite: job %lu: refusing to start a task on %s: %s",
                   (unsigned long)job_id, c.node, msg);
    snprintf(task_failure, sizeof task_failure, "%s", msg);
    return 0;
}

int ts_remote_task_init(spank_t sp)
{
    (void)sp;
    if (!task_failure[0])
        return 0;
    slurm_error("%s", task_failure);
    return -1;
}
