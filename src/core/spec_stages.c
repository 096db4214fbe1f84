/* spec_stages.c: the parts of a suite file that make a graph of tasks:
 * depends_on lists (of tasks[i] and of stages), the stages: section, and
 * chain files (several YAML documents, one stage each, in order).
 *
 * A stage is read with the top level's own field handlers into a ts_suite
 * of its own (stage->body), so a stage's run, matrix, tasks, resources...
 * mean exactly what they mean at the top level. What a stage does not set
 * it inherits from the suite (run/setup as a pair, num_nodes, resources).
 * The graph itself (unknown names, cycles, order) is checked in dag.c,
 * after the whole file is read, because a name may be used before the
 * stage or task that carries it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

#define STAGE(obj) ((ts_stage *)(obj))

int spec_read_namelist(pctx *c, yaml_node_t *seq, const char *path,
                       ts_namelist *out)
{
    ts_strlist l = { 0 };
    size_t n;

    if (spec_read_strlist(c, seq, path, spec_check_word, true, &l) < 0) {
        out->v = l.v;   /* freed with the suite */
        out->n = l.n;
        return -1;
    }
    out->v = l.v;
    out->n = l.n;
    n = spec_nitems(seq);
    out->pos = calloc(n ? n : 1, sizeof *out->pos);
    if (!out->pos)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++)
        out->pos[i] = spec_pos_of(spec_node(c, seq->data.sequence.items.start[i]));
    return 0;
}

static int check_stage_name(pctx *c, yaml_node_t *n, const char *path,
                            const char *v)
{
    if (!spec_valid_name(v))
        return spec_fail(c, n, path, "%s is not a valid stage name (letters, "
                         "digits, \".\", \"_\" and \"-\", at most 64)", spec_qv(c, v));
    return 0;
}

static int st_name(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, check_stage_name, &STAGE(obj)->name);
}

static int st_depends_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_namelist(c, v, path, &STAGE(obj)->depends_on);
}

/* Every other key of a stage is the top-level key of the same name, read
 * into the stage's body (c->s is the body meanwhile, see read_stage). */
static int st_body(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *key = strrchr(path, '.');

    key = key ? key + 1 : path;
    for (const field *f = spec_top_fields; f->key; f++)
        if (f->fn && strcmp(f->key, key) == 0)
            return f->fn(c, STAGE(obj)->body, v, path);
    return spec_fail(c, v, path, "is not a key of a stage");
}

static const field stage_fields[] = {
    { "name", st_name, false, NULL },
    { "depends_on", st_depends_on, false, NULL },
    { "run", st_body, false, NULL },
    { "setup", st_body, false, NULL },
    { "matrix", st_body, false, NULL },
    { "tasks", st_body, false, NULL },
    { "resources", st_body, false, NULL },
    { "num_nodes", st_body, false, NULL },
    { "envs", st_body, false, NULL },
    { "slurm", st_body, false, NULL },
    { NULL, NULL, false, NULL },
};

/* The body's warnings belong to the suite's list, which is what callers
 * print. */
static int move_warnings(pctx *c, ts_suite *from, ts_suite *to)
{
    for (size_t i = 0; i < from->warnings.n; i++) {
        char **v = realloc(to->warnings.v, (to->warnings.n + 1) * sizeof *v);

        if (!v)
            return spec_oom(c);
        to->warnings.v = v;
        v[to->warnings.n++] = from->warnings.v[i];
    }
    free(from->warnings.v);
    from->warnings.v = NULL;
    from->warnings.n = 0;
    return 0;
}

static ts_suite *new_body(pctx *c)
{
    ts_suite *b = calloc(1, sizeof *b);

    if (!b)
        spec_oom(c);
    return b;
}

static int read_stage(pctx *c, ts_stage *st, yaml_node_t *it, const char *path)
{
    ts_suite *top = c->s;
    int rc;

    st->pos = spec_pos_of(it);
    if (!(st->body = new_body(c)))
        return -1;
    c->s = st->body;
    rc = spec_walk_map(c, it, path, stage_fields, st);
    c->s = top;
    if (move_warnings(c, st->body, top) < 0)
        return -1;
    if (rc < 0)
        return -1;
    if (!st->name)
        return spec_fail(c, it, path, "name: is required (other stages' "
                         "depends_on use it)");
    return 0;
}

