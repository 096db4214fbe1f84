/* attempt_env.c: the environment a task's attempt runs with (SPEC.md
 * section 4), apart from running it: the one list of what a task can rely
 * on finding in its environment.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "attempt_int.h"
#include "slurm.h"
#include "walltime.h"

extern char **environ;

static char *lookup_own_address(void)
{
    char host[256], ip[INET6_ADDRSTRLEN];
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (gethostname(host, sizeof host) < 0 || getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return strdup("127.0.0.1");
    const void *a = res->ai_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
    const char *p = inet_ntop(res->ai_family, a, ip, sizeof ip);
    freeaddrinfo(res);
    return strdup(p ? p : "127.0.0.1");
}

/* This host's address, without asking slurmctld: a one-node task must not
 * add an RPC to every task start (pool mode starts thousands). Looked up
 * once per process: the pool agent starts all its tasks on one host, and a
 * resolver lookup per task (files, maybe DNS) was a cost of its own. */
static char *own_address(void)
{
    static char cached[INET6_ADDRSTRLEN];
    if (!cached[0]) {
        char *a = lookup_own_address();
        snprintf(cached, sizeof cached, "%s", a ? a : "127.0.0.1");
        free(a);
    }
    return strdup(cached);
}

/* SkyPilot's names for what a task of a SkyPilot file reads (its docs:
 * "Environment variables"), the same for setup (SKYPILOT_SETUP_*), which
 * runs in the same environment here. SKYPILOT_NODE_IPS is the addresses
 * of the task's nodes in NODE_RANK order (rank 0, the head, first), one a
 * line: the order of the step's node list, which is how Slurm numbers
 * SLURM_NODEID. */
static void set_skypilot(ts_env *env, const ts_runspec *rs, const ts_manifest_entry *t,
                         int rank)
{
    const char *nodes = getenv("SLURM_STEP_NODELIST") ? getenv("SLURM_STEP_NODELIST")
                                                      : getenv("SLURM_JOB_NODELIST");
    char *ips = NULL;
    ts_err ignored = { 0 };

    /* Several nodes: their NodeAddr from slurmctld, in the step's order
     * (one RPC per rank, next to the srun that started it). */
    if (rs->num_nodes > 1 && nodes && ts_slurm_node_addrs(nodes, &ips, &ignored) == 0 && ips
        && ips[0])
        ;
    else {
        free(ips);
        ips = own_address();
    }
    ts_env_setf(env, "SKYPILOT_NODE_RANK", "%d", rank);
    ts_env_setf(env, "SKYPILOT_NUM_NODES", "%d", rs->num_nodes);
    ts_env_setf(env, "SKYPILOT_NUM_GPUS_PER_NODE", "%d", rs->gpus_per_node);
    ts_env_setf(env, "SKYPILOT_TASK_ID", "tasksuite-%s-%ld", rs->id, t->task_idx);
    ts_env_setf(env, "SKYPILOT_SETUP_NODE_RANK", "%d", rank);
    ts_env_setf(env, "SKYPILOT_SETUP_NUM_GPUS_PER_NODE", "%d", rs->gpus_per_node);
    if (ips) {
        ts_env_set(env, "SKYPILOT_NODE_IPS", ips);
        ts_env_set(env, "SKYPILOT_SETUP_NODE_IPS", ips);
    }
    free(ips);
}

/* Everything SPEC.md section 4 promises, on top of the job's environment. */
int ts_attempt_build_env(ts_env *env, const ts_runspec *rs, const ts_manifest_entry *t,
                         int attempt, int rank, const char *task_dir, time_t end,
                         ts_err *err)
{
    char ckpt[PATH_MAX] = "";
    long step = -1;

    if (ts_env_init(env, environ) < 0)
        return errno == E2BIG ? ts_errf(err, "the job's environment is larger than %u bytes",
                                        TS_ENV_MAX_BYTES)
                              : ts_errf(err, "out of memory");
    if (ts_events_last_checkpoint(rs->dir, t->task_idx, ckpt, sizeof ckpt, &step, err) < 0)
        return -1;
    if (ts_env_apply(env, &rs->envs, NULL, err) < 0)
        return -1;
    /* Literal: a secret is never expanded, nor echoed in a message. */
    for (size_t i = 0; i < rs->secrets.n; i++)
        ts_env_set(env, rs->secrets.v[i].key, rs->secrets.v[i].value);
    for (size_t i = 0; i < t->env.n; i++)
        ts_env_set(env, t->env.v[i].key, t->env.v[i].value);
    ts_env_set(env, "TASK_SUITE_ID", rs->id);
    ts_env_set(env, "TASK_SUITE_NAME", rs->name);
    ts_env_set(env, "TASK_SUITE_DIR", rs->dir);
    ts_env_set(env, "TASK_SUITE_TASK", t->name);
    ts_env_setf(env, "TASK_SUITE_TASK_INDEX", "%ld", t->task_idx);
    ts_env_set(env, "TASK_SUITE_TASK_DIR", task_dir);
    ts_env_setf(env, "TASK_SUITE_ATTEMPT", "%d", attempt);
    ts_env_set(env, "TASK_SUITE_CHECKPOINT", ckpt);
    if (step >= 0)
        ts_env_setf(env, "TASK_SUITE_CHECKPOINT_STEP", "%ld", step);
    else
        ts_env_unset(env, "TASK_SUITE_CHECKPOINT_STEP");
    /* A task on_checkpoint triggered (issue 16) carries its source's
     * checkpoint in its own entries, which win over the task's own. */
    for (size_t i = 0; i < t->env.n; i++)
        if (strncmp(t->env.v[i].key, "TASK_SUITE_ARG_", 15) != 0)
            ts_env_set(env, t->env.v[i].key, t->env.v[i].value);
    ts_env_setf(env, "NODE_RANK", "%d", rank);
    ts_env_setf(env, "NUM_NODES", "%d", rs->num_nodes);
    set_skypilot(env, rs, t, rank);
    if (end < 0)
        end = ts_walltime_end_time_fresh();
    if (end > 0)
        ts_env_setf(env, "TASK_SUITE_END_TIME", "%lld", (long long)end);
    else
        ts_env_unset(env, "TASK_SUITE_END_TIME");
    return 0;
}
