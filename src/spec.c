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
 * Every error is one line, "FILE:LINE:COL: FIELD: MESSAGE", where FIELD is a
 * dotted path (tasks[2].args.lr) and LINE:COL is where the offending node
 * starts. User text in messages is escaped and truncated.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "slurmopt.h"
#include "spec.h"
#include "units.h"

/* Limits. A real suite file is a few KiB with well under a thousand nodes. */
#define SPEC_MAX_BYTES    (4u << 20)   /* file size */
#define SPEC_MAX_NODES    100000       /* YAML nodes in the document */
#define SPEC_MAX_DEPTH    64           /* nesting, counting x- extensions */
#define SPEC_MAX_ANCHORS  1000         /* libyaml looks aliases up linearly */
#define SPEC_MAX_ALIASES  10000
#define SPEC_MAX_VISITS   1000000      /* node reads, aliases counted per use */
#define SPEC_MAX_TASKS    1000000      /* matrix product */
#define SPEC_MAX_PLACEHOLDER_NAMES 256 /* distinct %(name)s in one text */
#define NAME_MAX_LEN      64           /* suite, task, arg and axis names */
#define ENV_NAME_MAX_LEN  128

#define PATH_LEN 256                   /* a dotted field path */
#define QUOTE_LEN 200                  /* a quoted, escaped user value */
#define QUOTE_CHARS 48                 /* bytes of a value shown before "..." */

/* ------------------------------------------------------------- the context */

typedef struct pctx {
    const char *name;            /* as given, for the default suite name */
    char file[PATH_LEN];         /* escaped, for messages */
    yaml_document_t *doc;
    ts_suite *s;
    ts_err *err;
    size_t budget;               /* node reads left */
    ts_pos cores_pos;            /* worker_schedule.cpu_binding.cores */
    char quote[2][QUOTE_LEN];    /* rotating buffers for qv() */
    int nquote;
} pctx;

typedef int (*field_fn)(pctx *c, void *obj, yaml_node_t *v, const char *path);

/* One key of a schema map: a handler, or a note that is a warning
 * (the key is accepted and ignored) or, with `reject`, the error. */
typedef struct field {
    const char *key;
    field_fn fn;
    bool reject;
    const char *note;
} field;

/* ------------------------------------------------------- messages, escaping */

/* Copy src into dst (size n) as one printable line: control bytes become
 * \n, \t, \xNN; with `quoted`, " and \ are escaped too. After `max` bytes of
 * src, or when dst is full, the text is cut and marked "..."; a cut never
 * splits a UTF-8 character. */
static void escape(char *dst, size_t n, const char *src, size_t max,
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
static const char *qv(pctx *c, const char *v)
{
    char *b = c->quote[c->nquote++ % 2];

    b[0] = '"';
    escape(b + 1, QUOTE_LEN - 2, v, QUOTE_CHARS, true);
    strcat(b, "\"");
    return b;
}

static void path_key(char *dst, const char *parent, const char *key)
{
    char k[100];

    escape(k, sizeof k, key, NAME_MAX_LEN, false);
    if (!*key)
        snprintf(k, sizeof k, "\"\"");
    if (*parent)
        snprintf(dst, PATH_LEN, "%.150s.%s", parent, k);
    else
        snprintf(dst, PATH_LEN, "%s", k);
}

static void path_idx(char *dst, const char *parent, size_t i)
{
    snprintf(dst, PATH_LEN, "%.200s[%zu]", parent, i);
}

static ts_pos pos_of(const yaml_node_t *n)
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

static int fail_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(c, p, path, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(c, pos_of(n), path, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(pctx *c)
{
    return ts_errf(c->err, "%s: out of memory", c->file);
}

static int warn(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int warn(pctx *c, const yaml_node_t *n, const char *path,
                const char *fmt, ...)
{
    ts_strlist *w = &c->s->warnings;
    char msg[700], line[1024], **v;
    va_list ap;
    ts_pos p = pos_of(n);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s:%d:%d: %s: %s", c->file, p.line, p.col,
             path, msg);
    v = realloc(w->v, (w->n + 1) * sizeof *v);
    if (!v)
        return oom(c);
    w->v = v;
    w->v[w->n] = strdup(line);
    if (!w->v[w->n])
        return oom(c);
    w->n++;
    return 0;
}

/* ------------------------------------------------------------ node helpers */

static yaml_node_t *node(pctx *c, int i)
{
    return yaml_document_get_node(c->doc, i);
}

static const char *sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* YAML's null: an empty or "~"/"null" plain scalar. Quoted text never is. */
static bool is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE
        || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    v = sval(n);
    return !*v || !strcmp(v, "~") || !strcmp(v, "null")
        || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* What was found instead, for "expected X, found Y". */
static const char *describe(pctx *c, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a map";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (is_null(n))
        return "nothing";
    return qv(c, sval(n));
}

static bool is_ext(const char *key)
{
    return strncmp(key, "x-", 2) == 0;
}

static size_t npairs(const yaml_node_t *map)
{
    return (size_t)(map->data.mapping.pairs.top
                    - map->data.mapping.pairs.start);
}

static size_t nitems(const yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top
                    - seq->data.sequence.items.start);
}

/* Account for reading `count` nodes; aliases make one node readable many
 * times, and this is what keeps that bounded. */
static int spend(pctx *c, const yaml_node_t *n, const char *path, size_t count)
{
    if (count > c->budget)
        return fail(c, n, path, "more than %d values to read (an alias "
                    "counts each time it is used)", SPEC_MAX_VISITS);
    c->budget -= count;
    return 0;
}

static int want_seq(pctx *c, yaml_node_t *n, const char *path)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, path, "expected a list, found %s", describe(c, n));
    return spend(c, n, path, nitems(n));
}

/* A scalar as a string; null is refused ("expected a string, found
 * nothing") since it is never a useful value.
 *
 * The getters with an out-parameter (this one and get_int) return a literal
 * -1 where *out is left unset: callers read *out only when they return 0. */
static int get_str(pctx *c, yaml_node_t *n, const char *path, const char **out)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(c, n, path, "expected a string, found %s", describe(c, n));
        return -1;
    }
    *out = sval(n);
    return 0;
}

static int set_str(pctx *c, char **dst, const char *v)
{
    char *d = strdup(v);

    if (!d)
        return oom(c);
    free(*dst);
    *dst = d;
    return 0;
}

/* A decimal integer in [lo, hi], plain or quoted ("4" is fine: SkyPilot
 * files quote numbers). */