/* Two stages with one name would be one node of the graph. */
static int check_stage_names(pctx *c, const char *path)
{
    ts_suite *s = c->s;

    for (size_t i = 1; i < s->nstages; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(s->stages[i].name, s->stages[k].name) == 0) {
                char ip[PATH_LEN], np[PATH_LEN];

                spec_path_idx(ip, path, i);
                spec_path_key(np, ip, "name");
                return spec_fail_at(c, s->stages[i].pos, np, "%s is already "
                                    "the name of %s[%zu]",
                                    spec_qv(c, s->stages[i].name), path, k);
            }
    return 0;
}

int spec_read_stages(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);
    size_t n;

    if (spec_want_seq(c, v, path) < 0)
        return -1;
    n = spec_nitems(v);
    if (n == 0)
        return spec_fail(c, v, path, "has no stages");
    s->stages = calloc(n, sizeof *s->stages);
    if (!s->stages)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];

        spec_path_idx(ip, path, i);
        s->nstages++;
        if (read_stage(c, &s->stages[i], it, ip) < 0)
            return -1;
    }
    return check_stage_names(c, path);
}

/* What a stage leaves out comes from the suite. */
static int inherit(pctx *c, ts_stage *st)
{
    ts_suite *b = st->body, *s = c->s;

    if (!b->run && s->run) {
        if (spec_set_str(c, &b->run, s->run) < 0
            || (s->setup && spec_set_str(c, &b->setup, s->setup) < 0))
            return -1;
        b->run_pos = s->run_pos;
        b->setup_pos = s->setup_pos;
    }
    if (!s->chain)    /* a chain document has its own resume: */
        b->resume = s->resume;
    if (!b->path && spec_set_str(c, &b->path, s->path) < 0)
        return -1;
    if (!b->num_nodes)
        b->num_nodes = s->num_nodes;
    if (!b->resources.cpus && !b->resources.memory_mb && !b->resources.gpu_count) {
        b->resources.cpus = s->resources.cpus;
        b->resources.memory_mb = s->resources.memory_mb;
        b->resources.gpu_count = s->resources.gpu_count;
        if (s->resources.gpu_type
            && spec_set_str(c, &b->resources.gpu_type, s->resources.gpu_type) < 0)
            return -1;
    }
    return 0;
}

