#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "jsonout.h"
#include "poolstatus.h"
#include "progress.h"
#include "report_json.h"
#include "triggers_report.h"   /* issue 16 */

/* cJSON_Add* return NULL on failure; collect that in *ok. */
static void add_str(cJSON *o, const char *k, const char *v, bool *ok)
{
    if (!(v ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k)))
        *ok = false;
}

static void add_num(cJSON *o, const char *k, double v, bool *ok)
{
    if (!cJSON_AddNumberToObject(o, k, v))
        *ok = false;
}

static void add_null(cJSON *o, const char *k, bool *ok)
{
    if (!cJSON_AddNullToObject(o, k))
        *ok = false;
}

/* A number, or null when !known. */
static void add_opt(cJSON *o, const char *k, bool known, double v, bool *ok)
{
    if (known)
        add_num(o, k, v, ok);
    else
        add_null(o, k, ok);
}

static void add_item(cJSON *o, const char *k, cJSON *item, bool *ok)
{
    if (!item || !cJSON_AddItemToObject(o, k, item)) {
        cJSON_Delete(item);
        *ok = false;
    }
}

static cJSON *finish(cJSON *o, bool ok)
{
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *ts_json_counts(const ts_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    for (int s = 0; ok && s < TS_TASK_NSTATES; s++)
        add_num(o, ts_task_state_name((enum ts_task_state)s), (double)c->n[s], &ok);
    return finish(o, ok);
}

cJSON *ts_json_suite_summary(const ts_suite_info *s, const ts_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *labels;
    bool ok = o != NULL;

    if (!ok)
        return NULL;
    add_str(o, "id", s->id, &ok);
    add_str(o, "name", s->name, &ok);
    add_str(o, "state", ts_suite_state_name(s->state), &ok);
    add_num(o, "owner_uid", (double)s->owner_uid, &ok);
    labels = s->labels_json ? cJSON_Parse(s->labels_json) : NULL;
    if (!cJSON_IsArray(labels)) {
        cJSON_Delete(labels);
        labels = cJSON_CreateArray();
    }
    add_item(o, "labels", labels, &ok);
    add_opt(o, "created_at", s->created_at > 0, s->created_at, &ok);
    add_opt(o, "updated_at", s->updated_at > 0, s->updated_at, &ok);
    if (c) {
        add_num(o, "total", (double)c->total, &ok);
        add_num(o, "done", (double)c->done, &ok);
        add_num(o, "percent", ts_progress_percent(c->done, c->total), &ok);
        add_item(o, "counts", ts_json_counts(c), &ok);
    } else {
        add_num(o, "total", (double)s->total_tasks, &ok);
        add_null(o, "done", &ok);
        add_null(o, "percent", &ok);
        add_null(o, "counts", &ok);
    }
    return finish(o, ok);
}

/* ---------------------------------------------------------------- status */

/* Each task is written as its rows come (ts_journal_suite_walk): the task's
 * fields, then its attempts, then its checkpoints; nothing is kept but the
 * writer's buffer. */
typedef struct stream {
    ts_jout *w;
    bool in_checkpoints;     /* the current task's attempt_history is closed */
} stream;

static int task_cb(const ts_task_info *t, void *arg)
{
    stream *st = arg;
    ts_jout *w = st->w;

    ts_jout_obj(w, NULL);
    ts_jout_num(w, "idx", (double)t->idx);
    ts_jout_str(w, "name", t->name);
    ts_jout_str(w, "state", ts_task_state_name(t->state));
    ts_jout_num(w, "attempts", t->attempts);
    ts_jout_opt(w, "last_exit", t->has_exit && t->last_exit >= 0, t->last_exit);
    ts_jout_opt(w, "last_signal", t->last_signal > 0, t->last_signal);
    ts_jout_str(w, "checkpoint", t->last_checkpoint);
    ts_jout_opt(w, "step", t->last_step >= 0, (double)t->last_step);
    ts_jout_arr(w, "attempt_history");
    st->in_checkpoints = false;
    return w->failed;
}

static int attempt_cb(const ts_attempt_info *a, void *arg)
{
    stream *st = arg;
    ts_jout *w = st->w;

    ts_jout_obj(w, NULL);
    ts_jout_num(w, "attempt", a->attempt);
    ts_jout_str(w, "state", ts_attempt_state_name(a->state));
    ts_jout_opt(w, "exit_code", a->exit_code >= 0, a->exit_code);
    ts_jout_opt(w, "signal", a->signal > 0, a->signal);
    ts_jout_str(w, "slurm_job_id", a->slurm_job_id && *a->slurm_job_id ? a->slurm_job_id : NULL);
    ts_jout_str(w, "node", a->node && *a->node ? a->node : NULL);
    ts_jout_num(w, "num_nodes", a->num_nodes);
    ts_jout_opt(w, "started_at", a->started_at > 0, a->started_at);
    ts_jout_opt(w, "ended_at", a->ended_at > 0, a->ended_at);
    ts_jout_end(w);
    return w->failed;
}

static void to_checkpoints(stream *st)
{
    if (!st->in_checkpoints) {
        ts_jout_end(st->w);                 /* attempt_history */
        ts_jout_arr(st->w, "checkpoints");
        st->in_checkpoints = true;
    }
}

static int checkpoint_cb(const ts_checkpoint_info *c, void *arg)
{
    stream *st = arg;
    ts_jout *w = st->w;

    to_checkpoints(st);
    ts_jout_obj(w, NULL);
    ts_jout_num(w, "attempt", c->attempt);
    ts_jout_str(w, "path", c->path);
    ts_jout_opt(w, "step", c->step >= 0, (double)c->step);
    ts_jout_num(w, "at", c->at);
    ts_jout_end(w);
    return w->failed;
}

static int task_end_cb(const ts_task_info *t, void *arg)
{
    stream *st = arg;

    (void)t;
    to_checkpoints(st);
    ts_jout_end(st->w);                     /* checkpoints */
    ts_jout_end(st->w);                     /* the task */
    return st->w->failed;
}

int ts_json_suite_status_write(FILE *f, ts_journal *j, const ts_suite_info *s,
                               const ts_counts *c, const char *dir,
                               const char *sync_error, ts_err *err)
{
    return ts_json_suite_status_write_graph(f, j, s, c, dir, sync_error, NULL, err);
}

int ts_json_suite_status_write_graph(FILE *f, ts_journal *j, const ts_suite_info *s,
                                     const ts_counts *c, const char *dir,
                                     const char *sync_error, const cJSON *graph,
                                     ts_err *err)
{
    static const ts_suite_walk_cbs cbs = {
        .task = task_cb, .attempt = attempt_cb, .checkpoint = checkpoint_cb,
        .task_end = task_end_cb,
    };
    cJSON *head = ts_json_suite_summary(s, c);
    const cJSON *e;
    ts_jout *w = malloc(sizeof *w);
    stream st = { .w = w };
    bool ok = head != NULL && w != NULL;
    int rc;

    if (ok) {
        add_num(head, "completions", (double)s->completions, &ok);
        add_str(head, "dir", dir, &ok);
        add_str(head, "sync_error", sync_error, &ok);
        /* pool mode: the agents' own reports (poolstatus.h) */
        cJSON *pool = ts_pool_status_json(dir);
        if (pool && !cJSON_AddItemToObject(head, "pool", pool)) {
            cJSON_Delete(pool);
            ok = false;
        }
        /* a graph inside the suite (graphview.h) */
        cJSON *gc = graph ? cJSON_Duplicate(graph, 1) : NULL;
        if (graph && (!gc || !cJSON_AddItemToObject(head, "graph", gc))) {
            cJSON_Delete(gc);
            ok = false;
        }
    }
    if (!ok) {
        cJSON_Delete(head);
        free(w);
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    }
    ts_jout_init(w, f);
    ts_jout_obj(w, NULL);
    for (e = head->child; e; e = e->next)
        ts_jout_item(w, e->string, e);
    cJSON_Delete(head);
    ts_jout_arr(w, "tasks");
    rc = ts_journal_suite_walk(j, s->id, &cbs, &st, err);
    ts_jout_end(w);                         /* tasks */
    if (rc >= 0)    /* issue 16: on_checkpoint's edges */
        rc = ts_report_triggers_json(w, j, s->id, err);
    ts_jout_end(w);
    ts_jout_raw(w, "\n");
    if (ts_jout_finish(w) < 0 && rc >= 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "write error: %s",
                     errno ? strerror(errno) : "bad document");
    free(w);
    return rc < 0 ? -1 : 0;
}
