/* expand.c: matrix + tasks -> concrete tasks (see expand.h for the rules).
 *
 * The %(name) rewriting does not depend on any task's values: every task
 * gets the same command text, and the values travel in its environment. So
 * the templates are compiled once, and per task we only check that each
 * referenced name has a value.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "jsonw.h"
#include "slurmopt.h"   /* ts_kvlist_free */

#define ARG_ENV_PREFIX "TASK_SUITE_ARG_"

/* ------------------------------------------------------------ messages */

/* "path:line:col: " + message, the one-line form every error takes. */

static int oom(ts_err *err)
{
    return ts_errf(err, "out of memory while expanding tasks");
}

/* User text quoted in a message: control characters would break the
 * one-line rule, and a huge value would drown the point. */
static const char *shown(const char *text, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && text[i]; i++) {
        if (o + 4 >= len) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)text[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[o] = '\0';
    return buf;
}

/* ------------------------------------------------------------ names */

static bool is_alpha_(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An argument name: a C identifier, so TASK_SUITE_ARG_<NAME> is a valid
 * environment variable name for every shell. */
static bool is_arg_name(const char *p, size_t n)
{
    if (n == 0 || n > TS_ARG_NAME_MAX || !is_alpha_(p[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alpha_(p[i]) && !is_digit(p[i]))
            return false;
    return true;
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

int ts_arg_env_name(const char *arg, char *buf, size_t len)
{
    if (!arg || !buf)
        return -1;
    size_t n = strlen(arg);
    size_t plen = sizeof ARG_ENV_PREFIX - 1;
    if (!is_arg_name(arg, n) || plen + n + 1 > len)
        return -1;
    memcpy(buf, ARG_ENV_PREFIX, plen);
    for (size_t i = 0; i < n; i++)
        buf[plen + i] = upper(arg[i]);
    buf[plen + n] = '\0';
    return 0;
}

/* Two argument names that map to one environment variable. */
static bool same_env_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (upper(*a) != upper(*b))
            return false;
    return *a == *b;
}

/* Explicit task names become directory names and command-line words. */
static bool is_task_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TS_TASK_NAME_MAX || name[0] == '.' || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '/')
            return false;
    }
    return true;
}

/* Matrix values in names: keep what is safe in a path and a shell word. */
static char name_char(char c)
{
    bool keep = is_alpha_(c) || is_digit(c) || c == '.' || c == '-';
    return keep ? c : '_';
}

/* ------------------------------------------------------------ buffers */

typedef struct strbuf {
    char *p;
    size_t len, cap;
} strbuf;

