/* spec_placeholders.c: does every task a suite expands to have a value
 * for each %(name) that run: and setup: use? Checked once the matrix: and
 * tasks: are read, so the error points at the first bad placeholder.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spec_internal.h"

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

/* ------------------------------------------------------------ placeholders */

static bool has_arg(const ts_task_entry *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->args.n; i++)
        if (strlen(t->args.v[i].key) == len
            && memcmp(t->args.v[i].key, name, len) == 0)
            return true;
    return false;
}

/* The axis or task argument `name` may have meant: the same but for case
 * (%(LR) for lr), or one or two letters off. NULL when none is close. */
static const char *nearest_name(const ts_suite *s, const char *name)
{
    const char *best = NULL;
    size_t best_d = strlen(name) < 4 ? 2 : 3;
    for (size_t i = 0; i < s->nmatrix + s->ntasks; i++) {
        const ts_kvlist *args = i < s->nmatrix ? NULL : &s->tasks[i - s->nmatrix].args;
        for (size_t k = 0; k < (args ? args->n : 1); k++) {
            const char *cand = args ? args->v[k].key : s->matrix[i].name;
            size_t d = strcasecmp(cand, name) == 0 ? 0
                                                   : spec_edit_distance(cand, name);
            if (d < best_d) {
                best_d = d;
                best = cand;
            }
        }
    }
    return best;
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
    spec_escape(nm, sizeof nm, tmp, NAME_MAX_LEN, false);
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
        const char *near;
        if (s->nmatrix == 0 && s->ntasks == 0)
            return spec_fail_at(c, at, what, "%%(%s) has no value: there is no "
                                "matrix: or tasks: to give it one", nm);
        if ((near = nearest_name(s, tmp)) != NULL)
            return spec_fail_at(c, at, what, "%%(%s) is not a matrix axis or a "
                                "task argument (did you mean %%(%s)? names "
                                "match exactly, case included)", nm, near);
        return spec_fail_at(c, at, what, "%%(%s) is not a matrix axis or a task "
                            "argument", nm);
    }
    if (s->nmatrix > 0 && !axis)
        return spec_fail_at(c, at, what, "%%(%s) is not a matrix axis, so the "
                            "matrix tasks have no value for it", nm);
    if (missing < s->ntasks) {
        char tp[PATH_LEN];

        spec_path_idx(tp, "tasks", missing);
        return spec_fail_at(c, s->tasks[missing].pos, tp, "has no argument %s, "
                            "which %s uses as %%(%s)", nm, what, nm);
    }
    return 0;
}

/* Check each distinct %(name) of `text` once, in text order, so the error
 * is about the first bad one. */
int spec_check_placeholders(pctx *c, const char *text, ts_pos at,
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
            return spec_fail_at(c, at, what, "uses more than %d different "
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