static int get_int(pctx *c, yaml_node_t *n, const char *path, long lo,
                   long hi, long *out)
{
    const char *s;
    char *end;
    long v;

    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        fail(c, n, path, "expected an integer, found %s", describe(c, n));
        return -1;
    }
    s = sval(n);
    errno = 0;
    v = strtol(s, &end, 10);
    if (!(isdigit((unsigned char)s[0])
          || ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
        || *end || errno == ERANGE) {
        fail(c, n, path, "expected an integer, found %s", qv(c, s));
        return -1;
    }
    if (v < lo || v > hi) {
        fail(c, n, path, "must be from %ld to %ld, found %ld", lo, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

static int get_int_field(pctx *c, yaml_node_t *n, const char *path, long lo,
                         long hi, int *out)
{
    long v;

    if (get_int(c, n, path, lo, hi, &v) < 0)
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

static bool all_digits(const char *s)
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
static int get_duration(pctx *c, yaml_node_t *n, const char *path, long lo,
                        long hi, long *out)
{
    const char *s;
    long secs;
    char a[32], b[32];

    if (get_str(c, n, path, &s) < 0)
        return -1;
    if (ts_parse_duration(s, &secs) < 0)
        return fail(c, n, path, "%s is not a duration (e.g. 90s, 5m, 2h, "
                    "1-12:00:00)", qv(c, s));
    if (secs < lo || secs > hi) {
        human_duration(lo, a, sizeof a);
        human_duration(hi, b, sizeof b);
        return fail(c, n, path, "must be from %s to %s, found %s", a, b,
                    qv(c, s));
    }
    if (all_digits(s)
        && warn(c, n, path, "%s has no unit: taken as minutes, as Slurm's "
                "--time does (write %ss for seconds)", s, s) < 0)
        return -1;
    *out = secs;
    return 0;
}

/* ------------------------------------------------------------------ names */

static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-';
}

/* Suite and task names: [A-Za-z0-9._-]+, at most 64 bytes. They end up in
 * file names and Slurm job names. */
static bool valid_name(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!name_char(s[n]))
            return false;
    return n > 0 && n <= NAME_MAX_LEN;
}

static bool valid_ident(const char *s, size_t max)
{
    size_t n;

    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (n = 1; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '_')
            return false;
    return n <= max;
}

static bool has_space_or_control(const char *s)
{
    for (; *s; s++)
        if (isspace((unsigned char)*s) || (unsigned char)*s < 0x20
            || *s == 0x7f)
            return true;
    return false;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* The next %(name) in text, in expand.c's grammar: "%%" is a literal '%',
 * and a name is an identifier of at most 64 bytes. A malformed "%(" is
 * skipped here: expansion reports it, with its character offset. */
static const char *next_placeholder(const char *text, const char **name,
                                    size_t *len)
{
    for (const char *p = strchr(text, '%'); p; p = strchr(p, '%')) {
        const char *q = p + 2;

        if (p[1] == '%') {
            p += 2;
            continue;
        }
        if (p[1] != '(') {
            p++;
            continue;
        }
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        if (*q == ')' && q > p + 2 && !isdigit((unsigned char)p[2])
            && (size_t)(q - (p + 2)) <= NAME_MAX_LEN) {
            *name = p + 2;
            *len = (size_t)(q - (p + 2));
            return p;
        }
        p += 2;
    }
    return NULL;
}

/* --------------------------------------------------------- duplicate keys */

typedef struct keyref {
    const char *key;
    size_t idx;
} keyref;

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
static bool find_repeat(keyref *k, size_t n, size_t *later, size_t *earlier)
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
static int check_keys(pctx *c, yaml_node_t *map, const char *path)
{
    size_t n = npairs(map), later = 0, earlier = 0;
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    keyref *refs;
    bool rep;

    if (spend(c, map, path, n) < 0)
        return -1;
    if (n == 0)
        return 0;
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node(c, pairs[i].key);

        if (k->type != YAML_SCALAR_NODE) {
            free(refs);
            return fail(c, k, *path ? path : "file",
                        "expected a string as key, found %s", describe(c, k));
        }
        refs[i].key = sval(k);
        refs[i].idx = i;
    }
    rep = find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        yaml_node_t *k = node(c, pairs[later].key);
        char cp[PATH_LEN];

        path_key(cp, path, sval(k));
        return fail(c, k, cp, "duplicate key (first at line %d)",
                    pos_of(node(c, pairs[earlier].key)).line);
    }
    return 0;
}

static int want_map(pctx *c, yaml_node_t *n, const char *path)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, path, "expected a map, found %s", describe(c, n));
    return check_keys(c, n, path);
}

static size_t count_entries(pctx *c, const yaml_node_t *map)
{
    size_t n = 0;

    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++)
        n += !is_ext(sval(node(c, p->key)));
    return n;
}

/* -------------------------------------------------------------- schema maps */

/* Plain edit distance, for "did you mean" on unknown keys. */
static size_t edit_distance(const char *a, const char *b)
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

static int unknown_key(pctx *c, yaml_node_t *k, const char *path,
                       const field *fields)
{
    const char *key = sval(k), *best = NULL;
    size_t best_d = 3;       /* suggest only close misspellings */

    for (const field *f = fields; f->key; f++) {
        size_t d = edit_distance(key, f->key);

        if (d < best_d && d < strlen(f->key)) {
            best_d = d;
            best = f->key;
        }
    }
    if (best)
        return fail(c, k, path, "unknown key (did you mean \"%s\"? use an "
                    "\"x-\" prefix for extensions)", best);
    return fail(c, k, path,
                "unknown key (use an \"x-\" prefix for extensions)");
}

/* Read a schema map: each key through its field entry, x- keys skipped,
 * null values treated as absent. */
