#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "after.h"
#include "dag.h"
#include "exitcodes.h"
#include "fault.h"
#include "grow.h"
#include "layout.h"
#include "manifest.h"
#include "record.h"
#include "slurm.h"
#include "slurmopt.h"
#include "spec_json.h"
#include "submission.h"
#include "submission_int.h"
#include "oncheckpoint.h"   /* issue 16 */
#include "triggers.h"
#include "submit_graph.h"

extern char **environ;

/* ------------------------------------------------------------ manifest */

typedef struct manifest_build {
    const ts_tasklist *tl;
    const ts_tasklist *extra;
    ts_manifest_entry *v;
    size_t n, cap;
    ts_task *own;       /* lazy: the tasks materialised for v */
    size_t nown, own_cap;
    bool whole;         /* so far position p = task p, attempt 1 */
    ts_err *err;
    const char *suite_dir;
    const ts_dag *dag;  /* the suite's graph, NULL: none */
    size_t *first;      /* per node: the index of its first task */
    ts_kvlist *envs;    /* owned env lists of graph tasks (DEP dirs) */
    size_t nenvs, envs_cap;
} manifest_build;

/* TASK_SUITE_DEP_<UP>_DIR of a task of the graph: an upstream task's
 * directory (element i's for a per-element edge, the one task of a task
 * or single-task stage), or the suite's tasks/ directory for a whole stage
 * of several tasks (its tasks are tasks/STAGE.*). doc/dags.md. */
static int dep_env(manifest_build *b, const ts_task *t, ts_kvlist *out)
{
    const ts_dag_node *nd = &b->dag->v[t->node - 1];
    size_t elem = t->index - b->first[t->node - 1];

    for (size_t i = 0; i < t->env.n; i++)
        if (ts_kvlist_add(out, t->env.v[i].key, t->env.v[i].value, (ts_pos){ 0, 0 }) < 0)
            return -1;
    for (size_t e = 0; e < nd->nups; e++) {
        const ts_dag_node *up = &b->dag->v[nd->ups[e].up];
        size_t ufirst = b->first[nd->ups[e].up];
        char key[160], dir[PATH_MAX];
        size_t k = 0;

        k = (size_t)snprintf(key, sizeof key, "TASK_SUITE_DEP_");
        for (const char *p = up->name; *p && k + 5 < sizeof key; p++)
            key[k++] = (char)(isalnum((unsigned char)*p) ? toupper((unsigned char)*p) : '_');
        snprintf(key + k, sizeof key - k, "_DIR");
        if (nd->ups[e].corr || up->count == 1) {
            size_t ui = ufirst + (nd->ups[e].corr ? elem : 0);
            if (ui >= b->tl->n
                || ts_layout_task_dir(b->suite_dir, b->tl->v[ui].name, dir, sizeof dir,
                                      b->err) < 0)
                return -1;
        } else if (snprintf(dir, sizeof dir, "%s/tasks", b->suite_dir) >= (int)sizeof dir) {
            return -1;
        }
        if (ts_kvlist_add(out, key, dir, (ts_pos){ 0, 0 }) < 0)
            return -1;
    }
    return 0;
}

/* A lazy matrix's first submission (every task once, in order, attempt 1)
 * gets the lazy manifest: nothing per task. */
static int note_whole(long position, long task_idx, int attempt, void *arg)
{
    manifest_build *b = arg;
    b->whole = b->whole && position == (long)b->n && task_idx == position && attempt == 1;
    b->n++;
    return 0;
}

static int add_entry(long position, long task_idx, int attempt, void *arg)
{
    manifest_build *b = arg;
    (void)position;   /* rows come in position order */
    const ts_task *t = NULL;
    if (b->tl->lazy) {
        /* A lazy matrix's task, materialised and kept until written. */
        if (ts_grow((void **)&b->own, &b->own_cap, b->nown, sizeof *b->own) < 0
            || ts_lazy_task(b->tl->lazy, (size_t)task_idx, &b->own[b->nown]) < 0) {
            ts_errf(b->err, "task %ld is not in the suite's expansion", task_idx);
            return -1;
        }
        t = &b->own[b->nown++];
    } else if (task_idx >= 0 && (size_t)task_idx < b->tl->n)
        t = &b->tl->v[task_idx];
    for (size_t i = 0; !t && b->extra && i < b->extra->n; i++)
        if ((long)b->extra->v[i].index == task_idx)
            t = &b->extra->v[i];
    if (!t) {
        ts_errf(b->err, "task %ld is not in the suite's expansion", task_idx);
        return -1;
    }
    if (ts_grow((void **)&b->v, &b->cap, b->n, sizeof *b->v) < 0) {
        ts_errf(b->err, "out of memory");
        return -1;
    }
    ts_kvlist env = t->env;
    if (b->dag && t->node && b->dag->v[t->node - 1].nups) {
        if (ts_grow((void **)&b->envs, &b->envs_cap, b->nenvs, sizeof *b->envs) < 0) {
            ts_errf(b->err, "out of memory");
            return -1;
        }
        ts_kvlist *own = &b->envs[b->nenvs++];
        *own = (ts_kvlist){ 0 };
        if (dep_env(b, t, own) < 0) {
            if (!b->err->msg[0])
                ts_errf(b->err, "task %s: its upstream directories do not fit", t->name);
            return -1;
        }
        env = *own;
    }
    b->v[b->n++] = (ts_manifest_entry){
        .task_idx = task_idx, .name = t->name, .attempt = attempt,
        .setup = t->setup, .run = t->run, .env = env,
    };
    return 0;
}

