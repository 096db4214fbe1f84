#include "config.h"

#include <limits.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jsonw.h"
#include "manifest.h"
#include "slurmopt.h"

/* ------------------------------------------------------------ files */

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The temporary name is PATH.tmp.PID, created with O_EXCL|O_NOFOLLOW: a
 * file or link already there (left by a crash, or planted) is never
 * written through; it is removed (unlink removes a link, not its target)
 * and the create tried once more. */
int ts_write_file_atomic(const char *path, const char *data, size_t len,
                         unsigned mode, ts_err *err)
{
    char tmp[4200];
    int fd = -1;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return ts_errf(err, "path too long: %.80s", path);
    for (int tries = 0; fd < 0 && tries < 2; tries++) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && (errno != EEXIST || tries > 0 || unlink(tmp) < 0))
            return ts_errf(err, "cannot create %s: %s", tmp, strerror(errno));
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0 || fchmod(fd, mode) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ts_errf(err, "cannot write %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return ts_errf(err, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return 0;
}

/* What the compute side runs comes from these files: refuse one that
 * someone other than the user could have written. fd is open on path. */
static int trusted_file(int fd, const char *what, const char *path, ts_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ts_errf(err, "cannot read %s %s: %s", what, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ts_errf(err, "%s %s is not a regular file", what, path);
    if (st.st_uid != geteuid())
        return ts_errf(err, "%s %s is owned by uid %ld, not by the job's user (uid %ld): "
                       "refusing to run what it says", what, path, (long)st.st_uid,
                       (long)geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return ts_errf(err, "%s %s is writable by %s (mode %04o): refusing to run what "
                       "it says", what, path,
                       !(st.st_mode & S_IWOTH) ? "its group"
                       : st.st_mode & S_IWGRP ? "its group and others" : "others",
                       (unsigned)(st.st_mode & 07777));
    return 0;
}

/* open(O_NOFOLLOW) + trusted_file; -1 with err. */
static int open_trusted(const char *what, const char *path, ts_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            return ts_errf(err, "%s %s is a symbolic link: refusing to run what it says",
                           what, path);
        return ts_errf(err, "cannot open %s %s: %s", what, path, strerror(errno));
    }
    if (trusted_file(fd, what, path, err) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static char *read_file(const char *what, const char *path, size_t max, ts_err *err)
{
    int fd = open_trusted(what, path, err);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        ts_errf(err, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        ts_errf(err, "cannot read %s", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------ JSON helpers */

static cJSON *kv_to_json(const ts_kvlist *l)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < l->n; i++)
        cJSON_AddStringToObject(o, l->v[i].key, l->v[i].value);
    return o;
}

static int kv_from_json(const cJSON *o, ts_kvlist *l)
{
    const cJSON *e;
    int n = cJSON_GetArraySize(o);
    memset(l, 0, sizeof *l);
    if (!cJSON_IsObject(o) || n == 0)
        return 0;
    l->v = calloc((size_t)n, sizeof *l->v);
    if (!l->v)
        return -1;
    cJSON_ArrayForEach(e, o) {
        if (!cJSON_IsString(e))
            continue;
        l->v[l->n].key = strdup(e->string);
        l->v[l->n].value = strdup(e->valuestring);
        l->n++;
        if (!l->v[l->n - 1].key || !l->v[l->n - 1].value)
            return -1;
    }
    return 0;
}

static void kv_free(ts_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static char *dup_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static long get_num(const cJSON *o, const char *key, long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

/* ------------------------------------------------------------ runspec */

/* The worker_schedule, for the pool agent (src/pool/agent.c). */
static cJSON *workers_to_json(const ts_worker_schedule *w)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", w->worker_count);
    cJSON_AddNumberToObject(o, "strategy", w->strategy);
    cJSON *cores = cJSON_AddArrayToObject(o, "cores");
    for (size_t i = 0; i < w->ncores; i++)
        cJSON_AddItemToArray(cores, cJSON_CreateNumber(w->cores[i]));
    cJSON_AddNumberToObject(o, "prefetch", w->task_prefetch_count);
    cJSON_AddNumberToObject(o, "suspend_after", w->suspend_after);
    return o;
}

/* -1: out of memory or a bad value (the runspec is ours: not expected). */
static int workers_from_json(const cJSON *o, ts_worker_schedule *w)
{
    memset(w, 0, sizeof *w);
    if (!cJSON_IsObject(o))
        return 0;
    w->worker_count = (int)get_num(o, "count", 0);
    long st = get_num(o, "strategy", TS_BIND_ROUND_ROBIN);
    w->task_prefetch_count = (int)get_num(o, "prefetch", w->worker_count);
    w->suspend_after = (int)get_num(o, "suspend_after", TS_SUSPEND_AFTER_DEFAULT);
    if (w->worker_count < 1 || st < TS_BIND_ROUND_ROBIN || st > TS_BIND_SHARED
        || w->task_prefetch_count < 0 || w->suspend_after < 0)
        return -1;
    w->strategy = (enum ts_bind_strategy)st;
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(o, "cores"), *c;
    int n = cJSON_GetArraySize(cores);
    if (n > 0) {
        if (!(w->cores = calloc((size_t)n, sizeof *w->cores)))
            return -1;
        cJSON_ArrayForEach(c, cores) {
            if (!cJSON_IsNumber(c) || c->valuedouble < 0)
                return -1;
            w->cores[w->ncores++] = (int)c->valuedouble;
        }
    }
    w->present = true;
    return 0;
}

static void secrets_path(const char *dir, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", dir, TS_SECRETS_FILE);
}

static int write_secrets(const char *dir, const ts_kvlist *secrets, ts_err *err)
{
    char path[PATH_MAX];
    if (!secrets->n)
        return 0;
    secrets_path(dir, path, sizeof path);
    cJSON *o = kv_to_json(secrets);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return ts_errf(err, "%s: out of memory", path);
    int rc = ts_write_file_atomic(path, text, strlen(text), 0400, err);
    explicit_bzero(text, strlen(text));
    free(text);
    return rc;
}

int ts_runspec_write(const char *path, const ts_suite *s, const char *id,
                     const char *dir, const char *workdir, ts_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "v", 1);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "dir", dir);
    if (s->path)
        cJSON_AddStringToObject(o, "file", s->path);
    if (workdir)
        cJSON_AddStringToObject(o, "workdir", workdir);
    cJSON_AddItemToObject(o, "envs", kv_to_json(&s->envs));
    cJSON_AddNumberToObject(o, "num_nodes", s->num_nodes);
    cJSON_AddNumberToObject(o, "gpus_per_node", s->resources.gpu_count);
    cJSON_AddNumberToObject(o, "warn_signal", s->resume.signal);
    cJSON_AddNumberToObject(o, "warn_lead_s", s->resume.signal_lead_s);
    cJSON_AddNumberToObject(o, "max_retries", s->resume.max_retries);
    cJSON_AddNumberToObject(o, "retry_on", s->resume.retry_on);
    /* What the job was submitted with, for exec's in-job resume (a fresh
     * one-element array queued from inside the job). */
    ts_kvlist opts = { 0 };
    ts_err ignored = { 0 };
    if (ts_slurm_options(s, &opts, &ignored) == 0)
        cJSON_AddItemToObject(o, "sbatch", kv_to_json(&opts));
    ts_kvlist_free(&opts);
    if (s->worker_schedule.present)
        cJSON_AddItemToObject(o, "workers", workers_to_json(&s->worker_schedule));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return ts_errf(err, "%s: out of memory", path);
    /* Secrets first, in a file of their own only the user can read: the
     * runspec is world-readable and its copies end up in reports. */
    int rc = write_secrets(dir, &s->secrets, err);
    if (rc == 0)
        rc = ts_write_file_atomic(path, text, strlen(text), 0444, err);
    free(text);
    return rc;
}

int ts_runspec_read(const char *path, ts_runspec *r, ts_err *err)
{
    memset(r, 0, sizeof *r);
    char *text = read_file("runspec", path, 1 << 20, err);
    if (!text)
        return -1;
    cJSON *o = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(o) || get_num(o, "v", 0) != 1) {
        cJSON_Delete(o);
        return ts_errf(err, "%s: not a tasksuite runspec", path);
    }
    r->id = dup_str(o, "id");
    r->name = dup_str(o, "name");
    r->dir = dup_str(o, "dir");
    r->file = dup_str(o, "file");
    r->workdir = dup_str(o, "workdir");
    int bad = kv_from_json(cJSON_GetObjectItemCaseSensitive(o, "envs"), &r->envs);
    r->has_sbatch = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "sbatch"));
    bad |= kv_from_json(cJSON_GetObjectItemCaseSensitive(o, "sbatch"), &r->sbatch);
    r->num_nodes = (int)get_num(o, "num_nodes", 1);
    r->gpus_per_node = (int)get_num(o, "gpus_per_node", 0);
    r->warn_signal = (int)get_num(o, "warn_signal", 0);
    r->warn_lead_s = (int)get_num(o, "warn_lead_s", 0);
    r->max_retries = (int)get_num(o, "max_retries", 0);
    r->retry_on = (unsigned)get_num(o, "retry_on", 0);
    bad |= workers_from_json(cJSON_GetObjectItemCaseSensitive(o, "workers"), &r->workers);
    cJSON_Delete(o);
    if (bad || !r->id || !r->name || !r->dir) {
        ts_runspec_free(r);
        return ts_errf(err, "%s: incomplete runspec", path);
    }
    char sp[PATH_MAX];
    secrets_path(r->dir, sp, sizeof sp);
    if (access(sp, F_OK) == 0) {
        char *st = read_file("secrets", sp, 1 << 20, err);
        cJSON *so = st ? cJSON_Parse(st) : NULL;
        if (st) {
            explicit_bzero(st, strlen(st));
            free(st);
        }
        int sbad = !so || kv_from_json(so, &r->secrets);
        cJSON_Delete(so);
        if (sbad) {
            ts_runspec_free(r);
            return err->msg[0] ? -1 : ts_errf(err, "%s: not a secrets file", sp);
        }
    }
    return 0;
}