static int walk_map(pctx *c, yaml_node_t *map, const char *path,
                    const field *fields, void *obj)
{
    if (want_map(c, map, path) < 0)
        return -1;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *key = sval(k);
        const field *f;
        char cp[PATH_LEN];

        if (is_ext(key))
            continue;
        path_key(cp, path, key);
        for (f = fields; f->key && strcmp(f->key, key) != 0; f++)
            ;
        if (!f->key)
            return unknown_key(c, k, cp, fields);
        if (f->reject)
            return fail(c, k, cp, "%s", f->note);
        if (!f->fn) {
            if (warn(c, k, cp, "%s", f->note) < 0)
                return -1;
            continue;
        }
        if (is_null(v))
            continue;
        if (f->fn(c, obj, v, cp) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------ user-data maps/lists */

enum key_kind {
    KEY_ENV,      /* envs: environment variable names */
    KEY_ARG,      /* tasks[].args: identifiers */
    KEY_SLURM,    /* slurm: sbatch long option names */
    KEY_PATH,     /* volumes: mount points */
};

/* slurmopt.c owns the list of options; asking here puts the error at the
 * key's line, with a hint for the usual slips ("--partition", "mem_per_cpu"). */
static int check_slurm_key(pctx *c, yaml_node_t *k, const char *path)
{
    const char *key = sval(k), *reason;
    char alt[NAME_MAX_LEN + 1];
    size_t n = strlen(key);

    if (n > 0 && n <= NAME_MAX_LEN && ts_slurm_option_known(key))
        return 0;
    reason = ts_slurm_option_reserved_reason(key);
    if (reason)
        return fail(c, k, path, "not allowed: %s", reason);
    if (strncmp(key, "--", 2) == 0 && n <= NAME_MAX_LEN
        && ts_slurm_option_known(key + 2))
        return fail(c, k, path, "write the option without the leading "
                    "\"--\"");
    if (n > 0 && n <= NAME_MAX_LEN && strchr(key, '_')) {
        for (size_t i = 0; i <= n; i++)
            alt[i] = key[i] == '_' ? '-' : key[i];
        if (ts_slurm_option_known(alt))
            return fail(c, k, path, "not an sbatch option a suite may set "
                        "(did you mean \"%s\"?)", alt);
    }
    return fail(c, k, path, "not an sbatch option a suite may set (e.g. "
                "partition, time, qos, account)");
}

static int check_data_key(pctx *c, yaml_node_t *k, const char *path,
                          enum key_kind kind)
{
    const char *key = sval(k);

    switch (kind) {
    case KEY_ENV:
        if (!valid_ident(key, ENV_NAME_MAX_LEN))
            return fail(c, k, path, "%s is not a valid environment variable "
                        "name (letters, digits and \"_\", not starting with "
                        "a digit)", qv(c, key));
        if (strncmp(key, "TASK_SUITE_", 11) == 0)
            return fail(c, k, path, "TASK_SUITE_* variables are set by "
                        "tasksuite");
        return 0;
    case KEY_ARG:
        if (!valid_ident(key, NAME_MAX_LEN))
            return fail(c, k, path, "%s is not a valid argument name "
                        "(letters, digits and \"_\", not starting with a "
                        "digit, at most 64)", qv(c, key));
        return 0;
    case KEY_SLURM:
        return check_slurm_key(c, k, path);
    case KEY_PATH:
        if (!*key)
            return fail(c, k, path, "is empty");
        return 0;
    }
    return 0;
}

/* A map of names to scalar values. Only sbatch options may go without a
 * value ("exclusive:"), which is kept as "". */
static int read_kvmap(pctx *c, yaml_node_t *map, const char *path,
                      enum key_kind kind, ts_kvlist *out)
{
    size_t n;

    if (want_map(c, map, path) < 0)
        return -1;
    n = count_entries(c, map);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v)
        return oom(c);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        ts_kv *kv = &out->v[out->n];
        const char *val = "";
        char cp[PATH_LEN];

        if (is_ext(sval(k)))
            continue;
        path_key(cp, path, sval(k));
        if (check_data_key(c, k, cp, kind) < 0)
            return -1;
        if (is_null(v) && kind != KEY_SLURM)
            return fail(c, v, cp, "has no value");
        if (!is_null(v) && get_str(c, v, cp, &val) < 0)
            return -1;
        kv->key = strdup(sval(k));
        kv->value = strdup(val);
        kv->pos = pos_of(k);
        out->n++;                  /* counted first: freed even on failure */
        if (!kv->key || !kv->value)
            return oom(c);
    }
    return 0;
}

typedef int (*str_check)(pctx *c, yaml_node_t *n, const char *path,
                         const char *v);

/* A list of strings, each through `check`; with `unique`, none twice. */
static int read_strlist(pctx *c, yaml_node_t *seq, const char *path,
                        str_check check, bool unique, ts_strlist *out)
{
    size_t n, later = 0, earlier = 0;
    keyref *refs;
    bool rep;

    if (want_seq(c, seq, path) < 0)
        return -1;
    n = nitems(seq);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = node(c, seq->data.sequence.items.start[i]);
        const char *v;
        char ip[PATH_LEN];

        path_idx(ip, path, i);
        if (get_str(c, it, ip, &v) < 0 || (check && check(c, it, ip, v) < 0))
            return -1;
        out->v[out->n] = strdup(v);
        if (!out->v[out->n])
            return oom(c);
        out->n++;
    }
    if (!unique || n < 2)
        return 0;
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return oom(c);
    for (size_t i = 0; i < n; i++)
        refs[i] = (keyref){ out->v[i], i };
    rep = find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN];

        path_idx(ip, path, later);
        return fail(c, node(c, seq->data.sequence.items.start[later]), ip,
                    "%s is listed twice (first as item %zu)",
                    qv(c, out->v[later]), earlier);
    }
    return 0;
}

/* ------------------------------------------------------------ value checks */

static int check_nonblank(pctx *c, yaml_node_t *n, const char *path,
                          const char *v)
{
    if (blank(v))
        return fail(c, n, path, "is empty");
    return 0;
}

static int check_suite_name(pctx *c, yaml_node_t *n, const char *path,
                            const char *v)
{
    if (!valid_name(v))
        return fail(c, n, path, "%s is not a valid name (letters, digits, "
                    "\".\", \"_\" and \"-\", at most 64)", qv(c, v));
    return 0;
}

static int check_tag(pctx *c, yaml_node_t *n, const char *path, const char *v)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._:+-", *p))
            return fail(c, n, path, "%s is not a valid tag (letters, digits, "
                        "\".\", \"_\", \":\", \"+\" and \"-\"; for other "
                        "constraints use slurm: {constraint: ...})",
                        qv(c, v));
    return check_nonblank(c, n, path, v);
}

static int check_word(pctx *c, yaml_node_t *n, const char *path,
                      const char *v)
{
    if (!*v)
        return fail(c, n, path, "is empty");
    if (has_space_or_control(v))
        return fail(c, n, path, "%s must not contain spaces", qv(c, v));
    return 0;
}

/* Read a string field through `check` into *dst. */
static int take_str(pctx *c, yaml_node_t *v, const char *path,
                    str_check check, char **dst)
{
    const char *s;

    if (get_str(c, v, path, &s) < 0 || (check && check(c, v, path, s) < 0))
        return -1;
    return set_str(c, dst, s);
}

/* "4", "4.5", "500m" (Kubernetes millicores), with an optional "+"
 * (SkyPilot's "at least"). Rounds up to a whole number; *inexact says it had
 * to. */
static int parse_amount(const char *s, bool milli_ok, long *out,
                        bool *inexact, bool *plus)
{
    long whole = 0;
    bool frac = false, dot = false;

    *inexact = *plus = false;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > 100000000)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        dot = true;
        if (!isdigit((unsigned char)*++s))
            return -1;
        for (; isdigit((unsigned char)*s); s++)
            frac |= *s != '0';
    }
    if (milli_ok && *s == 'm' && !dot) {
        s++;
        *inexact = whole % 1000 != 0;
        whole = whole / 1000 + *inexact;
    } else if (frac) {
        whole++;
        *inexact = true;
    }
    if (*s == '+') {
        *plus = true;
        s++;
    }
    if (*s)
        return -1;
    *out = whole;
    return 0;
}

/* ------------------------------------------------------------- resources */

#define RES(obj) ((ts_resources *)(obj))

static int r_cpus(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s;
    long n;
    bool inexact, plus;

    if (get_str(c, v, path, &s) < 0)
        return -1;
    if (parse_amount(s, true, &n, &inexact, &plus) < 0)
        return fail(c, v, path, "%s is not a CPU count (e.g. 4, or \"500m\")",
                    qv(c, s));
    if (n < 1 || n > 100000)
        return fail(c, v, path, "must be from 1 to 100000, found %s",
                    qv(c, s));
    if (inexact && warn(c, v, path, "%s rounded up to %ld (Slurm allocates "
                        "whole CPUs)", qv(c, s), n) < 0)
        return -1;
    if (plus && warn(c, v, path, "%s taken as exactly %ld", qv(c, s), n) < 0)
        return -1;
    RES(obj)->cpus = (int)n;
    return 0;
}

