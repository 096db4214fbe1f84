#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurmopt.h"
#include "spec_json.h"
#include "taskenv.h"
#include "units.h"

/* ------------------------------------------------------------ to JSON */

static cJSON *strlist_json(const ts_strlist *l)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < l->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
    return a;
}

static cJSON *kvlist_json(const ts_kvlist *l)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < l->n; i++)
        if (l->v[i].required)
            cJSON_AddNullToObject(o, l->v[i].key);   /* given at submit */
        else
            cJSON_AddStringToObject(o, l->v[i].key, l->v[i].value);
    return o;
}

/* secrets: the names only, never a value. */
static cJSON *names_json(const ts_kvlist *l)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < l->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i].key));
    return a;
}

static cJSON *candidates_json(const ts_candidates *k)
{
    if (!k->n)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", k->key);
    cJSON_AddNumberToObject(o, "count", (double)k->n);
    cJSON_AddNumberToObject(o, "chosen", (double)k->chosen);
    return o;
}

static cJSON *hook_json(const ts_hook *h)
{
    if (!h->present)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (h->run)
        cJSON_AddStringToObject(o, "run", h->run);
    else
        cJSON_AddItemToObject(o, "args", strlist_json(&h->args));
    cJSON_AddItemToObject(o, "envs", kvlist_json(&h->envs));
    cJSON_AddNumberToObject(o, "timeout_s",
                            (double)(h->timeout_s ? h->timeout_s
                                                  : TS_HOOK_DEFAULT_TIMEOUT_S));
    return o;
}

static cJSON *retry_on_json(unsigned bits)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { TS_RETRY_TIMEOUT, "timeout" },     { TS_RETRY_NODE_FAIL, "node_fail" },
        { TS_RETRY_PREEMPTED, "preempted" }, { TS_RETRY_FAILED, "failed" },
    };
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bits & names[i].bit)
            cJSON_AddItemToArray(a, cJSON_CreateString(names[i].name));
    return a;
}

static cJSON *worker_json(const ts_worker_schedule *w)
{
    static const char *strategy[] = { "RoundRobin", "Exclusive", "Shared" };
    if (!w->present)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "worker_count", w->worker_count);
    cJSON *cores = cJSON_AddArrayToObject(o, "cores");
    for (size_t i = 0; i < w->ncores; i++)
        cJSON_AddItemToArray(cores, cJSON_CreateNumber(w->cores[i]));
    cJSON_AddStringToObject(o, "strategy", strategy[w->strategy]);
    cJSON_AddNumberToObject(o, "task_prefetch_count", w->task_prefetch_count);
    cJSON_AddNumberToObject(o, "suspend_after", w->suspend_after);
    cJSON_AddNumberToObject(o, "allocations", w->allocations);
    cJSON_AddNumberToObject(o, "lease", (double)w->lease_s);
    return o;
}

static cJSON *resources_json(const ts_resources *r)
{
    cJSON *o = cJSON_CreateObject();
    if (r->cpus)
        cJSON_AddNumberToObject(o, "cpus", r->cpus);
    if (r->memory_mb)
        cJSON_AddNumberToObject(o, "memory_mb", (double)r->memory_mb);
    if (r->gpu_count) {
        cJSON_AddNumberToObject(o, "gpu_count", r->gpu_count);
        if (r->gpu_type)
            cJSON_AddStringToObject(o, "gpu_type", r->gpu_type);
    }
    return o;
}

static cJSON *task_json(const ts_task *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)t->index);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddNumberToObject(o, "priority", t->priority);
    cJSON_AddItemToObject(o, "args", kvlist_json(&t->args));
    cJSON_AddItemToObject(o, "env", kvlist_json(&t->env));
    if (t->setup)
        cJSON_AddStringToObject(o, "setup", t->setup);
    else
        cJSON_AddNullToObject(o, "setup");
    cJSON_AddStringToObject(o, "run", t->run ? t->run : "");
    return o;
}

