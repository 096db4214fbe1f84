/* spec_schema.c: the schema engine of the suite-file reader (spec.c).
 *
 * Generic and knowing no suite field: walks a schema map through a table of
 * `field`s (spec_internal.h), reads typed values (strings, integers,
 * durations, lists, name -> value maps), refuses duplicate and unknown keys,
 * charges the visit budget that bounds alias reuse, and formats every
 * message as "FILE:LINE:COL: FIELD: MESSAGE" with user text escaped. The
 * per-section tables (spec_top.c, spec_resources.c, ...) are built from it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "units.h"

/* ------------------------------------------------------- messages, escaping */

/* Copy src into dst (size n) as one printable line: control bytes become
 * \n, \t, \xNN; with `quoted`, " and \ are escaped too. After `max` bytes of
 * src, or when dst is full, the text is cut and marked "..."; a cut never
 * splits a UTF-8 character. */
void spec_escape(char *dst, size_t n, const char *src, size_t max,
                   bool quoted)
{
    size_t o = 0, boundary = 0;
    bool cut = false;

    for (size_t i = 0; src[i]; i++) {
        unsigned char ch = (unsigned char)src[i];
        bool cont = (ch & 0xC0) == 0x80;
        char tmp[8];
        int tl;

        if (!cont)
            boundary = o;
        if (i >= max && !cont) {
            cut = true;
            break;
        }
        if (ch == '\n')
            tl = snprintf(tmp, sizeof tmp, "\\n");
        else if (ch == '\t')
            tl = snprintf(tmp, sizeof tmp, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            tl = snprintf(tmp, sizeof tmp, "\\x%02x", ch);
        else if (quoted && (ch == '"' || ch == '\\'))
            tl = snprintf(tmp, sizeof tmp, "\\%c", ch);
        else
            tl = snprintf(tmp, sizeof tmp, "%c", ch);
        if (o + (size_t)tl + 4 > n) {
            cut = true;
            if (cont)
                o = boundary;
            break;
        }
        memcpy(dst + o, tmp, (size_t)tl);
        o += (size_t)tl;
    }
    if (cut && n >= 4) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    if (n > 0)
        dst[o] = '\0';
}

/* A user value as "...", escaped, in one of two rotating buffers (enough for
 * any one message). */
const char *spec_qv(pctx *c, const char *v)
{
    char *b = c->quote[c->nquote++ % 2];

    b[0] = '"';
    spec_escape(b + 1, QUOTE_LEN - 2, v, QUOTE_CHARS, true);
    strcat(b, "\"");
    return b;
}

void spec_path_key(char *dst, const char *parent, const char *key)
{
    char k[100];

    spec_escape(k, sizeof k, key, NAME_MAX_LEN, false);
    if (!*key)
        snprintf(k, sizeof k, "\"\"");
    if (*parent)
        snprintf(dst, PATH_LEN, "%.150s.%s", parent, k);
    else
        snprintf(dst, PATH_LEN, "%s", k);
}

void spec_path_idx(char *dst, const char *parent, size_t i)
{
    snprintf(dst, PATH_LEN, "%.200s[%zu]", parent, i);
}

ts_pos spec_pos_of(const yaml_node_t *n)
{
    ts_pos p = { (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
    return p;
}

static int vfail(pctx *c, ts_pos p, const char *path, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));
static int vfail(pctx *c, ts_pos p, const char *path, const char *fmt,
                 va_list ap)
{
    char msg[700];

    vsnprintf(msg, sizeof msg, fmt, ap);
    return ts_errf(c->err, "%s:%d:%d: %s: %s", c->file, p.line, p.col, path,
                   msg);
}

int spec_fail_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int spec_fail_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(c, p, path, fmt, ap);
    va_end(ap);
    return -1;
}

int spec_fail(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int spec_fail(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(c, spec_pos_of(n), path, fmt, ap);
    va_end(ap);
    return -1;
}

int spec_oom(pctx *c)
{
    return ts_errf(c->err, "%s: out of memory", c->file);
}

int spec_warn(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int vwarn(pctx *c, ts_pos p, const char *path, const char *fmt,
                 va_list ap)
{
    ts_strlist *w = &c->s->warnings;
    char msg[700], line[1024], **v;

    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(line, sizeof line, "%s:%d:%d: %s: %s", c->file, p.line, p.col,
             path, msg);
    v = realloc(w->v, (w->n + 1) * sizeof *v);
    if (!v)
        return spec_oom(c);
    w->v = v;
    w->v[w->n] = strdup(line);
    if (!w->v[w->n])
        return spec_oom(c);
    w->n++;
    return 0;
}

int spec_warn(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(c, spec_pos_of(n), path, fmt, ap);
    va_end(ap);
    return rc;
}

int spec_warn_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vwarn(c, p, path, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------ node helpers */

yaml_node_t *spec_node(pctx *c, int i)
{
    return yaml_document_get_node(c->doc, i);
}

const char *spec_sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* YAML's null: an empty or "~"/"null" plain scalar. Quoted text never is. */
bool spec_is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE
        || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    v = spec_sval(n);
    return !*v || !strcmp(v, "~") || !strcmp(v, "null")
        || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* What was found instead, for "expected X, found Y". */
const char *spec_describe(pctx *c, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a map";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (spec_is_null(n))
        return "nothing";
    return spec_qv(c, spec_sval(n));
}

bool spec_is_ext(const char *key)
{
    return strncmp(key, "x-", 2) == 0;
}

size_t spec_npairs(const yaml_node_t *map)
{
    return (size_t)(map->data.mapping.pairs.top
                    - map->data.mapping.pairs.start);
}

size_t spec_nitems(const yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top
                    - seq->data.sequence.items.start);
}

/* Account for reading `count` nodes; aliases make one node readable many
 * times, and this is what keeps that bounded. */
static int spend(pctx *c, const yaml_node_t *n, const char *path, size_t count)
{
    if (count > c->budget)
        return spec_fail(c, n, path, "more than %d values to read (an alias "
                         "counts each time it is used)", SPEC_MAX_VISITS);
    c->budget -= count;
    return 0;
}

int spec_want_seq(pctx *c, yaml_node_t *n, const char *path)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return spec_fail(c, n, path, "expected a list, found %s", spec_describe(c, n));
    return spend(c, n, path, spec_nitems(n));
}

/* A scalar as a string; null is refused ("expected a string, found
 * nothing") since it is never a useful value.
 *
 * The getters with an out-parameter (this one and get_int) return a literal
 * -1 where *out is left unset: callers read *out only when they return 0. */
int spec_get_str(pctx *c, yaml_node_t *n, const char *path, const char **out)
{
    if (n->type != YAML_SCALAR_NODE || spec_is_null(n)) {
        spec_fail(c, n, path, "expected a string, found %s", spec_describe(c, n));
        return -1;
    }
    *out = spec_sval(n);
    return 0;
}

int spec_set_str(pctx *c, char **dst, const char *v)
{
    char *d = strdup(v);

    if (!d)
        return spec_oom(c);
    free(*dst);
    *dst = d;
    return 0;
}

/* A decimal integer in [lo, hi], plain or quoted ("4" is fine: SkyPilot
 * files quote numbers). */
int spec_get_int(pctx *c, yaml_node_t *n, const char *path, long lo,
                   long hi, long *out)
{
    const char *s;
    char *end;
    long v;

    if (n->type != YAML_SCALAR_NODE || spec_is_null(n)) {
        spec_fail(c, n, path, "expected an integer, found %s", spec_describe(c, n));
        return -1;
    }
    s = spec_sval(n);
    errno = 0;
    v = strtol(s, &end, 10);
    if (!(isdigit((unsigned char)s[0])
          || ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
        || *end || errno == ERANGE) {
        spec_fail(c, n, path, "expected an integer, found %s", spec_qv(c, s));
        return -1;
    }
    if (v < lo || v > hi) {
        spec_fail(c, n, path, "must be from %ld to %ld, found %ld", lo, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

int spec_get_int_field(pctx *c, yaml_node_t *n, const char *path, long lo,
                         long hi, int *out)
{
    long v;

    if (spec_get_int(c, n, path, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* "90s" style for range messages: the largest unit that divides evenly. */
static void human_duration(long secs, char *buf, size_t len)
{
    if (secs && secs % 86400 == 0)
        snprintf(buf, len, "%ldd", secs / 86400);
    else if (secs && secs % 3600 == 0)
        snprintf(buf, len, "%ldh", secs / 3600);
    else if (secs && secs % 60 == 0)
        snprintf(buf, len, "%ldm", secs / 60);
    else
        snprintf(buf, len, "%lds", secs);
}

bool spec_all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* A duration in [lo, hi] seconds. A bare number is minutes (Slurm's --time
 * rule, units.h), which surprises people writing "timeout: 300": warn. */
int spec_get_duration(pctx *c, yaml_node_t *n, const char *path, long lo,
                        long hi, long *out)
{
    const char *s;
    long secs;
    char a[32], b[32];

    if (spec_get_str(c, n, path, &s) < 0)
        return -1;
    if (ts_parse_duration(s, &secs) < 0)
        return spec_fail(c, n, path, "%s is not a duration (e.g. 90s, 5m, 2h, "
                         "1-12:00:00)", spec_qv(c, s));
    if (secs < lo || secs > hi) {
        human_duration(lo, a, sizeof a);
        human_duration(hi, b, sizeof b);
        return spec_fail(c, n, path, "must be from %s to %s, found %s", a, b,
                         spec_qv(c, s));
    }
    if (spec_all_digits(s)
        && spec_warn(c, n, path, "%s has no unit: taken as minutes, as Slurm's "
                     "--time does (write %ss for seconds)", s, s) < 0)
        return -1;
    *out = secs;
    return 0;
}

/* --------------------------------------------------------- duplicate keys */

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    int r = strcmp(x->key, y->key);

    if (r)
        return r;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The first repeated key in input order (*later) and its first occurrence
 * (*earlier). Sorting keeps this O(n log n) for large maps and lists. */
bool spec_find_repeat(keyref *k, size_t n, size_t *later, size_t *earlier)
{
    size_t group = 0;
    bool found = false;

    qsort(k, n, sizeof *k, keyref_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(k[i].key, k[i - 1].key) != 0) {
            group = i;
            continue;
        }
        if (!found || k[i].idx < *later) {
            *later = k[i].idx;
            *earlier = k[group].idx;
            found = true;
        }
    }
    return found;
}

/* A map's keys: all strings, none twice. Also charges the visit budget. */
int spec_check_keys(pctx *c, yaml_node_t *map, const char *path)
{
    size_t n = spec_npairs(map), later = 0, earlier = 0;
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    keyref *refs;
    bool rep;

    if (spend(c, map, path, n) < 0)
        return -1;
    if (n == 0)
        return 0;
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = spec_node(c, pairs[i].key);

        if (k->type != YAML_SCALAR_NODE) {
            free(refs);
            return spec_fail(c, k, *path ? path : "file",
                             "expected a string as key, found %s", spec_describe(c, k));
        }
        refs[i].key = spec_sval(k);
        refs[i].idx = i;
    }
    rep = spec_find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        yaml_node_t *k = spec_node(c, pairs[later].key);
        char cp[PATH_LEN];

        spec_path_key(cp, path, spec_sval(k));
        return spec_fail(c, k, cp, "duplicate key (first at line %d)",
                         spec_pos_of(spec_node(c, pairs[earlier].key)).line);
    }
    return 0;
}

int spec_want_map(pctx *c, yaml_node_t *n, const char *path)
{
    if (n->type != YAML_MAPPING_NODE)
        return spec_fail(c, n, path, "expected a map, found %s", spec_describe(c, n));
    return spec_check_keys(c, n, path);
}

size_t spec_count_entries(pctx *c, const yaml_node_t *map)
{
    size_t n = 0;

    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++)
        n += !spec_is_ext(spec_sval(spec_node(c, p->key)));
    return n;
}

/* -------------------------------------------------------------- schema maps */

/* Plain edit distance, for "did you mean" on unknown keys. */
size_t spec_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[NAME_MAX_LEN + 1];

    if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* Words other tools use for a field: what a user coming from them writes
 * first. Suggested only where the map has the field. */
static const struct {
    const char *said, *meant;
} other_words[] = {
    { "command", "run" }, { "commands", "run" }, { "cmd", "run" },
    { "script", "run" }, { "exec", "run" }, { "env", "envs" },
    { "environment", "envs" }, { "sweep", "matrix" }, { "grid", "matrix" },
    { "resource", "resources" }, { "nodes", "num_nodes" },
    { "retries", "max_retries" }, { "gpus", "accelerators" },
};

static int unknown_key(pctx *c, yaml_node_t *k, const char *path,
                       const field *fields)
{
    const char *key = spec_sval(k), *best = NULL;
    size_t best_d = 3;       /* suggest only close misspellings */

    for (size_t i = 0; i < sizeof other_words / sizeof other_words[0]; i++)
        for (const field *f = fields; f->key && !best; f++)
            if (strcmp(key, other_words[i].said) == 0
                && strcmp(f->key, other_words[i].meant) == 0)
                best = f->key;
    if (best)
        best_d = 0;
    for (const field *f = fields; f->key; f++) {
        size_t d = spec_edit_distance(key, f->key);

        if (d < best_d && d < strlen(f->key)) {
            best_d = d;
            best = f->key;
        }
    }
    if (best)
        return spec_fail(c, k, path, "unknown key (did you mean \"%s\"? use an "
                         "\"x-\" prefix for extensions)", best);
    return spec_fail(c, k, path,
                     "unknown key (use an \"x-\" prefix for extensions)");
}

/* Read a schema map: each key through its field entry, x- keys skipped,
 * null values treated as absent. */
int spec_walk_map(pctx *c, yaml_node_t *map, const char *path,
                    const field *fields, void *obj)
{
    if (spec_want_map(c, map, path) < 0)
        return -1;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = spec_node(c, p->key), *v = spec_node(c, p->value);
        const char *key = spec_sval(k);
        const field *f;
        char cp[PATH_LEN];

        if (spec_is_ext(key))
            continue;
        spec_path_key(cp, path, key);
        for (f = fields; f->key && strcmp(f->key, key) != 0; f++)
            ;
        if (!f->key)
            return unknown_key(c, k, cp, fields);
        if (f->reject)
            return spec_fail(c, k, cp, "%s", f->note);
        if (!f->fn) {
            if (spec_warn(c, k, cp, "%s", f->note) < 0)
                return -1;
            continue;
        }
        if (spec_is_null(v))
            continue;
        if (f->fn(c, obj, v, cp) < 0)
            return -1;
    }
    return 0;
}

/* A map of names to scalar values. Only sbatch options may go without a
 * value ("exclusive:"), which is kept as "". */
int spec_read_kvmap(pctx *c, yaml_node_t *map, const char *path,
                    key_check check, bool value_optional, ts_kvlist *out)
{
    size_t n;

    if (spec_want_map(c, map, path) < 0)
        return -1;
    n = spec_count_entries(c, map);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v)
        return spec_oom(c);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = spec_node(c, p->key), *v = spec_node(c, p->value);
        ts_kv *kv = &out->v[out->n];
        const char *val = "";
        char cp[PATH_LEN];

        if (spec_is_ext(spec_sval(k)))
            continue;
        spec_path_key(cp, path, spec_sval(k));
        if (check(c, k, cp) < 0)
            return -1;
        if (spec_is_null(v) && !value_optional)
            return spec_fail(c, v, cp, "has no value");
        if (!spec_is_null(v) && spec_get_str(c, v, cp, &val) < 0)
            return -1;
        kv->key = strdup(spec_sval(k));
        kv->value = strdup(val);
        kv->pos = spec_pos_of(k);
        kv->required = value_optional && spec_is_null(v);
        out->n++;                  /* counted first: freed even on failure */
        if (!kv->key || !kv->value)
            return spec_oom(c);
    }
    return 0;
}

/* A list of strings, each through `check`; with `unique`, none twice. */
int spec_read_strlist(pctx *c, yaml_node_t *seq, const char *path,
                        str_check check, bool unique, ts_strlist *out)
{
    size_t n, later = 0, earlier = 0;
    keyref *refs;
    bool rep;

    if (spec_want_seq(c, seq, path) < 0)
        return -1;
    n = spec_nitems(seq);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, seq->data.sequence.items.start[i]);
        const char *v;
        char ip[PATH_LEN];

        spec_path_idx(ip, path, i);
        if (spec_get_str(c, it, ip, &v) < 0 || (check && check(c, it, ip, v) < 0))
            return -1;
        out->v[out->n] = strdup(v);
        if (!out->v[out->n])
            return spec_oom(c);
        out->n++;
    }
    if (!unique || n < 2)
        return 0;
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return spec_oom(c);
    for (size_t i = 0; i < n; i++)
        refs[i] = (keyref){ out->v[i], i };
    rep = spec_find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN];

        spec_path_idx(ip, path, later);
        return spec_fail(c, spec_node(c, seq->data.sequence.items.start[later]), ip,
                         "%s is listed twice (first as item %zu)",
                         spec_qv(c, out->v[later]), earlier);
    }
    return 0;
}

/* Read a string field through `check` into *dst. */
int spec_take_str(pctx *c, yaml_node_t *v, const char *path,
                    str_check check, char **dst)
{
    const char *s;

    if (spec_get_str(c, v, path, &s) < 0 || (check && check(c, v, path, s) < 0))
        return -1;
    return spec_set_str(c, dst, s);
}