static int r_memory(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s;
    char size[64];
    size_t len;
    uint64_t mb;
    bool plus;

    if (get_str(c, v, path, &s) < 0)
        return -1;
    len = strlen(s);
    plus = len > 0 && s[len - 1] == '+';       /* SkyPilot's "at least" */
    if (plus)
        len--;
    if (len >= sizeof size)
        return fail(c, v, path, "%s is not a size (e.g. 512Mi, 16Gi)",
                    qv(c, s));
    memcpy(size, s, len);
    size[len] = '\0';
    if (ts_parse_size_mb(size, &mb) < 0)
        return fail(c, v, path, "%s is not a size (e.g. 512Mi, 16Gi)",
                    qv(c, s));
    if (mb == 0)
        return fail(c, v, path, "must be more than 0 (for all of a node's "
                    "memory use slurm: {mem: 0})");
    if (isdigit((unsigned char)size[strlen(size) - 1])
        && warn(c, v, path, "%s has no unit: taken as MiB, as Slurm's --mem "
                "does (SkyPilot means GiB: write %sGi for that)", qv(c, s),
                size) < 0)
        return -1;
    if (plus && warn(c, v, path, "%s taken as exactly %s", qv(c, s),
                     size) < 0)
        return -1;
    RES(obj)->memory_mb = mb;
    return 0;
}

static bool valid_gpu_type(const char *t, size_t len)
{
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(t[i]))
            return false;
    return true;
}

/* Store type (may be NULL/empty: a bare count) lowercased, and count. */
static int set_accel(pctx *c, yaml_node_t *v, const char *path,
                     ts_resources *r, const char *type, size_t tlen,
                     const char *count, const char *shown)
{
    long n = 1;
    bool inexact = false, plus = false;

    if (tlen && !valid_gpu_type(type, tlen))
        return fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                    "count: 2)", qv(c, shown));
    if (count && (parse_amount(count, false, &n, &inexact, &plus) < 0 || plus))
        return fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                    "count: 2)", qv(c, shown));
    if (n < 1 || n > 1024)
        return fail(c, v, path, "the count must be from 1 to 1024, found %s",
                    qv(c, shown));
    if (inexact && warn(c, v, path, "%s rounded up to %ld (Slurm allocates "
                        "whole GPUs)", qv(c, shown), n) < 0)
        return -1;
    if (tlen) {
        free(r->gpu_type);
        r->gpu_type = strndup(type, tlen);
        if (!r->gpu_type)
            return oom(c);
        for (char *p = r->gpu_type; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    r->gpu_count = (int)n;
    return 0;
}

/* "V100:2", "V100", "2", or SkyPilot's map form {V100: 2}. */
static int r_accelerators(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    const char *s, *colon;

    if (v->type == YAML_SEQUENCE_NODE)
        return fail(c, v, path, "lists of alternatives are not supported; "
                    "name one type, e.g. V100:2");
    if (v->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        yaml_node_t *k, *cnt;

        if (check_keys(c, v, path) < 0)
            return -1;
        if (npairs(v) != 1)
            return fail(c, v, path, "name one accelerator type, e.g. "
                        "{V100: 2}");
        p = v->data.mapping.pairs.start;
        k = node(c, p->key);
        cnt = node(c, p->value);
        if (is_null(cnt))
            return set_accel(c, k, path, RES(obj), sval(k), strlen(sval(k)),
                             NULL, sval(k));
        if (get_str(c, cnt, path, &s) < 0)
            return -1;
        return set_accel(c, k, path, RES(obj), sval(k), strlen(sval(k)), s,
                         s);
    }
    if (get_str(c, v, path, &s) < 0)
        return -1;
    colon = strrchr(s, ':');
    if (colon == s)
        return fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                    "count: 2)", qv(c, s));
    if (colon)
        return set_accel(c, v, path, RES(obj), s, (size_t)(colon - s),
                         colon + 1, s);
    if (isdigit((unsigned char)s[0])) {
        long n;
        bool inexact, plus;

        if (parse_amount(s, false, &n, &inexact, &plus) == 0)
            return set_accel(c, v, path, RES(obj), NULL, 0, s, s);
    }
    return set_accel(c, v, path, RES(obj), s, strlen(s), NULL, s);
}

static int r_image_id(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (take_str(c, v, path, NULL, &RES(obj)->image_id) < 0)
        return -1;
    return warn(c, v, path, "%s is not used: tasks run on the nodes' own "
                "software, not in a container", qv(c, RES(obj)->image_id));
}

#define NO_DISK "ignored: Slurm allocates no per-task disk; use the " \
                "node's scratch space"
#define NO_CLOUD "ignored: tasks run on the cluster sbatch submits to"

static const field resources_fields[] = {
    { "cpus", r_cpus, false, NULL },
    { "memory", r_memory, false, NULL },
    { "accelerators", r_accelerators, false, NULL },
    { "image_id", r_image_id, false, NULL },
    /* SkyPilot keys that have no Slurm meaning: warned, never dropped
     * silently. */
    { "use_spot", NULL, false, "ignored: a Slurm cluster has no spot "
      "instances (resume: handles preemption)" },
    { "disk_size", NULL, false, NO_DISK },
    { "disk_tier", NULL, false, NO_DISK },
    { "ports", NULL, false, "ignored: Slurm opens no ports for a job" },
    { "instance_type", NULL, false, "ignored: choose nodes with tags: or "
      "slurm: {partition: ...}" },
    { "cloud", NULL, false, NO_CLOUD },
    { "region", NULL, false, NO_CLOUD },
    { "zone", NULL, false, NO_CLOUD },
    { "infra", NULL, false, NO_CLOUD },
    { "network_tier", NULL, false, NO_CLOUD },
    { "job_recovery", NULL, false, "ignored: use resume: to retry tasks" },
    { "autostop", NULL, false, "ignored: an allocation ends with its job" },
    { "accelerator_args", NULL, false, "ignored: no Slurm equivalent" },
    { "labels", NULL, false, "ignored: these are Kubernetes pod labels; "
      "use the top-level labels:" },
    /* Ignoring these would drop the resource request itself. */
    { "any_of", NULL, true, "alternatives are not supported: a suite asks "
      "for one set of resources" },
    { "ordered", NULL, true, "alternatives are not supported: a suite asks "
      "for one set of resources" },
    { NULL, NULL, false, NULL },
};

/* ------------------------------------------------------------------ hooks */

#define HOOK(obj) ((ts_hook *)(obj))

static int h_args(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (HOOK(obj)->run)
        return fail(c, v, path, "give args: or run:, not both");
    if (read_strlist(c, v, path, NULL, false, &HOOK(obj)->args) < 0)
        return -1;
    if (HOOK(obj)->args.n == 0)
        return fail(c, v, path, "is empty (give the program to run)");
    /* Only the program must be named; later arguments may be "". */
    if (!*HOOK(obj)->args.v[0]) {
        char ip[PATH_LEN];

        path_idx(ip, path, 0);
        return fail(c, node(c, v->data.sequence.items.start[0]), ip,
                    "is empty (the program to run)");
    }
    return 0;
}

static int h_run(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (HOOK(obj)->args.n)
        return fail(c, v, path, "give args: or run:, not both");
    return take_str(c, v, path, check_nonblank, &HOOK(obj)->run);
}

