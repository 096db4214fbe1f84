/* chunks.c: task_chunks, a fresh suite's tasks without a row each: packed
 * JN_CHUNK_TASKS to a task_chunk_data row at submit (a row per task was most
 * of the submit's CPU), with the duplicate-name check no UNIQUE index does
 * for them, and jn_task_row, which gives a task its row the first time
 * anything changes it. Walking the tasks still packed is untouched.c. A
 * lazy matrix suite's chunks have no data row: they are decoded from its
 * axes (matrix.c) wherever a chunk is read here. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "jsonw.h"

/* Names seen, for the duplicate check of a fresh suite (no UNIQUE index
 * does it for tasks without a row). Open addressing; names not copied. */
struct nameset {
    const char **v;
    size_t mask;
};

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037ull & SIZE_MAX;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (1099511628211ull & SIZE_MAX);
    return h;
}

static int nameset_init(struct nameset *h, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    h->mask = cap - 1;
    h->v = calloc(cap, sizeof *h->v);
    return h->v ? 0 : -1;
}

/* Adds name; false if it was there already. */
static bool nameset_add(struct nameset *h, const char *name)
{
    size_t i = name_hash(name) & h->mask;
    for (; h->v[i]; i = (i + 1) & h->mask)
        if (strcmp(h->v[i], name) == 0)
            return false;
    h->v[i] = name;
    return true;
}

/* The stored name equal to name, or NULL. */
static const char *nameset_find(const struct nameset *h, const char *name)
{
    for (size_t i = name_hash(name) & h->mask; h->v[i]; i = (i + 1) & h->mask)
        if (strcmp(h->v[i], name) == 0)
            return h->v[i];
    return NULL;
}

/* One task in a chunk: name NUL args_json NUL priority NUL nodes NUL. */
static void pack_task(ts_strbuf *b, const ts_task_new *t, int suite_nodes)
{
    ts_strbuf_puts(b, t->name);
    ts_strbuf_putc(b, '\0');
    ts_strbuf_puts(b, t->args_json ? t->args_json : "{}");
    ts_strbuf_putc(b, '\0');
    ts_strbuf_long(b, t->priority);
    ts_strbuf_putc(b, '\0');
    ts_strbuf_long(b, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
    ts_strbuf_putc(b, '\0');
}

/* Decode the task at *p (< end) and move *p past it; -1 if cut short. */
int jn_unpack_task(const char **p, const char *end, struct packed *t)
{
    const char *f[4];
    for (int k = 0; k < 4; k++) {
        const char *z = *p < end ? memchr(*p, '\0', (size_t)(end - *p)) : NULL;
        if (!z)
            return -1;
        f[k] = *p;
        *p = z + 1;
    }
    t->name = f[0];
    t->args_json = f[1];
    t->priority = (int)strtol(f[2], NULL, 10);
    t->num_nodes = (int)strtol(f[3], NULL, 10);
    return 0;
}

int jn_chunk_corrupt(const char *suite_id, long first, ts_err *err)
{
    return ts_errc(err, TS_EXIT_JOURNAL, "journal: task chunk %ld of suite %s is "
                   "corrupt", first, suite_id);
}

/* Tasks 0.. of a fresh suite, packed by JN_CHUNK_TASKS (inside a tx). */
static int insert_task_chunks(ts_journal *j, const char *suite_id, int suite_nodes,
                              const ts_task_new *tasks, size_t n, double now,
                              ts_err *err)
{
    ts_strbuf b = { 0 };
    sqlite3_stmt *s;
    int ret = 0;

    for (size_t first = 0; ret == 0 && first < n; first += JN_CHUNK_TASKS) {
        size_t count = n - first < JN_CHUNK_TASKS ? n - first : JN_CHUNK_TASKS;
        b.len = 0;
        for (size_t i = first; i < first + count; i++)
            pack_task(&b, &tasks[i], suite_nodes);
        if (b.oom) {
            ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
            break;
        }
        if (!(s = jn_st(j, S_CHUNK_INSERT, err))) {
            ret = -1;
            break;
        }
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)first);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)count);
        sqlite3_bind_double(s, 4, now);
        if (jn_run(j, s, S_CHUNK_INSERT, err) < 0 || !(s = jn_st(j, S_CHUNK_DATA_INSERT, err))) {
            ret = -1;
            break;
        }
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)first);
        sqlite3_bind_blob(s, 3, b.p, (int)b.len, SQLITE_STATIC);
        ret = jn_run(j, s, S_CHUNK_DATA_INSERT, err);
    }
    free(b.p);
    return ret;
}

/* The first task named twice (in order), or NULL; -1 out of memory. */
static int first_duplicate(const ts_task_new *tasks, size_t n, const char **dup)
{
    struct nameset h;
    *dup = NULL;
    if (nameset_init(&h, n) < 0)
        return -1;
    for (size_t i = 0; i < n && !*dup; i++)
        if (!nameset_add(&h, tasks[i].name))
            *dup = tasks[i].name;
    free(h.v);
    return 0;
}