int ts_submission_write_manifest(const ts_submit_ctx *c, int64_t sub_id, ts_err *err)
{
    char path[PATH_MAX], dir[PATH_MAX];
    manifest_build b = { .tl = c->tl, .extra = c->extra, .err = err,
                         .suite_dir = c->suite_dir };
    ts_dag dag = { 0 };
    int rc = -1;

    /* Compute nodes run what the manifest says: the run directory and
     * manifests/ must be the user's alone (layout.h). */
    if (snprintf(dir, sizeof dir, "%s/manifests", c->suite_dir) >= (int)sizeof dir
        || ts_secure_dir(c->suite_dir, TS_RUN_DIR_MODE, "run directory", err) < 0
        || ts_secure_dir(dir, TS_RUN_DIR_MODE, "run directory", err) < 0
        || ts_layout_manifest(c->suite_dir, (long)sub_id, path, sizeof path, err) < 0)
        return -1;
    if (c->tl->lazy) {
        b.whole = true;
        if (ts_journal_intent_tasks_foreach(c->j, sub_id, note_whole, &b, err) < 0)
            return -1;
        if (b.whole && b.n == c->tl->lazy->count)
            return ts_manifest_write_lazy(path, c->tl->lazy, err) == 0
                && ts_journal_intent_set_manifest(c->j, sub_id, path, err) == 0 ? 0 : -1;
        b.n = 0;
    }
    if (c->s && !c->tl->lazy) {
        if (ts_dag_build(c->s, &dag, err) < 0)
            return -1;
        if (dag.n) {
            b.dag = &dag;
            if (!(b.first = calloc(dag.n, sizeof *b.first))) {
                ts_dag_free(&dag);
                return ts_errf(err, "out of memory");
            }
            for (size_t i = c->tl->n; i-- > 0;)
                if (c->tl->v[i].node)
                    b.first[c->tl->v[i].node - 1] = i;
        }
    }
    if (ts_journal_intent_tasks_foreach(c->j, sub_id, add_entry, &b, err) == 0
        && ts_manifest_write(path, b.v, b.n, err) == 0
        && ts_journal_intent_set_manifest(c->j, sub_id, path, err) == 0)
        rc = 0;
    for (size_t i = 0; i < b.nenvs; i++)
        ts_kvlist_free(&b.envs[i]);
    free(b.envs);
    free(b.first);
    ts_dag_free(&dag);
    free(b.v);   /* entries borrow the expansion's strings (or own) */
    for (size_t i = 0; i < b.nown; i++)
        ts_task_free(&b.own[i]);
    free(b.own);
    return rc;
}

/* ------------------------------------------------------------ job env */

static int keep_var(const char *kv)
{
    static const char *const drop[] = {
        "TASK_SUITE_", "SLURM_SPANK_", "_SLURM_SPANK_", "SPANK_", "TASKSUITE_FAULT",
    };
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (strncmp(kv, drop[i], strlen(drop[i])) == 0)
            return 0;
    return 1;
}

typedef ts_strv strv;

static int strv_add(strv *s, char *owned)
{
    if (!owned)
        return -1;
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(owned);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
    return 0;
}

