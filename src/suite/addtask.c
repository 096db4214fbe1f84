/* addtask.c: one more task for an existing suite (see addtask.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "addtask.h"
#include "exitcodes.h"
#include "carry.h"
#include "submission.h"

/* "lr=0.1,depth=18", as the matrix names its tasks. */
static void default_name(const ts_kvlist *args, long n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < args->n && o + 2 < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%s=%s", i ? "," : "", args->v[i].key,
                         args->v[i].value);
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
    for (char *p = buf; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-=,", *p))
            *p = '_';
    if (!args->n || o == 0 || o > 64)
        snprintf(buf, len, "added-%ld", n);
}

static char *args_json(const ts_kvlist *args)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < args->n; i++)
        cJSON_AddStringToObject(o, args->v[i].key, args->v[i].value);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* The task expanded (validated) before anything is written, then written,
 * then carried out with the suite's other added tasks. */
static int add_and_carry(ts_journal *j, const ts_suite_info *si, const char *name,
                         const ts_kvlist *args, int priority, ts_submit_store *store,
                         ts_submit_ctx *ctx, long *idx, ts_err *err)
{
    ts_tasklist one = { 0 };
    char *aj = NULL;
    int64_t sub;
    int rc = -1;

    if (ts_submission_expand_one(store->s, name, args, &one, err) < 0)
        goto out;
    /* Said here, before the journal's unique index says it in its words. */
    long taken;
    if (ts_journal_task_find(j, si->id, name, &taken, NULL) == 0) {
        ts_errc(err, TS_EXIT_USAGE, "suite %s already has a task named \"%s\" "
                "(index %ld): give the new one another --name", si->id, name, taken);
        goto out;
    }
    if (!(aj = args_json(args))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    ts_task_new tn = { .name = name, .args_json = aj, .priority = priority };
    if (ts_journal_tasks_add(j, si->id, &tn, 1, idx, &sub, err) < 0)
        goto out;
    ts_task *v = realloc(store->extra.v, (store->extra.n + 1) * sizeof *v);
    if (!v) {
        ts_errf(err, "out of memory");
        goto out;
    }
    store->extra.v = v;
    v[store->extra.n] = one.v[0];
    v[store->extra.n].index = (size_t)*idx;
    store->extra.n++;
    free(one.v);
    one = (ts_tasklist){ 0 };
    ctx->extra = &store->extra;
    ctx->recover = true;
    ts_carry_opts how = { .local = store->local, .run_now = true, .watch_cmd = "add",
                          .watch_look = true };
    rc = ts_submission_carry_out(ctx, sub, &how, NULL, err);
out:
    free(aj);
    ts_tasklist_free(&one);
    return rc;
}

int ts_suite_add_task(ts_journal *j, const ts_suite_info *si, const char *name,
                      const ts_kvlist *args, int priority, char *name_buf, size_t name_len,
                      long *idx, ts_err *err)
{
    ts_submit_store store;
    ts_submit_ctx ctx;

    if (ts_submission_load(j, si, &store, &ctx, err) < 0)
        return -1;
    if (!name) {
        default_name(args, si->total_tasks, name_buf, name_len);
        name = name_buf;
    }
    int rc = add_and_carry(j, si, name, args, priority, &store, &ctx, idx, err);
    ts_submission_store_free(&store);
    return rc;
}
