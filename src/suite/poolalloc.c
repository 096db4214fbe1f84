/* poolalloc.c: pool allocations (see poolsubmit.h): which Slurm jobs are
 * the suite's allocations, queueing them (batch script, options, recovery
 * key, the journal record, the reconcile job after them), and the brake on
 * queueing more when they start no agent. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "layout.h"
#include "poolsubmit.h"
#include "slurmopt.h"
#include "submission_int.h"

static int pool_key(const char *suite_id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "tasksuite:%s:pool:", suite_id);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

bool ts_pool_is_allocation(const ts_job_info *ji, const char *suite_id)
{
    char name[64], key[64];
    int klen = pool_key(suite_id, key, sizeof key);
    snprintf(name, sizeof name, "ts-%s", suite_id);
    return klen > 0 && strcmp(ji->name, name) == 0
           && strncmp(ji->comment, key, (size_t)klen) == 0;
}

long ts_pool_live_allocations(const ts_job_info *jobs, size_t n, const char *suite_id,
                              uint32_t self)
{
    long live = 0;
    for (size_t i = 0; i < n; i++)
        live += ts_pool_is_allocation(&jobs[i], suite_id) && jobs[i].job_id != self
                && (jobs[i].state == TS_JOB_PENDING || jobs[i].state == TS_JOB_RUNNING)
                && !jobs[i].completing;
    return live;
}

/* ------------------------------------------------------------ allocations */

static int batch_script(const ts_submit_ctx *c, long n, char **out, ts_err *err)
{
    char self[PATH_MAX * 2], dir[PATH_MAX * 2], home[PATH_MAX * 2], agent[PATH_MAX * 2 + 16];
    if (ts_sub_shell_quote(self, sizeof self, c->self) < 0
        || ts_sub_shell_quote(dir, sizeof dir, c->suite_dir) < 0
        || ts_sub_shell_quote(home, sizeof home, ts_journal_home(c->j)) < 0)
        return ts_errf(err, "path too long for the batch script");
    snprintf(agent, sizeof agent, "%s pool-agent", self);
#ifdef TS_FAULT_INJECTION
    /* Tests of the login side run a stand-in agent (tests/slurm/t0600). */
    const char *stand_in = getenv("TASKSUITE_FAULT_POOL_AGENT");
    char settings[PATH_MAX], key[32], val[PATH_MAX];
    FILE *f;
    if ((!stand_in || !*stand_in) && ts_pool_path(c->suite_dir, "settings", settings,
                                                  sizeof settings) == 0
        && (f = fopen(settings, "re"))) {
        while (fscanf(f, "%31s %4095s", key, val) == 2)
            if (!strcmp(key, "standin"))
                stand_in = val;
        fclose(f);
    }
    if (stand_in && *stand_in && ts_sub_shell_quote(agent, sizeof agent, stand_in) < 0)
        return ts_errf(err, "path too long for the batch script");
#endif
    /* One agent per node with all of the node's CPUs the job has (srun
     * does not inherit --cpus-per-task from the batch job on every Slurm
     * release). A failing agent must not take the other nodes' down. Then
     * the end-of-allocation reconcile: what the agents could not hand back
     * is judged, and the next allocation queued when tasks are left. */
    if (asprintf(out,
                 "#!/bin/sh\n"
                 "# tasksuite %s: suite %s, pool allocation %ld\n"
                 "srun --ntasks-per-node=1 --kill-on-bad-exit=0 "
                 "${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK} "
                 "%s %s\n"
                 "rc=$?\n"
                 "TASKSUITE_HOME=%s %s reconcile %s\n"
                 "exit $rc\n",
                 PACKAGE_VERSION, c->suite_id, n, agent, dir, home, self, c->suite_id) < 0)
        return ts_errf(err, "out of memory");
    return 0;
}

/* The suite's sbatch options for one allocation: its shape as the suite
 * file gives it (resources, num_nodes, slurm:), the resume signal sent to
 * the agents (the job's steps) rather than to the batch shell. */
int ts_pool_allocation_options(const ts_suite *s, ts_kvlist *opts, ts_err *err)
{
    if (ts_slurm_options(s, opts, err) < 0)
        return -1;
    for (size_t i = 0; i < opts->n; i++)
        if (!strcmp(opts->v[i].key, "signal") && !strncmp(opts->v[i].value, "B:", 2))
            memmove(opts->v[i].value, opts->v[i].value + 2, strlen(opts->v[i].value + 2) + 1);
    return 0;
}

