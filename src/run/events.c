/* events.c: per-attempt append-only event files (see events.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "events.h"
#include "exitcodes.h"

#define EV_VERSION 1

static const char *const type_names[TS_EV_NTYPES] = {
    [TS_EV_STARTED] = "started",
    [TS_EV_CHECKPOINT] = "checkpoint",
    [TS_EV_SIGNAL_RECEIVED] = "signal_received",
    [TS_EV_EXITED] = "exited",
    [TS_EV_GRACEFUL_TIMEOUT] = "graceful_timeout",
    [TS_EV_RESUBMITTED] = "resubmitted",
};

const char *ts_event_type_name(enum ts_event_type t)
{
    if ((int)t < 0 || t >= TS_EV_NTYPES)
        return NULL;
    return type_names[t];
}

int ts_event_type_parse(const char *name)
{
    for (int i = 0; i < TS_EV_NTYPES; i++)
        if (name && strcmp(name, type_names[i]) == 0)
            return i;
    return -1;
}

static bool fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

/* ------------------------------------------------------------------ keys */

int ts_event_key_new(char key[TS_EVENT_KEYLEN + 1], ts_err *err)
{
    unsigned char raw[TS_EVENT_KEYLEN / 2];
    size_t got = 0;

    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ts_errf(err, "events: getrandom: %s", strerror(errno));
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(key + 2 * i, 3, "%02x", raw[i]);
    key[TS_EVENT_KEYLEN] = '\0';
    return 0;
}

/* ------------------------------------------------------------- format/parse */

int ts_event_format(const ts_event *ev, char *buf, size_t len, ts_err *err)
{
    const char *tname = ts_event_type_name(ev->type);
    cJSON *o;
    char *text;
    int n;

    if (!tname)
        return ts_errf(err, "events: unknown event type %d", (int)ev->type);
    if (!(o = cJSON_CreateObject()))
        return ts_errf(err, "events: out of memory");
    cJSON_AddNumberToObject(o, "v", EV_VERSION);
    cJSON_AddStringToObject(o, "key", ev->key);
    cJSON_AddStringToObject(o, "type", tname);
    cJSON_AddNumberToObject(o, "time", ev->time);
    cJSON_AddStringToObject(o, "suite_id", ev->suite_id);
    cJSON_AddNumberToObject(o, "task_idx", (double)ev->task_idx);
    cJSON_AddNumberToObject(o, "attempt", ev->attempt);
    cJSON_AddStringToObject(o, "jobid", ev->jobid);
    cJSON_AddStringToObject(o, "node", ev->node);
    cJSON_AddNumberToObject(o, "node_rank", ev->node_rank);
    cJSON_AddNumberToObject(o, "num_nodes", ev->num_nodes);
    switch (ev->type) {
    case TS_EV_CHECKPOINT:
        cJSON_AddStringToObject(o, "path", ev->path);
        if (ev->step >= 0)
            cJSON_AddNumberToObject(o, "step", (double)ev->step);
        break;
    case TS_EV_SIGNAL_RECEIVED:
        cJSON_AddNumberToObject(o, "signal", ev->signal);
        break;
    case TS_EV_EXITED:
        if (ev->signal > 0)
            cJSON_AddNumberToObject(o, "signal", ev->signal);
        else
            cJSON_AddNumberToObject(o, "exit_code", ev->exit_code);
        break;
    case TS_EV_RESUBMITTED:
        cJSON_AddNumberToObject(o, "next_job", (double)ev->next_job);
        break;
    default:
        break;
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return ts_errf(err, "events: out of memory");
    n = snprintf(buf, len, "%s\n", text);
    free(text);
    if (!fits(n, len) || n > TS_EVENT_MAX)
        return ts_errf(err, "events: %s record too long (%d bytes, at most %d)",
                       tname, n, TS_EVENT_MAX);
    return n;
}

static int get_str(const cJSON *o, const char *name, char *out, size_t len,
                   bool required, ts_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v) {
        out[0] = '\0';
        return required ? ts_errf(err, "missing \"%s\"", name) : 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return ts_errf(err, "\"%s\" is not a string", name);
    if (!fits(snprintf(out, len, "%s", v->valuestring), len))
        return ts_errf(err, "\"%s\" is too long", name);
    return 0;
}

/* An integer field in [min, max]; *out untouched when absent and optional. */
static int get_int(const cJSON *o, const char *name, long min, long max,
                   long *out, bool required, ts_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v)
        return required ? ts_errf(err, "missing \"%s\"", name) : 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)
        || v->valuedouble < (double)min || v->valuedouble > (double)max)
        return ts_errf(err, "\"%s\" is not an integer in [%ld, %ld]", name,
                       min, max);
    *out = (long)v->valuedouble;
    return 0;
}

