/* poolsubmit.c: queueing a suite in pool mode (see poolsubmit.h): the pool
 * directory, its settings, manifest and queue epochs; the allocations are
 * poolalloc.c's. */
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