static int h_envs(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_kvmap(c, v, path, KEY_ENV, &HOOK(obj)->envs);
}

static int h_timeout(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return get_duration(c, v, path, 1, 86400, &HOOK(obj)->timeout_s);
}

static const field hook_fields[] = {
    { "args", h_args, false, NULL },
    { "run", h_run, false, NULL },
    { "envs", h_envs, false, NULL },
    { "timeout", h_timeout, false, NULL },
    { NULL, NULL, false, NULL },
};

static int read_hook(pctx *c, ts_hook *h, yaml_node_t *v, const char *path)
{
    h->pos = pos_of(v);
    if (walk_map(c, v, path, hook_fields, h) < 0)
        return -1;
    if (!h->run && h->args.n == 0)
        return fail(c, v, path, "needs args: (a program and its arguments) "
                    "or run: (shell text)");
    h->present = true;
    return 0;
}

/* ------------------------------------------------------- matrix and tasks */

#define SUITE(obj) ((ts_suite *)(obj))

static int read_axis(pctx *c, ts_matrix_axis *ax, yaml_node_t *k,
                     yaml_node_t *v, const char *path)
{
    size_t n, later = 0, earlier = 0;
    keyref *refs;
    bool rep;

    if (v->type != YAML_SEQUENCE_NODE)
        return fail(c, v, path, "expected a list of values, found %s",
                    describe(c, v));
    if (want_seq(c, v, path) < 0)
        return -1;
    n = nitems(v);
    if (n == 0)
        return fail(c, v, path, "has no values");
    ax->pos = pos_of(k);
    ax->values.v = calloc(n, sizeof *ax->values.v);
    if (!ax->values.v)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];

        path_idx(ip, path, i);
        /* Values are kept as written, "null" included: they are text. */
        if (it->type != YAML_SCALAR_NODE)
            return fail(c, it, ip, "expected a value, found %s",
                        describe(c, it));
        ax->values.v[i] = strdup(sval(it));
        if (!ax->values.v[i])
            return oom(c);
        ax->values.n++;
    }
    refs = malloc(n * sizeof *refs);
    if (!refs)
        return oom(c);
    for (size_t i = 0; i < n; i++)
        refs[i] = (keyref){ ax->values.v[i], i };
    rep = find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN];

        path_idx(ip, path, later);
        return fail(c, node(c, v->data.sequence.items.start[later]), ip,
                    "%s is listed twice (first as item %zu)",
                    qv(c, ax->values.v[later]), earlier);
    }
    return 0;
}

static int f_matrix(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);
    uint64_t product = 1;
    size_t n;

    if (want_map(c, v, path) < 0)
        return -1;
    n = count_entries(c, v);
    s->matrix = calloc(n ? n : 1, sizeof *s->matrix);
    if (!s->matrix)
        return oom(c);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *val = node(c, p->value);
        ts_matrix_axis *ax = &s->matrix[s->nmatrix];
        char cp[PATH_LEN];

        if (is_ext(sval(k)))
            continue;
        path_key(cp, path, sval(k));
        if (!valid_ident(sval(k), NAME_MAX_LEN))
            return fail(c, k, cp, "%s is not a valid axis name (letters, "
                        "digits and \"_\", not starting with a digit, at "
                        "most 64)", qv(c, sval(k)));
        ax->name = strdup(sval(k));
        if (!ax->name)
            return oom(c);
        s->nmatrix++;
        if (read_axis(c, ax, k, val, cp) < 0)
            return -1;
        product *= ax->values.n;
        if (product > SPEC_MAX_TASKS)
            return fail(c, v, path, "makes more than %d tasks",
                        SPEC_MAX_TASKS);
    }
    return 0;
}

#define TASK(obj) ((ts_task_entry *)(obj))

static int check_task_name(pctx *c, yaml_node_t *n, const char *path,
                           const char *v)
{
    if (!valid_name(v))
        return fail(c, n, path, "%s is not a valid task name (letters, "
                    "digits, \".\", \"_\" and \"-\", at most 64)", qv(c, v));
    return 0;
}

static int t_name(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return take_str(c, v, path, check_task_name, &TASK(obj)->name);
}

static int t_args(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_kvmap(c, v, path, KEY_ARG, &TASK(obj)->args);
}

static int t_priority(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return get_int_field(c, v, path, -1000000, 1000000, &TASK(obj)->priority);
}

static const field task_fields[] = {
    { "name", t_name, false, NULL },
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
        return oom(c);
    for (size_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].name)
            refs[n++] = (keyref){ s->tasks[i].name, i };
    rep = find_repeat(refs, n, &later, &earlier);
    free(refs);
    if (rep) {
        char ip[PATH_LEN], np[PATH_LEN];

        path_idx(ip, path, later);
        path_key(np, ip, "name");
        return fail_at(c, s->tasks[later].pos, np, "%s is already the name "
                       "of %s[%zu]", qv(c, s->tasks[later].name), path,
                       earlier);
    }
    return 0;
}

static int f_tasks(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_suite *s = SUITE(obj);
    size_t n;

    if (want_seq(c, v, path) < 0)
        return -1;
    n = nitems(v);
    s->tasks = calloc(n ? n : 1, sizeof *s->tasks);
    if (!s->tasks)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = node(c, v->data.sequence.items.start[i]);
        ts_task_entry *t = &s->tasks[s->ntasks++];
        char ip[PATH_LEN];

        path_idx(ip, path, i);
        t->pos = pos_of(it);
        if (walk_map(c, it, ip, task_fields, t) < 0)
            return -1;
    }
    return check_task_names(c, path);
}

/* ----------------------------------------------------------------- resume */

#define RESUME(obj) ((ts_resume *)(obj))

static int rs_max_retries(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    return get_int_field(c, v, path, 0, 100, &RESUME(obj)->max_retries);
}

static int rs_retry_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    static const struct { const char *name; unsigned bit; } states[] = {
        { "timeout", TS_RETRY_TIMEOUT }, { "node_fail", TS_RETRY_NODE_FAIL },
        { "preempted", TS_RETRY_PREEMPTED }, { "failed", TS_RETRY_FAILED },
    };
    unsigned bits = 0;

    if (want_seq(c, v, path) < 0)
        return -1;
    for (size_t i = 0; i < nitems(v); i++) {
        yaml_node_t *it = node(c, v->data.sequence.items.start[i]);
        const char *st;
        char ip[PATH_LEN];
        size_t j;

        path_idx(ip, path, i);
        if (get_str(c, it, ip, &st) < 0)
            return -1;
        for (j = 0; j < sizeof states / sizeof states[0]; j++)
            if (strcmp(st, states[j].name) == 0)
                break;
        if (j == sizeof states / sizeof states[0])
            return fail(c, it, ip, "%s is not a state that can be retried "
                        "(timeout, node_fail, preempted, failed)", qv(c, st));
        bits |= states[j].bit;
    }
    RESUME(obj)->retry_on = bits;
    return 0;
}

/* "USR2@300": the signal Slurm sends, and how many seconds before the
 * walltime (sbatch --signal). The lead may also be a duration ("5m"). */
