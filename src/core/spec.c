/* spec.c: a suite file (YAML) -> a validated ts_suite (SPEC.md section 3).
 *
 * Reading takes two passes over libyaml. The first streams the events and
 * enforces the resource limits (node count, nesting depth, anchors, aliases,
 * one document, no NUL inside a value) before anything is built: this code
 * runs inside sbatch and is fuzzed. The second is libyaml's document loader,
 * whose node graph a schema-driven walk turns into the typed suite. The walk
 * only descends where the schema has structure (at most five levels), so it
 * cannot recurse without bound even on cyclic aliases; aliases can still make
 * it read one node many times, which a visit budget bounds ("billion laughs").
 *
 * Policy, so that every key is either understood, warned about or refused:
 *  - unknown keys are errors, except keys starting with "x-", which are
 *    skipped with their whole value in every map, schema or user data;
 *  - a key whose value is empty/null is the same as an absent key;
 *  - SkyPilot keys with no Slurm meaning (use_spot, cloud, file_mounts, ...)
 *    are accepted with a warning that names the key, because a working
 *    SkyPilot file must still validate; SkyPilot keys whose loss would change
 *    what runs without anyone noticing (service, secrets, resources.any_of /
 *    ordered) are errors.
 *
 * The parts: spec_prescan.c (the limits pass and the loader),
 * spec_schema.c (the engine: typed reads, the walk, messages), the field
 * tables per section (spec_top.c, spec_resources.c, spec_hooks.c,
 * spec_tasks.c, spec_resume.c, spec_workers.c, spec_slurm.c), value rules
 * (spec_values.c), the %(name) check (spec_placeholders.c) and the warning
 * for a %(name) written inside shell quotes (spec_shellquote.c); this file
 * holds the public API: parse, load, free.
 *
 * Every error is one line, "FILE:LINE:COL: FIELD: MESSAGE", where FIELD is a
 * dotted path (tasks[2].args.lr) and LINE:COL is where the offending node
 * starts. User text in messages is escaped and truncated.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dag.h"
#include "spec_internal.h"

/* --------------------------------------------------------------- reading */

/* The suite name when the file gives none: its basename without .yaml/.yml,
 * with characters a name may not hold replaced by "-". */