int spec_finish_stages(pctx *c, yaml_node_t *root)
{
    ts_suite *s = c->s;

    if (s->nstages == 0)
        return 0;
    if (!s->chain && (s->nmatrix || s->ntasks))
        return spec_fail(c, root, "stages", "cannot be used with a top-level "
                         "matrix: or tasks: (put them in a stage)");
    for (size_t i = 0; i < s->nstages; i++) {
        ts_stage *st = &s->stages[i];
        char ip[PATH_LEN];
        int rc;

        spec_path_idx(ip, "stages", i);
        if (inherit(c, st) < 0)
            return -1;
        if (!st->body->name && spec_set_str(c, &st->body->name, st->name) < 0)
            return -1;
        if (!st->body->run)
            return spec_fail_at(c, st->pos, ip, "run: is required (in the "
                                "stage or at the top level)");
        for (size_t t = 0; t < st->body->ntasks; t++)
            if (st->body->tasks[t].depends_on.n)
                return spec_fail_at(c, st->body->tasks[t].depends_on.pos[0], ip,
                                    "depends_on inside a stage's tasks: give "
                                    "it to the stage");
        c->s = st->body;
        rc = spec_check_placeholders(c, st->body->run, st->body->run_pos, "run");
        if (rc == 0)
            rc = spec_check_placeholders(c, st->body->setup, st->body->setup_pos,
                                         "setup");
        c->s = s;
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ chain files */

/* Document k (0-based) of a chain file, read as a whole suite by `fill`,
 * becomes a stage that depends on the one before it. A first document that
 * holds nothing but a name (SkyPilot's pipeline header) names the suite. */
int spec_chain_document(pctx *c, yaml_node_t *root, size_t k,
                        int (*fill)(pctx *, yaml_node_t *))
{
    ts_suite *top = c->s, *b;
    ts_stage *st, *v;
    int rc;

    if (k == 0 && root && root->type == YAML_MAPPING_NODE
        && spec_npairs(root) == 1) {
        yaml_node_t *key = spec_node(c, root->data.mapping.pairs.start[0].key);

        if (strcmp(spec_sval(key), "name") == 0) {
            yaml_node_t *val = spec_node(c, root->data.mapping.pairs.start[0].value);
            return spec_take_str(c, val, "name", spec_check_suite_name, &top->name);
        }
    }
    v = realloc(top->stages, (top->nstages + 1) * sizeof *v);
    if (!v)
        return spec_oom(c);
    top->stages = v;
    st = &v[top->nstages++];
    memset(st, 0, sizeof *st);
    st->pos = root ? spec_pos_of(root) : (ts_pos){ 1, 1 };
    if (!(b = st->body = new_body(c)))
        return -1;
    b->num_nodes = 1;
    b->resume = top->resume;
    if (spec_set_str(c, &b->path, top->path) < 0)
        return -1;
    c->s = b;
    c->in_stage = true;
    rc = fill(c, root);
    c->in_stage = false;
    c->s = top;
    if (move_warnings(c, b, top) < 0 || rc < 0)
        return -1;
    if (b->depends_on.n)
        return spec_fail_at(c, st->pos, "depends_on", "not in a chain file: "
                            "each document is a stage that runs after the one "
                            "before it");
    if (b->name) {
        if (spec_set_str(c, &st->name, b->name) < 0)
            return -1;
    } else {
        char n[32];

        snprintf(n, sizeof n, "stage-%zu", top->nstages);
        if (spec_set_str(c, &st->name, n) < 0)
            return -1;
    }
    for (size_t i = 0; i + 1 < top->nstages; i++)
        if (strcmp(top->stages[i].name, st->name) == 0)
            return spec_fail_at(c, st->pos, "name", "%s is already the name of "
                                "an earlier document", spec_qv(c, st->name));
    if (top->nstages > 1) {
        ts_stage *prev = &top->stages[top->nstages - 2];

        st->depends_on.v = calloc(1, sizeof *st->depends_on.v);
        st->depends_on.pos = calloc(1, sizeof *st->depends_on.pos);
        if (!st->depends_on.v || !st->depends_on.pos
            || !(st->depends_on.v[0] = strdup(prev->name)))
            return spec_oom(c);
        st->depends_on.n = 1;
        st->depends_on.pos[0] = st->pos;
    }
    return 0;
}

/* What a chain file's documents say about the whole suite: one workdir,
 * one set of hooks, one run directory. The first document that gives one
 * sets it (a SkyPilot chain usually repeats its workdir in each document);
 * a later document that differs is warned about, never silently dropped. */
static int hoist_str(pctx *c, char **top, const ts_stage *st, const char *v,
                     const char *key)
{
    if (!v)
        return 0;
    if (!*top)
        return spec_set_str(c, top, v);
    if (strcmp(*top, v) != 0)
        return spec_warn_at(c, st->pos, key, "stage %s: %s: a chain runs in one %s, the "
                            "first document's (%s): this one is ignored",
                            st->name, key, key, spec_qv(c, *top));
    return 0;
}

int spec_chain_hoist(pctx *c)
{
    ts_suite *s = c->s;
    bool resume_set = false;

    for (size_t i = 0; i < s->nstages; i++) {
        const ts_stage *st = &s->stages[i];
        ts_suite *b = st->body;

        if (hoist_str(c, &s->workdir, st, b->workdir, "workdir") < 0
            || hoist_str(c, &s->output_dir, st, b->output_dir, "output_dir") < 0)
            return -1;
        /* the journal keeps one retry policy per suite: the first's */
        if (!resume_set) {
            s->resume = b->resume;
            resume_set = true;
        }
        const ts_hook *hooks[] = { &b->env_preparation, &b->env_cleanup, &b->on_complete };
        ts_hook *tops[] = { &s->env_preparation, &s->env_cleanup, &s->on_complete };
        static const char *const names[] = { "env_preparation", "env_cleanup", "on_complete" };
        for (int h = 0; h < 3; h++) {
            if (!hooks[h]->present)
                continue;
            if (!tops[h]->present) {
                *tops[h] = *hooks[h];          /* moved: the body's copy is emptied */
                memset((ts_hook *)hooks[h], 0, sizeof *hooks[h]);
            } else if (spec_warn_at(c, st->pos, names[h], "stage %s: %s: a chain has one, "
                                    "the first document's: this one is ignored", st->name,
                                    names[h]) < 0) {
                return -1;
            }
        }
        if (b->worker_schedule.present
            && spec_warn_at(c, st->pos, "worker_schedule", "stage %s: ignored: a chain "
                            "file runs as arrays, not in pool mode", st->name) < 0)
            return -1;
    }
    return 0;
}