static int rs_signal(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s, *at;
    char name[32];
    int sig;
    long lead = 300;

    if (get_str(c, v, path, &s) < 0)
        return -1;
    at = strchr(s, '@');
    sig = -1;
    if ((at ? (size_t)(at - s) : strlen(s)) < sizeof name) {
        snprintf(name, sizeof name, "%.*s",
                 (int)(at ? (size_t)(at - s) : strlen(s)), s);
        sig = ts_parse_signal(name);
    }
    if (sig < 0)
        return fail(c, v, path, "%s is not a signal (e.g. USR2@300: SIGUSR2 "
                    "300 s before the walltime)", qv(c, s));
    if (sig == SIGKILL || sig == SIGSTOP)
        return fail(c, v, path, "%s cannot be caught, so no task could act "
                    "on it (use USR2 or TERM)", qv(c, s));
    if (at) {
        char *end;

        errno = 0;
        if (all_digits(at + 1))
            lead = strtol(at + 1, &end, 10);
        else if (ts_parse_duration(at + 1, &lead) < 0)
            return fail(c, v, path, "%s is not a signal (e.g. USR2@300: "
                        "SIGUSR2 300 s before the walltime)", qv(c, s));
        if (errno == ERANGE || lead < 1 || lead > 65535)
            return fail(c, v, path, "the lead time must be from 1 to 65535 "
                        "seconds (Slurm's limit), found %s", qv(c, s));
    }
    RESUME(obj)->signal = sig;
    RESUME(obj)->signal_lead_s = (int)lead;
    return 0;
}

static const field resume_fields[] = {
    { "max_retries", rs_max_retries, false, NULL },
    { "retry_on", rs_retry_on, false, NULL },
    { "signal", rs_signal, false, NULL },
    { NULL, NULL, false, NULL },
};

/* -------------------------------------------------------- worker_schedule */

#define WS(obj) ((ts_worker_schedule *)(obj))
#define MAX_CORE 65535

static int cb_cores(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_worker_schedule *w = WS(obj);
    unsigned char *seen;
    size_t n;

    if (want_seq(c, v, path) < 0)
        return -1;
    n = nitems(v);
    c->cores_pos = pos_of(v);
    w->cores = calloc(n ? n : 1, sizeof *w->cores);
    seen = calloc(MAX_CORE / 8 + 1, 1);
    if (!w->cores || !seen) {
        free(seen);
        return oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];
        long core;

        path_idx(ip, path, i);
        if (get_int(c, it, ip, 0, MAX_CORE, &core) < 0) {
            free(seen);
            return -1;
        }
        if (seen[core / 8] & (1u << (core % 8))) {
            free(seen);
            return fail(c, it, ip, "core %ld is listed twice", core);
        }
        seen[core / 8] |= (unsigned char)(1u << (core % 8));
        w->cores[w->ncores++] = (int)core;
    }
    free(seen);
    return 0;
}

static int cb_strategy(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    static const struct { const char *name; enum ts_bind_strategy st; }
    strategies[] = {
        { "RoundRobin", TS_BIND_ROUND_ROBIN },
        { "Exclusive", TS_BIND_EXCLUSIVE },
        { "Shared", TS_BIND_SHARED },
    };
    const char *s;

    if (get_str(c, v, path, &s) < 0)
        return -1;
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++) {
        if (strcasecmp(s, strategies[i].name) == 0) {
            WS(obj)->strategy = strategies[i].st;
            return 0;
        }
    }
    return fail(c, v, path, "%s is not a strategy (RoundRobin, Exclusive or "
                "Shared)", qv(c, s));
}

static const field cpu_binding_fields[] = {
    { "cores", cb_cores, false, NULL },
    { "strategy", cb_strategy, false, NULL },
    { NULL, NULL, false, NULL },
};

static int ws_worker_count(pctx *c, void *obj, yaml_node_t *v,
                           const char *path)
{
    return get_int_field(c, v, path, 1, 10000, &WS(obj)->worker_count);
}

static int ws_cpu_binding(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    return walk_map(c, v, path, cpu_binding_fields, obj);
}

static int ws_prefetch(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return get_int_field(c, v, path, 0, 1000000,
                         &WS(obj)->task_prefetch_count);
}

static const field worker_schedule_fields[] = {
    { "worker_count", ws_worker_count, false, NULL },
    { "cpu_binding", ws_cpu_binding, false, NULL },
    { "task_prefetch_count", ws_prefetch, false, NULL },
    { NULL, NULL, false, NULL },
};

/* --------------------------------------------------------------- top level */

static int f_name(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return take_str(c, v, path, check_suite_name, &SUITE(obj)->name);
}

static int f_labels(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_strlist(c, v, path, check_nonblank, false,
                        &SUITE(obj)->labels);
}

static int f_tags(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_strlist(c, v, path, check_tag, false, &SUITE(obj)->tags);
}

static int f_group(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return take_str(c, v, path, check_word, &SUITE(obj)->group);
}

static int f_slurm(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_kvmap(c, v, path, KEY_SLURM, &SUITE(obj)->slurm);
}

static int f_num_nodes(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return get_int_field(c, v, path, 1, 100000, &SUITE(obj)->num_nodes);
}

static int f_resources(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return walk_map(c, v, path, resources_fields, &SUITE(obj)->resources);
}

static int f_envs(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_kvmap(c, v, path, KEY_ENV, &SUITE(obj)->envs);
}

static int f_volumes(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (read_kvmap(c, v, path, KEY_PATH, &SUITE(obj)->volumes) < 0)
        return -1;
    return warn(c, v, path, "not mounted: tasks see the cluster's shared "
                "filesystems as they are");
}

static int f_workdir(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return take_str(c, v, path, check_nonblank, &SUITE(obj)->workdir);
}

static int f_output_dir(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return take_str(c, v, path, check_nonblank, &SUITE(obj)->output_dir);
}

static int f_env_preparation(pctx *c, void *obj, yaml_node_t *v,
                             const char *path)
{
    return read_hook(c, &SUITE(obj)->env_preparation, v, path);
}

static int f_env_cleanup(pctx *c, void *obj, yaml_node_t *v,
                         const char *path)
{
    return read_hook(c, &SUITE(obj)->env_cleanup, v, path);
}

static int f_on_complete(pctx *c, void *obj, yaml_node_t *v,
                         const char *path)
{
    return read_hook(c, &SUITE(obj)->on_complete, v, path);
}

static int f_setup(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    SUITE(obj)->setup_pos = pos_of(v);
    return take_str(c, v, path, NULL, &SUITE(obj)->setup);
}

static int f_run(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    SUITE(obj)->run_pos = pos_of(v);
    return take_str(c, v, path, check_nonblank, &SUITE(obj)->run);
}

static int f_resume(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return walk_map(c, v, path, resume_fields, &SUITE(obj)->resume);
}