cJSON *ts_suite_to_json(const ts_suite *s, const ts_tasklist *tasks)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "file", s->path ? s->path : "");
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddItemToObject(o, "labels", strlist_json(&s->labels));
    cJSON_AddItemToObject(o, "tags", strlist_json(&s->tags));
    if (s->group)
        cJSON_AddStringToObject(o, "group", s->group);
    else
        cJSON_AddNullToObject(o, "group");
    cJSON_AddNumberToObject(o, "num_nodes", s->num_nodes);
    cJSON_AddItemToObject(o, "resources", resources_json(&s->resources));
    cJSON_AddItemToObject(o, "envs", kvlist_json(&s->envs));
    cJSON_AddItemToObject(o, "secrets", names_json(&s->secrets));
    cJSON_AddItemToObject(o, "resource_alternatives", candidates_json(&s->candidates));
    if (s->workdir)
        cJSON_AddStringToObject(o, "workdir", s->workdir);
    else
        cJSON_AddNullToObject(o, "workdir");
    if (s->output_dir)
        cJSON_AddStringToObject(o, "output_dir", s->output_dir);
    else
        cJSON_AddNullToObject(o, "output_dir");

    cJSON *hooks = cJSON_AddObjectToObject(o, "hooks");
    cJSON_AddItemToObject(hooks, "env_preparation", hook_json(&s->env_preparation));
    cJSON_AddItemToObject(hooks, "env_cleanup", hook_json(&s->env_cleanup));
    cJSON_AddItemToObject(hooks, "on_complete", hook_json(&s->on_complete));

    cJSON *resume = cJSON_AddObjectToObject(o, "resume");
    cJSON_AddNumberToObject(resume, "max_retries", s->resume.max_retries);
    cJSON_AddItemToObject(resume, "retry_on", retry_on_json(s->resume.retry_on));
    cJSON_AddStringToObject(resume, "signal", ts_signal_name(s->resume.signal));
    cJSON_AddNumberToObject(resume, "signal_lead_s", s->resume.signal_lead_s);

    cJSON_AddItemToObject(o, "worker_schedule", worker_json(&s->worker_schedule));
    cJSON_AddItemToObject(o, "depends_on", strlist_json(&s->depends_on));
    cJSON_AddNumberToObject(o, "close_after_s", (double)s->close_after_s);

    ts_kvlist opts = { 0 };
    ts_err err;
    cJSON *sb = cJSON_AddArrayToObject(o, "sbatch_options");
    if (ts_slurm_options(s, &opts, &err) == 0) {
        for (size_t i = 0; i < opts.n; i++) {
            char *word = NULL;
            if (asprintf(&word, "--%s=%s", opts.v[i].key, opts.v[i].value) >= 0) {
                cJSON_AddItemToArray(sb, cJSON_CreateString(word));
                free(word);
            }
        }
    }
    ts_kvlist_free(&opts);

    cJSON_AddItemToObject(o, "warnings", strlist_json(&s->warnings));
    cJSON *ta = cJSON_AddArrayToObject(o, "tasks");
    for (size_t i = 0; tasks && i < tasks->n; i++)
        cJSON_AddItemToArray(ta, task_json(&tasks->v[i]));
    return o;
}

/* ------------------------------------------------------------ hook spec */

char *ts_hooks_serialize(const ts_suite *s, const char *suite_id,
                         const char *workdir)
{
    return ts_hooks_serialize_dir(s, suite_id, workdir, NULL);
}

