/* validate.c: `tasksuite validate FILE [--json] [--all] [--local]`.
 *
 * Parses and expands exactly as submit and the plugin do, submits nothing,
 * and shows what would run: tasks (name, args, env, commands), hooks, and the
 * sbatch options the suite maps to. A suite of more than SUMMARY_OVER tasks
 * lists its first SUMMARY_SHOWN and counts the rest (a 100k-task sweep is
 * not 700k lines on a terminal); --all lists them all, --json always does.
 * --local also refuses what submit --local cannot run (ts_local_fits).
 * Exit 0 valid, 1 invalid, 2 usage. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "dag.h"
#include "exitcodes.h"
#include "expand.h"
#include "slurmopt.h"
#include "spec.h"
#include "localrun.h"
#include "poolsubmit.h"
#include "spec_json.h"
#include "units.h"

#define VALIDATE_USAGE "usage: tasksuite validate FILE [--json] [--all] [--local]"
#define SUMMARY_OVER 50
#define SUMMARY_SHOWN 10

static void print_hook(const char *what, const ts_hook *h)
{
    char t[32];
    if (!h->present)
        return;
    ts_format_duration(h->timeout_s ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S,
                       t, sizeof t);
    printf("%s (timeout %s):", what, t);
    if (h->run) {
        printf(" sh -c %s\n", h->run);
    } else {
        for (size_t i = 0; i < h->args.n; i++)
            printf(" %s", h->args.v[i]);
        printf("\n");
    }
    for (size_t i = 0; i < h->envs.n; i++)
        printf("  env %s=%s\n", h->envs.v[i].key, h->envs.v[i].value);
}

/* Names only: a secret's value is never printed, and a null value is
 * given at submit (tasksuite submit --env). */
static void print_launch_values(const ts_suite *s)
{
    const ts_kvlist *lists[] = { &s->envs, &s->secrets };
    int any = 0;
    if (s->secrets.n) {
        printf("secrets (values not shown):");
        for (size_t i = 0; i < s->secrets.n; i++)
            printf(" %s", s->secrets.v[i].key);
        printf("\n");
    }
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            if (lists[l]->v[i].required)
                printf("%s %s", any++ ? "" : "given at submit (--env, --env-file or the "
                       "environment):", lists[l]->v[i].key);
    if (any)
        printf("\n");
}

static void print_text(const ts_suite *s, const ts_tasklist *tasks, int all)
{
    ts_kvlist opts = { 0 };
    ts_err err = { 0 };

    printf("suite %s (%s): %zu task%s\n", s->name, s->path, tasks->n,
           tasks->n == 1 ? "" : "s");
    /* worker_schedule: pool mode (doc/pool.md); resources, num_nodes and
     * slurm: then shape one allocation, not one task. */
    if (ts_pool_mode(s, false)) {
        const ts_worker_schedule *ws = &s->worker_schedule;
        long n = ts_pool_allocations(ws, (long)tasks->n);
        int nodes = s->num_nodes > 1 ? s->num_nodes : 1;
        printf("pool mode: %ld allocation%s at once, each %d node%s x %d worker%s "
               "(prefetch %d, lease %lds); the sbatch options below are one allocation's\n",
               n, n == 1 ? "" : "s", nodes, nodes == 1 ? "" : "s", ws->worker_count,
               ws->worker_count == 1 ? "" : "s", ws->task_prefetch_count, ws->lease_s);
    }
    if ((ts_pool_mode(s, false) ? ts_pool_allocation_options(s, &opts, &err)
                                : ts_slurm_options(s, &opts, &err)) == 0) {
        /* What sbatch takes: array-throttle is the "%N" of --array. */
        const char *throttle = ts_kv_get(&opts, "array-throttle");
        printf("sbatch:");
        if (throttle && tasks->n > 0 && !ts_pool_mode(s, false))
            printf(" --array=0-%zu%%%s", tasks->n - 1, throttle);
        ts_print_sbatch_options(stdout, &opts);
        printf("\n");
    }
    ts_kvlist_free(&opts);
    print_launch_values(s);
    print_hook("env_preparation", &s->env_preparation);
    print_hook("env_cleanup", &s->env_cleanup);
    print_hook("on_complete", &s->on_complete);
    if (s->on_checkpoint.present) {   /* issue 16 */
        if (s->on_checkpoint.every > 0)
            printf("on_checkpoint (steps that are multiples of %ld): sh -c %s\n",
                   s->on_checkpoint.every, s->on_checkpoint.run);
        else
            printf("on_checkpoint (every checkpoint): sh -c %s\n", s->on_checkpoint.run);
    }
    size_t shown = all || tasks->n <= SUMMARY_OVER ? tasks->n : SUMMARY_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        const ts_task *t = &tasks->v[i];
        printf("task %zu %s", t->index, t->name);
        if (t->priority)
            printf(" (priority %d)", t->priority);
        printf("\n");
        for (size_t j = 0; j < t->env.n; j++)
            printf("  env %s=%s\n", t->env.v[j].key, t->env.v[j].value);
        if (t->setup)
            printf("  setup: %s\n", t->setup);
        printf("  run: %s\n", t->run);
    }
    if (shown < tasks->n)
        printf("\xe2\x80\xa6 %zu more task%s (tasksuite validate --all %s)\n", tasks->n - shown,
               tasks->n - shown == 1 ? "" : "s", s->path);
}

/* The graph in the order it runs: one line per task or stage, its element
 * count and what it waits for ("per element" for an aftercorr edge). */
