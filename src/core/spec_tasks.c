/* spec_tasks.c: the matrix: and tasks: sections of a suite file, which
 * say what tasks the suite expands to (expand.c does the expanding).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

/* ------------------------------------------------------- matrix and tasks */

static int read_axis(pctx *c, ts_matrix_axis *ax, yaml_node_t *k,
                     yaml_node_t *v, const char *path)
{
    size_t n, later = 0, earlier = 0;
    keyref *refs;
    bool rep;

    if (v->type != YAML_SEQUENCE_NODE)
        return spec_fail(c, v, path, "expected a list of values, found %s",
                         spec_describe(c, v));
    if (spec_want_seq(c, v, path) < 0)
        return -1;
    n = spec_nitems(v);
    if (n == 0)
        return spec_fail(c, v, path, "has no values");
    ax->pos = spec_pos_of(k);
    ax->values.v = calloc(n, sizeof *ax->values.v);
    if (!ax->values.v)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];

        spec_path_idx(ip, path, i);
        /* Values are kept as written, "null" included: they are text. */
        if (it->type != YAML_SCALAR_NODE)
            return spec_fail(c, it, ip, "expected a value, found %s",
                             spec_describe(c, it));
        ax->values.v[i] = strdup(spec_sval(it));
        if (!ax->values.v[i])
            return spec_oom(c);
        ax->values.n++;
    }
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++)
        refs[i] = (keyref){ ax->values.v[i], i };
    rep = spec_find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN];

        spec_path_idx(ip, path, later);
        return spec_fail(c, spec_node(c, v->data.sequence.items.start[later]), ip,
                         "%s is listed twice (first as item %zu)",
                         spec_qv(c, ax->values.v[later]), earlier);
    }
    return 0;
}

int spec_read_matrix(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);
    uint64_t product = 1;
    size_t n;

    if (spec_want_map(c, v, path) < 0)
        return -1;
    n = spec_count_entries(c, v);
    s->matrix = calloc(n ? n : 1, sizeof *s->matrix);
    if (!s->matrix)
        return spec_oom(c);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = spec_node(c, p->key), *val = spec_node(c, p->value);
        ts_matrix_axis *ax = &s->matrix[s->nmatrix];
        char cp[PATH_LEN];

        if (spec_is_ext(spec_sval(k)))
            continue;
        spec_path_key(cp, path, spec_sval(k));
        if (!spec_valid_ident(spec_sval(k), NAME_MAX_LEN))
            return spec_fail(c, k, cp, "%s is not a valid axis name (letters, "
                             "digits and \"_\", not starting with a digit, at "
                             "most 64)", spec_qv(c, spec_sval(k)));
        ax->name = strdup(spec_sval(k));
        if (!ax->name)
            return spec_oom(c);
        s->nmatrix++;
        if (read_axis(c, ax, k, val, cp) < 0)
            return -1;
        product *= ax->values.n;
        if (product > SPEC_MAX_TASKS)
            return spec_fail(c, v, path, "makes more than %d tasks",
                             SPEC_MAX_TASKS);
    }
    return 0;
}

#define TASK(obj) ((ts_task_entry *)(obj))

static int check_task_name(pctx *c, yaml_node_t *n, const char *path,
                           const char *v)
{
    if (!spec_valid_name(v))
        return spec_fail(c, n, path, "%s is not a valid task name (letters, "
                         "digits, \".\", \"_\" and \"-\", at most 64)", spec_qv(c, v));
    return 0;
}

static int t_name(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, check_task_name, &TASK(obj)->name);
}

static int t_args(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_kvmap(c, v, path, spec_check_arg_key, false,
                           &TASK(obj)->args);
}

static int t_priority(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int_field(c, v, path, -1000000, 1000000, &TASK(obj)->priority);
}

static int t_depends_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_namelist(c, v, path, &TASK(obj)->depends_on);
}

static const field task_fields[] = {
    { "name", t_name, false, NULL },
    { "depends_on", t_depends_on, false, NULL },
    { "args", t_args, false, NULL },
    { "priority", t_priority, false, NULL },
    { NULL, NULL, false, NULL },
};

/* Two explicit tasks with one name would share a task directory. */
static int check_task_names(pctx *c, const char *path)
{
    ts_suite *s = c->s;
    size_t n = 0, later = 0, earlier = 0;
    keyref *refs;
    bool rep;

    if (s->ntasks < 2)
        return 0;
    refs = malloc(s->ntasks * sizeof *refs);
    if (!refs)
        return spec_oom(c);
    for (size_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].name)
            refs[n++] = (keyref){ s->tasks[i].name, i };
    rep = spec_find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN], np[PATH_LEN];

        spec_path_idx(ip, path, later);
        spec_path_key(np, ip, "name");
        return spec_fail_at(c, s->tasks[later].pos, np, "%s is already the name "
                            "of %s[%zu]", spec_qv(c, s->tasks[later].name), path,
                            earlier);
    }
    return 0;
}

int spec_read_tasks(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);
    size_t n;

    if (spec_want_seq(c, v, path) < 0)
        return -1;
    n = spec_nitems(v);
    s->tasks = calloc(n ? n : 1, sizeof *s->tasks);
    if (!s->tasks)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        ts_task_entry *t = &s->tasks[s->ntasks++];
        char ip[PATH_LEN];

        spec_path_idx(ip, path, i);
        t->pos = spec_pos_of(it);
        if (spec_walk_map(c, it, ip, task_fields, t) < 0)
            return -1;
    }
    return check_task_names(c, path);
}
