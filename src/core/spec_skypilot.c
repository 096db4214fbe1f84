/* spec_skypilot.c: the SkyPilot task keys that need more than a warning:
 * secrets:, resources.any_of / ordered / candidates (alternatives), and
 * resources.job_recovery (mapped onto resume: where it means the same).
 *
 * The reader stays per document: each of these reads only the map it is
 * given and the suite it fills, so any file holding several task documents
 * gets them by parsing each document as a file of its own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_internal.h"

/* ---------------------------------------------------------------- secrets */

/* Like envs:, and a null value is required at submit. Each value's place in
 * the text is kept so the journal's copy of the file can leave it out. */
int spec_read_secrets(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);

    if (spec_read_kvmap(c, v, path, spec_check_env_key, true, &s->secrets) < 0)
        return -1;
    size_t n = spec_npairs(v);
    s->secret_spans = calloc(n ? n : 1, sizeof *s->secret_spans);
    if (!s->secret_spans)
        return spec_oom(c);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *val = spec_node(c, p->value);
        if (!val || spec_is_null(val) || s->nsecret_spans >= n)
            continue;
        s->secret_spans[s->nsecret_spans++] = (ts_span){
            .start = val->start_mark.index, .end = val->end_mark.index };
    }
    return 0;
}

/* ----------------------------------------------------------- alternatives */

int spec_read_candidates(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_candidates *k = &c->s->candidates;
    const char *key = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
    (void)obj;

    if (k->n)
        return spec_fail(c, v, path, "resources.%s already lists alternatives: use one "
                         "of any_of, ordered, candidates", k->key);
    if (spec_want_seq(c, v, path) < 0)
        return -1;
    size_t n = spec_nitems(v);
    if (n == 0)
        return spec_fail(c, v, path, "is empty: list at least one set of resources");
    if (!(k->v = calloc(n, sizeof *k->v)))
        return spec_oom(c);
    k->key = strcmp(key, "any_of") == 0 ? "any_of"
             : strcmp(key, "ordered") == 0 ? "ordered" : "candidates";
    k->pos = spec_pos_of(v);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];

        spec_path_idx(ip, path, i);
        k->n = i + 1;              /* counted first: freed even on failure */
        if (!it || spec_is_null(it))
            continue;              /* {} or null: the base resources as they are */
        if (spec_want_map(c, it, ip) < 0
            || spec_read_resource_fields(c, it, ip, &k->v[i], true) < 0)
            return -1;
    }
    return 0;
}

static char *dup_or_null(const char *a)
{
    return a ? strdup(a) : NULL;
}

/* dst = base with over's given fields on top; dst's old strings freed. */
static int merge_resources(ts_resources *dst, const ts_resources *base,
                           const ts_resources *over)
{
    ts_resources r = *base;
    if (over->cpus)
        r.cpus = over->cpus;
    if (over->memory_mb)
        r.memory_mb = over->memory_mb;
    if (over->gpu_count) {
        r.gpu_count = over->gpu_count;
        r.gpu_type = over->gpu_type;
    }
    if (over->image_id)
        r.image_id = over->image_id;
    r.gpu_type = dup_or_null(r.gpu_type);
    r.image_id = dup_or_null(r.image_id);
    free(dst->gpu_type);
    free(dst->image_id);
    *dst = r;
    return 0;
}

void ts_spec_use_candidate(ts_suite *s, size_t k)
{
    if (k >= s->candidates.n)
        return;
    merge_resources(&s->resources, &s->candidates.base, &s->candidates.v[k]);
    s->candidates.chosen = k;
}

void ts_spec_describe_resources(const ts_resources *r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
#define ADD(...) do { if (at < n) at += (size_t)snprintf(buf + at, n - at, __VA_ARGS__); } while (0)
    if (r->cpus)
        ADD("cpus %d", r->cpus);
    if (r->memory_mb)
        ADD("%smemory %lluMi", at ? ", " : "", (unsigned long long)r->memory_mb);
    if (r->gpu_count)
        ADD("%s%s%s%d", at ? ", " : "", r->gpu_type ? r->gpu_type : "",
            r->gpu_type ? ":" : "gpus ", r->gpu_count);
    if (!at)
        ADD("no cpus, memory or accelerators asked");
#undef ADD
}

/* After the walk: the base is what resources: says outside the
 * alternatives; the first alternative is used until submit picks. */