typedef struct recorded {
    uint32_t *ids;
    size_t n, cap;
} recorded;

static int note_pool_job(const ts_slurm_job *job, void *arg)
{
    recorded *r = arg;
    if (job->last_index >= job->first_index)
        return 0;   /* an array: not a pool allocation */
    if (ts_grow((void **)&r->ids, &r->cap, r->n, sizeof *r->ids) < 0)
        return -1;
    r->ids[r->n++] = job->array_job_id;
    return 0;
}

typedef struct rec_walk {
    ts_journal *j;
    recorded *r;
    ts_err *err;
} rec_walk;

static int note_intent_jobs(const ts_intent_info *in, void *arg)
{
    rec_walk *w = arg;
    return ts_journal_intent_jobs_foreach(w->j, in->id, note_pool_job, w->r, w->err) < 0 ? -1
                                                                                         : 0;
}

static bool is_recorded(const recorded *r, uint32_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ids[i] == id)
            return true;
    return false;
}

static int record(const ts_submit_ctx *c, int64_t sub_id, recorded *r, uint32_t id, ts_err *err)
{
    ts_slurm_job job = { .array_job_id = id, .index_offset = 0, .first_index = 0,
                         .last_index = -1 };
    if (ts_journal_intent_add_job(c->j, sub_id, &job, err) < 0)
        return -1;
    if (ts_grow((void **)&r->ids, &r->cap, r->n, sizeof *r->ids) == 0)
        r->ids[r->n++] = id;
    return 0;
}

uint32_t ts_pool_self_job(const char *suite_id)
{
    char name[64];
    const char *me = getenv("SLURM_JOB_NAME"), *id = getenv("SLURM_JOB_ID");
    snprintf(name, sizeof name, "ts-%s", suite_id);
    return me && id && !strcmp(me, name) ? (uint32_t)strtoul(id, NULL, 10) : 0;
}

int ts_pool_allocate(const ts_submit_ctx *c, int64_t sub_id, long want, long *queued,
                     ts_err *err)
{
    char name[64], key[96], out[PATH_MAX], *script = NULL;
    ts_job_info *jobs = NULL;
    size_t njobs = 0;
    ts_kvlist opts = { 0 };
    ts_strv env = { 0 }, spank = { 0 };
    recorded rec = { 0 };
    rec_walk w = { .j = c->j, .r = &rec, .err = err };
    uint32_t news[TS_POOL_ALLOCATIONS_LIMIT];
    size_t nnew = 0;
    long next = 0;
    int rc = -1;

    if (queued)
        *queued = 0;
    snprintf(name, sizeof name, "ts-%s", c->suite_id);
    int klen = pool_key(c->suite_id, key, sizeof key);
    if (klen < 0 || ts_slurm_find_jobs(getuid(), name, &jobs, &njobs, err) < 0
        || ts_journal_intents_foreach(c->j, c->suite_id, ~0u, note_intent_jobs, &w, err) < 0)
        goto out;
    next = (long)rec.n;
    /* Queued by an interrupted run: recorded now, and their numbers taken. */
    for (size_t i = 0; i < njobs; i++) {
        if (!ts_pool_is_allocation(&jobs[i], c->suite_id))
            continue;
        long n = strtol(jobs[i].comment + klen, NULL, 10);
        if (n + 1 > next)
            next = n + 1;
        if (!is_recorded(&rec, jobs[i].job_id) && record(c, sub_id, &rec, jobs[i].job_id, err) < 0)
            goto out;
    }
    long live = ts_pool_live_allocations(jobs, njobs, c->suite_id,
                                         ts_pool_self_job(c->suite_id));
    if (live >= want) {
        rc = 0;
        goto out;
    }
    if (snprintf(out, sizeof out, "%s/slurm", c->suite_dir) >= (int)sizeof out - 16
        || ts_secure_dir(out, TS_RUN_DIR_MODE, "run directory", err) < 0) {
        if (!err->msg[0])
            ts_errf(err, "path too long for the Slurm output files under %.80s", c->suite_dir);
        goto out;
    }
    strcat(out, "/pool-%j.out");
    if (ts_pool_allocation_options(c->s, &opts, err) < 0
        || ts_submission_envs(c, &env, &spank, err) < 0)
        goto out;
    for (; live < want && nnew < sizeof news / sizeof news[0]; live++, next++) {
        uint32_t id;
        snprintf(key, sizeof key, "tasksuite:%s:pool:%ld", c->suite_id, next);
        if (batch_script(c, next, &script, err) < 0)
            goto out;
        ts_array_req req = {
            .job_name = name, .comment = key, .script = script, .work_dir = c->workdir,
            .std_out = out, .options = &opts, .env = env.v, .spank_env = spank.v,
            .single = 1,
        };
        int r = ts_slurm_submit(&req, &id, err);
        free(script);
        script = NULL;
        if (r < 0)
            goto out;
        news[nnew++] = id;
        if (queued)
            (*queued)++;
        if (record(c, sub_id, &rec, id, err) < 0)
            goto out;
    }
    rc = 0;
out:
    /* A safety net for the allocations queued now, even when a later one
     * was refused: an allocation cut at its walltime never reaches the
     * reconcile at the end of its script. */
    if (nnew && !getenv("TASKSUITE_NO_RECONCILE_JOB")) {
        char dep[TS_POOL_ALLOCATIONS_LIMIT * 12 + 16];
        ts_err e2 = { 0 };
        uint32_t rid;
        size_t o = (size_t)snprintf(dep, sizeof dep, "afterany");
        for (size_t i = 0; i < nnew && o < sizeof dep; i++)
            o += (size_t)snprintf(dep + o, sizeof dep - o, ":%" PRIu32, news[i]);
        snprintf(key, sizeof key, "tasksuite:%s:poolend:%" PRIu32, c->suite_id, news[0]);
        if (ts_submission_safety_job(c, key, dep, &rid, &e2) < 0)
            fprintf(stderr, "tasksuite: suite %s: no reconcile job after its pool "
                    "allocations (%s); `tasksuite status` or `sync` refresh it\n",
                    c->suite_id, e2.msg);
    }
    free(script);
    free(jobs);
    free(rec.ids);
    ts_kvlist_free(&opts);
    ts_strv_free(&env);
    ts_strv_free(&spank);
    return rc;
}