static int f_worker_schedule(pctx *c, void *obj, yaml_node_t *v,
                             const char *path)
{
    ts_worker_schedule *w = &SUITE(obj)->worker_schedule;
    char cp[PATH_LEN];

    w->task_prefetch_count = -1;
    if (walk_map(c, v, path, worker_schedule_fields, w) < 0)
        return -1;
    if (w->worker_count == 0) {
        path_key(cp, path, "worker_count");
        return fail(c, v, cp, "is required (how many workers run tasks)");
    }
    if (w->task_prefetch_count < 0)
        w->task_prefetch_count = w->worker_count;
    if (w->strategy == TS_BIND_EXCLUSIVE && w->ncores
        && w->ncores < (size_t)w->worker_count) {
        path_key(cp, path, "cpu_binding.cores");
        return fail_at(c, c->cores_pos, cp, "Exclusive gives each worker its "
                       "own core: %zu cores for %d workers", w->ncores,
                       w->worker_count);
    }
    w->present = true;
    return 0;
}

static int f_depends_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return read_strlist(c, v, path, check_word, true,
                        &SUITE(obj)->depends_on);
}

static int f_close_after(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return get_duration(c, v, path, 0, 30L * 86400,
                        &SUITE(obj)->close_after_s);
}

static const field top_fields[] = {
    { "name", f_name, false, NULL },
    { "labels", f_labels, false, NULL },
    { "tags", f_tags, false, NULL },
    { "group", f_group, false, NULL },
    { "slurm", f_slurm, false, NULL },
    { "num_nodes", f_num_nodes, false, NULL },
    { "resources", f_resources, false, NULL },
    { "envs", f_envs, false, NULL },
    { "volumes", f_volumes, false, NULL },
    { "workdir", f_workdir, false, NULL },
    { "output_dir", f_output_dir, false, NULL },
    { "env_preparation", f_env_preparation, false, NULL },
    { "env_cleanup", f_env_cleanup, false, NULL },
    { "on_complete", f_on_complete, false, NULL },
    { "setup", f_setup, false, NULL },
    { "run", f_run, false, NULL },
    { "matrix", f_matrix, false, NULL },
    { "tasks", f_tasks, false, NULL },
    { "resume", f_resume, false, NULL },
    { "worker_schedule", f_worker_schedule, false, NULL },
    { "depends_on", f_depends_on, false, NULL },
    { "close_after", f_close_after, false, NULL },
    /* SkyPilot task keys. Those that only steer a cloud are warned about;
     * dropping the others would change what runs, so they are refused. */
    { "file_mounts", NULL, false, "not copied or mounted: tasks see the "
      "cluster's shared filesystems; stage other data in env_preparation" },
    { "config", NULL, false, "ignored: SkyPilot configuration overrides "
      "have no meaning here" },
    { "event_callback", NULL, false, "ignored: use on_complete" },
    { "inputs", NULL, false, "ignored: SkyPilot uses it only to pick a "
      "cloud" },
    { "outputs", NULL, false, "ignored: SkyPilot uses it only to pick a "
      "cloud" },
    { "experimental", NULL, false, "ignored: SkyPilot experimental "
      "settings have no meaning here" },
    { "service", NULL, true, "SkyServe services are not supported: a suite "
      "runs batch tasks" },
    { "secrets", NULL, true, "not supported: keep secrets in a file only "
      "you can read and have run: read it" },
    { NULL, NULL, false, NULL },
};

/* ------------------------------------------------------------ placeholders */

static bool has_arg(const ts_task_entry *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->args.n; i++)
        if (strlen(t->args.v[i].key) == len
            && memcmp(t->args.v[i].key, name, len) == 0)
            return true;
    return false;
}

/* Does every task the suite expands to have a value for %(name)? Matrix
 * tasks get the axes, explicit tasks their own args. */
static int check_placeholder(pctx *c, ts_pos at, const char *what,
                             const char *name, size_t len)
{
    const ts_suite *s = c->s;
    bool axis = false;
    size_t having = 0, missing = s->ntasks;
    char nm[100], tmp[NAME_MAX_LEN + 8];

    snprintf(tmp, sizeof tmp, "%.*s", (int)(len > NAME_MAX_LEN + 1
                                              ? NAME_MAX_LEN + 1 : len), name);
    escape(nm, sizeof nm, tmp, NAME_MAX_LEN, false);
    for (size_t i = 0; i < s->nmatrix; i++)
        if (strlen(s->matrix[i].name) == len
            && memcmp(s->matrix[i].name, name, len) == 0)
            axis = true;
    for (size_t i = 0; i < s->ntasks; i++) {
        if (has_arg(&s->tasks[i], name, len))
            having++;
        else if (missing == s->ntasks)
            missing = i;
    }
    if (!axis && having == 0) {
        if (s->nmatrix == 0 && s->ntasks == 0)
            return fail_at(c, at, what, "%%(%s) has no value: there is no "
                           "matrix: or tasks: to give it one", nm);
        return fail_at(c, at, what, "%%(%s) is not a matrix axis or a task "
                       "argument", nm);
    }
    if (s->nmatrix > 0 && !axis)
        return fail_at(c, at, what, "%%(%s) is not a matrix axis, so the "
                       "matrix tasks have no value for it", nm);
    if (missing < s->ntasks) {
        char tp[PATH_LEN];

        path_idx(tp, "tasks", missing);
        return fail_at(c, s->tasks[missing].pos, tp, "has no argument %s, "
                       "which %s uses as %%(%s)", nm, what, nm);
    }
    return 0;
}

/* Check each distinct %(name) of `text` once, in text order, so the error
 * is about the first bad one. */
static int check_placeholders(pctx *c, const char *text, ts_pos at,
                              const char *what)
{
    struct { const char *name; size_t len; } seen[SPEC_MAX_PLACEHOLDER_NAMES];
    size_t nseen = 0, len;
    const char *name, *p = text;

    while (text && (p = next_placeholder(p, &name, &len)) != NULL) {
        size_t i;

        p += len + 3;
        for (i = 0; i < nseen; i++)
            if (seen[i].len == len && memcmp(seen[i].name, name, len) == 0)
                break;
        if (i < nseen)
            continue;
        if (nseen == SPEC_MAX_PLACEHOLDER_NAMES)
            return fail_at(c, at, what, "uses more than %d different "
                           "%%(name) placeholders",
                           SPEC_MAX_PLACEHOLDER_NAMES);
        if (check_placeholder(c, at, what, name, len) < 0)
            return -1;
        seen[nseen].name = name;
        seen[nseen].len = len;
        nseen++;
    }
    return 0;
}

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
        return oom(c);
    for (char *p = n; *p; p++)
        if (!name_char(*p))
            *p = '-';
    c->s->name = n;
    return 0;
}

/* libyaml's message, at its position. Reader errors (bad UTF-8, control
 * characters) carry only a byte offset: count lines up to it. */
static int syntax_error(pctx *c, const yaml_parser_t *p, const char *buf,
                        size_t len)
{
    ts_pos at = { (int)p->problem_mark.line + 1,
                  (int)p->problem_mark.column + 1 };
    char msg[300];

    if (p->error == YAML_MEMORY_ERROR)
        return oom(c);
    if (p->error == YAML_READER_ERROR) {
        at.line = 1;
        at.col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (buf[i] == '\n') {
                at.line++;
                at.col = 1;
            } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
                at.col++;
            }
        }
    }
    escape(msg, sizeof msg, p->problem ? p->problem : "not valid YAML", 250,
           false);
    /* libyaml splits this one: context "found duplicate anchor; first
     * occurrence", problem "second occurrence". Say it in one piece. */
    if (p->error == YAML_COMPOSER_ERROR && p->context
        && strstr(p->context, "; first occurrence"))
        return fail_at(c, at, "syntax", "%.*s (first at line %d)",
                       (int)(strstr(p->context, ";") - p->context),
                       p->context, (int)p->context_mark.line + 1);
    return fail_at(c, at, "syntax", "%s", msg);
}

