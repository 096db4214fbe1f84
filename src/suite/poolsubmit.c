/* poolsubmit.c: queueing a suite in pool mode (see poolsubmit.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims.h"
#include "grow.h"
#include "layout.h"
#include "manifest.h"
#include "poolsubmit.h"
#include "slurmopt.h"
#include "submission_int.h"

bool ts_pool_mode(const ts_suite *s, bool local)
{
    return s && s->worker_schedule.present && !local;
}

int ts_pool_path(const char *suite_dir, const char *leaf, char *buf, size_t len)
{
    int n = leaf ? snprintf(buf, len, "%s/pool/%s", suite_dir, leaf)
                 : snprintf(buf, len, "%s/pool", suite_dir);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

bool ts_pool_dir_exists(const char *suite_dir)
{
    char p[PATH_MAX];
    struct stat st;
    return ts_pool_path(suite_dir, NULL, p, sizeof p) == 0 && stat(p, &st) == 0
           && S_ISDIR(st.st_mode);
}

long ts_pool_allocations(const ts_worker_schedule *ws, long ntasks)
{
    if (ws->allocations > 0)
        return ws->allocations;
    long per = ws->worker_count > 0 ? ws->worker_count : 1;
    long n = (ntasks + per - 1) / per;
    if (n > TS_POOL_ALLOCATIONS_MAX)
        n = TS_POOL_ALLOCATIONS_MAX;
    return n > 0 ? n : 1;
}

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

/* ------------------------------------------------------------ settings */

int ts_pool_settings_write(const char *suite_dir, const ts_worker_schedule *ws,
                           long allocations, ts_err *err)
{
    char path[PATH_MAX];
    if (ts_pool_path(suite_dir, "settings", path, sizeof path) < 0)
        return ts_errf(err, "path too long under %.80s", suite_dir);
    char text2[PATH_MAX + 160];
    int n = snprintf(text2, sizeof text2, "lease %ld\nallocations %ld\n", ws->lease_s,
                     allocations);
#ifdef TS_FAULT_INJECTION
    /* The stand-in agent of the login side's tests, for the allocations the
     * safety net queues later from inside a job (whose environment has no
     * TASKSUITE_FAULT_* variables). */
    const char *stand_in = getenv("TASKSUITE_FAULT_POOL_AGENT");
    if (stand_in && *stand_in && !strpbrk(stand_in, " \n"))
        n += snprintf(text2 + n, sizeof text2 - (size_t)n, "standin %s\n", stand_in);
#endif
    return ts_write_file_atomic(path, text2, (size_t)n, 0640, err);
}

void ts_pool_settings_read(const char *suite_dir, long *lease_s, long *allocations)
{
    char path[PATH_MAX], key[32];
    long v;
    *lease_s = TS_POOL_LEASE_DEFAULT_S;
    *allocations = 1;
    if (ts_pool_path(suite_dir, "settings", path, sizeof path) < 0)
        return;
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    while (fscanf(f, "%31s %ld", key, &v) == 2) {
        if (!strcmp(key, "lease") && v > 0)
            *lease_s = v;
        else if (!strcmp(key, "allocations") && v > 0)
            *allocations = v;
    }
    fclose(f);
}

/* ------------------------------------------------------------ manifest */

/* The task with index idx: the file's expansion, then tasks added later. */
static const ts_task *find_task(const ts_submit_ctx *c, long idx)
{
    if (!c->tl->lazy && idx >= 0 && (size_t)idx < c->tl->n && (long)c->tl->v[idx].index == idx)
        return &c->tl->v[idx];
    for (size_t i = 0; !c->tl->lazy && i < c->tl->n; i++)
        if ((long)c->tl->v[i].index == idx)
            return &c->tl->v[i];
    for (size_t i = 0; c->extra && i < c->extra->n; i++)
        if ((long)c->extra->v[i].index == idx)
            return &c->extra->v[i];
    return NULL;
}

static long base_count(const ts_submit_ctx *c)
{
    return c->tl->lazy ? (long)c->tl->lazy->count : (long)c->tl->n;
}

/* Every task of the suite, line p = task p (the agent reads the task it
 * claimed at position = its index, contract item 2); the lazy one-line
 * form while the suite is exactly its lazy matrix. */