static int sb_add(strbuf *b, const char *text, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int sb_str(strbuf *b, const char *text)
{
    return sb_add(b, text, strlen(text));
}

/* ------------------------------------------------------------ name set */

/* Open addressing over borrowed strings (the tasks own them); sized once
 * for the final task count, so it never grows. */
typedef struct nameset {
    const char **slot;
    size_t mask;
} nameset;

static uint64_t hash_str(const char *p)
{
    uint64_t h = 1469598103934665603ull;       /* FNV-1a */
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static int set_init(nameset *set, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 1)
        cap *= 2;
    set->slot = calloc(cap, sizeof *set->slot);
    set->mask = cap - 1;
    return set->slot ? 0 : -1;
}

/* The slot holding `name`, or the empty slot where it would go. */
static const char **set_find(const nameset *set, const char *name)
{
    size_t i = (size_t)hash_str(name) & set->mask;
    while (set->slot[i] && strcmp(set->slot[i], name) != 0)
        i = (i + 1) & set->mask;
    return &set->slot[i];
}

/* Claim `base`, or the first free "base-2", "base-3", ...; returns a
 * malloc'd name now in the set, or NULL when out of memory. */
static char *claim_name(nameset *set, const char *base)
{
    size_t len = strlen(base) + 24;
    char *name = malloc(len);
    if (!name)
        return NULL;
    snprintf(name, len, "%s", base);
    for (unsigned long k = 2; *set_find(set, name); k++)
        snprintf(name, len, "%s-%lu", base, k);
    *set_find(set, name) = name;
    return name;
}

/* ------------------------------------------------------------ templates */

typedef struct tmpl {
    const char *field;  /* "setup" / "run" for messages */
    ts_pos pos;
    char *text;         /* rewritten; NULL when the field is absent */
    const char **names; /* distinct %(names), in order of first use */
    size_t *lens;
    size_t nnames;
} tmpl;

static void tmpl_free(tmpl *t)
{
    free(t->text);
    free(t->names);
    free(t->lens);
    t->text = NULL;
    t->names = NULL;
    t->lens = NULL;
    t->nnames = 0;
}

/* Characters (not bytes: UTF-8 continuations do not count) before p. */
static size_t char_offset(const char *start, const char *p)
{
    size_t n = 0;
    for (; start < p; start++)
        if (((unsigned char)*start & 0xC0) != 0x80)
            n++;
    return n;
}

static int tmpl_add_name(tmpl *t, const char *name, size_t n)
{
    for (size_t i = 0; i < t->nnames; i++)
        if (t->lens[i] == n && memcmp(t->names[i], name, n) == 0)
            return 0;
    const char **names = realloc(t->names, (t->nnames + 1) * sizeof *names);
    if (!names)
        return -1;
    t->names = names;
    size_t *lens = realloc(t->lens, (t->nnames + 1) * sizeof *lens);
    if (!lens)
        return -1;
    t->lens = lens;
    t->names[t->nnames] = name;
    t->lens[t->nnames++] = n;
    return 0;
}

/* %(name) -> "$TASK_SUITE_ARG_NAME": inside double quotes the shell expands
 * the variable as exactly one word and never re-parses its value. */
static int sb_arg_ref(strbuf *b, const char *name, size_t n)
{
    char env[sizeof ARG_ENV_PREFIX + TS_ARG_NAME_MAX];
    memcpy(env, ARG_ENV_PREFIX, sizeof ARG_ENV_PREFIX - 1);
    for (size_t i = 0; i < n; i++)
        env[sizeof ARG_ENV_PREFIX - 1 + i] = upper(name[i]);
    env[sizeof ARG_ENV_PREFIX - 1 + n] = '\0';
    if (sb_str(b, "\"$") < 0 || sb_str(b, env) < 0 || sb_str(b, "\"") < 0)
        return -1;
    return 0;
}

/* On failure t holds nothing to free. */
static int tmpl_compile(const ts_suite *s, const char *field, const char *src,
                        ts_pos pos, tmpl *t, ts_err *err)
{
    char show[64];
    memset(t, 0, sizeof *t);
    t->field = field;
    t->pos = pos;
    if (!src)
        return 0;
    strbuf b = {0};
    if (sb_add(&b, "", 0) < 0)
        return oom(err);
    const char *p = src;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            if (sb_str(&b, p) < 0)
                goto nomem;
            break;
        }
        if (sb_add(&b, p, (size_t)(pct - p)) < 0)
            goto nomem;
        if (pct[1] == '%') {
            if (sb_add(&b, "%", 1) < 0)
                goto nomem;
            p = pct + 2;
            continue;
        }
        if (pct[1] != '(') {    /* a lone '%' is text: printf formats etc. */
            if (sb_add(&b, "%", 1) < 0)
                goto nomem;
            p = pct + 1;
            continue;
        }
        const char *name = pct + 2;
        size_t n = strcspn(name, ")\n");
        size_t at = char_offset(src, pct) + 1;
        if (name[n] != ')') {
            ts_spec_errat(err, s, pos, "%s: \"%%(\" at character %zu has no "
                  "closing \")\"", field, at);
            goto fail;
        }
        if (!is_arg_name(name, n)) {
            ts_spec_errat(err, s, pos, "%s: %%(%s) at character %zu: not an "
                  "argument name (a letter or '_', then letters, "
                  "digits or '_', at most %d)", field,
                  shown(name, n, show, sizeof show), at,
                  TS_ARG_NAME_MAX);
            goto fail;
        }
        if (sb_arg_ref(&b, name, n) < 0 || tmpl_add_name(t, name, n) < 0)
            goto nomem;
        p = name + n + 1;
    }
    t->text = b.p;
    return 0;
nomem:
    oom(err);
fail:
    free(b.p);
    tmpl_free(t);       /* the names collected so far */
    return -1;
}

/* ------------------------------------------------------------ validation */

/* The arguments of one task (or the matrix axes): names, and no two that
 * share an environment variable. `what` is "tasks[2].args" or "matrix". */
static int check_arg_names(const ts_suite *s, const char *what,
                           const char *const *names, const ts_pos *pos,
                           size_t n, ts_err *err)
{
    char show[64], env[sizeof ARG_ENV_PREFIX + TS_ARG_NAME_MAX];
    for (size_t i = 0; i < n; i++) {
        if (!is_arg_name(names[i], strlen(names[i])))
            return ts_spec_errat(err, s, pos[i], "%s: \"%s\" is not an argument name "
                         "(a letter or '_', then letters, digits or '_', at "
                         "most %d)", what,
                         shown(names[i], SIZE_MAX, show, sizeof show),
                         TS_ARG_NAME_MAX);
        for (size_t j = 0; j < i; j++) {
            if (!same_env_name(names[j], names[i]))
                continue;
            ts_arg_env_name(names[i], env, sizeof env);
            return ts_spec_errat(err, s, pos[i], "%s: \"%s\" and \"%s\" both become "
                         "%s", what, names[j], names[i], env);
        }
    }
    return 0;
}