static char *kvdup(const char *name, const char *value)
{
    char *s = NULL;
    return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* The job's environment: the user's, without stale tasksuite/SPANK values
 * (a suite submitted from inside another task), plus what sbatch would set
 * for --task-suite so the plugin sees the option on the compute side
 * (SLURM-NOTES.md section 2, last item). The SLURM_SPANK_ copies are what
 * sbatch puts in the batch environment: an srun in the job script reads
 * the option from there, so its step on another node (a pool allocation's
 * agents, a multi-node task's ranks) runs env_preparation there too; the
 * remote side clears _SLURM_SPANK_OPTION_* from the tasks. */
static int build_envs(const ts_submit_ctx *c, strv *env, strv *spank, ts_err *err)
{
    char *spec = ts_hooks_serialize_dir(c->s, c->suite_id, c->workdir, c->suite_dir);
    int bad = !spec;

    for (size_t i = 0; !bad && environ[i]; i++)
        if (keep_var(environ[i]))
            bad |= strv_add(env, strdup(environ[i])) < 0;
    if (!bad) {
        bad |= strv_add(env, kvdup("_SLURM_SPANK_OPTION_tasksuite_task_suite", c->spec_file));
        bad |= strv_add(env, kvdup("SLURM_SPANK__SLURM_SPANK_OPTION_tasksuite_task_suite", c->spec_file));
        bad |= strv_add(env, kvdup("SLURM_SPANK_TASK_SUITE_FILE", c->spec_file));
        bad |= strv_add(env, kvdup("SLURM_SPANK_TASK_SUITE_SPEC", spec));
        bad |= strv_add(spank, kvdup("_SLURM_SPANK_OPTION_tasksuite_task_suite", c->spec_file));
        bad |= strv_add(spank, kvdup("TASK_SUITE_SPEC", spec));
        bad |= strv_add(spank, kvdup("TASK_SUITE_FILE", c->spec_file));
    }
    free(spec);
    return bad ? ts_errf(err, "out of memory building the job environment") : 0;
}

/* ------------------------------------------------------------ arrays */

/* 'text' with ' as '\'' : a single shell word, whatever it holds. */
static int shell_quote(char *buf, size_t len, const char *text)
{
    size_t o = 0;
    if (o + 1 >= len)
        return -1;
    buf[o++] = '\'';
    for (const char *p = text; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        size_t plen = piece ? 4 : 1;
        if (o + plen + 2 >= len)
            return -1;
        if (piece)
            memcpy(buf + o, piece, plen);
        else
            buf[o] = *p;
        o += plen;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return 0;
}

static int batch_script(const ts_submit_ctx *c, const char *manifest, long offset,
                        char **out, ts_err *err)
{
    char self[PATH_MAX * 2], dir[PATH_MAX * 2], man[PATH_MAX * 2];
    if (shell_quote(self, sizeof self, c->self) < 0
        || shell_quote(dir, sizeof dir, c->suite_dir) < 0
        || shell_quote(man, sizeof man, manifest) < 0)
        return ts_errf(err, "path too long for the batch script");
    if (asprintf(out,
                 "#!/bin/sh\n"
                 "# tasksuite %s: suite %s, manifest offset %ld\n"
                 "exec %s exec --dir %s --manifest %s --offset %ld\n",
                 PACKAGE_VERSION, c->suite_id, offset, self, dir, man, offset) < 0)
        return ts_errf(err, "out of memory");
    return 0;
}

static uint32_t suite_throttle(const ts_submit_ctx *c)
{
    const char *t = ts_kv_get(&c->s->slurm, "array-throttle");
    if (c->throttle)
        return c->throttle;
    return t ? (uint32_t)strtoul(t, NULL, 10) : 0;
}

/* Arrays are queued in position order, each recorded as soon as Slurm
 * takes it: what is recorded covers positions [0, next). */
typedef struct recorded {
    long next;
} recorded;

static int note_job(const ts_slurm_job *job, void *arg)
{
    recorded *r = arg;
    if (job->index_offset + job->last_index + 1 > r->next)
        r->next = job->index_offset + job->last_index + 1;
    return 0;
}

/* Queued held while a suite it waits for is not complete (after.h). */
static int waits_for_suites(const ts_submit_ctx *c, bool *hold, ts_err *err)
{
    ts_suite_info me = { 0 };
    *hold = false;
    if (ts_journal_suite_get(c->j, c->suite_id, &me, err) < 0)
        return -1;
    int rc = ts_after_waiting(c->j, me.submit_record, hold, NULL, err);
    ts_suite_info_clear(&me);
    return rc;
}

static int note_graph_job(const ts_slurm_job *job, void *arg)
{
    ts_err err = { 0 };
    return ts_graph_sub_note(arg, job->index_offset, job->last_index + 1,
                             job->array_job_id, &err);
}

static int count_task(long position, long task_idx, int attempt, void *arg)
{
    (void)position;
    (void)task_idx;
    (void)attempt;
    (*(long *)arg)++;
    return 0;
}

/* A chunk queued by an interrupted run: same recovery key in the comment. */
static uint32_t find_queued(const ts_job_info *jobs, size_t n, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (strncmp(jobs[i].comment, key, klen) == 0
            && (jobs[i].comment[klen] == '\0' || jobs[i].comment[klen] == ' '))
            return jobs[i].array_job_id ? jobs[i].array_job_id : jobs[i].job_id;
    return 0;
}

/* The same, among jobs still pending (a reconcile job that runs now is
 * not the later one it may have to queue). */
static uint32_t find_pending(const ts_job_info *jobs, size_t n, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (jobs[i].state == TS_JOB_PENDING && strncmp(jobs[i].comment, key, klen) == 0
            && (jobs[i].comment[klen] == '\0' || jobs[i].comment[klen] == ' '))
            return jobs[i].job_id ? jobs[i].job_id : jobs[i].array_job_id;
    return 0;
}

/* Elements of an array queued by an interrupted run (its highest index + 1):
 * waves make chunk sizes depend on the room there was. */
static long queued_count(const ts_job_info *jobs, size_t n, uint32_t array_job_id)
{
    long count = 0;
    for (size_t i = 0; i < n; i++)
        if (jobs[i].array_job_id == array_job_id && (long)jobs[i].array_task_id + 1 > count)
            count = (long)jobs[i].array_task_id + 1;
    return count;
}

/* Options the reconcile job keeps from the suite: where it may run and who
 * pays; never the tasks' resources. begin: NULL, or when it may start. */
static int reconcile_options(const ts_kvlist *all, const char *begin, ts_kvlist *out)
{
    static const char *const keep[] = { "partition", "account", "qos", "reservation",
                                        "wckey", "clusters" };
    memset(out, 0, sizeof *out);
    out->v = calloc(sizeof keep / sizeof keep[0] + 5, sizeof *out->v);
    if (!out->v)
        return -1;
    for (size_t i = 0; i < all->n; i++)
        for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
            if (!strcmp(all->v[i].key, keep[k])) {
                out->v[out->n].key = strdup(all->v[i].key);
                out->v[out->n++].value = strdup(all->v[i].value);
            }
    out->v[out->n].key = strdup("nodes");
    out->v[out->n++].value = strdup("1");
    out->v[out->n].key = strdup("cpus-per-task");
    out->v[out->n++].value = strdup("1");
    out->v[out->n].key = strdup("time");
    out->v[out->n++].value = strdup("10");
    if (begin) {
        out->v[out->n].key = strdup("begin");
        out->v[out->n++].value = strdup(begin);
    }
    for (size_t i = 0; i < out->n; i++)
        if (!out->v[i].key || !out->v[i].value)
            return -1;
    return 0;
}

/* The arrays no reconcile job watches yet: those after the last one that
 * has one (a wave's arrays all get their reconcile job's id). */
typedef struct arrays {
    uint32_t ids[64];
    long offsets[64];
    size_t n;
    long watched;             /* highest offset with a reconcile job, -1 */
} arrays;

static int note_array(const ts_slurm_job *job, void *arg)
{
    arrays *a = arg;
    if (job->reconcile_job_id) {
        if (job->index_offset > a->watched)
            a->watched = job->index_offset;
        /* Arrays before it are watched by an earlier wave's job. */
        size_t k = 0;
        for (size_t i = 0; i < a->n; i++)
            if (a->offsets[i] > a->watched)
                a->offsets[k] = a->offsets[i], a->ids[k++] = a->ids[i];
        a->n = k;
        return 0;
    }
    if (job->index_offset > a->watched && a->n < sizeof a->ids / sizeof a->ids[0]) {
        a->offsets[a->n] = job->index_offset;
        a->ids[a->n++] = job->array_job_id;
    }
    return 0;
}

/* Queue one safety-net job (name ts-<id>-reconcile, the recovery key in
 * its comment): `tasksuite reconcile ID ARGS` on one CPU, with the suite's
 * partition and account, none of the plugin's variables. dep, begin: NULL
 * or its dependency and earliest start. *full (may be NULL) is set when
 * Slurm refused it for want of room. */
static int queue_safety_job(const ts_submit_ctx *c, const ts_kvlist *opts, char *const *env,
                            const char *key, const char *args, const char *dep,
                            const char *begin, int *full, uint32_t *job_id, ts_err *err)
{
    char name[64], self[PATH_MAX * 2], home[PATH_MAX * 2], out[PATH_MAX], *script = NULL;
    ts_kvlist ropts = { 0 };
    strv renv = { 0 };
    int rc = -1;

    snprintf(name, sizeof name, "ts-%s-reconcile", c->suite_id);
    if (shell_quote(self, sizeof self, c->self) < 0
        || shell_quote(home, sizeof home, ts_journal_home(c->j)) < 0
        || asprintf(&script, "#!/bin/sh\n# tasksuite %s: safety net for suite %s\n"
                             "TASKSUITE_HOME=%s exec %s reconcile %s%s\n",
                    PACKAGE_VERSION, c->suite_id, home, self, c->suite_id, args) < 0) {
        script = NULL;
        ts_errf(err, "cannot write the reconcile job's script");
        goto out;
    }
    snprintf(out, sizeof out, "%s/slurm/reconcile-%%j.out", c->suite_dir);
    if (reconcile_options(opts, begin, &ropts) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; env && env[i]; i++)
        if (keep_var(env[i]) && strv_add(&renv, strdup(env[i])) < 0) {
            ts_errf(err, "out of memory");
            goto out;
        }
    ts_array_req req = {
        .job_name = name, .comment = key, .script = script,
        .work_dir = c->workdir, .std_out = out, .first = 0, .last = 0,
        .options = &ropts, .env = renv.v, .dependency = dep,
        .single = 1, .full = full,
    };
    rc = ts_slurm_submit(&req, job_id, err);
out:
    strv_free(&renv);
    free(script);
    ts_kvlist_free(&ropts);
    return rc;
}

/* The safety net: a small job that runs `tasksuite reconcile ID` once every
 * array of this submission's latest wave has ended (afterany), classifies
 * what the task events cannot tell (hard kill at the walltime, node
 * failure, preemption), resubmits what may be retried and queues the next
 * wave, chaining its own reconcile job. When tasks wait for room and no
 * array was queued now, the job runs after `delay` seconds instead (when
 * Slurm will have purged ended jobs, MinJobAge). */
static int submit_reconcile(const ts_submit_ctx *c, int64_t sub_id, const ts_kvlist *opts,
                            char *const *env, const ts_job_info *queued, size_t nqueued,
                            long waiting, long delay, ts_err *err)
{
    char key[128], dep[64 * 12 + 16], begin[32];
    arrays a = { .watched = -1 };
    uint32_t job_id;
    int full = 0;

    if (ts_journal_intent_jobs_foreach(c->j, sub_id, note_array, &a, err) < 0)
        return -1;
    if (a.n == 0 && waiting <= 0)
        return 0;
    if (a.n == 0)
        snprintf(key, sizeof key, "tasksuite:%s:%lld:wave", c->suite_id, (long long)sub_id);
    else if (a.offsets[0] == 0)
        snprintf(key, sizeof key, "tasksuite:%s:%lld:reconcile", c->suite_id, (long long)sub_id);
    else
        snprintf(key, sizeof key, "tasksuite:%s:%lld:reconcile:%ld", c->suite_id,
                 (long long)sub_id, a.offsets[0]);
    /* A delayed job already waiting does the same: one is enough. */
    job_id = a.n ? find_queued(queued, nqueued, key) : find_pending(queued, nqueued, key);
    if (!job_id) {
        size_t o = (size_t)snprintf(dep, sizeof dep, "afterany");
        for (size_t i = 0; i < a.n && o < sizeof dep; i++)
            o += (size_t)snprintf(dep + o, sizeof dep - o, ":%u", a.ids[i]);
        snprintf(begin, sizeof begin, "now+%ld", delay);
        if (queue_safety_job(c, opts, env, key, "", a.n ? dep : NULL, a.n ? NULL : begin,
                             waiting > 0 ? &full : NULL, &job_id, err) < 0) {
            /* Not even room for it: the next `tasksuite status` or `sync`
             * queues the rest (and this job) instead. */
            if (!full)
                return -1;
            ts_err_clear(err);
            return 0;
        }
        ts_fault_point("after-submit-reconcile");
    }
    for (size_t i = 0; i < a.n; i++)
        if (ts_journal_intent_set_reconcile_job(c->j, sub_id, a.ids[i], job_id, err) < 0)
            return -1;
    return 0;
}

/* The watchdog's recovery key: at most one waits per suite. */
static void watch_key(const char *suite_id, char *key, size_t len)
{
    snprintf(key, len, "tasksuite:%s:watch", suite_id);
}

long ts_watch_base_period(void)
{
#ifdef TS_FAULT_INJECTION
    /* Tests see a watchdog at work in seconds instead of minutes. */
    const char *p = getenv("TASKSUITE_FAULT_WATCH_PERIOD");
    if (p && strtol(p, NULL, 10) > 0)
        return strtol(p, NULL, 10);
#endif
    return TS_WATCH_PERIOD_S;
}

int ts_submission_watch(const ts_submit_ctx *c, long period, bool look, ts_err *err)
{
    char key[64], name[64], args[48], begin[32];
    ts_kvlist opts = { 0 };
    ts_job_info *queued = NULL;
    size_t nqueued = 0;
    strv env = { 0 }, spank = { 0 };
    uint32_t job_id = 0;
    int rc = -1;

    if (getenv("TASKSUITE_NO_RECONCILE_JOB"))
        return 0;
    if (period < ts_watch_base_period())
        period = ts_watch_base_period();
    if (period > TS_WATCH_PERIOD_MAX_S)
        period = TS_WATCH_PERIOD_MAX_S;
    watch_key(c->suite_id, key, sizeof key);
    snprintf(name, sizeof name, "ts-%s-reconcile", c->suite_id);
    if (look && ts_slurm_find_jobs(getuid(), name, &queued, &nqueued, err) < 0)
        goto out;
    if (find_pending(queued, nqueued, key)) {
        rc = 0;
        goto out;
    }
    snprintf(args, sizeof args, " --watch %ld", period);
    snprintf(begin, sizeof begin, "now+%ld", period);
    if (ts_slurm_options(c->s, &opts, err) < 0 || build_envs(c, &env, &spank, err) < 0)
        goto out;
    rc = queue_safety_job(c, &opts, env.v, key, args, NULL, begin, NULL, &job_id, err);
out:
    free(queued);
    ts_kvlist_free(&opts);
    strv_free(&env);
    strv_free(&spank);
    return rc;
}

void ts_submission_watch_or_warn(const ts_submit_ctx *c, const char *cmd, bool look)
{
    ts_err err = { 0 };
    if (ts_submission_watch(c, ts_watch_base_period(), look, &err) < 0)
        fprintf(stderr, "tasksuite %s: suite %s: no watchdog job (%s); `tasksuite status` "
                "or `sync` refresh the suite instead\n", cmd, c->suite_id, err.msg);
}

int ts_submission_unwatch(const char *suite_id, ts_err *err)
{
    char key[64], name[64], spec[16];
    ts_job_info *queued = NULL;
    size_t nqueued = 0;
    int rc = 0;

    watch_key(suite_id, key, sizeof key);
    snprintf(name, sizeof name, "ts-%s-reconcile", suite_id);
    if (ts_slurm_find_jobs(getuid(), name, &queued, &nqueued, err) < 0)
        return -1;
    uint32_t id;
    while (rc == 0 && (id = find_pending(queued, nqueued, key))) {
        snprintf(spec, sizeof spec, "%" PRIu32, id);
        rc = ts_slurm_cancel(spec, err);
        for (size_t i = 0; i < nqueued; i++)   /* done with this one */
            if (queued[i].job_id == id)
                queued[i].state = TS_JOB_RUNNING;
    }
    free(queued);
    return rc;
}

/* Elements must be requeueable: an attempt that ends in a graceful timeout
 * requeues itself (exec), and Slurm requeues elements lost with a node.
 * Sites may default to JobRequeue=0, so ask explicitly unless the suite
 * said no-requeue. */
static int ensure_requeue(ts_kvlist *opts)
{
    if (ts_kv_get(opts, "requeue") || ts_kv_get(opts, "no-requeue"))
        return 0;
    ts_kv *v = realloc(opts->v, (opts->n + 1) * sizeof *v);
    if (!v)
        return -1;
    opts->v = v;
    v[opts->n].key = strdup("requeue");
    v[opts->n].value = strdup("");
    v[opts->n].pos = (ts_pos){ 0, 0 };
    opts->n++;
    return v[opts->n - 1].key && v[opts->n - 1].value ? 0 : -1;
}

/* Seconds after MinJobAge until Slurm has purged an ended job (its
 * background purge runs every few seconds on a quiet controller). */
#define TS_WAVE_PURGE_S 10

/* Places left in Slurm's job table for this submission's arrays, keeping
 * 3 for safety-net jobs (this wave's reconcile job, a delayed one if the next finds
 * no room, the watchdog); *min_age gets MinJobAge. */
static long wave_room(uint32_t *min_age, ts_err *err)
{
    uint32_t max_jobs = 0;
    long in_table = 0;
    if (ts_slurm_job_room(&max_jobs, min_age, &in_table, err) < 0)
        return -1;
    long room = (long)max_jobs - 1 - in_table - 3;
    return room > 0 ? room : 0;
}

int ts_submission_submit(const ts_submit_ctx *c, int64_t sub_id, long *njobs,
                         ts_err *err)
{
    char manifest[PATH_MAX], name[64], out[PATH_MAX];
    uint32_t max = 0, max_jobs = 0, min_age = 300;
    long ntasks = 0, submitted = 0, room = -1, waiting = 0;
    recorded rec = { 0 };
    ts_kvlist opts = { 0 };
    ts_job_info *queued = NULL;
    size_t nqueued = 0;
    strv env = { 0 }, spank = { 0 };
    ts_graph_sub *graph = NULL;   /* a suite with depends_on inside it */
    bool hold = false;            /* it waits for other suites (after.h) */
    int rc = -1;

    if (ts_layout_manifest(c->suite_dir, (long)sub_id, manifest, sizeof manifest, err) < 0
        || ts_journal_intent_tasks_foreach(c->j, sub_id, count_task, &ntasks, err) < 0
        || ts_journal_intent_jobs_foreach(c->j, sub_id, note_job, &rec, err) < 0
        || ts_graph_sub_open(c, sub_id, &graph, err) < 0
        || waits_for_suites(c, &hold, err) < 0
        || (graph && ts_journal_intent_jobs_foreach(c->j, sub_id, note_graph_job, graph,
                                                    err) < 0)
        || ts_slurm_options(c->s, &opts, err) < 0
        || ts_slurm_limits(&max, &max_jobs, err) < 0
        || build_envs(c, &env, &spank, err) < 0)
        goto out;
#ifdef TS_FAULT_INJECTION
    /* Tests exercise multi-chunk recovery without thousands of tasks. */
    const char *test_max = getenv("TASKSUITE_FAULT_MAX_ARRAY");
    if (test_max && strtoul(test_max, NULL, 10) > 0 && strtoul(test_max, NULL, 10) < max)
        max = (uint32_t)strtoul(test_max, NULL, 10);
#endif
    if (ensure_requeue(&opts) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    snprintf(name, sizeof name, "ts-%s", c->suite_id);
    if (c->recover && ts_slurm_find_jobs(getuid(), name, &queued, &nqueued, err) < 0)
        goto out;
    /* Room is kept for the file name appended after the directory check. */
    if (snprintf(out, sizeof out - strlen("/%A_%a.out"), "%s/slurm", c->suite_dir)
        >= (int)(sizeof out - strlen("/%A_%a.out"))) {
        ts_errf(err, "path too long for the Slurm output files under %.80s", c->suite_dir);
        goto out;
    }
    if (ts_secure_dir(out, TS_RUN_DIR_MODE, "run directory", err) < 0)
        goto out;
    strcat(out, "/%A_%a.out");

    /* Waves: Slurm counts every element against MaxJobCount (and a user's
     * MaxSubmitJobs). What can never fit at once is sized to the room the
     * job table has, keeping 2 places for reconcile jobs; a refusal for
     * want of room ends this wave. The rest waits: the wave's reconcile job
     * (or a later sync) queues it as ended jobs leave Slurm's table. */
    if (max_jobs && (ntasks - rec.next + 3 >= (long)max_jobs || rec.next > 0)
        && rec.next < ntasks && (room = wave_room(&min_age, err)) < 0)
        goto out;
    for (long offset = rec.next; offset < ntasks;) {
        long count = ntasks - offset < (long)max ? ntasks - offset : (long)max;
        char key[96], *script = NULL, dep[8192] = "";
        const ts_kvlist *chunk_opts = NULL;
        uint32_t job_id;

        if (graph && ts_graph_sub_chunk(graph, offset, &count, &chunk_opts, dep,
                                        sizeof dep, err) < 0)
            goto out;
        snprintf(key, sizeof key, "tasksuite:%s:%lld:%ld", c->suite_id,
                 (long long)sub_id, offset);
        job_id = find_queued(queued, nqueued, key);
        if (job_id) {
            long n = queued_count(queued, nqueued, job_id);
            count = n > 0 && n < count ? n : count;
        } else {
            if (room >= 0 && count > room)
                count = room;
            if (count <= 0)
                break;
            if (batch_script(c, manifest, offset, &script, err) < 0)
                goto out;
            int full = 0;
            ts_array_req req = {
                .job_name = name, .comment = key, .script = script,
                .work_dir = c->workdir, .std_out = out, .first = 0,
                .last = (uint32_t)(count - 1), .throttle = suite_throttle(c),
                .options = chunk_opts ? chunk_opts : &opts, .env = env.v,
                .spank_env = spank.v, .full = &full,
                /* an upstream that fails for good leaves this never
                 * eligible: Slurm ends it, sync marks it skipped */
                .dependency = dep[0] ? dep : NULL, .kill_invalid_dep = dep[0] != '\0',
                .hold = hold,
            };
            int r = ts_slurm_submit(&req, &job_id, err);
            free(script);
            if (r < 0 && !full)
                goto out;
            if (r < 0) {
                /* No room: ask how much there is (once), or halve (a
                 * user's limit we cannot see), or stop this wave. */
                bool table = false;     /* the job table is what is full */
                if (room < 0 && max_jobs) {
                    if ((room = wave_room(&min_age, err)) < 0)
                        goto out;
                    table = room < count;
                    if (room > 0 && room < count)
                        continue;
                }
                if (!table && !submitted && count > 1) {
                    room = count / 2;
                    continue;
                }
                ts_err_clear(err);
                break;
            }
            if (room >= 0)
                room -= count;
            submitted++;
            ts_fault_point("after-submit-chunk");
        }
        ts_slurm_job job = { .array_job_id = job_id, .index_offset = offset,
                             .first_index = 0, .last_index = count - 1 };
        if (ts_journal_intent_add_job(c->j, sub_id, &job, err) < 0
            || (graph && ts_graph_sub_note(graph, offset, count, job_id, err) < 0))
            goto out;
        offset += count;
        rec.next = offset;
    }
    waiting = ntasks - rec.next;
    if (waiting > 0 && rec.next == 0) {
        ts_errc(err, TS_EXIT_SLURM, "suite %s: Slurm has no room for any of its %ld "
                "tasks now (MaxJobCount %u, or your job limits); nothing was queued, "
                "try again later", c->suite_id, ntasks, max_jobs);
        goto out;
    }
    /* Marked before the reconcile job: its sync must know there is more. */
    if (waiting > 0 && ts_journal_intent_set_waves(c->j, sub_id, (long)max, err) < 0)
        goto out;
    if (getenv("TASKSUITE_NO_RECONCILE_JOB") == NULL
        && submit_reconcile(c, sub_id, &opts, env.v, queued, nqueued, waiting,
                            (long)min_age + TS_WAVE_PURGE_S, err) < 0)
        goto out;
    ts_fault_point("before-mark-submitted");
    if (ts_journal_intent_set_state(c->j, sub_id, TS_SUB_SUBMITTED, err) < 0)
        goto out;
    if (njobs)
        *njobs = submitted;
    rc = 0;
out:
    ts_graph_sub_free(graph);
    free(queued);
    ts_kvlist_free(&opts);
    strv_free(&env);
    strv_free(&spank);
    return rc;
}

int ts_submission_describe(const ts_submit_ctx *c, long ntasks, FILE *f, ts_err *err)
{
    ts_kvlist opts = { 0 };
    uint32_t max = 1001, max_jobs = 0;
    ts_err probe = { 0 };
    int have_max = ts_slurm_limits(&max, &max_jobs, &probe) == 0;
    uint32_t throttle = suite_throttle(c);

    if (ts_slurm_options(c->s, &opts, err) < 0)
        return -1;
    fprintf(f, "would submit suite %s: %ld task%s as %ld job array%s (MaxArraySize %u%s)\n",
            c->s->name, ntasks, ntasks == 1 ? "" : "s",
            ntasks ? (ntasks + (long)max - 1) / (long)max : 0,
            (ntasks + (long)max - 1) / (long)max == 1 ? "" : "s", max,
            have_max ? "" : ts_slurm_have_config(NULL) < 0
                ? ", assumed: no Slurm configuration" : ", controller not reachable: assumed");
    for (long offset = 0; offset < ntasks; offset += (long)max) {
        long count = ntasks - offset < (long)max ? ntasks - offset : (long)max;
        fprintf(f, "  sbatch --array=0-%ld", count - 1);
        if (throttle)
            fprintf(f, "%%%u", throttle);
        ts_print_sbatch_options(f, &opts);
        char file[PATH_MAX * 2];
        if (ts_sbatch_option_word(file, sizeof file, "task-suite", c->spec_file) < 0)
            snprintf(file, sizeof file, "--task-suite=...");
        fprintf(f, " %s  # tasks %ld-%ld\n", file, offset, offset + count - 1);
    }
    if (max_jobs && ntasks + 3 >= (long)max_jobs)
        fprintf(f, "  (more tasks than the cluster's MaxJobCount %u: queued in waves, what "
                "fits first, the rest as earlier tasks end)\n", max_jobs);
    ts_kvlist_free(&opts);
    return 0;
}

/* ------------------------------------------------------------ waves */

/* Seconds between two tries to queue a wave from `status`/`sync` (each
 * try asks Slurm for its whole job table); the suite's reconcile job tries
 * whenever it runs. */
#define TS_WAVE_RETRY_S 15

typedef struct wave_list {
    int64_t id[16];
    size_t n;
    double last;              /* latest try */
} wave_list;

static int note_waiting(const ts_intent_info *in, void *arg)
{
    wave_list *w = arg;
    if (in->waves && in->queued < in->ntasks && w->n < sizeof w->id / sizeof w->id[0]) {
        w->id[w->n++] = in->id;
        if (in->updated_at > w->last)
            w->last = in->updated_at;
    }
    return 0;
}

int ts_submission_fill_waves(ts_journal *j, const ts_suite_info *si, long *queued_now,
                             ts_err *err)
{
    wave_list w = { 0 };
    ts_submit_store store;
    ts_submit_ctx ctx;
    char job[80];
    int rc = 0;

    if (queued_now)
        *queued_now = 0;
    if (ts_journal_intents_foreach(j, si->id, TS_BIT(TS_SUB_SUBMITTED), note_waiting, &w,
                                   err) < 0)
        return -1;
    if (w.n == 0)
        return 0;
    snprintf(job, sizeof job, "ts-%s-reconcile", si->id);
    const char *me = getenv("SLURM_JOB_NAME");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if ((!me || strcmp(me, job) != 0) && (double)now.tv_sec - w.last < TS_WAVE_RETRY_S)
        return 0;
    if (ts_submission_load(j, si, &store, &ctx, err) < 0)
        return -1;
    ctx.recover = true;
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        long before = 0, n = 0;
        ts_journal_waiting(j, si->id, &before, NULL);
        /* Each try ends by marking the submission submitted, which dates
         * it (updated_at): the next status waits TS_WAVE_RETRY_S. */
        rc = ts_submission_submit(&ctx, w.id[i], &n, err);
        if (queued_now && rc == 0) {
            long after = 0;
            ts_journal_waiting(j, si->id, &after, NULL);
            *queued_now += before - after;
        }
    }
    ts_submission_store_free(&store);
    return rc;
}

/* ------------------------------------------------------------ added tasks */

int ts_submission_expand_one(const ts_suite *s, const char *name, const ts_kvlist *args,
                             ts_tasklist *out, ts_err *err)
{
    ts_task_entry e = { .name = (char *)name, .args = *args };
    ts_suite one = *s;   /* shallow: the same templates, only this task */
    out->v = NULL;
    out->n = 0;
    out->lazy = NULL;
    if (s->nstages) {    /* which stage's run would it take? */
        ts_errf(err, "%s: a suite of stages takes no added tasks (add them to a "
                "stage in the file and submit it with --new)", s->path);
        return -1;
    }
    one.matrix = NULL;
    one.nmatrix = 0;
    one.tasks = &e;
    one.ntasks = 1;
    return ts_expand(&one, out, err);
}

typedef struct extra_load {
    const ts_suite *s;
    size_t base;              /* tasks of the file: 0..base-1 */
    ts_tasklist *out;
    ts_journal *j;            /* issue 16: triggered tasks are rebuilt from on_checkpoint */
    ts_err *err;
} extra_load;

static int load_extra(const ts_task_info *t, void *arg)
{
    extra_load *x = arg;
    ts_kvlist args = { 0 };
    ts_tasklist one = { 0 };
    int rc = -1;

    if ((size_t)t->idx < x->base)
        return 0;
    /* issue 16: a task on_checkpoint triggered runs on_checkpoint.run. */
    bool triggered = false;
    if (x->s->on_checkpoint.present
        && ts_journal_trigger_is_target(x->j, t->suite_id, t->idx, &triggered, x->err) < 0)
        return -1;
    if (triggered) {
        ts_task *v = realloc(x->out->v, (x->out->n + 1) * sizeof *v);
        if (!v)
            return ts_errf(x->err, "out of memory");
        x->out->v = v;
        if (ts_oncheckpoint_task(x->s, t->idx, t->name, t->args_json, &v[x->out->n], x->err) < 0)
            return -1;
        x->out->n++;
        return 0;
    }
    cJSON *o = cJSON_Parse(t->args_json ? t->args_json : "{}");
    const cJSON *a;
    size_t n = (size_t)cJSON_GetArraySize(o);
    args.v = calloc(n + 1, sizeof *args.v);
    cJSON_ArrayForEach(a, o) {
        if (cJSON_IsString(a) && args.v) {
            args.v[args.n].key = a->string;
            args.v[args.n++].value = a->valuestring;
        }
    }
    if (args.v && ts_submission_expand_one(x->s, t->name, &args, &one, x->err) == 0) {
        ts_task *v = realloc(x->out->v, (x->out->n + 1) * sizeof *v);
        if (v) {
            x->out->v = v;
            v[x->out->n] = one.v[0];
            v[x->out->n].index = (size_t)t->idx;
            x->out->n++;
            free(one.v);   /* its only task now lives in out */
            one.v = NULL;
            one.n = 0;
            rc = 0;
        }
    }
    ts_tasklist_free(&one);
    free(args.v);
    cJSON_Delete(o);
    return rc;
}

/* ------------------------------------------------------------ reload */

int ts_submission_load(ts_journal *j, const ts_suite_info *si, ts_submit_store *st,
                       ts_submit_ctx *ctx, ts_err *err)
{
    char dir[PATH_MAX];
    ts_submit_record rec;
    ts_err parse_err = { 0 };
    memset(st, 0, sizeof *st);
    memset(ctx, 0, sizeof *ctx);
    if (ts_submit_record_from_json(si->submit_record, &rec, &parse_err) < 0)
        return ts_errf(err, "suite %s: the journal holds no suite file to resubmit from", si->id);
    if (!rec.yaml) {
        ts_submit_record_free(&rec);
        return ts_errf(err, "suite %s: the journal holds no suite file to resubmit from", si->id);
    }
    /* The store owns the record's strings from here. */
    st->file = rec.file;
    st->workdir = rec.workdir;
    st->self = rec.self;
    st->local = rec.local;
    /* st's strings are freed by ts_submission_store_free on every path
     * below; the analyzer loses them across the call. */
    int rc = ts_spec_parse(st->file ? st->file : si->name, rec.yaml, // NOLINT(clang-analyzer-unix.Malloc)
                           strlen(rec.yaml), &st->s, err);
    free(rec.yaml);
    free(rec.submit_key);
    if (rc == 0)
        ts_spec_use_candidate(st->s, (size_t)rec.candidate);   /* what submit chose */
    if (rc < 0 || !st->file || !st->workdir || !st->self
        || ts_expand(st->s, &st->tl, err) < 0
        || ts_layout_suite_dir(ts_journal_home(j), si->output_dir, si->id, dir, sizeof dir,
                               err) < 0
        || !(st->dir = strdup(dir))) {
        if (!err->msg[0])
            ts_errf(err, "suite %s: incomplete record in the journal", si->id);
        ts_submission_store_free(st);
        return -1;
    }
    extra_load x = { .s = st->s, .base = st->tl.n, .out = &st->extra, .j = j, .err = err };
    if ((long)st->tl.n < si->total_tasks
        && ts_journal_tasks_foreach(j, si->id, 0, load_extra, &x, err) != 0) {
        if (!err->msg[0])
            ts_errf(err, "suite %s: cannot rebuild an added task", si->id);
        ts_submission_store_free(st);
        return -1;
    }
    *ctx = (ts_submit_ctx){ .j = j, .suite_id = si->id, .suite_dir = st->dir, .s = st->s,
                            .tl = &st->tl, .spec_file = st->file, .workdir = st->workdir,
                            .self = st->self, .extra = &st->extra };
    return 0;
}

void ts_submission_store_free(ts_submit_store *st)
{
    ts_tasklist_free(&st->tl);
    ts_tasklist_free(&st->extra);
    ts_spec_free(st->s);
    free(st->file);
    free(st->workdir);
    free(st->self);
    free(st->dir);
    memset(st, 0, sizeof *st);
}

/* ------------------------------------------------------------ in-job resume */

/* The job's own environment, as the next attempt's: what the user had at
 * submit (what this job got), without what Slurm and the plugin set for
 * this job (slurmd sets them again for the new one). */
static int keep_job_var(const char *kv)
{
    static const char *const keep[] = {
        "SLURM_CONF=", "SLURM_SUBMIT_DIR=", "SLURM_SUBMIT_HOST=", "SLURM_UMASK=",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strncmp(kv, keep[i], strlen(keep[i])) == 0)
            return 1;
    if (strncmp(kv, "SLURM_", 6) == 0 || strncmp(kv, "SLURMD_", 7) == 0)
        return 0;
    return keep_var(kv);
}

int ts_submission_submit_next(const ts_next_req *r, uint32_t *job_id, ts_err *err)
{
    char key[96], name[64], out[PATH_MAX], self[PATH_MAX * 2], dir[PATH_MAX * 2];
    char man[PATH_MAX * 2], *script = NULL;
    ts_kvlist opts = { 0 };
    strv env = { 0 }, spank = { 0 };
    int rc = -1, bad = 0;

    snprintf(key, sizeof key, "tasksuite:%s:t%ld:%d", r->suite_id, r->task_idx, r->attempt);
    snprintf(name, sizeof name, "ts-%s", r->suite_id);
    if (snprintf(out, sizeof out, "%s/slurm/%%A_%%a.out", r->suite_dir) >= (int)sizeof out
        || shell_quote(self, sizeof self, r->self) < 0
        || shell_quote(dir, sizeof dir, r->suite_dir) < 0
        || shell_quote(man, sizeof man, r->manifest) < 0)
        return ts_errf(err, "path too long for the batch script");
    if (asprintf(&script,
                 "#!/bin/sh\n"
                 "# tasksuite %s: suite %s, task %ld, attempt %d (queued by attempt %d)\n"
                 "exec %s exec --dir %s --manifest %s --offset 0\n",
                 PACKAGE_VERSION, r->suite_id, r->task_idx, r->attempt, r->attempt - 1,
                 self, dir, man) < 0) {
        script = NULL;
        ts_errf(err, "out of memory");
        goto out;
    }
    opts.v = calloc(r->options->n + 1, sizeof *opts.v);
    bad = !opts.v;
    for (size_t i = 0; !bad && i < r->options->n; i++) {
        opts.v[opts.n].key = strdup(r->options->v[i].key);
        opts.v[opts.n].value = strdup(r->options->v[i].value);
        bad = !opts.v[opts.n].key || !opts.v[opts.n].value;
        opts.n++;
    }
    for (size_t i = 0; !bad && environ[i]; i++)
        if (keep_job_var(environ[i]))
            bad |= strv_add(&env, strdup(environ[i])) < 0;
    if (!bad) {
        bad |= strv_add(&env, kvdup("_SLURM_SPANK_OPTION_tasksuite_task_suite", r->spec_file));
        bad |= strv_add(&env, kvdup("SLURM_SPANK__SLURM_SPANK_OPTION_tasksuite_task_suite", r->spec_file));
        bad |= strv_add(&env, kvdup("SLURM_SPANK_TASK_SUITE_FILE", r->spec_file));
        bad |= strv_add(&env, kvdup("SLURM_SPANK_TASK_SUITE_SPEC", r->hooks));
        bad |= strv_add(&spank, kvdup("_SLURM_SPANK_OPTION_tasksuite_task_suite", r->spec_file));
        bad |= strv_add(&spank, kvdup("TASK_SUITE_SPEC", r->hooks));
        bad |= strv_add(&spank, kvdup("TASK_SUITE_FILE", r->spec_file));
    }
    if (bad || ensure_requeue(&opts) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    ts_array_req req = {
        .job_name = name, .comment = key, .script = script, .work_dir = r->workdir,
        .std_out = out, .first = 0, .last = 0, .options = &opts, .env = env.v,
        .spank_env = spank.v,
    };
    rc = ts_slurm_submit(&req, job_id, err);
    if (rc == 0)
        ts_fault_point("after-submit-next");
out:
    free(script);
    ts_kvlist_free(&opts);
    strv_free(&env);
    strv_free(&spank);
    return rc;
}

/* ------------------------------------------------------------ shared with pool mode */

void ts_strv_free(ts_strv *s)
{
    strv_free(s);
}

int ts_submission_envs(const ts_submit_ctx *c, ts_strv *env, ts_strv *spank, ts_err *err)
{
    return build_envs(c, env, spank, err);
}

int ts_sub_shell_quote(char *buf, size_t len, const char *text)
{
    return shell_quote(buf, len, text);
}

int ts_submission_safety_job(const ts_submit_ctx *c, const char *key, const char *dep,
                             uint32_t *job_id, ts_err *err)
{
    ts_kvlist opts = { 0 };
    strv env = { 0 }, spank = { 0 };
    int rc = -1;
    if (ts_slurm_options(c->s, &opts, err) == 0 && build_envs(c, &env, &spank, err) == 0)
        rc = queue_safety_job(c, &opts, env.v, key, "", dep, NULL, NULL, job_id, err);
    ts_kvlist_free(&opts);
    strv_free(&env);
    strv_free(&spank);
    return rc;
}
