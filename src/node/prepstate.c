/* prepstate.c: the per-node, per-job preparation record (prepstate.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "prepstate.h"
#include "spec_json.h"

#define LOCK_POLL_MS 20
/* A record embeds a hook spec (at most TS_HOOKSPEC_MAX bytes, up to 6x that
 * once JSON-escaped) and a node list. */
#define RECORD_MAX ((size_t)512 * 1024)

static const char *const state_names[] = {
    [TS_PREP_RUNNING] = "running",
    [TS_PREP_OK] = "ok",
    [TS_PREP_FAILED] = "failed",
    [TS_PREP_NOHOOK] = "nohook",
};

const char *ts_prep_state_name(ts_prep_state s)
{
    if ((int)s >= TS_PREP_RUNNING && (int)s <= TS_PREP_NOHOOK)
        return state_names[s];
    return "unknown";
}

int ts_prepstate_dir(const char *dir, ts_err *err)
{
    if (!dir || dir[0] != '/')
        return ts_errf(err, "state_dir %s: not an absolute path", dir ? dir : "(null)");
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return ts_errf(err, "state_dir %s: cannot create it: %s", dir, strerror(errno));
    return ts_prepstate_dir_check(dir, err);
}

int ts_prepstate_dir_check(const char *dir, ts_err *err)
{
    struct stat st;
    errno = EPERM;
    if (!dir || dir[0] != '/')
        return ts_errf(err, "state_dir %s: not an absolute path", dir ? dir : "(null)");
    if (lstat(dir, &st) < 0) {
        int e = errno;
        ts_errf(err, "state_dir %s: %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    errno = EPERM;
    if (!S_ISDIR(st.st_mode))
        return ts_errf(err, "state_dir %s: not a directory (a symlink or file is refused)", dir);
    if (st.st_uid != geteuid())
        return ts_errf(err, "state_dir %s: owned by uid %ld, not by uid %ld (refused)", dir,
                       (long)st.st_uid, (long)geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return ts_errf(err, "state_dir %s: mode %04o is writable by others (refused; use 0700)",
                       dir, (unsigned)(st.st_mode & 07777));
    return 0;
}

int ts_prepstate_path(const char *dir, uint32_t job_id, const char *node, char *buf,
                      size_t len, ts_err *err)
{
    char name[256];
    size_t o = 0;
    for (const char *p = node && *node ? node : "node"; *p && o + 1 < sizeof name; p++)
        name[o++] = (*p == '/' || (p == node && *p == '.')) ? '_' : *p;
    name[o] = '\0';
    int n = snprintf(buf, len, "%s/%lu.%s.prep", dir, (unsigned long)job_id, name);
    if (n < 0 || (size_t)n >= len)
        return ts_errf(err, "state_dir %s: path too long", dir);
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lock_wait(int fd, bool exclusive, long wait_ms)
{
    int op = exclusive ? LOCK_EX : LOCK_SH;
    if (wait_ms < 0) {
        while (flock(fd, op) < 0)
            if (errno != EINTR)
                return -1;
        return 0;
    }
    long deadline = now_ms() + wait_ms;
    for (;;) {
        if (flock(fd, op | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (now_ms() >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct timespec ts = { 0, LOCK_POLL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

int ts_prepstate_open_locked(const char *dir, uint32_t job_id, const char *node, bool create,
                             bool exclusive, long wait_ms, ts_err *err)
{
    char path[PATH_MAX];
    if (ts_prepstate_path(dir, job_id, node, path, sizeof path, err) < 0)
        return -1;
    /* The record may be removed (epilog) between open and lock: then the
     * lock is on a dead inode; open again (create) or report it missing. */
    for (int attempt = 0; attempt < 5; attempt++) {
        int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY
                    | (create ? O_RDWR | O_CREAT : (exclusive ? O_RDWR : O_RDONLY));
        int fd = open(path, flags, 0600);
        if (fd < 0) {
            int e = errno;
            ts_errf(err, "%s: %s", path, strerror(e));
            errno = e;
            return -1;
        }
        if (lock_wait(fd, exclusive, wait_ms) < 0) {
            int e = errno;
            ts_errf(err, "%s: %s", path,
                    e == ETIMEDOUT ? "timed out waiting for the lock" : strerror(e));
            close(fd);
            errno = e;
            return -1;
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_nlink > 0)
            return fd;
        close(fd);
        if (!create) {
            ts_errf(err, "%s: removed", path);
            errno = ENOENT;
            return -1;
        }
    }
    ts_errf(err, "%s: removed again and again while locking it", path);
    errno = EAGAIN;
    return -1;
}

/* [[resource, "cur", "max"], ...]: a double holds neither every rlim_t
 * exactly nor RLIM_INFINITY, so the values are decimal strings, "unlimited"
 * for RLIM_INFINITY. */
static cJSON *limit_value(unsigned long long v)
{
    char buf[32];
    if (v == RLIM_INFINITY)
        return cJSON_CreateString("unlimited");
    snprintf(buf, sizeof buf, "%llu", v);
    return cJSON_CreateString(buf);
}

static bool add_limits(cJSON *o, const ts_prepstamp *st)
{
    cJSON *a = cJSON_AddArrayToObject(o, "limits");
    if (!a)
        return false;
    for (int i = 0; i < st->n_limits && i < TS_PREP_MAX_LIMITS; i++) {
        const ts_prep_limit *l = &st->limits[i];
        cJSON *t = cJSON_CreateArray();
        if (!t || !cJSON_AddItemToArray(a, t))
            return false;
        cJSON *r = cJSON_CreateNumber(l->resource), *c = limit_value(l->cur),
              *m = limit_value(l->max);
        bool good = r && c && m;
        if (!good) {
            cJSON_Delete(r);
            cJSON_Delete(c);
            cJSON_Delete(m);
            return false;
        }
        cJSON_AddItemToArray(t, r);
        cJSON_AddItemToArray(t, c);
        cJSON_AddItemToArray(t, m);
    }
    return true;
}

int ts_prepstate_write(int fd, const ts_prepstamp *st, ts_err *err)
{
    char mem[32];
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (o
        && cJSON_AddStringToObject(o, "state", ts_prep_state_name(st->state))
        && cJSON_AddNumberToObject(o, "uid", (double)st->uid)
        && cJSON_AddNumberToObject(o, "restart", (double)st->restart)
        && cJSON_AddNumberToObject(o, "started", (double)st->started)
        && cJSON_AddNumberToObject(o, "finished", (double)st->finished)
        && cJSON_AddNumberToObject(o, "pid", (double)st->pid)
        && cJSON_AddStringToObject(o, "log", st->log)
        && cJSON_AddStringToObject(o, "message", st->message)
        && (!st->spec || cJSON_AddStringToObject(o, "spec", st->spec))
        && (!st->nodelist || cJSON_AddStringToObject(o, "nodelist", st->nodelist))
        && cJSON_AddStringToObject(o, "num_nodes", st->num_nodes)
        && cJSON_AddStringToObject(o, "work_dir", st->work_dir)
        && cJSON_AddStringToObject(o, "slurm_conf", st->slurm_conf)
        && cJSON_AddStringToObject(o, "mem_parent", st->mem_parent)
        && (snprintf(mem, sizeof mem, "%llu", st->mem_limit) > 0)
        && cJSON_AddStringToObject(o, "mem_limit", mem)
        && add_limits(o, st))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return ts_errf(err, "preparation record: out of memory");
    size_t len = strlen(text);
    if (ftruncate(fd, 0) < 0) {
        ts_errf(err, "preparation record: truncate: %s", strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(fd, text + off, len - off, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ts_errf(err, "preparation record: write: %s", w < 0 ? strerror(errno) : "short write");
            goto out;
        }
        off += (size_t)w;
    }
    if (pwrite(fd, "\n", 1, (off_t)len) != 1) {
        ts_errf(err, "preparation record: write: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

static void copy_str(const cJSON *o, const char *key, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static long get_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    /* A double outside long's range is undefined behaviour to convert. */
    return cJSON_IsNumber(v) && v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18
               ? (long)v->valuedouble
               : 0;
}

static char *dup_str(const cJSON *o, const char *key, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) > max)
        return NULL;
    return strdup(v->valuestring);
}

/* "unlimited" or the decimal digits of a value below RLIM_INFINITY. */
static int limit_from(const cJSON *x, unsigned long long *v)
{
    const char *s = cJSON_IsString(x) ? x->valuestring : NULL;
    char *end;
    if (!s)
        return -1;
    if (!strcmp(s, "unlimited")) {
        *v = RLIM_INFINITY;
        return 0;
    }
    if (s[0] < '0' || s[0] > '9' || strlen(s) > 20)
        return -1;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno || *end || *v == RLIM_INFINITY ? -1 : 0;
}

static int get_limits(const cJSON *o, ts_prepstamp *st)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "limits"), *t;
    if (!a)
        return 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > TS_PREP_MAX_LIMITS)
        return -1;
    cJSON_ArrayForEach(t, a) {
        const cJSON *r = cJSON_GetArrayItem(t, 0);
        unsigned long long v[2];
        if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 3 || !cJSON_IsNumber(r)
            || r->valuedouble < 0 || r->valuedouble >= RLIM_NLIMITS
            || r->valuedouble != (int)r->valuedouble)
            return -1;
        for (int i = 0; i < 2; i++)
            if (limit_from(cJSON_GetArrayItem(t, i + 1), &v[i]) < 0)
                return -1;
        ts_prep_limit *l = &st->limits[st->n_limits++];
        l->resource = (int)r->valuedouble;
        l->cur = v[0];
        l->max = v[1];
    }
    return 0;
}

void ts_prepstamp_free(ts_prepstamp *st)
{
    free(st->spec);
    free(st->nodelist);
    st->spec = st->nodelist = NULL;
}

int ts_prepstate_read(int fd, ts_prepstamp *st, ts_err *err)
{
    size_t n = 0;
    memset(st, 0, sizeof *st);
    char *buf = malloc(RECORD_MAX + 1);
    if (!buf)
        return ts_errf(err, "preparation record: out of memory");
    for (;;) {
        ssize_t r = pread(fd, buf + n, RECORD_MAX - n, (off_t)n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return ts_errf(err, "preparation record: read: %s", strerror(errno));
        }
        if (r == 0 || (n += (size_t)r) >= RECORD_MAX)
            break;
    }
    buf[n] = '\0';
    if (n == 0) {
        free(buf);
        st->state = TS_PREP_RUNNING;
        return 0;
    }
    if (n >= RECORD_MAX) {
        free(buf);
        return ts_errf(err, "preparation record: larger than %zu bytes", RECORD_MAX);
    }
    cJSON *o = cJSON_Parse(buf);
    free(buf);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ts_errf(err, "preparation record: not a JSON object");
    }
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spec");
    if ((sp && !(st->spec = dup_str(o, "spec", TS_HOOKSPEC_MAX)))
        || (cJSON_GetObjectItemCaseSensitive(o, "nodelist")
            && !(st->nodelist = dup_str(o, "nodelist", 65536)))
        || get_limits(o, st) < 0) {
        cJSON_Delete(o);
        ts_prepstamp_free(st);
        return ts_errf(err, "preparation record: malformed spec, nodelist or limits");
    }
    copy_str(o, "num_nodes", st->num_nodes, sizeof st->num_nodes);
    copy_str(o, "work_dir", st->work_dir, sizeof st->work_dir);
    copy_str(o, "slurm_conf", st->slurm_conf, sizeof st->slurm_conf);
    copy_str(o, "mem_parent", st->mem_parent, sizeof st->mem_parent);
    {
        char mem[32], *end;
        copy_str(o, "mem_limit", mem, sizeof mem);
        errno = 0;
        st->mem_limit = strtoull(mem, &end, 10);
        if (errno || *end || mem[0] == '-')
            st->mem_limit = 0;
    }
    char state[32];
    copy_str(o, "state", state, sizeof state);
    for (int s = TS_PREP_RUNNING; s <= TS_PREP_NOHOOK; s++)
        if (!strcmp(state, state_names[s]))
            st->state = (ts_prep_state)s;
    st->uid = get_num(o, "uid");
    st->restart = get_num(o, "restart");
    st->started = get_num(o, "started");
    st->finished = get_num(o, "finished");
    st->pid = get_num(o, "pid");
    copy_str(o, "log", st->log, sizeof st->log);
    copy_str(o, "message", st->message, sizeof st->message);
    cJSON_Delete(o);
    if (!st->state) {
        ts_prepstamp_free(st);
        return ts_errf(err, "preparation record: unknown state \"%s\"", state);
    }
    return 0;
}

int ts_prepstate_peek(const char *dir, uint32_t job_id, const char *node, ts_prepstamp *st,
                      ts_err *err)
{
    char path[PATH_MAX];
    if (ts_prepstate_path(dir, job_id, node, path, sizeof path, err) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return ts_errf(err, "%s: %s", path, strerror(errno));
    int rc = ts_prepstate_read(fd, st, err);
    close(fd);
    return rc;
}

int ts_prepstate_remove(const char *dir, uint32_t job_id, const char *node, ts_err *err)
{
    char path[PATH_MAX];
    if (ts_prepstate_path(dir, job_id, node, path, sizeof path, err) < 0)
        return -1;
    if (unlink(path) < 0 && errno != ENOENT)
        return ts_errf(err, "%s: cannot remove: %s", path, strerror(errno));
    return 0;
}

void ts_prepstate_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