void ts_runspec_free(ts_runspec *r)
{
    free(r->id);
    free(r->name);
    free(r->dir);
    free(r->file);
    free(r->workdir);
    kv_free(&r->envs);
    for (size_t i = 0; i < r->secrets.n; i++)
        if (r->secrets.v[i].value)
            explicit_bzero(r->secrets.v[i].value, strlen(r->secrets.v[i].value));
    kv_free(&r->secrets);
    kv_free(&r->sbatch);
    free(r->workers.cores);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ manifest */

/* One line per entry, written straight into the buffer (a cJSON tree per
 * line was most of the manifest's cost at 10,000 tasks); the same keys and
 * escapes, so ts_manifest_read (cJSON) reads it back unchanged. */
static void entry_line(ts_strbuf *b, const ts_manifest_entry *e)
{
    ts_strbuf_puts(b, "{\"idx\":");
    ts_strbuf_long(b, e->task_idx);
    ts_strbuf_puts(b, ",\"name\":");
    ts_strbuf_json_str(b, e->name);
    ts_strbuf_puts(b, ",\"attempt\":");
    ts_strbuf_long(b, e->attempt);
    if (e->setup) {
        ts_strbuf_puts(b, ",\"setup\":");
        ts_strbuf_json_str(b, e->setup);
    }
    ts_strbuf_puts(b, ",\"run\":");
    ts_strbuf_json_str(b, e->run ? e->run : "");
    ts_strbuf_puts(b, ",\"env\":");
    ts_strbuf_json_kv(b, &e->env);
    ts_strbuf_puts(b, "}\n");
}

int ts_manifest_write(const char *path, const ts_manifest_entry *v, size_t n,
                      ts_err *err)
{
    ts_strbuf b = { 0 };
    for (size_t i = 0; i < n && !b.oom; i++) {
        if (!v[i].name) {
            free(b.p);
            return ts_errf(err, "%s: cannot encode task %ld", path, v[i].task_idx);
        }
        entry_line(&b, &v[i]);
    }
    if (b.oom) {
        free(b.p);
        return ts_errf(err, "%s: out of memory", path);
    }
    int rc = ts_write_file_atomic(path, b.p ? b.p : "", b.len, 0444, err);
    free(b.p);
    return rc;
}

/* {"lazy":1,"count":N,"setup":S,"run":R,"axes":[{"name":A,"values":[..]}]}
 * on one line: "lazy" is its first key, so a reader tells the forms apart
 * from the first bytes. */
int ts_manifest_write_lazy(const char *path, const ts_lazy_matrix *m, ts_err *err)
{
    ts_strbuf b = { 0 };
    ts_strbuf_puts(&b, "{\"lazy\":1,\"count\":");
    ts_strbuf_long(&b, (long)m->count);
    if (m->setup) {
        ts_strbuf_puts(&b, ",\"setup\":");
        ts_strbuf_json_str(&b, m->setup);
    }
    ts_strbuf_puts(&b, ",\"run\":");
    ts_strbuf_json_str(&b, m->run ? m->run : "");
    ts_strbuf_puts(&b, ",\"axes\":[");
    for (size_t a = 0; a < m->naxes; a++) {
        ts_strbuf_puts(&b, a ? ",{\"name\":" : "{\"name\":");
        ts_strbuf_json_str(&b, m->axes[a].name);
        ts_strbuf_puts(&b, ",\"values\":[");
        for (size_t i = 0; i < m->axes[a].n; i++) {
            if (i)
                ts_strbuf_putc(&b, ',');
            ts_strbuf_json_str(&b, m->axes[a].values[i]);
        }
        ts_strbuf_puts(&b, "]}");
    }
    ts_strbuf_puts(&b, "]}\n");
    if (b.oom) {
        free(b.p);
        return ts_errf(err, "%s: out of memory", path);
    }
    int rc = ts_write_file_atomic(path, b.p, b.len, 0444, err);
    free(b.p);
    return rc;
}

#define LAZY_PREFIX "{\"lazy\":"

/* The axes of a lazy manifest's line; -1 if it is not a well-formed one. */
static int lazy_from_json(const cJSON *o, ts_lazy_matrix *m)
{
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(o, "axes"), *ax;
    size_t count = 1;
    memset(m, 0, sizeof *m);
    int n = cJSON_GetArraySize(axes);
    if (!cJSON_IsArray(axes) || n <= 0 || !(m->axes = calloc((size_t)n, sizeof *m->axes)))
        return -1;
    cJSON_ArrayForEach(ax, axes) {
        ts_lazy_axis *x = &m->axes[m->naxes++];
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(ax, "values"), *v;
        int nv = cJSON_GetArraySize(vals);
        if (!(x->name = dup_str(ax, "name")) || !cJSON_IsArray(vals) || nv <= 0
            || !(x->values = calloc((size_t)nv, sizeof *x->values)))
            return -1;
        cJSON_ArrayForEach(v, vals) {
            if (!cJSON_IsString(v) || !(x->values[x->n] = strdup(v->valuestring)))
                return -1;
            x->n++;
        }
        if (x->n == 0 || count > SIZE_MAX / x->n)
            return -1;
        count *= x->n;
    }
    m->count = count;
    m->setup = dup_str(o, "setup");
    m->run = dup_str(o, "run");
    return m->run && get_num(o, "count", -1) == (long)count ? 0 : -1;
}

/* Entry `position` of a lazy manifest's line: task `position`, attempt 1. */
static int lazy_entry(const char *path, const char *line, long position,
                      ts_manifest_entry *e, ts_err *err)
{
    ts_lazy_matrix m = { 0 };
    ts_task t;
    cJSON *o = cJSON_Parse(line);
    int bad = !cJSON_IsObject(o) || lazy_from_json(o, &m) < 0;
    cJSON_Delete(o);
    if (bad) {
        ts_lazy_matrix_free(&m);
        return ts_errf(err, "manifest %s: not a task matrix", path);
    }
    if (position < 0 || (size_t)position >= m.count) {
        size_t count = m.count;
        ts_lazy_matrix_free(&m);
        return ts_errf(err, "manifest %s has no task %ld (it holds %zu)", path,
                       position, count);
    }
    int rc = ts_lazy_task(&m, (size_t)position, &t);
    ts_lazy_matrix_free(&m);
    if (rc < 0)
        return ts_errf(err, "manifest %s: out of memory", path);
    *e = (ts_manifest_entry){ .task_idx = position, .name = t.name, .attempt = 1,
                              .setup = t.setup, .run = t.run, .env = t.env };
    t.name = t.setup = t.run = NULL;
    t.env = (ts_kvlist){ 0 };
    ts_task_free(&t);
    return 0;
}

/* The line at `position`, found with memchr over a read-only mapping: the
 * last element of a 100,000-task array should not pay for reading every
 * line before its own through stdio. */
static char *manifest_line(const char *path, long position, int *lazy, ts_err *err)
{
    int fd = open_trusted("manifest", path, err);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || st.st_size == 0) {
        close(fd);
        ts_errf(err, "manifest %s has no line %ld", path, position);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    const char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        ts_errf(err, "cannot read manifest %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *p = map, *endp = map + size;
    if (size > sizeof LAZY_PREFIX && memcmp(map, LAZY_PREFIX, sizeof LAZY_PREFIX - 1) == 0) {
        *lazy = 1;
        position = 0;   /* the whole file is its one line */
    }
    for (long i = 0; i < position && p < endp; i++) {
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        p = nl ? nl + 1 : endp;
    }
    char *line = NULL;
    if (p < endp) {
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        size_t len = (size_t)((nl ? nl : endp) - p);
        if ((line = malloc(len + 1))) {
            memcpy(line, p, len);
            line[len] = '\0';
        }
    }
    munmap((void *)map, size);
    if (!line)
        ts_errf(err, "manifest %s has no line %ld", path, position);
    return line;
}

/* Parse one line (freed here) into e: the lazy form's task `position`, or
 * a JSON entry. */
static int parse_line(const char *path, char *line, int lazy, long position,
                      ts_manifest_entry *e, ts_err *err)
{
    if (lazy) {
        int rc = lazy_entry(path, line, position, e, err);
        free(line);
        return rc;
    }
    cJSON *o = cJSON_Parse(line);
    free(line);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ts_errf(err, "manifest %s: line %ld is not a task", path, position);
    }
    e->task_idx = get_num(o, "idx", -1);
    e->attempt = (int)get_num(o, "attempt", 1);
    e->name = dup_str(o, "name");
    e->setup = dup_str(o, "setup");
    e->run = dup_str(o, "run");
    int bad = kv_from_json(cJSON_GetObjectItemCaseSensitive(o, "env"), &e->env);
    cJSON_Delete(o);
    if (bad || e->task_idx < 0 || !e->name || !e->run) {
        ts_manifest_entry_free(e);
        return ts_errf(err, "manifest %s: line %ld is incomplete", path, position);
    }
    return 0;
}

int ts_manifest_read(const char *path, long position, ts_manifest_entry *e,
                     ts_err *err)
{
    int lazy = 0;
    memset(e, 0, sizeof *e);
    char *line = manifest_line(path, position, &lazy, err);
    if (!line)
        return -1;
    return parse_line(path, line, lazy, position, e, err);
}

/* ------------------------------------------------------------ the index */

void ts_manifest_index_close(ts_manifest_index *ix)
{
    if (ix->map)
        munmap((void *)ix->map, ix->size);
    free(ix->off);
    memset(ix, 0, sizeof *ix);
}

int ts_manifest_index_open(const char *path, ts_manifest_index *ix, ts_err *err)
{
    struct stat st;
    ts_manifest_index_close(ix);
    int fd = open_trusted("manifest", path, err);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || st.st_size == 0) {
        close(fd);
        return ts_errf(err, "manifest %s is empty", path);
    }
    ix->size = (size_t)st.st_size;
    ix->dev = st.st_dev;
    ix->ino = st.st_ino;
    ix->map = mmap(NULL, ix->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (ix->map == MAP_FAILED) {
        ix->map = NULL;
        return ts_errf(err, "cannot read manifest %s: %s", path, strerror(errno));
    }
    const char *p = ix->map, *endp = ix->map + ix->size;
    ix->lazy = ix->size > sizeof LAZY_PREFIX
               && memcmp(ix->map, LAZY_PREFIX, sizeof LAZY_PREFIX - 1) == 0;
    size_t cap = 0;
    while (p < endp && !(ix->lazy && ix->n == 1)) {
        if ((size_t)ix->n == cap) {
            cap = cap ? cap * 2 : 1024;
            size_t *o = realloc(ix->off, (cap + 1) * sizeof *o);
            if (!o) {
                ts_manifest_index_close(ix);
                return ts_errf(err, "out of memory");
            }
            ix->off = o;
        }
        ix->off[ix->n++] = (size_t)(p - ix->map);
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        p = nl ? nl + 1 : endp;
    }
    return 0;
}

bool ts_manifest_index_stale(const ts_manifest_index *ix, const char *path, long position)
{
    struct stat st;
    if (!ix->map || (!ix->lazy && position >= ix->n))
        return true;
    return stat(path, &st) < 0 || st.st_dev != ix->dev || st.st_ino != ix->ino
           || (size_t)st.st_size != ix->size;
}

int ts_manifest_index_entry(const ts_manifest_index *ix, const char *path, long position,
                            ts_manifest_entry *e, ts_err *err)
{
    memset(e, 0, sizeof *e);
    long line_no = ix->lazy ? 0 : position;
    if (position < 0 || line_no >= ix->n)
        return ts_errf(err, "manifest %s has no line %ld", path, position);
    const char *p = ix->map + ix->off[line_no], *endp = ix->map + ix->size;
    const char *nl = memchr(p, '\n', (size_t)(endp - p));
    size_t len = (size_t)((nl ? nl : endp) - p);
    char *line = malloc(len + 1);
    if (!line)
        return ts_errf(err, "out of memory");
    memcpy(line, p, len);
    line[len] = '\0';
    return parse_line(path, line, ix->lazy, position, e, err);
}

void ts_manifest_entry_free(ts_manifest_entry *e)
{
    free(e->name);
    free(e->setup);
    free(e->run);
    kv_free(&e->env);
    memset(e, 0, sizeof *e);
}