static int default_name(pctx *c)
{
    const char *base = strrchr(c->name, '/');
    size_t len;
    char *n;

    base = base ? base + 1 : c->name;
    len = strlen(base);
    if (len >= 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len >= 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    if (len > NAME_MAX_LEN)
        len = NAME_MAX_LEN;
    if (len == 0) {
        base = "suite";
        len = 5;
    }
    n = strndup(base, len);
    if (!n)
        return spec_oom(c);
    for (char *p = n; *p; p++)
        if (!spec_name_char(*p))
            *p = '-';
    c->s->name = n;
    return 0;
}

static void set_defaults(ts_suite *s)
{
    s->num_nodes = 1;
    s->resume.max_retries = 3;
    s->resume.retry_on = TS_RETRY_TIMEOUT;
    s->resume.signal = SIGUSR2;
    s->resume.signal_lead_s = 300;
    s->close_after_s = 0;      /* complete as soon as every task is done */
    s->worker_schedule.worker_count = 0;
    s->worker_schedule.strategy = TS_BIND_ROUND_ROBIN;
}


static int fill_suite(pctx *c, yaml_node_t *root)
{
    ts_suite *s = c->s;

    if (!root || spec_is_null(root))
        return spec_fail_at(c, (ts_pos){ 1, 1 }, "file", "is empty (a suite needs "
                            "at least run:)");
    if (root->type != YAML_MAPPING_NODE)
        return spec_fail(c, root, "file", "expected a map of suite fields (name:, "
                         "run:, ...), found %s", spec_describe(c, root));
    if (spec_walk_map(c, root, "", spec_top_fields, s) < 0)
        return -1;
    if (s->nstages && c->in_stage)
        return spec_fail(c, root, "stages", "not in a chain file: each "
                         "document is a stage that runs after the one before it");
    if (s->nstages) {
        /* The top-level run/setup is then only a default for the stages,
         * checked against each stage's arguments. */
        if (!s->name && default_name(c) < 0)
            return -1;
        return spec_finish_stages(c, root) < 0 ? -1 : spec_clamp_signal_lead(c);
    }
    if (!s->run)
        return spec_fail(c, root, "run", "is required (the command each task "
                         "runs)");
    if (!s->name && !c->in_stage && default_name(c) < 0)
        return -1;
    if (spec_check_placeholders(c, s->run, s->run_pos, "run") < 0
        || spec_check_placeholders(c, s->setup, s->setup_pos, "setup") < 0
        || spec_check_oncheckpoint(c) < 0   /* issue 16 */
        || spec_check_placeholder_quotes(c, s->run, s->run_pos, "run") < 0
        || spec_check_placeholder_quotes(c, s->setup, s->setup_pos, "setup") < 0)
        return -1;
    if (spec_pick_first_candidate(c) < 0 || spec_apply_job_recovery(c) < 0)
        return -1;
    return spec_clamp_signal_lead(c);
}

static int fill_chain(pctx *c, const char *buf, size_t len);
static int check_graph(ts_suite *s, ts_err *err);

static int parse_chain(pctx *c, const char *buf, size_t len, ts_suite **out)
{
    ts_suite *s = calloc(1, sizeof *s);
    int rc;

    if (!s)
        return spec_oom(c);
    c->s = s;
    set_defaults(s);
    rc = spec_set_str(c, &s->path, c->name);
    if (rc == 0)
        rc = fill_chain(c, buf, len);
    if (rc == 0)
        rc = check_graph(s, c->err);
    if (rc < 0) {
        ts_spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

/* The graph is part of the file's validity: every loader (validate,
 * submit, the plugin inside sbatch) refuses a cycle or an unknown name. */
static int check_graph(ts_suite *s, ts_err *err)
{
    ts_dag g;

    if (ts_dag_build(s, &g, err) < 0)
        return -1;
    ts_dag_free(&g);
    return 0;
}

static int chain_each(pctx *c, yaml_document_t *doc, size_t k)
{
    return spec_chain_document(c, yaml_document_get_root_node(doc), k,
                               fill_suite);
}

/* A chain file: each document a stage (spec_stages.c), the suite itself
 * only a name and the resume defaults. */
static int fill_chain(pctx *c, const char *buf, size_t len)
{
    ts_suite *s = c->s;

    s->chain = true;
    if (spec_load_documents(c, buf, len, chain_each) < 0)
        return -1;
    if (s->nstages == 0)
        return spec_fail_at(c, (ts_pos){ 1, 1 }, "file", "holds no stage "
                            "(a chain file needs documents with run:)");
    if (!s->name && default_name(c) < 0)
        return -1;
    if (spec_chain_hoist(c) < 0)
        return -1;
    return spec_finish_stages(c, NULL);
}

int ts_spec_parse(const char *name, const char *buf, size_t len,
                  ts_suite **out, ts_err *err)
{
    pctx c = { 0 };
    yaml_document_t doc;
    ts_suite *s;
    int rc;

    c.name = name ? name : "-";
    c.err = err;
    c.budget = SPEC_MAX_VISITS;
    c.jr_restarts = -1;
    c.buf = buf ? buf : "";
    c.len = buf ? len : 0;
    spec_escape(c.file, sizeof c.file, c.name, 200, false);
    if (!buf)
        buf = "";
    if (len > SPEC_MAX_BYTES)
        return ts_errf(err, "%s: larger than 4 MiB, the limit for a suite "
                       "file", c.file);
    if (spec_prescan(&c, buf, len) < 0)
        return -1;
    if (c.ndocs > 1)
        return parse_chain(&c, buf, len, out);
    if (spec_load_document(&c, buf, len, &doc) < 0)
        return -1;
    c.doc = &doc;
    /* Owned here: c.s is the parser's (borrowed) view of it. */
    if (!(s = calloc(1, sizeof *s))) {
        yaml_document_delete(&doc);
        return spec_oom(&c);
    }
    c.s = s;
    set_defaults(s);
    rc = spec_set_str(&c, &s->path, c.name);
    if (rc == 0)
        rc = fill_suite(&c, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    if (rc == 0)
        rc = check_graph(s, err);
    if (rc < 0) {
        ts_spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int ts_spec_load(const char *path, ts_suite **out, ts_err *err)
{
    char file[PATH_LEN], *buf;
    struct stat st;
    size_t got = 0;
    int fd, rc;

    spec_escape(file, sizeof file, path, 200, false);
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return ts_errf(err, "%s: cannot open: %s", file, strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = errno;
        close(fd);
        return ts_errf(err, "%s: cannot read: %s", file, strerror(rc));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ts_errf(err, "%s: not a regular file", file);
    }
    if (st.st_size > (off_t)SPEC_MAX_BYTES) {
        close(fd);
        return ts_errf(err, "%s: larger than 4 MiB, the limit for a suite "
                       "file", file);
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return ts_errf(err, "%s: out of memory", file);
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            free(buf);
            close(fd);
            return ts_errf(err, "%s: cannot read: %s", file, strerror(rc));
        }
        if (n == 0)
            break;                    /* shrank meanwhile: parse what is there */
        got += (size_t)n;
    }
    close(fd);
    rc = ts_spec_parse(path, buf, got, out, err);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- freeing */

static void strlist_clear(ts_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

int ts_kvlist_add(ts_kvlist *l, const char *k, const char *v, ts_pos pos)
{
    ts_kv *nv = realloc(l->v, (l->n + 1) * sizeof *nv);

    if (!nv)
        return -1;
    l->v = nv;
    nv[l->n] = (ts_kv){ .key = strdup(k), .value = strdup(v), .pos = pos };
    if (!nv[l->n].key || !nv[l->n].value) {
        free(nv[l->n].key);
        free(nv[l->n].value);
        return -1;
    }
    l->n++;
    return 0;
}

void ts_kvlist_clear(ts_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
}

static void namelist_clear(ts_namelist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->pos);
}

static void hook_clear(ts_hook *h)
{
    strlist_clear(&h->args);
    free(h->run);
    ts_kvlist_clear(&h->envs);
}

void ts_spec_free(ts_suite *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->name);
    strlist_clear(&s->labels);
    strlist_clear(&s->tags);
    free(s->group);
    ts_kvlist_clear(&s->slurm);
    free(s->resources.gpu_type);
    free(s->resources.image_id);
    free(s->candidates.base.gpu_type);
    free(s->candidates.base.image_id);
    for (size_t i = 0; i < s->candidates.n; i++) {
        free(s->candidates.v[i].gpu_type);
        free(s->candidates.v[i].image_id);
    }
    free(s->candidates.v);
    ts_kvlist_clear(&s->secrets);
    free(s->secret_spans);
    ts_kvlist_clear(&s->envs);
    ts_kvlist_clear(&s->volumes);
    free(s->workdir);
    free(s->output_dir);
    hook_clear(&s->env_preparation);
    hook_clear(&s->env_cleanup);
    hook_clear(&s->on_complete);
    free(s->on_checkpoint.run);       /* issue 16 */
    free(s->setup);
    free(s->run);
    for (size_t i = 0; i < s->nmatrix; i++) {
        free(s->matrix[i].name);
        strlist_clear(&s->matrix[i].values);
    }
    free(s->matrix);
    for (size_t i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].name);
        ts_kvlist_clear(&s->tasks[i].args);
        namelist_clear(&s->tasks[i].depends_on);
    }
    free(s->tasks);
    strlist_clear(&s->depends_on);
    for (size_t i = 0; i < s->nstages; i++) {
        free(s->stages[i].name);
        namelist_clear(&s->stages[i].depends_on);
        ts_spec_free(s->stages[i].body);
    }
    free(s->stages);
    free(s->worker_schedule.cores);
    strlist_clear(&s->warnings);
    free(s);
}

const char *ts_kv_get(const ts_kvlist *l, const char *key)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return l->v[i].value;
    return NULL;
}

int ts_spec_errat(ts_err *err, const ts_suite *s, ts_pos pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *path = s->path ? s->path : "<suite>";
    if (pos.line > 0)
        return ts_errf(err, "%s:%d:%d: %s", path, pos.line, pos.col, msg);
    return ts_errf(err, "%s: %s", path, msg);
}