static int check_task_args(const ts_suite *s, size_t i, ts_err *err)
{
    const ts_kvlist *args = &s->tasks[i].args;
    const char **names = calloc(args->n + 1, sizeof *names);
    ts_pos *pos = calloc(args->n + 1, sizeof *pos);
    char what[48];
    int rc;
    if (!names || !pos) {
        rc = oom(err);
    } else {
        for (size_t k = 0; k < args->n; k++) {
            names[k] = args->v[k].key;
            pos[k] = args->v[k].pos;
        }
        snprintf(what, sizeof what, "tasks[%zu].args", i);
        rc = check_arg_names(s, what, names, pos, args->n, err);
    }
    free(names);
    free(pos);
    return rc;
}

static int check_matrix(const ts_suite *s, ts_err *err)
{
    const char **names = calloc(s->nmatrix + 1, sizeof *names);
    ts_pos *pos = calloc(s->nmatrix + 1, sizeof *pos);
    int rc = 0;
    if (!names || !pos) {
        rc = oom(err);
        goto out;
    }
    for (size_t a = 0; a < s->nmatrix; a++) {
        names[a] = s->matrix[a].name;
        pos[a] = s->matrix[a].pos;
    }
    rc = check_arg_names(s, "matrix", names, pos, s->nmatrix, err);
    for (size_t a = 0; rc == 0 && a < s->nmatrix; a++)
        if (s->matrix[a].values.n == 0)
            rc = ts_spec_errat(err, s, s->matrix[a].pos, "matrix.%s: no values",
                       s->matrix[a].name);
out:
    free(names);
    free(pos);
    return rc;
}

/* The number of matrix tasks, or an error when over the cap. Multiplying
 * with the cap as the bound also rules out size_t overflow. */
static int matrix_size(const ts_suite *s, size_t *out, ts_err *err)
{
    size_t prod = 1;
    bool over = false;
    for (size_t a = 0; a < s->nmatrix; a++) {
        size_t n = s->matrix[a].values.n;
        if (prod > TS_EXPAND_MAX_TASKS / n)
            over = true;
        else
            prod *= n;
    }
    if (over) {
        char dims[256] = "";
        size_t o = 0;
        for (size_t a = 0; a < s->nmatrix && o < sizeof dims - 32; a++)
            o += (size_t)snprintf(dims + o, sizeof dims - o, "%s%zu",
                                  a ? " x " : "", s->matrix[a].values.n);
        return ts_spec_errat(err, s, s->matrix[0].pos, "matrix: the product %s "
                     "exceeds the limit of %d tasks", dims,
                     TS_EXPAND_MAX_TASKS);
    }
    *out = s->nmatrix ? prod : 0;
    return 0;
}

/* ------------------------------------------------------------ tasks */

static int kv_set(ts_kv *kv, const char *key, const char *value, ts_pos pos)
{
    kv->key = strdup(key);
    kv->value = strdup(value ? value : "");
    kv->pos = pos;
    return kv->key && kv->value ? 0 : -1;
}

void ts_task_free(ts_task *t)
{
    free(t->name);
    ts_kvlist_free(&t->args);
    ts_kvlist_free(&t->env);
    free(t->setup);
    free(t->run);
}

void ts_tasklist_free(ts_tasklist *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->v && i < l->n; i++)   /* lazy: no v */
        ts_task_free(&l->v[i]);
    free(l->v);
    ts_lazy_matrix_free(l->lazy);
    free(l->lazy);
    l->v = NULL;
    l->lazy = NULL;
    l->n = 0;
}

static int copy_args(ts_task *t, const ts_kvlist *args)
{
    if (args->n == 0)
        return 0;
    t->args.v = calloc(args->n, sizeof *t->args.v);
    if (!t->args.v)
        return -1;
    for (size_t k = 0; k < args->n; k++, t->args.n++)
        if (kv_set(&t->args.v[k], args->v[k].key, args->v[k].value,
                   args->v[k].pos) < 0) {
            t->args.n++;    /* free the half-set pair too */
            return -1;
        }
    return 0;
}

/* Explicit tasks keep their names (duplicates are an error); the unnamed
 * ones are named after every explicit name is claimed, so "task-<i>" can
 * step aside for a user's own "task-<i>". */
