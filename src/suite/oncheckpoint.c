/* oncheckpoint.c: checkpoints -> triggered tasks (see oncheckpoint.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "carry.h"
#include "fault.h"
#include "oncheckpoint.h"
#include "record.h"
#include "slurmopt.h"
#include "submission.h"
#include "triggers.h"

/* ------------------------------------------------------------ the task */

int ts_oncheckpoint_task(const ts_suite *s, long idx, const char *name, const char *args_json,
                         ts_task *out, ts_err *err)
{
    memset(out, 0, sizeof *out);
    if (!s->on_checkpoint.present)
        return ts_errf(err, "task %s is a triggered task, but the suite has no on_checkpoint",
                       name);
    cJSON *o = cJSON_Parse(args_json ? args_json : "{}");
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "source_task"));
    const char *ck = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "checkpoint"));
    const char *step = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "step"));
    int rc = -1;
    if (!src || !ck) {
        ts_errf(err, "triggered task %s: its source and checkpoint are missing from the "
                "journal", name);
        goto out;
    }
    out->index = (size_t)idx;
    if (!(out->name = strdup(name)) || !(out->run = strdup(s->on_checkpoint.run))
        || ts_kvlist_add(&out->args, "source_task", src, (ts_pos){ 0, 0 }) < 0
        || ts_kvlist_add(&out->args, "checkpoint", ck, (ts_pos){ 0, 0 }) < 0
        || (step && ts_kvlist_add(&out->args, "step", step, (ts_pos){ 0, 0 }) < 0)
        || ts_kvlist_add(&out->env, "TASK_SUITE_SOURCE_TASK", src, (ts_pos){ 0, 0 }) < 0
        || ts_kvlist_add(&out->env, "TASK_SUITE_CHECKPOINT", ck, (ts_pos){ 0, 0 }) < 0
        || (step && ts_kvlist_add(&out->env, "TASK_SUITE_CHECKPOINT_STEP", step, (ts_pos){ 0, 0 }) < 0)) {
        ts_task_free(out);
        ts_errf(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    return rc;
}

/* ------------------------------------------------------------ finding them */

typedef struct pending {
    ts_trigger_new *v;
    char **own;           /* strings the entries point to */
    size_t n, nown;
    int64_t mark;
    ts_journal *j;
    const ts_suite_info *si;
    const ts_oncheckpoint *oc;
    ts_err *err;
} pending;

static char *keep(pending *p, char *s)
{
    char **v = s ? realloc(p->own, (p->nown + 1) * sizeof *v) : NULL;
    if (!v) {
        free(s);
        return NULL;
    }
    p->own = v;
    v[p->nown++] = s;
    return s;
}

/* "<source>.ckpt-<step>", unless too long or taken: then with a suffix,
 * or "ckpt-<source idx>-<step>". */
static char *task_name(pending *p, long src_idx, const char *src, const char *what)
{
    for (int k = 1; k < 100; k++) {
        char name[160], sfx[16] = "";
        if (k > 1)
            snprintf(sfx, sizeof sfx, "-%d", k);
        int w = snprintf(name, sizeof name, "%s.ckpt-%s%s", src, what, sfx);
        if (w < 0 || w > TS_TASK_NAME_MAX)
            snprintf(name, sizeof name, "ckpt-%ld-%s%s", src_idx, what, sfx);
        long idx;
        bool dup = false;
        for (size_t i = 0; i < p->n; i++)
            dup = dup || strcmp(p->v[i].task.name, name) == 0;
        if (!dup && ts_journal_task_find(p->j, p->si->id, name, &idx, NULL) < 0)
            return keep(p, strdup(name));
    }
    return NULL;
}

static int consider(const ts_ckpt_new *c, void *arg)
{
    pending *p = arg;
    char key[4200], what[48];
    bool is_target = false, exists = false;

    p->mark = c->id;
    if (p->oc->every > 0 && (c->step < 0 || c->step % p->oc->every != 0))
        return 0;
    if (c->step >= 0)
        snprintf(key, sizeof key, "s%ld", c->step);
    else if (snprintf(key, sizeof key, "p%s", c->path) >= (int)sizeof key)
        return 0;
    if (ts_journal_trigger_is_target(p->j, p->si->id, c->task_idx, &is_target, p->err) < 0
        || ts_journal_trigger_exists(p->j, p->si->id, c->task_idx, key, &exists, p->err) < 0)
        return -1;
    if (is_target || exists)
        return 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].source_idx == c->task_idx && strcmp(p->v[i].key, key) == 0)
            return 0;
    struct { char name[TS_TASK_NAME_MAX + 1]; } sn;
    if (ts_journal_trigger_source_name(p->j, p->si->id, c->task_idx, sn.name, sizeof sn.name,
                                       p->err) < 0)
        return -1;
    if (c->step >= 0)
        snprintf(what, sizeof what, "%ld", c->step);
    else
        snprintf(what, sizeof what, "c%lld", (long long)c->id);
    ts_trigger_new *v = realloc(p->v, (p->n + 1) * sizeof *v);
    if (!v)
        return ts_errf(p->err, "out of memory");
    p->v = v;
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "source_task", sn.name);
        cJSON_AddStringToObject(o, "checkpoint", c->path);
        if (c->step >= 0)
            cJSON_AddStringToObject(o, "step", what);
    }
    char *aj = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    ts_trigger_new t = {
        .source_idx = c->task_idx,
        .key = keep(p, strdup(key)),
        .step = c->step,
        .path = keep(p, strdup(c->path)),
        .task = { .name = task_name(p, c->task_idx, sn.name, what), .args_json = keep(p, aj) },
    };
    if (!t.key || !t.path || !t.task.name || !t.task.args_json)
        return ts_errf(p->err, "task %s: no name for the task its checkpoint %s triggers",
                       sn.name, what);
    p->v[p->n++] = t;
    return 0;
}

