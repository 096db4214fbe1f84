/* slurmopt.c: a suite as sbatch long options (see slurmopt.h for the rules).
 *
 * Pure logic over ts_suite; jobdesc.c turns the list into a job_desc and
 * `validate` prints it, so both see the same options in the same order.
 * Which names exist is optnames.c's (from slurmopts.def, the list jobdesc.c
 * applies), so this file only checks a suite's use of them.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optnames.h"
#include "slurmopt.h"
#include "units.h"

/* The derived options: job-name nodes cpus-per-task mem gres constraint
 * account signal. */
#define NDERIVED 8

/* ------------------------------------------------------------ tables */

/* A `slurm:` key that would set what a suite field already sets. */
static const struct {
    const char *key, *field;
} overlaps[] = {
    { "account",       "group" },
    { "constraint",    "tags" },
    { "cpus-per-task", "resources.cpus" },
    { "mem",           "resources.memory" },
    { "mem-per-cpu",   "resources.memory" },
    { "mem-per-gpu",   "resources.memory" },
    { "gres",          "resources.accelerators" },
    { "gpus",          "resources.accelerators" },
    { "gpus-per-node", "resources.accelerators" },
    { "gpus-per-task", "resources.accelerators" },
};

/* Keys Slurm rejects together; a group ends at NULL. */
static const char *const exclusive_groups[][4] = {
    { "mem", "mem-per-cpu", "mem-per-gpu", NULL },
    { "requeue", "no-requeue", NULL, NULL },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Is the suite field an `overlaps` entry names set? */
static bool field_set(const ts_suite *s, const char *field)
{
    if (strcmp(field, "group") == 0)
        return s->group != NULL;
    if (strcmp(field, "tags") == 0)
        return s->tags.n > 0;
    if (strcmp(field, "resources.cpus") == 0)
        return s->resources.cpus > 0;
    if (strcmp(field, "resources.memory") == 0)
        return s->resources.memory_mb > 0;
    return s->resources.gpu_count > 0;  /* resources.accelerators */
}

/* ------------------------------------------------------------ messages */


/* User text in a message, on one line and of bounded length. */
static const char *shown(const char *text, char *buf, size_t len)
{
    return ts_err_shown(text, buf, len);
}

/* ------------------------------------------------------------ the list */

void ts_kvlist_free(ts_kvlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* The list is allocated once at its final size, so no growth here. */
static int push(ts_kvlist *l, const char *key, const char *value, ts_pos pos,
                ts_err *err)
{
    ts_kv *kv = &l->v[l->n++];
    kv->key = strdup(key);
    kv->value = strdup(value);
    kv->pos = pos;
    if (!kv->key || !kv->value)
        return ts_errf(err, "out of memory while listing Slurm options");
    return 0;
}

static int pushf(ts_kvlist *l, const char *key, ts_err *err,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int pushf(ts_kvlist *l, const char *key, ts_err *err,
                 const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    return push(l, key, value, (ts_pos){0, 0}, err);
}

/* Slurm reads a constraint as an expression; a tag must stay one feature,
 * or "a|b" in tags would quietly turn "all must hold" into "any". */
static bool is_feature(const char *tag)
{
    if (!tag[0])
        return false;
    for (; *tag; tag++) {
        unsigned char c = (unsigned char)*tag;
        if (c <= 0x20 || c == 0x7f || strchr("&|[]*(),!", c))
            return false;
    }
    return true;
}

static int add_constraint(const ts_suite *s, ts_kvlist *l, ts_err *err)
{
    char show[64];
    size_t len = 1;
    for (size_t i = 0; i < s->tags.n; i++) {
        if (!is_feature(s->tags.v[i]))
            return ts_spec_errat(err, s, (ts_pos){0, 0}, "tags[%zu]: \"%s\" is not a "
                         "node feature name (no spaces or any of &|[]*(),!)",
                         i, shown(s->tags.v[i], show, sizeof show));
        len += strlen(s->tags.v[i]) + 1;
    }
    char *joined = malloc(len);
    if (!joined)
        return ts_errf(err, "out of memory while listing Slurm options");
    joined[0] = '\0';
    for (size_t i = 0; i < s->tags.n; i++) {
        if (i)
            strcat(joined, "&");
        strcat(joined, s->tags.v[i]);
    }
    int rc = push(l, "constraint", joined, (ts_pos){0, 0}, err);
    free(joined);
    return rc;
}

static int add_signal(const ts_suite *s, ts_kvlist *l, ts_err *err)
{
    const char *name = ts_signal_name(s->resume.signal);
    if (!name)
        return ts_spec_errat(err, s, (ts_pos){0, 0}, "resume.signal: signal %d has "
                     "no name Slurm accepts", s->resume.signal);
    /* B: signals the batch shell only; the task runner forwards it, so a
     * task sees it once, not once per step. */
    if (s->resume.signal_lead_s > 0)
        return pushf(l, "signal", err, "B:%s@%d", name,
                     s->resume.signal_lead_s);
    return pushf(l, "signal", err, "B:%s", name);
}

/* What the suite's own fields ask for, in the documented order. */
static int add_derived(const ts_suite *s, ts_kvlist *l, ts_err *err)
{
    const ts_resources *r = &s->resources;
    ts_pos none = {0, 0};
    if (s->name && push(l, "job-name", s->name, none, err) < 0)
        return -1;
    if (pushf(l, "nodes", err, "%d", s->num_nodes > 1 ? s->num_nodes : 1) < 0)
        return -1;
    if (r->cpus > 0 && pushf(l, "cpus-per-task", err, "%d", r->cpus) < 0)
        return -1;
    if (r->memory_mb > 0
        && pushf(l, "mem", err, "%lluM", (unsigned long long)r->memory_mb) < 0)
        return -1;
    if (r->gpu_count > 0) {
        int rc = r->gpu_type && r->gpu_type[0]
            ? pushf(l, "gres", err, "gpu:%s:%d", r->gpu_type, r->gpu_count)
            : pushf(l, "gres", err, "gpu:%d", r->gpu_count);
        if (rc < 0)
            return -1;
    }
    if (s->tags.n > 0 && add_constraint(s, l, err) < 0)
        return -1;
    if (s->group && push(l, "account", s->group, none, err) < 0)
        return -1;
    if (s->resume.signal > 0 && add_signal(s, l, err) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ pass-through */

static bool is_duration(const char *v)
{
    long secs;
    return strcasecmp(v, "UNLIMITED") == 0 || strcasecmp(v, "INFINITE") == 0
           || ts_parse_duration(v, &secs) == 0;
}

static bool is_count(const char *v)
{
    if (!v[0] || strlen(v) > 9 || v[0] == '0')
        return false;
    for (; *v; v++)
        if (*v < '0' || *v > '9')
            return false;
    return true;
}

static bool has_control(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return true;
    return false;
}

/* The value of one `slurm:` entry, on its own. */
static int check_value(const ts_suite *s, const ts_kv *kv, ts_err *err)
{
    char show[64];
    const char *v = kv->value ? kv->value : "";
    if (has_control(v))
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: the value holds a control "
                     "character (newline, tab, ...)", kv->key);
    if (!v[0] && !ts_slurm_option_is_flag(kv->key))
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: needs a value", kv->key);
    if ((strcmp(kv->key, "time") == 0 || strcmp(kv->key, "time-min") == 0)
        && !is_duration(v))
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: \"%s\" is not a duration "
                     "(e.g. 90s, 5m, 2h, 1-12:00:00, HH:MM:SS, UNLIMITED)",
                     kv->key, shown(v, show, sizeof show));
    if (strcmp(kv->key, "array-throttle") == 0 && !is_count(v))
        return ts_spec_errat(err, s, kv->pos, "slurm.array-throttle: \"%s\" is not a "
                     "positive count (e.g. 8: at most 8 tasks at once)",
                     shown(v, show, sizeof show));
    return 0;
}

/* Another `slurm:` key before index i that Slurm would not take with it. */
static const char *exclusive_with(const ts_kvlist *slurm, size_t i)
{
    const char *key = slurm->v[i].key;
    for (size_t g = 0; g < COUNT(exclusive_groups); g++) {
        const char *const *grp = exclusive_groups[g];
        size_t n = 0;
        while (n < COUNT(exclusive_groups[g]) && grp[n])
            n++;
        if (!in_list(grp, n, key))
            continue;
        for (size_t j = 0; j < i; j++)
            if (in_list(grp, n, slurm->v[j].key))
                return slurm->v[j].key;
    }
    return NULL;
}

/* One `slurm:` entry against the rest of the suite. */
static int check_key(const ts_suite *s, size_t i, ts_err *err)
{
    const ts_kv *kv = &s->slurm.v[i];
    char show[64];
    const char *reason = ts_slurm_option_reserved_reason(kv->key);
    if (reason)
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: not allowed: %s", kv->key,
                     reason);
    if (!ts_slurm_option_known(kv->key))
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: not an sbatch option a suite "
                     "may set (e.g. partition, time, qos, account)",
                     shown(kv->key, show, sizeof show));
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->slurm.v[j].key, kv->key) == 0)
            return ts_spec_errat(err, s, kv->pos, "slurm.%s: given twice", kv->key);
    const char *other = exclusive_with(&s->slurm, i);
    if (other)
        return ts_spec_errat(err, s, kv->pos, "slurm.%s: conflicts with slurm.%s "
                     "(Slurm takes only one of them)", kv->key, other);
    for (size_t k = 0; k < COUNT(overlaps); k++)
        if (strcmp(overlaps[k].key, kv->key) == 0
            && field_set(s, overlaps[k].field))
            return ts_spec_errat(err, s, kv->pos, "slurm.%s: conflicts with %s (set "
                         "one of them)", kv->key, overlaps[k].field);
    return check_value(s, kv, err);
}

int ts_slurm_options(const ts_suite *s, ts_kvlist *out, ts_err *err)
{
    ts_kvlist l = {0};
    out->v = NULL;
    out->n = 0;
    for (size_t i = 0; i < s->slurm.n; i++)
        if (check_key(s, i, err) < 0)
            return -1;
    l.v = calloc(NDERIVED + s->slurm.n, sizeof *l.v);
    if (!l.v)
        return ts_errf(err, "out of memory while listing Slurm options");
    if (add_derived(s, &l, err) < 0)
        goto fail;
    for (size_t i = 0; i < s->slurm.n; i++) {
        const ts_kv *kv = &s->slurm.v[i];
        if (push(&l, kv->key, kv->value ? kv->value : "", kv->pos, err) < 0)
            goto fail;
    }
    *out = l;
    return 0;
fail:
    ts_kvlist_free(&l);
    return -1;
}