static int parse_obj(const cJSON *o, ts_event *ev, ts_err *err)
{
    char tname[32];
    long l = 0;
    int t;
    const cJSON *v;

    if (!cJSON_IsObject(o))
        return ts_errf(err, "not a JSON object");
    if (get_str(o, "key", ev->key, sizeof ev->key, true, err) < 0)
        return -1;
    if (ev->key[0] == '\0')
        return ts_errf(err, "empty \"key\"");
    if (get_str(o, "type", tname, sizeof tname, true, err) < 0)
        return -1;
    if ((t = ts_event_type_parse(tname)) < 0)
        return ts_errf(err, "unknown event type \"%s\"", tname);
    ev->type = (enum ts_event_type)t;
    v = cJSON_GetObjectItemCaseSensitive(o, "time");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return ts_errf(err, "missing or bad \"time\"");
    ev->time = v->valuedouble;
    if (get_str(o, "suite_id", ev->suite_id, sizeof ev->suite_id, true, err) < 0
        || get_str(o, "jobid", ev->jobid, sizeof ev->jobid, false, err) < 0
        || get_str(o, "node", ev->node, sizeof ev->node, false, err) < 0)
        return -1;
    if (get_int(o, "task_idx", 0, LONG_MAX / 2, &ev->task_idx, true, err) < 0)
        return -1;
    if (get_int(o, "attempt", 1, INT_MAX, &l, true, err) < 0)
        return -1;
    ev->attempt = (int)l;
    l = 0;
    if (get_int(o, "node_rank", 0, INT_MAX, &l, false, err) < 0)
        return -1;
    ev->node_rank = (int)l;
    l = 1;
    if (get_int(o, "num_nodes", 1, INT_MAX, &l, false, err) < 0)
        return -1;
    ev->num_nodes = (int)l;
    if (ev->node_rank >= ev->num_nodes)
        return ts_errf(err, "node_rank %d is not below num_nodes %d",
                       ev->node_rank, ev->num_nodes);

    switch (ev->type) {
    case TS_EV_CHECKPOINT:
        if (get_str(o, "path", ev->path, sizeof ev->path, true, err) < 0)
            return -1;
        if (get_int(o, "step", 0, LONG_MAX / 2, &ev->step, false, err) < 0)
            return -1;
        break;
    case TS_EV_SIGNAL_RECEIVED:
        if (get_int(o, "signal", 1, 255, &l, true, err) < 0)
            return -1;
        ev->signal = (int)l;
        break;
    case TS_EV_EXITED: {
        bool has_code = cJSON_GetObjectItemCaseSensitive(o, "exit_code") != NULL;
        bool has_sig = cJSON_GetObjectItemCaseSensitive(o, "signal") != NULL;
        if (has_code == has_sig)
            return ts_errf(err, "exited needs exactly one of \"exit_code\" and \"signal\"");
        if (has_code) {
            if (get_int(o, "exit_code", 0, 255, &l, true, err) < 0)
                return -1;
            ev->exit_code = (int)l;
        } else {
            if (get_int(o, "signal", 1, 255, &l, true, err) < 0)
                return -1;
            ev->signal = (int)l;
        }
        break;
    }
    case TS_EV_RESUBMITTED:
        /* 0: a pool agent queued the next attempt in the suite's pool
         * (doc/pool.md, "Submitting"), no job */
        if (get_int(o, "next_job", 0, 0xfffffffeL, &l, true, err) < 0)
            return -1;
        ev->next_job = (unsigned long)l;
        break;
    default:
        break;
    }
    return 0;
}

int ts_event_parse(const char *line, size_t len, ts_event *ev, ts_err *err)
{
    cJSON *o;
    int rc;

    /* *ev is defined on every return, a failed parse included. */
    memset(ev, 0, sizeof *ev);
    ev->exit_code = -1;
    ev->step = -1;
    ev->num_nodes = 1;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0)
        return ts_errf(err, "empty line");
    if (!(o = cJSON_ParseWithLength(line, len)))
        return ts_errf(err, "not valid JSON");
    rc = parse_obj(o, ev, err);
    cJSON_Delete(o);
    return rc;
}