static int add_explicit(const ts_suite *s, ts_tasklist *l, nameset *set,
                        ts_err *err)
{
    char show[96];
    for (size_t i = 0; i < s->ntasks; i++) {
        const ts_task_entry *e = &s->tasks[i];
        ts_task *t = &l->v[l->n++];
        t->priority = e->priority;
        if (copy_args(t, &e->args) < 0)
            return oom(err);
        if (!e->name)
            continue;
        if (!is_task_name(e->name))
            return ts_spec_errat(err, s, e->pos, "tasks[%zu].name: \"%s\" is not a "
                         "task name (1-%d characters, no spaces, control "
                         "characters or '/', not starting with '.' or '-')",
                         i, shown(e->name, SIZE_MAX, show, sizeof show),
                         TS_TASK_NAME_MAX);
        const char **slot = set_find(set, e->name);
        if (*slot)
            return ts_spec_errat(err, s, e->pos, "tasks[%zu].name: duplicate task "
                         "name \"%s\"", i, e->name);
        if (!(t->name = strdup(e->name)))
            return oom(err);
        *slot = t->name;
    }
    for (size_t i = 0; i < s->ntasks; i++) {
        char base[32];
        if (l->v[i].name)
            continue;
        snprintf(base, sizeof base, "task-%zu", i);
        if (!(l->v[i].name = claim_name(set, base)))
            return oom(err);
    }
    return 0;
}

/* "lr=0.1,depth=18" for the value indices in idx, or "" when too long. */
static int matrix_name(const ts_suite *s, const size_t *idx, strbuf *b)
{
    b->len = 0;
    if (sb_add(b, "", 0) < 0)
        return -1;
    for (size_t a = 0; a < s->nmatrix; a++) {
        const char *v = s->matrix[a].values.v[idx[a]];
        if ((a && sb_add(b, ",", 1) < 0) || sb_str(b, s->matrix[a].name) < 0
            || sb_add(b, "=", 1) < 0)
            return -1;
        for (; v && *v; v++) {
            char c = name_char(*v);
            if (sb_add(b, &c, 1) < 0)
                return -1;
        }
        if (b->len > TS_TASK_NAME_MAX)
            break;  /* the fallback name will be used anyway */
    }
    if (b->len > TS_TASK_NAME_MAX) {
        b->len = 0;
        b->p[0] = '\0';
    }
    return 0;
}

static int matrix_task(const ts_suite *s, ts_task *t, const size_t *idx,
                       size_t k, nameset *set, strbuf *nb)
{
    t->args.v = calloc(s->nmatrix, sizeof *t->args.v);
    if (!t->args.v)
        return -1;
    for (size_t a = 0; a < s->nmatrix; a++, t->args.n++)
        if (kv_set(&t->args.v[a], s->matrix[a].name,
                   s->matrix[a].values.v[idx[a]], s->matrix[a].pos) < 0) {
            t->args.n++;
            return -1;
        }
    if (matrix_name(s, idx, nb) < 0)
        return -1;
    char fallback[40];
    const char *base = nb->p;
    if (!base[0] || *set_find(set, base)) {
        snprintf(fallback, sizeof fallback, "matrix-%zu", k);
        base = fallback;
    }
    t->name = claim_name(set, base);
    return t->name ? 0 : -1;
}

/* The product, row-major: an odometer whose last wheel turns fastest. */
static int add_matrix(const ts_suite *s, ts_tasklist *l, size_t count,
                      nameset *set, ts_err *err)
{
    size_t *idx = calloc(s->nmatrix, sizeof *idx);
    strbuf nb = {0};
    int rc = 0;
    if (!idx)
        return oom(err);
    for (size_t k = 0; k < count; k++) {
        if (matrix_task(s, &l->v[l->n++], idx, k, set, &nb) < 0) {
            rc = oom(err);
            break;
        }
        for (size_t a = s->nmatrix; a-- > 0;) {
            if (++idx[a] < s->matrix[a].values.n)
                break;
            idx[a] = 0;
        }
    }
    free(idx);
    free(nb.p);
    return rc;
}

/* The lone task of a suite with neither matrix nor tasks. */
static int add_single(const ts_suite *s, ts_tasklist *l, nameset *set,
                      ts_err *err)
{
    ts_task *t = &l->v[l->n++];
    t->name = claim_name(set, s->name && s->name[0] ? s->name : "task-0");
    return t->name ? 0 : oom(err);
}

static const char *arg_value(const ts_kvlist *args, const char *name, size_t n)
{
    for (size_t k = 0; k < args->n; k++)
        if (strlen(args->v[k].key) == n && memcmp(args->v[k].key, name, n) == 0)
            return args->v[k].value;
    return NULL;
}