/* Calls cb for each packed task of the suite's chunks (rows or not), in
 * index order, until it returns non-zero. */
typedef int (*packed_cb)(long idx, const struct packed *t, void *arg);

static int chunks_foreach(ts_journal *j, const char *suite_id, packed_cb cb,
                          void *arg, ts_err *err)
{
    sqlite3_stmt *s = NULL;
    ts_strbuf decoded = { 0 };
    int rc, ret = 0;

    if (sqlite3_prepare_v2(j->db, "SELECT c.first_idx, c.count, d.data FROM task_chunks c"
                           " LEFT JOIN task_chunk_data d ON d.suite_id = c.suite_id"
                           " AND d.first_idx = c.first_idx"
                           " WHERE c.suite_id = ?1 ORDER BY c.first_idx", -1, &s, NULL)
        != SQLITE_OK)
        return jn_dberr(j, "read task chunks", err);
    jn_bind_text(s, 1, suite_id);
    while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        long first = (long)sqlite3_column_int64(s, 0), idx = first;
        const char *p = sqlite3_column_blob(s, 2);
        /* a NULL blob (a lazy matrix's chunk) has no end: no offset on NULL */
        const char *end = p ? p + sqlite3_column_bytes(s, 2) : NULL;
        struct packed t = { 0 };
        if (sqlite3_column_type(s, 2) == SQLITE_NULL) {     /* a lazy matrix's */
            ret = jn_matrix_chunk(j, suite_id, first, (long)sqlite3_column_int64(s, 1),
                                  &decoded, err);
            if (ret <= 0) {
                ret = ret < 0 ? -1 : jn_chunk_corrupt(suite_id, first, err);
                break;
            }
            ret = 0;
            p = decoded.p;
            end = p + decoded.len;
        }
        for (; ret == 0 && p < end; idx++) {
            if (jn_unpack_task(&p, end, &t) < 0)
                ret = jn_chunk_corrupt(suite_id, first, err);
            else
                ret = cb(idx, &t, arg);
        }
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = jn_dberr(j, "read task chunks", err);
    sqlite3_finalize(s);
    free(decoded.p);
    return ret;
}

struct name_hit {
    const struct nameset *names;
    const char *found;      /* the name that clashes (points into the set) */
};

static int clash_cb(long idx, const struct packed *t, void *arg)
{
    struct name_hit *h = arg;
    (void)idx;
    h->found = nameset_find(h->names, t->name);
    return h->found != NULL;
}