int ts_pool_recorded(ts_journal *j, const char *suite_id, uint32_t **ids, size_t *n,
                     ts_err *err)
{
    recorded rec = { 0 };
    rec_walk w = { .j = j, .r = &rec, .err = err };
    *ids = NULL;
    *n = 0;
    if (ts_journal_intents_foreach(j, suite_id, ~0u, note_intent_jobs, &w, err) < 0) {
        free(rec.ids);
        return -1;
    }
    *ids = rec.ids;
    *n = rec.n;
    return 0;
}

bool ts_pool_allocation_had_agent(const char *suite_dir, uint32_t jobid)
{
    char adir[PATH_MAX], want[32];
    struct dirent *de;
    bool found = false;
    /* agent ids are <host>.<jobid>.<pid>.<start> (claims.h); the host may
     * hold dots, so the job id is the third field from the end */
    if (ts_pool_path(suite_dir, "agents", adir, sizeof adir) < 0)
        return false;
    snprintf(want, sizeof want, "%" PRIu32, jobid);
    DIR *d = opendir(adir);
    if (!d)
        return false;
    while (!found && (de = readdir(d))) {
        char name[256], *dot[3] = { NULL, NULL, NULL };
        if (de->d_name[0] == '.')
            continue;
        snprintf(name, sizeof name, "%s", de->d_name);
        char *ext = strchr(name, '.') ? strrchr(name, '.') : NULL;
        if (!ext || (strcmp(ext, ".hb") != 0 && strcmp(ext, ".workers") != 0))
            continue;
        *ext = '\0';
        for (int k = 0; k < 3; k++) {
            dot[k] = strrchr(name, '.');
            if (!dot[k])
                break;
            *dot[k] = '\0';
        }
        found = dot[2] && strcmp(dot[2] + 1, want) == 0;
    }
    closedir(d);
    return found;
}

bool ts_pool_barren(const uint32_t *ids, const bool *had_agent, const bool *live, size_t n)
{
    /* the TS_POOL_BARREN newest (highest job ids), one at a time */
    uint32_t below = UINT32_MAX;
    for (int k = 0; k < TS_POOL_BARREN; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (ids[i] < below && (best == n || ids[i] > ids[best]))
                best = i;
        if (best == n || had_agent[best] || live[best])
            return false;   /* fewer than that, or one started an agent */
        below = ids[best];
    }
    return true;
}