int spec_pick_first_candidate(pctx *c)
{
    ts_candidates *k = &c->s->candidates;
    char path[PATH_LEN], what[160];

    if (!k->n)
        return 0;
    k->base = c->s->resources;
    k->base.gpu_type = dup_or_null(c->s->resources.gpu_type);
    k->base.image_id = dup_or_null(c->s->resources.image_id);
    if ((c->s->resources.gpu_type && !k->base.gpu_type)
        || (c->s->resources.image_id && !k->base.image_id))
        return spec_oom(c);
    ts_spec_use_candidate(c->s, 0);
    ts_spec_describe_resources(&c->s->resources, what, sizeof what);
    snprintf(path, sizeof path, "resources.%s", k->key);
    return spec_warn_at(c, k->pos, path, "%zu alternative%s: Slurm cannot fail over "
                        "between them, so submit takes the first this cluster can "
                        "satisfy, else the first (%s)", k->n, k->n == 1 ? "" : "s", what);
}

/* ----------------------------------------------------------- job_recovery */

static int jr_strategy(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s;
    (void)obj;
    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    return spec_warn(c, v, path, "%s ignored: it picks another cloud or region; a "
                     "task here is retried on the same cluster (resume:)", spec_qv(c, s));
}

static int jr_max_restarts(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    (void)obj;
    c->jr_pos = spec_pos_of(v);
    return spec_get_int_field(c, v, path, 0, 100, &c->jr_restarts);
}

static const field job_recovery_fields[] = {
    { "strategy", jr_strategy, false, NULL },
    { "max_restarts_on_errors", jr_max_restarts, false, NULL },
    { "recover_on_exit_codes", NULL, false, "ignored: a task is retried on any "
      "failed exit (resume.retry_on: [failed]), not on chosen codes" },
    { NULL, NULL, false, NULL },
};

/* A strategy name ("FAILOVER"), "none", or a map. */
int spec_read_job_recovery(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    (void)obj;
    if (v->type == YAML_SCALAR_NODE) {
        const char *s = spec_sval(v);
        if (strcasecmp(s, "none") == 0)
            return 0;
        return jr_strategy(c, NULL, v, path);
    }
    return spec_walk_map(c, v, path, job_recovery_fields, NULL);
}

/* max_restarts_on_errors: N restarts after the task's own failure is
 * resume: {max_retries: N, retry_on: [failed, ...]}. SkyPilot also recovers
 * from preemption without limit; Slurm's node failures and preemptions
 * count against the same max_retries here, which is said. resume:, when
 * written, wins. */
int spec_apply_job_recovery(pctx *c)
{
    const char *path = "resources.job_recovery.max_restarts_on_errors";
    ts_resume *r = &c->s->resume;

    if (c->jr_restarts < 0)
        return 0;
    if (c->resume_given)
        return spec_warn_at(c, c->jr_pos, path, "ignored: resume: is given and "
                            "decides the retries");
    r->max_retries = c->jr_restarts;
    r->retry_on |= TS_RETRY_FAILED | TS_RETRY_NODE_FAIL | TS_RETRY_PREEMPTED;
    return spec_warn_at(c, c->jr_pos, path, "taken as resume: {max_retries: %d, "
                        "retry_on: [timeout, failed, node_fail, preempted]}: "
                        "preemptions and node failures count against the same %d "
                        "(SkyPilot does not count them)", c->jr_restarts,
                        c->jr_restarts);
}

/* ------------------------------------------------------------- redaction */

static int by_start(const void *a, const void *b)
{
    const ts_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Each value becomes "null" with the same line breaks and the same column
 * after it, so the text parses to the same shape (the secret then required
 * again) and later positions in messages do not move. */
char *ts_spec_redact_secrets(const ts_suite *s, const char *text, size_t len)
{
    size_t n = s->nsecret_spans, at = 0, o = 0;
    ts_span *sp = n ? malloc(n * sizeof *sp) : NULL;
    char *out = malloc(len + 4 * n + 1);

    if (!out || (n && !sp)) {
        free(sp);
        free(out);
        return NULL;
    }
    if (sp) {
        memcpy(sp, s->secret_spans, n * sizeof *sp);
        qsort(sp, n, sizeof *sp, by_start);
    }
    for (size_t i = 0; sp && i < n; i++) {
        size_t st = sp[i].start, en = sp[i].end;
        if (st < at || en > len || en < st)
            continue;                 /* not this text's: leave it */
        memcpy(out + o, text + at, st - at);
        o += st - at;
        memcpy(out + o, "null", 4);
        o += 4;
        for (size_t j = st; j < en; j++)
            if (text[j] == '\n')
                out[o++] = '\n';
        const char *nl = memrchr(text + st, '\n', en - st);
        if (nl)
            for (const char *q = nl + 1; q < text + en; q++)
                out[o++] = ' ';
        at = en;
    }
    memcpy(out + o, text + at, len - at);
    o += len - at;
    out[o] = '\0';
    free(sp);
    return out;
}