/* Names added to a suite must not be those of its packed tasks. */
int jn_check_chunk_names(ts_journal *j, const char *suite_id,
                         const ts_task_new *tasks, size_t n, ts_err *err)
{
    struct nameset h;
    struct name_hit hit = { .names = &h };
    int rc;

    if (nameset_init(&h, n) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
    for (size_t i = 0; i < n; i++)
        if (tasks[i].name)      /* a missing name is insert_tasks' to report */
            nameset_add(&h, tasks[i].name);
    rc = chunks_foreach(j, suite_id, clash_cb, &hit, err);
    if (rc > 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate task name "
                     "\"%s\" in suite %s", hit.found, suite_id);
    free(h.v);
    return rc < 0 ? -1 : 0;
}

/* A fresh suite's tasks, packed in chunks (no row each): names checked
 * here, as no UNIQUE index sees them. */
int jn_insert_packed(ts_journal *j, const char *suite_id, int suite_nodes,
                     const ts_task_new *tasks, size_t n, double now, ts_err *err)
{
    const char *dup;

    if (first_duplicate(tasks, n, &dup) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: insert task: out of memory");
    if (dup)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate task name "
                       "\"%s\" in suite %s", dup, suite_id);
    return insert_task_chunks(j, suite_id, suite_nodes, tasks, n, now, err);
}

/* Chunk (suite_id, first)'s packed tasks, malloc'd into *data (*len):
 * its data row, or decoded from the suite's axes if it has none. */
static int chunk_bytes(ts_journal *j, const char *suite_id, long first, long count,
                       char **data, size_t *len, ts_err *err)
{
    sqlite3_stmt *s;
    ts_strbuf b = { 0 };
    int rc;

    if (!(s = jn_st(j, S_CHUNK_DATA, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, first);
    if ((rc = jn_row(j, s, S_CHUNK_DATA, err)) < 0)
        return -1;
    if (rc == 0) {
        if ((rc = jn_matrix_chunk(j, suite_id, first, count, &b, err)) <= 0) {
            free(b.p);
            return rc < 0 ? -1 : jn_chunk_corrupt(suite_id, first, err);
        }
        *data = b.p;
        *len = b.len;
        return 0;
    }
    *len = (size_t)sqlite3_column_bytes(s, 0);
    if ((*data = malloc(*len ? *len : 1)) && *len)
        memcpy(*data, sqlite3_column_blob(s, 0), *len);
    sqlite3_reset(s);
    if (!*data)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read task chunk: out of memory");
    return 0;
}

/* Copy chunk (suite_id, first) of count tasks into j->chunk with the
 * offset of each task, unless it is there already. */
static int chunk_load(ts_journal *j, const char *suite_id, long first, long count,
                      ts_err *err)
{
    const char *p, *end;
    struct packed t;
    size_t len = 0, *off;
    char *data = NULL;

    if (j->chunk.data && j->chunk.first == first && j->chunk.count == count
        && strcmp(j->chunk.suite_id, suite_id) == 0)
        return 0;
    if (chunk_bytes(j, suite_id, first, count, &data, &len, err) < 0)
        return -1;
    off = malloc(((size_t)count + 1) * sizeof *off);
    if (!off) {
        free(data);
        free(off);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: read task chunk: out of memory");
    }
    p = data;
    end = data + len;
    for (long i = 0; i <= count; i++) {
        off[i] = (size_t)(p - data);
        if (i < count && jn_unpack_task(&p, end, &t) < 0) {
            free(data);
            free(off);
            return jn_chunk_corrupt(suite_id, first, err);
        }
    }
    free(j->chunk.data);
    free(j->chunk.off);
    snprintf(j->chunk.suite_id, sizeof j->chunk.suite_id, "%s", suite_id);
    j->chunk.first = first;
    j->chunk.count = count;
    j->chunk.data = data;
    j->chunk.off = off;
    return 0;
}

/* Insert task idx's row from its chunk (loaded), with the chunk's state
 * and time. */
static int insert_from_chunk(ts_journal *j, const char *suite_id, long idx,
                             const char *state, double updated_at, ts_err *err)
{
    long i = idx - j->chunk.first;
    const char *p = j->chunk.data + j->chunk.off[i];
    struct packed t;
    sqlite3_stmt *s;

    if (jn_unpack_task(&p, j->chunk.data + j->chunk.off[i + 1], &t) < 0)
        return jn_chunk_corrupt(suite_id, j->chunk.first, err);
    if (!(s = jn_st(j, S_TASK_INSERT_AS, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_text(s, 3, t.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, t.args_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, t.priority);
    sqlite3_bind_int(s, 6, t.num_nodes);
    jn_bind_text(s, 7, state);
    sqlite3_bind_double(s, 8, updated_at);
    return jn_run(j, s, S_TASK_INSERT_AS, err);
}

/* Give task idx its row if it is still packed in a chunk (inside a tx):
 * everything that changes a task (or adds rows that refer to it) calls
 * this first. 1: the row exists now, 0: no such task. */
int jn_task_row(ts_journal *j, const char *suite_id, long idx, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_TASK_EXISTS, err), *c;
    char state[16];
    long first, count;
    double updated_at;
    int rc;

    if (!s)
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    if ((rc = jn_row(j, s, S_TASK_EXISTS, err)) != 0) {
        sqlite3_reset(s);
        return rc;
    }
    if (!(c = jn_st(j, S_CHUNK_OF, err)))
        return -1;
    jn_bind_text(c, 1, suite_id);
    sqlite3_bind_int64(c, 2, idx);
    if ((rc = jn_row(j, c, S_CHUNK_OF, err)) <= 0)
        return rc;
    first = (long)sqlite3_column_int64(c, 0);
    count = (long)sqlite3_column_int64(c, 1);
    snprintf(state, sizeof state, "%s", jn_col_text(c, 2) ? jn_col_text(c, 2) : "pending");
    updated_at = sqlite3_column_double(c, 3);
    sqlite3_reset(c);
    if (idx >= first + count)
        return 0;
    if (chunk_load(j, suite_id, first, count, err) < 0
        || insert_from_chunk(j, suite_id, idx, state, updated_at, err) < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        enum stmt_id id = k ? S_CHUNK_DROP : S_CHUNK_TOUCH;
        if (!(s = jn_st(j, id, err)))
            return -1;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, first);
        if (jn_run(j, s, id, err) < 0)
            return -1;
    }
    return 1;
}

struct find_name {
    const char *name;
    long idx;
};

static int find_cb(long idx, const struct packed *t, void *arg)
{
    struct find_name *f = arg;
    if (!f->name || strcmp(t->name, f->name) != 0)
        return 0;
    f->idx = idx;
    return 1;
}

/* A task without a row yet, by name: 2 found (*idx), 0 not. A task that has
 * its row is found by S_TASK_FIND first, so no row needs checking here. */
int jn_find_packed(ts_journal *j, const char *suite_id, const char *name,
                   long *idx, ts_err *err)
{
    struct find_name f = { .name = name, .idx = -1 };
    int rc = chunks_foreach(j, suite_id, find_cb, &f, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 0;
    *idx = f.idx;
    return 2;
}