static int write_manifest(const ts_submit_ctx *c, long total, ts_err *err)
{
    char path[PATH_MAX];
    ts_manifest_entry *v = NULL;
    ts_task *own = NULL;
    long base = base_count(c), nown = 0;
    int rc = -1;

    if (ts_pool_path(c->suite_dir, "manifest.jsonl", path, sizeof path) < 0)
        return ts_errf(err, "path too long under %.80s", c->suite_dir);
    if (c->tl->lazy && total == base)
        return ts_manifest_write_lazy(path, c->tl->lazy, err);
    if (!(v = calloc((size_t)(total > 0 ? total : 1), sizeof *v))
        || (c->tl->lazy && !(own = calloc((size_t)base, sizeof *own))))
        goto oom;
    for (long i = 0; i < total; i++) {
        const ts_task *t;
        if (c->tl->lazy && i < base) {
            if (ts_lazy_task(c->tl->lazy, (size_t)i, &own[nown]) < 0)
                goto oom;
            t = &own[nown++];
        } else
            t = find_task(c, i);
        if (!t) {
            ts_errf(err, "suite %s: task %ld is not in the suite's expansion", c->suite_id, i);
            goto out;
        }
        v[i] = (ts_manifest_entry){ .task_idx = i, .name = t->name, .attempt = 1,
                                    .setup = t->setup, .run = t->run, .env = t->env };
    }
    rc = ts_manifest_write(path, v, (size_t)total, err);
    goto out;
oom:
    ts_errf(err, "out of memory writing the pool manifest");
out:
    for (long i = 0; i < nown; i++)
        ts_task_free(&own[i]);
    free(own);
    free(v);
    return rc;
}

/* How many tasks the pool manifest holds (pool/manifest.count, written
 * after it); 0 when none was written. */
static long manifest_count(const char *suite_dir)
{
    char path[PATH_MAX];
    long n = 0;
    if (ts_pool_path(suite_dir, "manifest.count", path, sizeof path) < 0)
        return 0;
    FILE *f = fopen(path, "re");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n;
}

static int ensure_manifest(const ts_submit_ctx *c, long highest, ts_err *err)
{
    char path[PATH_MAX], text[32];
    long total = base_count(c);
    for (size_t i = 0; c->extra && i < c->extra->n; i++)
        if ((long)c->extra->v[i].index + 1 > total)
            total = (long)c->extra->v[i].index + 1;
    if (highest + 1 > total)
        return ts_errf(err, "suite %s: task %ld is not in the suite's expansion", c->suite_id,
                       highest);
    if (manifest_count(c->suite_dir) >= total)
        return 0;
    /* Manifest first, then its count: a crash between them rewrites it. */
    if (write_manifest(c, total, err) < 0
        || ts_pool_path(c->suite_dir, "manifest.count", path, sizeof path) < 0)
        return -1;
    int n = snprintf(text, sizeof text, "%ld\n", total);
    return ts_write_file_atomic(path, text, (size_t)n, 0640, err);
}

/* ------------------------------------------------------------ queue */

typedef struct entries {
    const ts_submit_ctx *c;
    ts_pool_entry *v;
    size_t n, cap;
    long highest;
} entries;