static int check_refs(const ts_suite *s, const tmpl *tp, const ts_task *t,
                      ts_err *err)
{
    char show[96];
    for (size_t i = 0; i < tp->nnames; i++)
        if (!arg_value(&t->args, tp->names[i], tp->lens[i]))
            return ts_spec_errat(err, s, tp->pos, "%s: %%(%.*s) has no value in task "
                         "\"%s\"", tp->field, (int)tp->lens[i], tp->names[i],
                         shown(t->name, SIZE_MAX, show, sizeof show));
    return 0;
}

static int build_env(ts_task *t)
{
    char env[sizeof ARG_ENV_PREFIX + TS_ARG_NAME_MAX];
    if (t->args.n == 0)
        return 0;
    t->env.v = calloc(t->args.n, sizeof *t->env.v);
    if (!t->env.v)
        return -1;
    for (size_t k = 0; k < t->args.n; k++, t->env.n++) {
        /* Names were checked, so this cannot fail. */
        ts_arg_env_name(t->args.v[k].key, env, sizeof env);
        if (kv_set(&t->env.v[k], env, t->args.v[k].value,
                   t->args.v[k].pos) < 0) {
            t->env.n++;
            return -1;
        }
    }
    return 0;
}

/* References, environment and command text of every task. */
static int finish_tasks(const ts_suite *s, ts_tasklist *l, const tmpl *setup,
                        const tmpl *run, ts_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        ts_task *t = &l->v[i];
        if (check_refs(s, setup, t, err) < 0 || check_refs(s, run, t, err) < 0)
            return -1;
        if (build_env(t) < 0)
            return oom(err);
        if (setup->text && !(t->setup = strdup(setup->text)))
            return oom(err);
        if (run->text && !(t->run = strdup(run->text)))
            return oom(err);
        t->index = i;
    }
    return 0;
}

/* Highest priority first; equal priorities keep their order (the index is
 * still the pre-sort position here, which makes qsort stable). */