/* Refuse, before building anything, what would make the loader or the walk
 * expensive: too many nodes, deep nesting, too many anchors or aliases,
 * several documents, and NUL bytes in values (C strings would cut them). */
static const char *check_event(const yaml_event_t *ev, size_t *nodes,
                               size_t *anchors, size_t *aliases, int *depth,
                               int *docs)
{
    const yaml_char_t *anchor = NULL;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return "more than one YAML document (a suite file holds one)";
        return NULL;
    case YAML_SCALAR_EVENT:
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return "a value contains a NUL character";
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        if (++*depth > SPEC_MAX_DEPTH)
            return "nested more than 64 levels deep";
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        if (++*depth > SPEC_MAX_DEPTH)
            return "nested more than 64 levels deep";
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        --*depth;
        return NULL;
    case YAML_ALIAS_EVENT:
        if (++*aliases > SPEC_MAX_ALIASES)
            return "more than 10000 aliases";
        break;
    default:
        return NULL;
    }
    if (anchor && ++*anchors > SPEC_MAX_ANCHORS)
        return "more than 1000 anchors";
    if (++*nodes > SPEC_MAX_NODES)
        return "more than 100000 YAML nodes";
    return NULL;
}

static int prescan(pctx *c, const char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    size_t nodes = 0, anchors = 0, aliases = 0;
    int depth = 0, docs = 0, rc = -1;

    if (!yaml_parser_initialize(&p))
        return oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (;;) {
        const char *why;
        bool end;

        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(c, &p, buf, len);
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        why = check_event(&ev, &nodes, &anchors, &aliases, &depth, &docs);
        if (why) {
            ts_pos at = { (int)ev.start_mark.line + 1,
                          (int)ev.start_mark.column + 1 };

            fail_at(c, at, "file", "%s", why);
            yaml_event_delete(&ev);
            break;
        }
        yaml_event_delete(&ev);
        if (end) {
            rc = 0;
            break;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}

static int load(pctx *c, const char *buf, size_t len, yaml_document_t *doc)
{
    yaml_parser_t p;
    int rc = 0;

    if (!yaml_parser_initialize(&p))
        return oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&p, doc))    /* frees the document on failure */
        rc = syntax_error(c, &p, buf, len);
    yaml_parser_delete(&p);
    return rc;
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

/* A warning before the job has done anything is no warning: with the
 * default lead (300 s) and a short walltime, Slurm would send it at once,
 * and every attempt would end before it started. The lead is at most half
 * the walltime (Slurm counts whole minutes, so the walltime is at least
 * 60 s and the lead at least 30 s), and the suite says so when it lowers it.
 * Without slurm.time the walltime is the partition's, unknown here. */
static int clamp_signal_lead(pctx *c)
{
    ts_suite *s = c->s;
    const char *t = ts_kv_get(&s->slurm, "time");
    long secs;

    if (s->resume.signal <= 0 || !t || ts_parse_duration(t, &secs) < 0 || secs <= 0)
        return 0;
    long minutes = (secs + 59) / 60;            /* as Slurm rounds --time */
    long wall = minutes * 60, half = wall / 2;
    if (s->resume.signal_lead_s <= half)
        return 0;
    ts_pos p = { 0, 0 };
    for (size_t i = 0; i < s->slurm.n; i++)
        if (strcmp(s->slurm.v[i].key, "time") == 0)
            p = s->slurm.v[i].pos;
    char what[64];
    if (minutes % 60 == 0)
        snprintf(what, sizeof what, "%ld-hour", minutes / 60);
    else
        snprintf(what, sizeof what, "%ld-minute", minutes);
    ts_strlist *w = &s->warnings;
    char line[1024], **v = realloc(w->v, (w->n + 1) * sizeof *v);
    if (!v)
        return oom(c);
    w->v = v;
    snprintf(line, sizeof line, "%s:%d:%d: resume.signal lead %ds is %s the %s "
             "walltime: using %lds", c->file, p.line, p.col, s->resume.signal_lead_s,
             s->resume.signal_lead_s >= wall ? "longer than" : "more than half of", what,
             half);
    if (!(w->v[w->n] = strdup(line)))
        return oom(c);
    w->n++;
    s->resume.signal_lead_s = (int)half;
    return 0;
}

static int fill_suite(pctx *c, yaml_node_t *root)
{
    ts_suite *s = c->s;

    if (!root || is_null(root))
        return fail_at(c, (ts_pos){ 1, 1 }, "file", "is empty (a suite needs "
                       "at least run:)");
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root, "file", "expected a map of suite fields (name:, "
                    "run:, ...), found %s", describe(c, root));
    if (walk_map(c, root, "", top_fields, s) < 0)
        return -1;
    if (!s->run)
        return fail(c, root, "run", "is required (the command each task "
                    "runs)");
    if (!s->name && default_name(c) < 0)
        return -1;
    if (check_placeholders(c, s->run, s->run_pos, "run") < 0
        || check_placeholders(c, s->setup, s->setup_pos, "setup") < 0)
        return -1;
    return clamp_signal_lead(c);
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
    escape(c.file, sizeof c.file, c.name, 200, false);
    if (!buf)
        buf = "";
    if (len > SPEC_MAX_BYTES)
        return ts_errf(err, "%s: larger than 4 MiB, the limit for a suite "
                       "file", c.file);
    if (prescan(&c, buf, len) < 0 || load(&c, buf, len, &doc) < 0)
        return -1;
    c.doc = &doc;
    /* Owned here: c.s is the parser's (borrowed) view of it. */
    if (!(s = calloc(1, sizeof *s))) {
        yaml_document_delete(&doc);
        return oom(&c);
    }
    c.s = s;
    set_defaults(s);
    rc = set_str(&c, &s->path, c.name);
    if (rc == 0)
        rc = fill_suite(&c, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
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

    escape(file, sizeof file, path, 200, false);
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

static void kvlist_clear(ts_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
}

static void hook_clear(ts_hook *h)
{
    strlist_clear(&h->args);
    free(h->run);
    kvlist_clear(&h->envs);
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
    kvlist_clear(&s->slurm);
    free(s->resources.gpu_type);
    free(s->resources.image_id);
    kvlist_clear(&s->envs);
    kvlist_clear(&s->volumes);
    free(s->workdir);
    free(s->output_dir);
    hook_clear(&s->env_preparation);
    hook_clear(&s->env_cleanup);
    hook_clear(&s->on_complete);
    free(s->setup);
    free(s->run);
    for (size_t i = 0; i < s->nmatrix; i++) {
        free(s->matrix[i].name);
        strlist_clear(&s->matrix[i].values);
    }
    free(s->matrix);
    for (size_t i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].name);
        kvlist_clear(&s->tasks[i].args);
    }
    free(s->tasks);
    strlist_clear(&s->depends_on);
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