/* ------------------------------------------------------------------ paths */

/* Copy s into out keeping [A-Za-z0-9._-], others -> '_'; "" -> dflt. */
static void sanitize(const char *s, const char *dflt, char *out, size_t len)
{
    size_t i = 0;

    if (!s || !*s)
        s = dflt;
    for (; *s && i + 1 < len; s++) {
        char c = *s;
        bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out[i++] = okc ? c : '_';
    }
    out[i] = '\0';
    if (out[0] == '.')      /* never a hidden or "." / ".." component */
        out[0] = '_';
}

static void short_hostname(char *buf, size_t len)
{
    char *dot;

    if (gethostname(buf, len) < 0 || buf[0] == '\0')
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
    if ((dot = strchr(buf, '.')))
        *dot = '\0';
}

static void ctx_node(const ts_evctx *ctx, char *buf, size_t len)
{
    if (ctx->node && *ctx->node)
        snprintf(buf, len, "%s", ctx->node);
    else
        short_hostname(buf, len);
}

static int task_dir(const char *suite_dir, long task_idx, char *buf,
                    size_t len, ts_err *err)
{
    if (!suite_dir || !*suite_dir)
        return ts_errf(err, "events: no suite directory");
    if (task_idx < 0)
        return ts_errf(err, "events: bad task index %ld", task_idx);
    if (!fits(snprintf(buf, len, "%s/events/%ld", suite_dir, task_idx), len))
        return ts_errf(err, "events: path too long under %s", suite_dir);
    return 0;
}

int ts_events_path(const ts_evctx *ctx, char *buf, size_t len, ts_err *err)
{
    char dir[PATH_MAX], node[256], snode[256], sjob[64];

    if (task_dir(ctx->suite_dir, ctx->task_idx, dir, sizeof dir, err) < 0)
        return -1;
    if (ctx->attempt < 1)
        return ts_errf(err, "events: bad attempt number %d", ctx->attempt);
    ctx_node(ctx, node, sizeof node);
    sanitize(node, "unknown", snode, sizeof snode);
    sanitize(ctx->jobid, "none", sjob, sizeof sjob);
    if (!fits(snprintf(buf, len, "%s/%d-%s-%s.ev", dir, ctx->attempt, sjob,
                       snode), len))
        return ts_errf(err, "events: path too long under %s", ctx->suite_dir);
    return 0;
}

