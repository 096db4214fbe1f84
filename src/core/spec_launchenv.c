/* spec_launchenv.c: values given at submit (`tasksuite submit --env K=V`,
 * `--env-file F`, the caller's environment) for a suite's envs: and
 * secrets:, SkyPilot's `sky launch --env`. A value written as null in the
 * file must come from one of them, or nothing is submitted.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "taskenv.h"

static ts_kv *find_kv(ts_kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    return NULL;
}

static int set_kv(ts_kvlist *l, const char *key, const char *value, ts_err *err)
{
    ts_kv *kv = find_kv(l, key);
    char *v = strdup(value);
    if (!v)
        return ts_errf(err, "out of memory");
    if (kv) {
        free(kv->value);
        kv->value = v;
        kv->required = false;
        return 0;
    }
    ts_kv *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    char *k = strdup(key);
    if (!nv || !k) {
        free(v);
        free(k);
        if (nv)
            l->v = nv;
        return ts_errf(err, "out of memory");
    }
    l->v = nv;
    l->v[l->n++] = (ts_kv){ .key = k, .value = v };
    return 0;
}

static const char *env_lookup(char *const *envp, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], key, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

static int missing(const ts_suite *s, const ts_kv *kv, const char *section, ts_err *err)
{
    return ts_spec_errat(err, s, kv->pos, "%s.%s: has no value (null: give it at submit): "
                         "tasksuite submit --env %s=VALUE, --env-file FILE, or set %s in "
                         "the environment", section, kv->key, kv->key, kv->key);
}

int ts_spec_apply_launch_env(ts_suite *s, const ts_kvlist *given, char *const *envp,
                             ts_err *err)
{
    for (size_t i = 0; given && i < given->n; i++) {
        const ts_kv *g = &given->v[i];
        ts_kvlist *to = find_kv(&s->secrets, g->key) ? &s->secrets : &s->envs;
        if (set_kv(to, g->key, g->value, err) < 0)
            return -1;
    }
    ts_kvlist *lists[] = { &s->envs, &s->secrets };
    const char *names[] = { "envs", "secrets" };
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            ts_kv *kv = &lists[l]->v[i];
            if (!kv->required)
                continue;
            const char *v = env_lookup(envp, kv->key);
            if (!v)
                return missing(s, kv, names[l], err);
            char *d = strdup(v);
            if (!d)
                return ts_errf(err, "out of memory");
            free(kv->value);
            kv->value = d;
            kv->required = false;
        }
    return 0;
}

/* KEY=VALUE (or KEY alone: from envp), appended. `where` names the source
 * in messages. */
static int add_pair(const char *text, char *const *envp, const char *where,
                    ts_kvlist *out, ts_err *err)
{
    const char *eq = strchr(text, '=');
    size_t klen = eq ? (size_t)(eq - text) : strlen(text);
    char key[TS_ENV_MAX_NAME + 1];

    if (klen == 0 || klen > TS_ENV_MAX_NAME)
        return ts_errf(err, "%s: expected KEY=VALUE", where);
    memcpy(key, text, klen);
    key[klen] = '\0';
    if (!ts_env_name_valid(key))
        return ts_errf(err, "%s: \"%s\" is not a valid variable name (letters, digits "
                       "and \"_\", not starting with a digit)", where, key);
    const char *value = eq ? eq + 1 : env_lookup(envp, key);
    if (!value)
        return ts_errf(err, "%s: %s is not set in the environment (give --env %s=VALUE)",
                       where, key, key);
    ts_kv *nv = realloc(out->v, (out->n + 1) * sizeof *nv);
    if (!nv)
        return ts_errf(err, "out of memory");
    out->v = nv;
    ts_kv *kv = &out->v[out->n];
    *kv = (ts_kv){ .key = strdup(key), .value = strdup(value) };
    out->n++;
    if (!kv->key || !kv->value)
        return ts_errf(err, "out of memory");
    return 0;
}

int ts_spec_parse_env_arg(const char *arg, char *const *envp, ts_kvlist *out, ts_err *err)
{
    char where[64];
    snprintf(where, sizeof where, "--env %.40s%s", arg, strlen(arg) > 40 ? "..." : "");
    /* The value may be a secret: never echo past the name. */
    char *eq = strchr(where, '=');
    if (eq)
        strcpy(eq, "=...");
    return add_pair(arg, envp, where, out, err);
}

/* Strip one pair of matching quotes. */
static void unquote(char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        memmove(v, v + 1, n - 2);
        v[n - 2] = '\0';
    }
}

int ts_spec_read_env_file(const char *path, ts_kvlist *out, ts_err *err)
{
    FILE *f = fopen(path, "re");
    char *line = NULL, where[300];
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;

    if (!f)
        return ts_errf(err, "--env-file %s: cannot open: %s", path, strerror(errno));
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        char *p = line, *end;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (strncmp(p, "export ", 7) == 0)
            p += 7;
        for (end = p + strlen(p); end > p && (end[-1] == ' ' || end[-1] == '\t'); end--)
            ;
        *end = '\0';
        snprintf(where, sizeof where, "%.200s:%ld", path, lineno);
        if (!strchr(p, '=')) {
            rc = ts_errf(err, "%s: expected KEY=VALUE", where);
            break;
        }
        unquote(strchr(p, '=') + 1);
        rc = add_pair(p, NULL, where, out, err);
    }
    free(line);
    fclose(f);
    return rc;
}