static void pending_free(pending *p)
{
    for (size_t i = 0; i < p->nown; i++)
        free(p->own[i]);
    free(p->own);
    free(p->v);
}

/* ------------------------------------------------------------ sync */

static int carry_now(ts_journal *j, const char *suite_id, int64_t sub, ts_err *err)
{
    ts_submit_store store;
    ts_submit_ctx ctx;
    ts_suite_info si = { 0 };

    /* Read again: the caller's copy predates the new tasks (total_tasks). */
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0)
        return -1;
    int lrc = ts_submission_load(j, &si, &store, &ctx, err);
    ts_suite_info_clear(&si);
    if (lrc < 0)
        return -1;
    ctx.recover = true;
    ts_carry_opts how = { .local = store.local };
    int rc = ts_submission_carry_out(&ctx, sub, &how, NULL, err);
    ts_submission_store_free(&store);
    return rc;
}

static int probe(const ts_ckpt_new *c, void *arg)
{
    (void)c;
    *(bool *)arg = true;
    return 1;
}

static int last(const ts_ckpt_new *c, void *arg)
{
    *(int64_t *)arg = c->id;
    return 0;
}

int ts_oncheckpoint_sync(ts_journal *j, const ts_suite_info *si, bool carry, long *created,
                         ts_err *err)
{
    pending p = { .j = j, .si = si, .err = err };
    ts_submit_record rec;
    ts_suite *s = NULL;
    int64_t mark = 0, sub = 0;
    int rc = -1;

    if (created)
        *created = 0;
    if (ts_journal_triggers_ensure(j, err) < 0 || ts_journal_trigger_mark(j, si->id, &mark, err) < 0)
        return -1;
    p.mark = mark;
    /* A cheap look first: most syncs find no new checkpoint. */
    bool any = false;
    if (ts_journal_checkpoints_after(j, si->id, mark, probe, &any, err) < 0)
        return -1;
    if (!any)
        return 0;
    /* The suite as submitted (the journal's copy), for on_checkpoint. */
    ts_err perr = { 0 };
    if (ts_submit_record_from_json(si->submit_record, &rec, &perr) < 0)
        return 0;   /* no record (a test journal): nothing to trigger from */
    if (rec.yaml && ts_spec_parse(rec.file ? rec.file : si->name, rec.yaml, strlen(rec.yaml), &s,
                                  &perr) < 0)
        s = NULL;
    ts_submit_record_free(&rec);
    static const ts_oncheckpoint none = { 0 };
    p.oc = s && s->on_checkpoint.present ? &s->on_checkpoint : &none;
    if (p.oc->present) {
        if (ts_journal_checkpoints_after(j, si->id, mark, consider, &p, err) < 0)
            goto out;
    } else {
        /* Only move the mark past them. */
        if (ts_journal_checkpoints_after(j, si->id, mark, last, &p.mark, err) < 0)
            goto out;
    }
    /* Kill points: the checkpoints are in the journal, their tasks not
     * yet / their tasks and intent are, nothing is queued yet. */
    if (p.n)
        ts_fault_point("oncheckpoint-before-trigger");
    if (ts_journal_triggers_add(j, si->id, p.v, p.n, p.mark, &sub, err) < 0)
        goto out;
    if (p.n)
        ts_fault_point("oncheckpoint-after-trigger");
    if (created)
        *created = sub ? (long)p.n : 0;
    rc = 0;
    if (sub && p.n)
        fprintf(stderr, "tasksuite: suite %s: %zu checkpoint%s triggered on_checkpoint\n",
                si->id, p.n, p.n == 1 ? "" : "s");
    if (sub && carry && carry_now(j, si->id, sub, err) < 0)
        rc = -1;   /* the intent stays: the next sync carries it out */
out:
    pending_free(&p);
    ts_spec_free(s);
    return rc;
}