static int by_priority(const void *pa, const void *pb)
{
    const ts_task *a = pa, *b = pb;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static int validate(const ts_suite *s, size_t *nmat, ts_err *err)
{
    if (check_matrix(s, err) < 0 || matrix_size(s, nmat, err) < 0)
        return -1;
    if (s->ntasks > TS_EXPAND_MAX_TASKS - *nmat)
        return ts_spec_errat(err, s, s->tasks[0].pos, "tasks: %zu explicit plus %zu "
                     "matrix tasks exceed the limit of %d tasks",
                     s->ntasks, *nmat, TS_EXPAND_MAX_TASKS);
    for (size_t i = 0; i < s->ntasks; i++)
        if (check_task_args(s, i, err) < 0)
            return -1;
    return 0;
}

int ts_expand(const ts_suite *s, ts_tasklist *out, ts_err *err)
{
    bool graph = s->nstages > 0;

    for (size_t i = 0; !graph && i < s->ntasks; i++)
        graph = s->tasks[i].depends_on.n > 0;
    return graph ? ts_expand_graph(s, out, err) : ts_expand_flat(s, out, err);
}

int ts_expand_flat(const ts_suite *s, ts_tasklist *out, ts_err *err)
{
    ts_tasklist l = {0};
    tmpl setup, run;
    nameset set = {0};
    size_t nmat = 0;
    int rc = -1;

    out->v = NULL;
    out->n = 0;
    out->lazy = NULL;
    if (tmpl_compile(s, "setup", s->setup, s->setup_pos, &setup, err) < 0)
        return -1;
    if (tmpl_compile(s, "run", s->run, s->run_pos, &run, err) < 0) {
        tmpl_free(&setup);
        return -1;
    }
    if (validate(s, &nmat, err) < 0)
        goto done;

    size_t total = s->ntasks + nmat;
    if (total == 0)
        total = 1;
    if (!(l.v = calloc(total, sizeof *l.v)) || set_init(&set, total) < 0) {
        oom(err);
        goto done;
    }
    if (add_explicit(s, &l, &set, err) < 0
        || add_matrix(s, &l, nmat, &set, err) < 0
        || (s->ntasks == 0 && nmat == 0 && add_single(s, &l, &set, err) < 0)
        || finish_tasks(s, &l, &setup, &run, err) < 0)
        goto done;

    qsort(l.v, l.n, sizeof *l.v, by_priority);
    for (size_t i = 0; i < l.n; i++)
        l.v[i].index = i;
    *out = l;
    l.v = NULL;
    l.n = 0;
    rc = 0;
done:
    ts_tasklist_free(&l);
    free(set.slot);
    tmpl_free(&setup);
    tmpl_free(&run);
    return rc;
}

/* ------------------------------------------------------------ lazy matrix */

void ts_lazy_matrix_free(ts_lazy_matrix *m)
{
    if (!m)
        return;
    for (size_t a = 0; a < m->naxes; a++) {
        free(m->axes[a].name);
        for (size_t i = 0; i < m->axes[a].n; i++)
            free(m->axes[a].values[i]);
        free(m->axes[a].values);
    }
    free(m->axes);
    free(m->setup);
    free(m->run);
    memset(m, 0, sizeof *m);
}

/* Task k's value index on each axis: the odometer of add_matrix read off
 * at step k (last axis fastest). */
static int lazy_decode(const ts_lazy_matrix *m, size_t k, size_t *idx)
{
    if (k >= m->count)
        return -1;
    for (size_t a = m->naxes; a-- > 0;) {
        idx[a] = k % m->axes[a].n;
        k /= m->axes[a].n;
    }
    return 0;
}

/* matrix_name + the "matrix-<k>" fallback of matrix_task; no collision is
 * possible here (ts_expand_lazy checked), so no claim_name. */
static int lazy_name(const ts_lazy_matrix *m, const size_t *idx, size_t k,
                     char *buf, size_t len)
{
    size_t o = 0;
    bool over = false;
    for (size_t a = 0; a < m->naxes && !over; a++) {
        const char *name = m->axes[a].name, *v = m->axes[a].values[idx[a]];
        size_t need = (a ? 1 : 0) + strlen(name) + 1 + strlen(v);
        if (o + need > TS_TASK_NAME_MAX) {
            over = true;
            break;
        }
        o += (size_t)snprintf(buf + o, len - o, "%s%s=", a ? "," : "", name);
        for (; *v; v++)
            buf[o++] = name_char(*v);
        buf[o] = '\0';
    }
    if (over || o == 0)
        snprintf(buf, len, "matrix-%zu", k);
    return 0;
}

int ts_lazy_task_name(const ts_lazy_matrix *m, size_t k, char *buf, size_t len)
{
    size_t idx[m->naxes ? m->naxes : 1];
    if (len < TS_TASK_NAME_MAX + 1 || lazy_decode(m, k, idx) < 0)
        return -1;
    return lazy_name(m, idx, k, buf, len);
}

/* One axis value, rendered once: "a=v" (sanitised) and "\"a\":\"v\"". */
typedef struct frag {
    char *name, *json;
    size_t nlen, jlen;
} frag;

static int frags_build(const ts_lazy_matrix *m, frag **out)
{
    size_t total = 0;
    for (size_t a = 0; a < m->naxes; a++)
        total += m->axes[a].n;
    frag *f = calloc(total ? total : 1, sizeof *f);
    if (!f)
        return -1;
    *out = f;
    for (size_t a = 0; a < m->naxes; a++)
        for (size_t i = 0; i < m->axes[a].n; i++, f++) {
            ts_strbuf nb = { 0 }, jb = { 0 };
            ts_strbuf_puts(&nb, m->axes[a].name);
            ts_strbuf_putc(&nb, '=');
            for (const char *v = m->axes[a].values[i]; *v; v++)
                ts_strbuf_putc(&nb, name_char(*v));
            ts_strbuf_json_str(&jb, m->axes[a].name);
            ts_strbuf_putc(&jb, ':');
            ts_strbuf_json_str(&jb, m->axes[a].values[i]);
            f->name = nb.p;
            f->nlen = nb.len;
            f->json = jb.p;
            f->jlen = jb.len;
            if (nb.oom || jb.oom || !nb.p || !jb.p)
                return -1;
        }
    return 0;
}

static void frags_free(frag *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].name);
        free(f[i].json);
    }
    free(f);
}

/* The frags of every value, built once for many ranges (the journal reads
 * a lazy suite chunk by chunk). */
struct ts_lazy_packer {
    const ts_lazy_matrix *m;
    frag *f;
    size_t total;       /* frags */
    size_t *base;       /* the first frag of each axis */
};

ts_lazy_packer *ts_lazy_packer_new(const ts_lazy_matrix *m)
{
    ts_lazy_packer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->m = m;
    if (!(p->base = calloc(m->naxes ? m->naxes : 1, sizeof *p->base))) {
        free(p);
        return NULL;
    }
    for (size_t a = 0; a < m->naxes; a++) {
        p->base[a] = p->total;
        p->total += m->axes[a].n;
    }
    if (frags_build(m, &p->f) < 0) {
        ts_lazy_packer_free(p);
        return NULL;
    }
    return p;
}