static void print_graph(const ts_dag *g)
{
    if (!g->n)
        return;
    printf("order:");
    for (size_t i = 0; i < g->n; i++)
        printf("%s%s", i ? " -> " : " ", g->v[g->order[i]].name);
    printf("\n");
    for (size_t i = 0; i < g->n; i++) {
        const ts_dag_node *nd = &g->v[g->order[i]];

        printf("%s %s: %zu task%s", nd->kind == TS_DAG_STAGE ? "stage" : "node",
               nd->name, nd->count, nd->count == 1 ? "" : "s");
        for (size_t e = 0; e < nd->nups; e++)
            printf("%s%s%s", e ? ", " : ", after ", g->v[nd->ups[e].up].name,
                   nd->ups[e].corr ? " (per element)" : "");
        printf("\n");
    }
}

static cJSON *graph_json(const ts_dag *g)
{
    cJSON *o = cJSON_CreateObject(), *order = cJSON_AddArrayToObject(o, "order"),
          *edges = cJSON_AddArrayToObject(o, "edges");

    for (size_t i = 0; i < g->n; i++) {
        const ts_dag_node *nd = &g->v[g->order[i]];

        cJSON_AddItemToArray(order, cJSON_CreateString(nd->name));
        for (size_t e = 0; e < nd->nups; e++) {
            cJSON *ed = cJSON_CreateObject();

            cJSON_AddStringToObject(ed, "from", g->v[nd->ups[e].up].name);
            cJSON_AddStringToObject(ed, "to", nd->name);
            cJSON_AddStringToObject(ed, "type", nd->ups[e].corr ? "aftercorr" : "afterok");
            cJSON_AddItemToArray(edges, ed);
        }
    }
    return o;
}

/* A suite of stages (stages: or a chain file): each stage expanded and
 * mapped on its own, in graph order. */
static int validate_stages(const ts_suite *s, const ts_dag *g, int json, int all)
{
    cJSON *doc = json ? cJSON_CreateObject() : NULL, *arr = NULL;
    ts_err err = { 0 };

    if (json) {
        cJSON_AddStringToObject(doc, "name", s->name);
        cJSON_AddBoolToObject(doc, "chain", s->chain);
        arr = cJSON_AddArrayToObject(doc, "stages");
        cJSON_AddItemToObject(doc, "graph", graph_json(g));
    } else {
        printf("suite %s (%s): %zu stage%s%s\n", s->name, s->path, s->nstages,
               s->nstages == 1 ? "" : "s", s->chain ? " (chain file)" : "");
        print_graph(g);
    }
    for (size_t i = 0; i < g->n; i++) {
        const ts_stage *st = &s->stages[g->v[g->order[i]].ref];
        ts_tasklist tasks = { 0 };
        ts_kvlist opts = { 0 };

        if (ts_expand(st->body, &tasks, &err) < 0
            || ts_slurm_options(st->body, &opts, &err) < 0) {
            fprintf(stderr, "%s: stage %s: %s\n", s->path, st->name, err.msg);
            ts_tasklist_free(&tasks);
            ts_kvlist_free(&opts);
            cJSON_Delete(doc);
            return TS_EXIT_FAIL;
        }
        ts_kvlist_free(&opts);
        if (json) {
            cJSON *o = ts_suite_to_json(st->body, &tasks);

            cJSON_AddStringToObject(o, "stage", st->name);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("== stage %s\n", st->name);
            print_text(st->body, &tasks, all);
        }
        ts_tasklist_free(&tasks);
    }
    if (json) {
        char *text = cJSON_Print(doc);

        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(doc);
    }
    return TS_EXIT_OK;
}

int cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "all", no_argument, NULL, 'a' },
        { "local", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, all = 0, local = 0, c;
    ts_suite *s = NULL;
    ts_tasklist tasks = { 0 };
    ts_err err = { 0 };

    optind = 1;
    while ((c = getopt_long(argc, argv, "jalh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'a':
            all = 1;
            break;
        case 'l':
            local = 1;
            break;
        case 'h':
            return ts_cli_usage(VALIDATE_USAGE, 1);
        default:
            return ts_cli_usage(VALIDATE_USAGE, 0);
        }
    }
    if (optind != argc - 1)
        return ts_cli_usage(VALIDATE_USAGE, 0);
    if (ts_spec_load(argv[optind], &s, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return TS_EXIT_FAIL;
    }
    ts_dag g;
    if (ts_dag_build(s, &g, &err) < 0) {   /* checked by the loader already */
        fprintf(stderr, "%s\n", err.msg);
        ts_spec_free(s);
        return TS_EXIT_FAIL;
    }
    if (s->nstages) {
        for (size_t i = 0; i < s->warnings.n; i++)
            fprintf(stderr, "warning: %s\n", s->warnings.v[i]);
        int rc = validate_stages(s, &g, json, all);
        ts_dag_free(&g);
        ts_spec_free(s);
        return rc;
    }
    ts_kvlist opts = { 0 };
    int bad = ts_expand(s, &tasks, &err) < 0
              || ts_slurm_options(s, &opts, &err) < 0;
    ts_kvlist_free(&opts);
    if (!bad && local)
        bad = ts_local_fits(s, argv[optind], &err) < 0;
    if (bad) {
        ts_tasklist_free(&tasks);
        fprintf(stderr, "%s\n", err.msg);
        ts_dag_free(&g);
        ts_spec_free(s);
        return TS_EXIT_FAIL;
    }
    for (size_t i = 0; i < s->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", s->warnings.v[i]);
    if (json) {
        cJSON *doc = ts_suite_to_json(s, &tasks);
        if (doc && g.n)
            cJSON_AddItemToObject(doc, "graph", graph_json(&g));
        char *text = doc ? cJSON_Print(doc) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(doc);
    } else {
        print_text(s, &tasks, all);
        print_graph(&g);
    }
    ts_dag_free(&g);
    ts_tasklist_free(&tasks);
    ts_spec_free(s);
    return TS_EXIT_OK;
}
