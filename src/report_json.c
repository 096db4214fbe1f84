#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "progress.h"
#include "report_json.h"

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

cJSON *ts_json_attempt(const ts_attempt_info *a)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    if (!ok)
        return NULL;
    add_num(o, "attempt", a->attempt, &ok);
    add_str(o, "state", ts_attempt_state_name(a->state), &ok);
    add_opt(o, "exit_code", a->exit_code >= 0, a->exit_code, &ok);
    add_opt(o, "signal", a->signal > 0, a->signal, &ok);
    add_str(o, "slurm_job_id", a->slurm_job_id && *a->slurm_job_id ? a->slurm_job_id : NULL, &ok);
    add_str(o, "node", a->node && *a->node ? a->node : NULL, &ok);
    add_num(o, "num_nodes", a->num_nodes, &ok);
    add_opt(o, "started_at", a->started_at > 0, a->started_at, &ok);
    add_opt(o, "ended_at", a->ended_at > 0, a->ended_at, &ok);
    return finish(o, ok);
}

cJSON *ts_json_task(const ts_task_info *t)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    if (!ok)
        return NULL;
    add_num(o, "idx", (double)t->idx, &ok);
    add_str(o, "name", t->name, &ok);
    add_str(o, "state", ts_task_state_name(t->state), &ok);
    add_num(o, "attempts", t->attempts, &ok);
    add_opt(o, "last_exit", t->has_exit && t->last_exit >= 0, t->last_exit, &ok);
    add_opt(o, "last_signal", t->last_signal > 0, t->last_signal, &ok);
    add_str(o, "checkpoint", t->last_checkpoint, &ok);
    add_opt(o, "step", t->last_step >= 0, (double)t->last_step, &ok);
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

typedef struct slot {
    long idx;
    cJSON *history;          /* owned by the task object */
    cJSON *checkpoints;      /* owned by the task object */
} slot;

typedef struct walk {
    cJSON *tasks;
    slot *slots;
    size_t n, cap, cursor;
    bool oom;
} walk;

static int task_cb(const ts_task_info *t, void *arg)
{
    walk *w = arg;
    cJSON *o = ts_json_task(t), *h = cJSON_CreateArray(), *cp = cJSON_CreateArray();

    if (!o || !h || !cJSON_AddItemToObject(o, "attempt_history", h)) {
        cJSON_Delete(o);    /* h was not attached to it */
        cJSON_Delete(h);
        cJSON_Delete(cp);
        w->oom = true;
        return 1;
    }
    if (!cp || !cJSON_AddItemToObject(o, "checkpoints", cp)) {
        cJSON_Delete(cp);
        cJSON_Delete(o);
        w->oom = true;
        return 1;
    }
    if (!cJSON_AddItemToArray(w->tasks, o)) {
        cJSON_Delete(o);
        w->oom = true;
        return 1;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        slot *ns = realloc(w->slots, cap * sizeof *ns);
        if (!ns) {
            w->oom = true;
            return 1;
        }
        w->slots = ns;
        w->cap = cap;
    }
    w->slots[w->n].idx = t->idx;
    w->slots[w->n].history = h;
    w->slots[w->n].checkpoints = cp;
    w->n++;
    return 0;
}

/* The slot of task idx: tasks and attempts both come in index order, so the
 * cursor usually is already there; binary search otherwise. */
static slot *find_slot(walk *w, long idx)
{
    size_t lo = 0, hi = w->n;

    while (w->cursor < w->n && w->slots[w->cursor].idx < idx)
        w->cursor++;
    if (w->cursor < w->n && w->slots[w->cursor].idx == idx)
        return &w->slots[w->cursor];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->slots[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n && w->slots[lo].idx == idx ? &w->slots[lo] : NULL;
}

static int attempt_cb(const ts_attempt_info *a, void *arg)
{
    walk *w = arg;
    slot *sl = find_slot(w, a->task_idx);
    cJSON *o;

    if (!sl)
        return 0;
    if (!(o = ts_json_attempt(a)) || !cJSON_AddItemToArray(sl->history, o)) {
        cJSON_Delete(o);
        w->oom = true;
        return 1;
    }
    return 0;
}

static int checkpoint_cb(const ts_checkpoint_info *c, void *arg)
{
    walk *w = arg;
    slot *sl = find_slot(w, c->task_idx);
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    if (!sl) {
        cJSON_Delete(o);
        return 0;
    }
    if (ok) {
        add_num(o, "attempt", c->attempt, &ok);
        add_str(o, "path", c->path, &ok);
        add_opt(o, "step", c->step >= 0, (double)c->step, &ok);
        add_num(o, "at", c->at, &ok);
    }
    if (!ok || !cJSON_AddItemToArray(sl->checkpoints, o)) {
        cJSON_Delete(o);
        w->oom = true;
        return 1;
    }
    return 0;
}

int ts_json_suite_status(ts_journal *j, const ts_suite_info *s,
                         const ts_counts *c, const char *dir,
                         const char *sync_error, cJSON **out, ts_err *err)
{
    cJSON *doc = ts_json_suite_summary(s, c);
    walk w = { 0 };
    bool ok = doc != NULL;

    *out = NULL;
    if (ok) {
        add_num(doc, "completions", (double)s->completions, &ok);
        add_str(doc, "dir", dir, &ok);
        add_str(doc, "sync_error", sync_error, &ok);
    }
    if (ok && (!(w.tasks = cJSON_CreateArray())
               || !cJSON_AddItemToObject(doc, "tasks", w.tasks))) {
        cJSON_Delete(w.tasks);
        ok = false;
    }
    if (!ok) {
        cJSON_Delete(doc);
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    }
    if (ts_journal_tasks_foreach(j, s->id, 0, task_cb, &w, err) < 0
        || (!w.oom && ts_journal_attempts_foreach(j, s->id, -1, 0, attempt_cb, &w,
                                                  err) < 0)
        || (!w.oom && (w.cursor = 0, ts_journal_checkpoints_foreach(j, s->id, -1,
                                                                     checkpoint_cb, &w,
                                                                     err) < 0))) {
        free(w.slots);
        cJSON_Delete(doc);
        return -1;
    }
    free(w.slots);
    if (w.oom) {
        cJSON_Delete(doc);
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    }
    *out = doc;
    return 0;
}
