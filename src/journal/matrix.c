/* matrix.c: a lazy matrix suite (expand.h's ts_lazy_matrix) in the journal.
 * Its axes are stored ONCE (task_matrix) instead of every task's name and
 * args packed in task_chunk_data: the task_chunks rows (state, untouched
 * count) are the same as for any fresh suite, but have no data row; a
 * reader that finds none asks jn_matrix_chunk, which decodes the chunk's
 * tasks from the axes into the packed format of chunks.c (the same mixed
 * radix decode as `tasksuite exec`: ts_lazy_task_pack). Separate from
 * chunks.c because it is the only journal code that knows the axes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "expand.h"
#include "journal.h"
#include "journal_int.h"
#include "jsonw.h"

/* The axes as stored: naxes NUL, then per axis: name NUL nvalues NUL and
 * each value NUL (values never hold a NUL: they are C strings). */
static int axes_pack(const ts_lazy_matrix *m, ts_strbuf *b)
{
    ts_strbuf_long(b, (long)m->naxes);
    ts_strbuf_putc(b, '\0');
    for (size_t a = 0; a < m->naxes; a++) {
        ts_strbuf_puts(b, m->axes[a].name);
        ts_strbuf_putc(b, '\0');
        ts_strbuf_long(b, (long)m->axes[a].n);
        ts_strbuf_putc(b, '\0');
        for (size_t i = 0; i < m->axes[a].n; i++) {
            ts_strbuf_puts(b, m->axes[a].values[i]);
            ts_strbuf_putc(b, '\0');
        }
    }
    return b->oom ? -1 : 0;
}

/* The next NUL-terminated field at *p (< end), or NULL if cut short. */
static const char *field(const char **p, const char *end)
{
    const char *f = *p, *z = f < end ? memchr(f, '\0', (size_t)(end - f)) : NULL;
    if (!z)
        return NULL;
    *p = z + 1;
    return f;
}

/* A count field: 1..TS_EXPAND_MAX_TASKS, else -1. */
static long count_field(const char **p, const char *end)
{
    const char *f = field(p, end);
    char *e;
    long v = f ? strtol(f, &e, 10) : -1;
    return f && *f && !*e && v > 0 && v <= TS_EXPAND_MAX_TASKS ? v : -1;
}

/* axes_pack's text back into m (owning copies; setup/run NULL): 0, -1 if
 * malformed or out of memory (m is then freed). */
static int axes_unpack(const char *p, const char *end, ts_lazy_matrix *m)
{
    long naxes = count_field(&p, end);
    memset(m, 0, sizeof *m);
    if (naxes < 0 || !(m->axes = calloc((size_t)naxes, sizeof *m->axes)))
        return -1;
    m->count = 1;
    for (; m->naxes < (size_t)naxes; m->naxes++) {
        ts_lazy_axis *x = &m->axes[m->naxes];
        const char *name = field(&p, end);
        long n = count_field(&p, end);
        if (!name || n < 0 || !(x->name = strdup(name))
            || !(x->values = calloc((size_t)n, sizeof *x->values))
            || m->count > TS_EXPAND_MAX_TASKS / (size_t)n) {
            m->naxes++;
            goto fail;
        }
        m->count *= (size_t)n;
        for (; x->n < (size_t)n; x->n++) {
            const char *v = field(&p, end);
            if (!v || !(x->values[x->n] = strdup(v))) {
                m->naxes++;
                goto fail;
            }
        }
    }
    if (p == end)
        return 0;
fail:
    ts_lazy_matrix_free(m);
    return -1;
}

int jn_matrix_insert(ts_journal *j, const char *suite_id, int suite_nodes,
                     const ts_lazy_matrix *m, double now, ts_err *err)
{
    ts_strbuf b = { 0 };
    sqlite3_stmt *s;
    int rc;

    if (axes_pack(m, &b) < 0) {
        free(b.p);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task matrix: out of memory");
    }
    if (!(s = jn_st(j, S_MATRIX_INSERT, err))) {
        free(b.p);
        return -1;
    }
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int(s, 2, suite_nodes);
    sqlite3_bind_blob(s, 3, b.p, (int)b.len, SQLITE_STATIC);
    rc = jn_run(j, s, S_MATRIX_INSERT, err);
    free(b.p);
    for (size_t first = 0; rc == 0 && first < m->count; first += JN_CHUNK_TASKS) {
        size_t count = m->count - first < JN_CHUNK_TASKS ? m->count - first : JN_CHUNK_TASKS;
        if (!(s = jn_st(j, S_CHUNK_INSERT, err)))
            return -1;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)first);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)count);
        sqlite3_bind_double(s, 4, now);
        rc = jn_run(j, s, S_CHUNK_INSERT, err);
    }
    return rc;
}

/* The suite's axes into j->matrix (read once per suite and journal: a
 * suite's matrix never changes). 1 loaded, 0 the suite has none. */
static int matrix_load(ts_journal *j, const char *suite_id, ts_err *err)
{
    sqlite3_stmt *s;
    ts_lazy_matrix m;
    const char *p;
    int rc, nodes;

    if (j->matrix.m && strcmp(j->matrix.suite_id, suite_id) == 0)
        return 1;
    if (!(s = jn_st(j, S_MATRIX_GET, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    if ((rc = jn_row(j, s, S_MATRIX_GET, err)) <= 0)
        return rc;
    nodes = sqlite3_column_int(s, 0);
    p = sqlite3_column_blob(s, 1);   /* NULL when empty: then no axes, corrupt */
    rc = p ? axes_unpack(p, p + sqlite3_column_bytes(s, 1), &m) : -1;
    sqlite3_reset(s);
    if (rc < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: the task matrix of suite %s "
                       "is corrupt (or out of memory)", suite_id);
    jn_matrix_forget(j);
    if (!(j->matrix.m = malloc(sizeof *j->matrix.m))) {
        ts_lazy_matrix_free(&m);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read task matrix: out of memory");
    }
    *j->matrix.m = m;
    if (!(j->matrix.packer = ts_lazy_packer_new(j->matrix.m))) {
        jn_matrix_forget(j);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read task matrix: out of memory");
    }
    snprintf(j->matrix.suite_id, sizeof j->matrix.suite_id, "%s", suite_id);
    /* what follows each task's name and args: priority 0, the suite's nodes */
    j->matrix.tail_len = (size_t)snprintf(j->matrix.tail, sizeof j->matrix.tail,
                                          "0%c%d", '\0', nodes) + 1;
    return 1;
}

void jn_matrix_forget(ts_journal *j)
{
    ts_lazy_packer_free(j->matrix.packer);
    j->matrix.packer = NULL;
    ts_lazy_matrix_free(j->matrix.m);
    free(j->matrix.m);
    j->matrix.m = NULL;
}

int jn_matrix_chunk(ts_journal *j, const char *suite_id, long first, long count,
                    ts_strbuf *out, ts_err *err)
{
    int rc = matrix_load(j, suite_id, err);
    if (rc <= 0)
        return rc;
    out->len = 0;
    if (first < 0 || count < 0)
        return jn_chunk_corrupt(suite_id, first, err);
    /* name NUL args NUL (the text ts_lazy_task_pack gives), then priority
     * NUL nodes NUL, task after task: the packed format of chunks.c */
    if (ts_lazy_packer_range(j->matrix.packer, (size_t)first, (size_t)count,
                             j->matrix.tail, j->matrix.tail_len, out, NULL) < 0)
        return out->oom ? ts_errc(err, TS_EXIT_JOURNAL, "journal: read task chunk: "
                                  "out of memory") : jn_chunk_corrupt(suite_id, first, err);
    return 1;
}