static int add_entry(long position, long task_idx, int attempt, void *arg)
{
    entries *e = arg;
    (void)position;
    if (ts_grow((void **)&e->v, &e->cap, e->n, sizeof *e->v) < 0)
        return -1;
    const ts_task *t = e->c->tl->lazy && task_idx < base_count(e->c) ? NULL
                                                                     : find_task(e->c, task_idx);
    e->v[e->n++] = (ts_pool_entry){ .task = task_idx, .attempt = attempt, .gen = 0,
                                    .priority = t ? t->priority : 0 };
    if (task_idx > e->highest)
        e->highest = task_idx;
    return 0;
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

static uint32_t self_job(const char *suite_id)
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
    long live = ts_pool_live_allocations(jobs, njobs, c->suite_id, self_job(c->suite_id));
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

void ts_pool_remove_unused(const char *suite_dir)
{
    static const char *const files[] = { "settings", "manifest.jsonl", "manifest.count" };
    static const char *const dirs[] = { "claims", "agents", "sync" };
    char path[PATH_MAX + 300], qdir[PATH_MAX];
    struct dirent *de;

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (ts_pool_path(suite_dir, files[i], path, sizeof path) == 0)
            unlink(path);
    if (ts_pool_path(suite_dir, "queue", qdir, sizeof qdir) == 0) {
        DIR *d = opendir(qdir);
        while (d && (de = readdir(d)))
            if (strstr(de->d_name, ".q") || strstr(de->d_name, ".hint")) {
                snprintf(path, sizeof path, "%s/%s", qdir, de->d_name);
                unlink(path);
            }
        if (d)
            closedir(d);
        rmdir(qdir);
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (ts_pool_path(suite_dir, dirs[i], path, sizeof path) == 0)
            rmdir(path);   /* empty: nothing ever ran */
    if (ts_pool_path(suite_dir, NULL, path, sizeof path) == 0)
        rmdir(path);
}

/* ------------------------------------------------------------ carry out */

int ts_pool_carry_out(const ts_submit_ctx *c, int64_t sub_id, bool first, ts_err *err)
{
    char pooldir[PATH_MAX];
    entries e = { .c = c, .highest = -1 };
    long total = 0, queued = 0;
    int rc = -1;

    if (ts_secure_dir(c->suite_dir, TS_RUN_DIR_MODE, "run directory", err) < 0)
        return -1;
    char settings[PATH_MAX];
    if (ts_pool_path(c->suite_dir, NULL, pooldir, sizeof pooldir) < 0
        || ts_pool_path(c->suite_dir, "settings", settings, sizeof settings) < 0)
        return ts_errf(err, "path too long under %.80s", c->suite_dir);
    if (ts_journal_intent_tasks_foreach(c->j, sub_id, add_entry, &e, err) < 0)
        goto out;
    total = base_count(c) + (c->extra ? (long)c->extra->n : 0);
    /* settings: written by submit; later carry-outs (add, retry) keep them */
    if (ts_pool_init(pooldir, err) < 0
        || ((first || access(settings, F_OK) < 0)
            && ts_pool_settings_write(c->suite_dir, &c->s->worker_schedule,
                                      ts_pool_allocations(&c->s->worker_schedule, total),
                                      err) < 0)
        || ensure_manifest(c, e.highest, err) < 0
        || ts_pool_queue_append(pooldir, e.v, e.n, NULL, err) < 0)
        goto out;
    long want = first ? ts_pool_allocations(&c->s->worker_schedule, total) : 1;
    if (ts_pool_allocate(c, sub_id, want, &queued, err) < 0) {
        if (first)
            goto out;
        fprintf(stderr, "tasksuite: suite %s: no pool allocation queued now (%s); the next "
                "`tasksuite status` or `sync` tries again\n", c->suite_id, err->msg);
        ts_err_clear(err);
    }
    if (ts_journal_intent_set_state(c->j, sub_id, TS_SUB_SUBMITTED, err) < 0)
        goto out;
    rc = 0;
out:
    free(e.v);
    return rc;
}

/* ------------------------------------------------------------ describe */

int ts_pool_describe(const ts_submit_ctx *c, long ntasks, FILE *f, ts_err *err)
{
    ts_kvlist opts = { 0 };
    const ts_worker_schedule *ws = &c->s->worker_schedule;
    long n = ts_pool_allocations(ws, ntasks);
    int nodes = c->s->num_nodes > 1 ? c->s->num_nodes : 1;

    if (ts_pool_allocation_options(c->s, &opts, err) < 0)
        return -1;
    fprintf(f, "would submit suite %s in pool mode: %ld task%s, %ld pool allocation%s of "
            "%d node%s at once, %d worker%s per node\n",
            c->s->name, ntasks, ntasks == 1 ? "" : "s", n, n == 1 ? "" : "s", nodes,
            nodes == 1 ? "" : "s", ws->worker_count, ws->worker_count == 1 ? "" : "s");
    fprintf(f, "  sbatch");
    ts_print_sbatch_options(f, &opts);
    char file[PATH_MAX * 2];
    if (ts_sbatch_option_word(file, sizeof file, "task-suite", c->spec_file) < 0)
        snprintf(file, sizeof file, "--task-suite=...");
    fprintf(f, " %s  # x%ld: srun --ntasks-per-node=1 tasksuite pool-agent\n", file, n);
    ts_kvlist_free(&opts);
    return 0;
}