/* mkdir that is fine with EEXIST; *created says whether it made it. */
static int mkdir1(const char *path, bool *created, ts_err *err)
{
    *created = false;
    if (mkdir(path, 0755) == 0) {
        *created = true;
        return 0;
    }
    if (errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    return ts_errf(err, "events: mkdir %s: %s", path, strerror(errno));
}

static int fsync_path(const char *path, ts_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return ts_errf(err, "events: open %s: %s", path, strerror(errno));
    /* Some filesystems refuse fsync on a directory; that is not an error. */
    if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
        rc = ts_errf(err, "events: fsync %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ------------------------------------------------------------------ write */

static bool wants_fsync(const ts_evctx *ctx, enum ts_event_type t)
{
    if (ctx->lazy && (t == TS_EV_STARTED || t == TS_EV_EXITED))
        return false;
    return t != TS_EV_SIGNAL_RECEIVED;
}

int ts_events_append(const ts_evctx *ctx, ts_event *ev, ts_err *err)
{
    char path[PATH_MAX], evdir[PATH_MAX], tdir[PATH_MAX];
    char line[TS_EVENT_MAX + 2];
    bool created_evdir, created_tdir, created_file = false;
    bool sync = false;      /* this record fsync'd (set before any write) */
    struct stat st;
    int n, fd, rc = -1;
    size_t off = 0;

    if (!ctx->suite_id || !*ctx->suite_id)
        return ts_errf(err, "events: no suite ID");
    if (ts_events_path(ctx, path, sizeof path, err) < 0)
        return -1;

    /* Identity comes from the context, always. */
    snprintf(ev->suite_id, sizeof ev->suite_id, "%s", ctx->suite_id);
    ev->task_idx = ctx->task_idx;
    ev->attempt = ctx->attempt;
    snprintf(ev->jobid, sizeof ev->jobid, "%s", ctx->jobid ? ctx->jobid : "");
    ctx_node(ctx, ev->node, sizeof ev->node);
    ev->node_rank = ctx->node_rank;
    ev->num_nodes = ctx->num_nodes > 0 ? ctx->num_nodes : 1;
    if (ev->node_rank < 0 || ev->node_rank >= ev->num_nodes)
        return ts_errf(err, "events: node rank %d is not below the node count %d",
                       ev->node_rank, ev->num_nodes);
    if (ev->key[0] == '\0' && ts_event_key_new(ev->key, err) < 0)
        return -1;
    if (ev->time <= 0) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        long ms = (long)tv.tv_usec / 1000;     /* millisecond resolution */
        ev->time = (double)tv.tv_sec + (double)ms / 1000.0;
    }

    /* line[0] is reserved for a '\n' that ends a torn fragment. */
    if ((n = ts_event_format(ev, line + 1, sizeof line - 1, err)) < 0)
        return -1;
    off = 1;

    snprintf(evdir, sizeof evdir, "%s/events", ctx->suite_dir);
    snprintf(tdir, sizeof tdir, "%s/events/%ld", ctx->suite_dir, ctx->task_idx);
    if (mkdir1(evdir, &created_evdir, err) < 0
        || mkdir1(tdir, &created_tdir, err) < 0)
        return -1;

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0)
        created_file = true;
    else if (errno == EEXIST)
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return ts_errf(err, "events: open %s: %s", path, strerror(errno));

    if (!created_file && fstat(fd, &st) == 0 && st.st_size > 0) {
        /* A torn last record (writer killed mid-write): end it first. The
         * descriptor is write-only, so look through a second one. */
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        char last;
        if (rfd >= 0) {
            if (pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
                line[0] = '\n';
                off = 0;
            }
            close(rfd);
        }
    }

    if (write_all(fd, line + off, (size_t)n + 1 - off) < 0) {
        ts_errf(err, "events: write %s: %s", path, strerror(errno));
        goto out;
    }
    sync = wants_fsync(ctx, ev->type);
    if (sync && fsync(fd) < 0) {
        ts_errf(err, "events: fsync %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    /* NFS reports delayed write errors at close. */
    if (close(fd) < 0 && rc == 0)
        rc = ts_errf(err, "events: close %s: %s", path, strerror(errno));
    /* Lazy: the file may have been made by an unsynced record, so a synced
     * one syncs the directories above it too (a rare record: a checkpoint,
     * a timeout). */
    bool dirs = ctx->lazy ? sync : created_file;
    if (rc == 0 && dirs
        && (fsync_path(tdir, err) < 0
            || ((created_tdir || ctx->lazy) && fsync_path(evdir, err) < 0)
            || ((created_evdir || ctx->lazy) && fsync_path(ctx->suite_dir, err) < 0)))
        rc = -1;
    return rc;
}

static void ev_init(ts_event *ev, enum ts_event_type t)
{
    memset(ev, 0, sizeof *ev);
    ev->type = t;
    ev->exit_code = -1;
    ev->step = -1;
}

int ts_events_started(const ts_evctx *ctx, ts_err *err)
{
    ts_event ev;
    ev_init(&ev, TS_EV_STARTED);
    return ts_events_append(ctx, &ev, err);
}

int ts_events_checkpoint(const ts_evctx *ctx, const char *path, long step,
                         ts_err *err)
{
    ts_event ev;

    if (!path || !*path)
        return ts_errf(err, "events: empty checkpoint path");
    ev_init(&ev, TS_EV_CHECKPOINT);
    if (!fits(snprintf(ev.path, sizeof ev.path, "%s", path), sizeof ev.path))
        return ts_errf(err, "events: checkpoint path too long: %.64s...", path);
    ev.step = step < 0 ? -1 : step;
    return ts_events_append(ctx, &ev, err);
}

int ts_events_signal_received(const ts_evctx *ctx, int signo, ts_err *err)
{
    ts_event ev;

    if (signo <= 0 || signo > 255)
        return ts_errf(err, "events: bad signal number %d", signo);
    ev_init(&ev, TS_EV_SIGNAL_RECEIVED);
    ev.signal = signo;
    return ts_events_append(ctx, &ev, err);
}

int ts_events_exited(const ts_evctx *ctx, int exit_code, int signo, ts_err *err)
{
    ts_event ev;

    if (signo > 0 ? (signo > 255) : (exit_code < 0 || exit_code > 255))
        return ts_errf(err, "events: bad exit status (code %d, signal %d)",
                       exit_code, signo);
    ev_init(&ev, TS_EV_EXITED);
    ev.signal = signo > 0 ? signo : 0;
    ev.exit_code = signo > 0 ? -1 : exit_code;
    return ts_events_append(ctx, &ev, err);
}

int ts_events_graceful_timeout(const ts_evctx *ctx, ts_err *err)
{
    ts_event ev;
    ev_init(&ev, TS_EV_GRACEFUL_TIMEOUT);
    return ts_events_append(ctx, &ev, err);
}

int ts_events_resubmitted(const ts_evctx *ctx, unsigned long next_job, ts_err *err)
{
    ts_event ev;
    ev_init(&ev, TS_EV_RESUBMITTED);
    ev.next_job = next_job;
    return ts_events_append(ctx, &ev, err);
}

/* ------------------------------------------------------------------ read */

#define READ_CHUNK 65536

int ts_events_read(const char *path, long long offset, ts_event_cb cb,
                   void *arg, long long *end, ts_err *err)
{
    /* Room for a chunk plus the longest valid line carried over. */
    size_t cap = READ_CHUNK + TS_EVENT_MAX + 1, have = 0;
    long long consumed;
    bool skipping = false;      /* inside an over-long line */
    struct stat st;
    char *buf;
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return ts_errf(err, "events: open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = ts_errf(err, "events: stat %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (offset < 0 || offset > (long long)st.st_size)
        offset = 0;
    consumed = offset;
    /* Event files are small: do not allocate a whole chunk for a few
     * records (the buffer may still grow past the size seen by fstat). */
    if ((long long)st.st_size - offset < READ_CHUNK)
        cap = (size_t)(st.st_size - offset) + TS_EVENT_MAX + 1;
    if (!(buf = malloc(cap))) {
        close(fd);
        return ts_errf(err, "events: out of memory");
    }
    for (;;) {
        ssize_t n = pread(fd, buf + have, cap - have,
                          (off_t)(consumed + (long long)have));
        size_t start = 0;
        char *nl;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = ts_errf(err, "events: read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;              /* EOF: what is left has no '\n' yet */
        have += (size_t)n;
        while ((nl = memchr(buf + start, '\n', have - start))) {
            size_t llen = (size_t)(nl - (buf + start));
            if (skipping) {
                skipping = false;
                rc = cb(NULL, "record longer than the limit", arg);
            } else if (llen == 0) {
                rc = 0;         /* blank line: a healed torn record */
            } else {
                ts_event ev;
                ts_err perr = { .msg = "" };
                if (ts_event_parse(buf + start, llen, &ev, &perr) == 0)
                    rc = cb(&ev, NULL, arg);
                else
                    rc = cb(NULL, perr.msg, arg);
            }
            start += llen + 1;
            if (rc != 0)
                break;
        }
        consumed += (long long)start;
        if (rc != 0)
            break;
        /* Keep the incomplete tail (at most one line) at the front. A plain
         * forward copy: dst < src, and fortified memmove trips valgrind. */
        if (start > 0) {
            for (size_t k = 0; k < have - start; k++)
                buf[k] = buf[start + k];
            have -= start;
        }
        if (have > TS_EVENT_MAX) {
            /* No record is this long: drop the head, find its end later. */
            skipping = true;
            consumed += (long long)have;
            have = 0;
        }
    }
    free(buf);
    close(fd);
    /* An over-long line is consumed even without its '\n': it can never
     * become a valid record, and its tail will not parse either. */
    if (end && rc >= 0)
        *end = consumed;
    return rc;
}

struct lastcp {
    long task_idx;
    bool found;
    int attempt;
    double time;
    long step;
    char path[TS_EVENT_MAX];
};

static int lastcp_cb(const ts_event *ev, const char *bad, void *arg)
{
    struct lastcp *lc = arg;

    (void)bad;
    if (!ev || ev->type != TS_EV_CHECKPOINT || ev->task_idx != lc->task_idx)
        return 0;
    if (lc->found && (ev->attempt < lc->attempt
                      || (ev->attempt == lc->attempt && ev->time < lc->time)))
        return 0;
    lc->found = true;
    lc->attempt = ev->attempt;
    lc->time = ev->time;
    lc->step = ev->step;
    snprintf(lc->path, sizeof lc->path, "%s", ev->path);
    return 0;
}

static bool is_ev_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".ev") == 0;
}

int ts_events_last_checkpoint(const char *suite_dir, long task_idx,
                              char *buf, size_t len, long *step, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct lastcp *lc;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (len > 0)
        buf[0] = '\0';
    if (step)
        *step = -1;
    if (task_dir(suite_dir, task_idx, dir, sizeof dir, err) < 0)
        return -1;
    if (!(d = opendir(dir))) {
        if (errno == ENOENT)
            return 0;
        return ts_errf(err, "events: open %s: %s", dir, strerror(errno));
    }
    if (!(lc = calloc(1, sizeof *lc))) {
        closedir(d);
        return ts_errf(err, "events: out of memory");
    }
    lc->task_idx = task_idx;
    while ((de = readdir(d))) {
        if (!is_ev_file(de->d_name))
            continue;
        if (!fits(snprintf(path, sizeof path, "%s/%s", dir, de->d_name),
                  sizeof path))
            continue;
        if (ts_events_read(path, 0, lastcp_cb, lc, NULL, err) < 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    if (rc == 0 && lc->found) {
        if (!fits(snprintf(buf, len, "%s", lc->path), len))
            rc = ts_errc(err, TS_EXIT_FAIL, "events: checkpoint path too long "
                         "for the buffer: %.64s...", lc->path);
        else {
            if (step)
                *step = lc->step;
            rc = 1;
        }
    }
    free(lc);
    return rc;
}

struct moved_on {
    int first, attempt;
    const char *jobid;
    bool moved;
};

static int moved_cb(const ts_event *ev, const char *bad, void *arg)
{
    struct moved_on *m = arg;

    (void)bad;
    if (!ev)
        return 0;
    if ((ev->type == TS_EV_RESUBMITTED && ev->attempt >= m->first)
        || (ev->attempt >= m->attempt && strcmp(ev->jobid, m->jobid) != 0))
        m->moved = true;
    return m->moved;
}

int ts_events_chain_moved_on(const char *suite_dir, long task_idx, int first,
                             int attempt, const char *jobid, bool *moved, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct moved_on m = { .first = first, .attempt = attempt, .jobid = jobid ? jobid : "" };
    struct dirent *de;
    DIR *d;
    int rc = 0;

    *moved = false;
    if (task_dir(suite_dir, task_idx, dir, sizeof dir, err) < 0)
        return -1;
    if (!(d = opendir(dir))) {
        if (errno == ENOENT)
            return 0;
        return ts_errf(err, "events: open %s: %s", dir, strerror(errno));
    }
    while (!m.moved && (de = readdir(d))) {
        if (!is_ev_file(de->d_name))
            continue;
        if (!fits(snprintf(path, sizeof path, "%s/%s", dir, de->d_name), sizeof path))
            continue;
        if (ts_events_read(path, 0, moved_cb, &m, NULL, err) < 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    *moved = m.moved;
    return rc;
}

/* ------------------------------------------------------------ cancel marker */

static int marker_path(const char *suite_dir, long task_idx, char *dir, char *buf,
                       size_t len, ts_err *err)
{
    if (task_dir(suite_dir, task_idx, dir, PATH_MAX, err) < 0)
        return -1;
    if (!fits(snprintf(buf, len, "%s/cancelled", dir), len))
        return ts_errf(err, "events: path too long under %s", suite_dir);
    return 0;
}

int ts_events_cancel_mark(const char *suite_dir, long task_idx, bool on, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], events[PATH_MAX];
    bool created;

    if (marker_path(suite_dir, task_idx, dir, path, sizeof path, err) < 0)
        return -1;
    if (!on) {
        if (unlink(path) == 0)
            return fsync_path(dir, err);
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return ts_errf(err, "events: remove %s: %s", path, strerror(errno));
    }
    /* No run directory, no element can start (its manifest is there). */
    struct stat st;
    if (stat(suite_dir, &st) < 0 && errno == ENOENT)
        return 0;
    if (!fits(snprintf(events, sizeof events, "%s/events", suite_dir), sizeof events))
        return ts_errf(err, "events: path too long under %s", suite_dir);
    if (mkdir1(events, &created, err) < 0 || mkdir1(dir, &created, err) < 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return ts_errf(err, "events: create %s: %s", path, strerror(errno));
    close(fd);
    return fsync_path(dir, err);
}

int ts_events_is_cancelled(const char *suite_dir, long task_idx, bool *cancelled,
                           ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    struct stat st;

    *cancelled = false;
    if (marker_path(suite_dir, task_idx, dir, path, sizeof path, err) < 0)
        return -1;
    if (lstat(path, &st) == 0) {
        *cancelled = true;
        return 0;
    }
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    return ts_errf(err, "events: stat %s: %s", path, strerror(errno));
}