char *ts_hooks_serialize_dir(const ts_suite *s, const char *suite_id,
                             const char *workdir, const char *suite_dir)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "v", 1);
    if (suite_id)
        cJSON_AddStringToObject(o, "id", suite_id);
    cJSON_AddStringToObject(o, "name", s->name);
    if (workdir)
        cJSON_AddStringToObject(o, "workdir", workdir);
    if (s->output_dir)
        cJSON_AddStringToObject(o, "output_dir", s->output_dir);
    if (suite_dir)
        cJSON_AddStringToObject(o, "dir", suite_dir);
    cJSON_AddNumberToObject(o, "workers", s->worker_schedule.present
                                              ? s->worker_schedule.worker_count
                                              : 1);
    cJSON_AddItemToObject(o, "prep", hook_json(&s->env_preparation));
    cJSON_AddItemToObject(o, "cleanup", hook_json(&s->env_cleanup));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static int dup_string(const cJSON *o, const char *key, char **out, bool required,
                      ts_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return ts_errf(err, "hook spec: missing \"%s\"", key);
        return 0;
    }
    if (!cJSON_IsString(v))
        return ts_errf(err, "hook spec: \"%s\" is not a string", key);
    if (!(*out = strdup(v->valuestring)))
        return ts_errf(err, "hook spec: out of memory");
    return 0;
}

/* "name" and "id" end up in slurmd's log: spec.c's suite names only. */
static int dup_name(const cJSON *o, const char *key, char **out, bool required,
                    ts_err *err)
{
    if (dup_string(o, key, out, required, err) < 0)
        return -1;
    const char *s = *out;
    if (!s)
        return 0;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ts_errf(err, "hook spec: \"%s\" holds a control character", key);
    if (n == 0 || n > TS_HOOKSPEC_MAX_NAME || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                        "abcdefghijklmnopqrstuvwxyz"
                                                        "0123456789._-") != n)
        return ts_errf(err, "hook spec: \"%s\" is not a valid name (1 to %d letters, "
                       "digits, \".\", \"_\" or \"-\")", key, TS_HOOKSPEC_MAX_NAME);
    return 0;
}

static int dup_path(const cJSON *o, const char *key, char **out, ts_err *err)
{
    if (dup_string(o, key, out, false, err) < 0)
        return -1;
    if (*out && strlen(*out) >= PATH_MAX)
        return ts_errf(err, "hook spec: \"%s\" is longer than %d bytes", key, PATH_MAX - 1);
    return 0;
}

static int args_from_json(const cJSON *args, ts_hook *h, const char *what, ts_err *err)
{
    int n = cJSON_GetArraySize(args);
    if (!cJSON_IsArray(args) || n < 1)
        return ts_errf(err, "hook spec: %s has neither run nor args", what);
    if (n > TS_HOOKSPEC_MAX_ARGS)
        return ts_errf(err, "hook spec: %s.args has more than %d entries", what,
                       TS_HOOKSPEC_MAX_ARGS);
    h->args.v = calloc((size_t)n + 1, sizeof *h->args.v);
    if (!h->args.v)
        return ts_errf(err, "hook spec: out of memory");
    const cJSON *a;
    cJSON_ArrayForEach(a, args) {
        if (!cJSON_IsString(a))
            return ts_errf(err, "hook spec: %s.args holds a non-string", what);
        if (!(h->args.v[h->args.n++] = strdup(a->valuestring)))
            return ts_errf(err, "hook spec: out of memory");
    }
    return 0;
}

static int envs_from_json(const cJSON *envs, ts_hook *h, const char *what, ts_err *err)
{
    if (!envs || cJSON_IsNull(envs))
        return 0;
    if (!cJSON_IsObject(envs))
        return ts_errf(err, "hook spec: %s.envs is not an object", what);
    int n = cJSON_GetArraySize(envs);
    if (n > TS_HOOKSPEC_MAX_ENVS)
        return ts_errf(err, "hook spec: %s.envs has more than %d entries", what,
                       TS_HOOKSPEC_MAX_ENVS);
    h->envs.v = calloc((size_t)n + 1, sizeof *h->envs.v);
    if (!h->envs.v)
        return ts_errf(err, "hook spec: out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, envs) {
        if (!cJSON_IsString(e) || !e->string)
            return ts_errf(err, "hook spec: %s.envs holds a non-string", what);
        if (!ts_env_name_valid(e->string)) {
            char shown[TS_ENV_MAX_NAME + 5];
            return ts_errf(err, "hook spec: %s.envs: \"%s\" is not a valid variable name "
                           "(letters, digits and \"_\", not starting with a digit, at most %d)",
                           what, ts_err_shown(e->string, shown, sizeof shown), TS_ENV_MAX_NAME);
        }
        ts_kv *kv = &h->envs.v[h->envs.n++];
        kv->key = strdup(e->string);
        kv->value = strdup(e->valuestring);
        if (!kv->key || !kv->value)
            return ts_errf(err, "hook spec: out of memory");
    }
    return 0;
}