void ts_lazy_packer_free(ts_lazy_packer *p)
{
    if (!p)
        return;
    frags_free(p->f, p->total);
    free(p->base);
    free(p);
}

int ts_lazy_packer_range(const ts_lazy_packer *p, size_t first, size_t count,
                         const char *tail, size_t tail_len, ts_strbuf *b, size_t *off)
{
    const ts_lazy_matrix *m = p->m;
    const frag *f = p->f;
    size_t idx[m->naxes ? m->naxes : 1];
    char fallback[40];

    if (count == 0)
        return 0;
    if (first + count > m->count || first + count < first || lazy_decode(m, first, idx) < 0)
        return -1;
    for (size_t k = first; k < first + count && !b->oom; k++) {
        size_t nlen = m->naxes - 1;     /* the commas */
        for (size_t a = 0; a < m->naxes; a++)
            nlen += f[p->base[a] + idx[a]].nlen;
        if (off)
            off[k - first] = b->len;
        if (nlen > TS_TASK_NAME_MAX) {
            snprintf(fallback, sizeof fallback, "matrix-%zu", k);
            ts_strbuf_puts(b, fallback);
        } else {
            for (size_t a = 0; a < m->naxes; a++) {
                const frag *x = &f[p->base[a] + idx[a]];
                if (a)
                    ts_strbuf_putc(b, ',');
                ts_strbuf_put(b, x->name, x->nlen);
            }
        }
        ts_strbuf_put(b, "\0{", 2);
        for (size_t a = 0; a < m->naxes; a++) {
            const frag *x = &f[p->base[a] + idx[a]];
            if (a)
                ts_strbuf_putc(b, ',');
            ts_strbuf_put(b, x->json, x->jlen);
        }
        ts_strbuf_put(b, "}\0", 2);
        if (tail_len)
            ts_strbuf_put(b, tail, tail_len);
        for (size_t a = m->naxes; a-- > 0;) {     /* the odometer */
            if (++idx[a] < m->axes[a].n)
                break;
            idx[a] = 0;
        }
    }
    return b->oom ? -1 : 0;
}

int ts_lazy_pack_all(const ts_lazy_matrix *m, ts_strbuf *b, size_t *off)
{
    ts_lazy_packer *p = ts_lazy_packer_new(m);
    int rc = p ? ts_lazy_packer_range(p, 0, m->count, NULL, 0, b, off) : -1;
    ts_lazy_packer_free(p);
    return rc;
}

int ts_lazy_task_pack(const ts_lazy_matrix *m, size_t k, ts_strbuf *b)
{
    size_t idx[m->naxes ? m->naxes : 1];
    char name[TS_TASK_NAME_MAX + 1];
    if (lazy_decode(m, k, idx) < 0)
        return -1;
    lazy_name(m, idx, k, name, sizeof name);
    ts_strbuf_puts(b, name);
    ts_strbuf_putc(b, '\0');
    ts_strbuf_putc(b, '{');
    for (size_t a = 0; a < m->naxes; a++) {
        if (a)
            ts_strbuf_putc(b, ',');
        ts_strbuf_json_str(b, m->axes[a].name);
        ts_strbuf_putc(b, ':');
        ts_strbuf_json_str(b, m->axes[a].values[idx[a]]);
    }
    ts_strbuf_putc(b, '}');
    ts_strbuf_putc(b, '\0');
    return 0;
}

int ts_lazy_task(const ts_lazy_matrix *m, size_t k, ts_task *t)
{
    size_t idx[m->naxes ? m->naxes : 1];
    char name[TS_TASK_NAME_MAX + 1];
    ts_pos nopos = { 0 };
    memset(t, 0, sizeof *t);
    if (lazy_decode(m, k, idx) < 0)
        return -1;
    lazy_name(m, idx, k, name, sizeof name);
    t->index = k;
    if (!(t->name = strdup(name))
        || !(t->args.v = calloc(m->naxes ? m->naxes : 1, sizeof *t->args.v)))
        goto fail;
    for (size_t a = 0; a < m->naxes; a++, t->args.n++)
        if (kv_set(&t->args.v[a], m->axes[a].name, m->axes[a].values[idx[a]], nopos) < 0) {
            t->args.n++;
            goto fail;
        }
    if (build_env(t) < 0 || (m->setup && !(t->setup = strdup(m->setup)))
        || (m->run && !(t->run = strdup(m->run))))
        goto fail;
    return 0;
fail:
    ts_task_free(t);
    memset(t, 0, sizeof *t);
    return -1;
}

