/* add.c: `tasksuite add ID [--name NAME] [--priority N] [--args k=v ...]`
 *
 * One more task for an existing suite, expanded against the suite's
 * setup/run exactly like an entry of its `tasks:` list (a %(name) without a
 * value is an error, nothing is written). The suite re-opens; the task is
 * submitted at once (or run here for a --local suite).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "localrun.h"
#include "report.h"
#include "submission.h"

#define USAGE "usage: tasksuite add ID [--name NAME] [--priority N] [--args k=v ...]\n"
#define MAX_ARGS 64

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

int cmd_add(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "name", required_argument, NULL, 'n' },
        { "priority", required_argument, NULL, 'p' },
        { "args", required_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ts_kv kv[MAX_ARGS] = { 0 };
    ts_kvlist args = { .v = kv, .n = 0 };
    const char *name = NULL;
    int priority = 0, c, rc = TS_EXIT_FAIL;
    char *end, generated[96], id[TS_SUITE_ID_LEN + 1], *aj = NULL;
    ts_journal *j = NULL;
    ts_err err = { 0 };
    ts_suite_info si = { 0 };
    ts_submit_store store = { 0 };
    ts_submit_ctx ctx;
    ts_tasklist one = { 0 };
    int have_store = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *eq;
        switch (c) {
        case 'n':
            name = optarg;
            break;
        case 'p':
            priority = (int)strtol(optarg, &end, 10);
            if (*end) {
                fprintf(stderr, "tasksuite add: --priority: \"%s\" is not an integer\n", optarg);
                return TS_EXIT_USAGE;
            }
            break;
        case 'a':
            eq = strchr(optarg, '=');
            if (!eq || eq == optarg || args.n == MAX_ARGS) {
                fprintf(stderr, "tasksuite add: --args: \"%s\" is not NAME=VALUE\n", optarg);
                return TS_EXIT_USAGE;
            }
            *eq = '\0';
            kv[args.n++] = (ts_kv){ .key = optarg, .value = eq + 1 };
            break;
        default:
            fputs(USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? TS_EXIT_OK : TS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(USAGE, stderr);
        return TS_EXIT_USAGE;
    }
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0
        || ts_journal_suite_resolve(j, argv[optind], id, &err) < 0
        || ts_journal_suite_get(j, id, &si, &err) < 0
        || ts_submission_load(j, &si, &store, &ctx, &err) < 0)
        goto fail;
    have_store = 1;
    if (!name) {
        default_name(&args, si.total_tasks, generated, sizeof generated);
        name = generated;
    }
    /* Validate before writing anything. */
    if (ts_submission_expand_one(store.s, name, &args, &one, &err) < 0)
        goto fail;
    if (!(aj = args_json(&args))) {
        ts_errf(&err, "out of memory");
        goto fail;
    }
    ts_task_new tn = { .name = name, .args_json = aj, .priority = priority };
    long idx;
    int64_t sub;
    if (ts_journal_tasks_add(j, id, &tn, 1, &idx, &sub, &err) < 0)
        goto fail;
    ts_task *v = realloc(store.extra.v, (store.extra.n + 1) * sizeof *v);
    if (!v) {
        ts_errf(&err, "out of memory");
        goto fail;
    }
    store.extra.v = v;
    v[store.extra.n] = one.v[0];
    v[store.extra.n].index = (size_t)idx;
    store.extra.n++;
    free(one.v);
    one = (ts_tasklist){ 0 };
    ctx.extra = &store.extra;
    ctx.recover = true;
    if (ts_submission_write_manifest(&ctx, sub, &err) < 0
        || (store.local ? (ts_localrun_mark(j, sub, &err) < 0
                           || ts_localrun(j, id, store.dir, store.self, &err) < 0)
                        : ts_submission_submit(&ctx, sub, NULL, &err) < 0))
        goto fail;
    if (!store.local)
        ts_submission_watch_or_warn(&ctx, "add", true);
    printf("suite %s: added task %s (index %ld)\n", id, name, idx);
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("add", &err);
out:
    free(aj);
    ts_tasklist_free(&one);
    if (have_store)
        ts_submission_store_free(&store);
    ts_suite_info_clear(&si);
    if (j)
        ts_journal_unlock(j);
    ts_journal_close(j);
    return rc;
}