static int hook_from_json(const cJSON *o, ts_hook *h, const char *what, ts_err *err)
{
    memset(h, 0, sizeof *h);
    if (!o || cJSON_IsNull(o))
        return 0;
    if (!cJSON_IsObject(o))
        return ts_errf(err, "hook spec: %s is not an object", what);
    h->present = true;
    if (dup_string(o, "run", &h->run, false, err) < 0)
        return -1;
    if (!h->run && args_from_json(cJSON_GetObjectItemCaseSensitive(o, "args"), h, what, err) < 0)
        return -1;
    if (envs_from_json(cJSON_GetObjectItemCaseSensitive(o, "envs"), h, what, err) < 0)
        return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "timeout_s");
    h->timeout_s = cJSON_IsNumber(t) && t->valuedouble > 0 && t->valuedouble < 1e9
                       ? (long)t->valuedouble
                       : TS_HOOK_DEFAULT_TIMEOUT_S;
    return 0;
}

int ts_hooks_deserialize(const char *text, ts_hookspec *out, ts_err *err)
{
    memset(out, 0, sizeof *out);
    if (!text || strnlen(text, TS_HOOKSPEC_MAX + 1) > TS_HOOKSPEC_MAX)
        return ts_errf(err, "hook spec: missing or larger than %d bytes",
                       TS_HOOKSPEC_MAX);
    cJSON *o = cJSON_Parse(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ts_errf(err, "hook spec: not a JSON object");
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "workers");
    int rc = -1;
    if (!cJSON_IsNumber(v) || v->valueint != 1)
        ts_errf(err, "hook spec: unsupported version");
    else if (dup_name(o, "id", &out->suite_id, false, err) == 0
             && dup_name(o, "name", &out->suite_name, true, err) == 0
             && dup_path(o, "workdir", &out->workdir, err) == 0
             && dup_path(o, "output_dir", &out->output_dir, err) == 0
             && dup_path(o, "dir", &out->suite_dir, err) == 0
             && hook_from_json(cJSON_GetObjectItemCaseSensitive(o, "prep"),
                               &out->prep, "prep", err) == 0
             && hook_from_json(cJSON_GetObjectItemCaseSensitive(o, "cleanup"),
                               &out->cleanup, "cleanup", err) == 0)
        rc = 0;
    out->worker_count = cJSON_IsNumber(w) && w->valueint > 0 ? w->valueint : 1;
    cJSON_Delete(o);
    if (rc < 0)
        ts_hookspec_free(out);
    return rc;
}

static void hook_free(ts_hook *h)
{
    for (size_t i = 0; i < h->args.n; i++)
        free(h->args.v[i]);
    free(h->args.v);
    for (size_t i = 0; i < h->envs.n; i++) {
        free(h->envs.v[i].key);
        free(h->envs.v[i].value);
    }
    free(h->envs.v);
    free(h->run);
    memset(h, 0, sizeof *h);
}

void ts_hookspec_free(ts_hookspec *h)
{
    free(h->suite_id);
    free(h->suite_name);
    free(h->workdir);
    free(h->output_dir);
    free(h->suite_dir);
    hook_free(&h->prep);
    hook_free(&h->cleanup);
    memset(h, 0, sizeof *h);
}