static bool is_axis(const ts_suite *s, const char *name, size_t n)
{
    for (size_t a = 0; a < s->nmatrix; a++)
        if (strlen(s->matrix[a].name) == n && memcmp(s->matrix[a].name, name, n) == 0)
            return true;
    return false;
}

static bool refs_are_axes(const ts_suite *s, const tmpl *t)
{
    for (size_t i = 0; i < t->nnames; i++)
        if (!is_axis(s, t->names[i], t->lens[i]))
            return false;
    return true;
}

/* No two values of one axis give the same name text: then no two tasks'
 * generated names are equal ('=' and ',' never come from a value), and a
 * name never needs claim_name's "-2". 1 yes, 0 no, -1 out of memory. */
static int axis_names_distinct(const ts_suite *s, size_t a)
{
    const ts_strlist *vals = &s->matrix[a].values;
    size_t total = 0;
    for (size_t i = 0; i < vals->n; i++)
        total += (vals->v[i] ? strlen(vals->v[i]) : 0) + 1;
    char *text = malloc(total ? total : 1);
    nameset set = { 0 };
    int rc = 1;
    if (!text || set_init(&set, vals->n) < 0) {
        free(text);
        return -1;
    }
    char *o = text;
    for (size_t i = 0; i < vals->n && rc == 1; i++) {
        const char *start = o;
        for (const char *v = vals->v[i]; v && *v; v++)
            *o++ = name_char(*v);
        *o++ = '\0';
        const char **slot = set_find(&set, start);
        if (*slot)
            rc = 0;
        else
            *slot = start;
    }
    free(set.slot);
    free(text);
    return rc;
}

static char *dup_or_empty(const char *v)
{
    return strdup(v ? v : "");
}

/* The axes copied into m (owning everything). */
static int lazy_copy_axes(const ts_suite *s, ts_lazy_matrix *m)
{
    if (!(m->axes = calloc(s->nmatrix ? s->nmatrix : 1, sizeof *m->axes)))
        return -1;
    for (size_t a = 0; a < s->nmatrix; a++, m->naxes++) {
        ts_lazy_axis *x = &m->axes[a];
        const ts_strlist *vals = &s->matrix[a].values;
        if (!(x->name = strdup(s->matrix[a].name))
            || !(x->values = calloc(vals->n ? vals->n : 1, sizeof *x->values))) {
            m->naxes++;
            return -1;
        }
        for (; x->n < vals->n; x->n++)
            if (!(x->values[x->n] = dup_or_empty(vals->v[x->n]))) {
                m->naxes++;
                return -1;
            }
    }
    return 0;
}

/* 1: the suite is lazy in *m; 0: it needs ts_expand (or has an error it
 * will report); -1 out of memory. */
static int try_lazy(const ts_suite *s, ts_lazy_matrix *m)
{
    tmpl setup, run;
    ts_err quiet = { 0 };
    size_t nmat = 0;
    int rc = 0;
    if (s->ntasks || !s->nmatrix)
        return 0;
    if (tmpl_compile(s, "setup", s->setup, s->setup_pos, &setup, &quiet) < 0)
        return 0;
    if (tmpl_compile(s, "run", s->run, s->run_pos, &run, &quiet) < 0) {
        tmpl_free(&setup);
        return 0;
    }
    if (validate(s, &nmat, &quiet) < 0 || nmat == 0 || !refs_are_axes(s, &setup)
        || !refs_are_axes(s, &run))
        goto out;
    for (size_t a = 0; a < s->nmatrix; a++)
        if ((rc = axis_names_distinct(s, a)) != 1)
            goto out;
    rc = -1;
    if (lazy_copy_axes(s, m) < 0)
        goto out;
    m->count = nmat;
    m->setup = setup.text;
    m->run = run.text;
    setup.text = run.text = NULL;
    rc = 1;
out:
    tmpl_free(&setup);
    tmpl_free(&run);
    return rc;
}

int ts_expand_lazy(const ts_suite *s, ts_tasklist *out, ts_err *err)
{
    ts_lazy_matrix *m;

    if (s->nstages)   /* a graph is never lazy: its order is the graph's */
        return ts_expand(s, out, err);
    for (size_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].depends_on.n)
            return ts_expand(s, out, err);
    m = calloc(1, sizeof *m);
    out->v = NULL;
    out->n = 0;
    out->lazy = NULL;
    int rc = m ? try_lazy(s, m) : -1;
    if (rc == 1) {
        out->lazy = m;
        out->n = m->count;
        return 0;
    }
    ts_lazy_matrix_free(m);
    free(m);
    if (rc < 0)
        return oom(err);
    return ts_expand(s, out, err);
}
