#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "logtail.h"

#define LINE_MAX_HELD ((size_t)64 * 1024)
#define CHUNK ((size_t)64 * 1024)

typedef struct tfile {
    char *path;
    char *prefix;            /* NULL: raw copy */
    off_t off;
    dev_t dev;
    ino_t ino;
    bool seen;
    char *part;              /* held-back partial line */
    size_t plen, pcap;
} tfile;

struct ts_logtail {
    tfile *f;
    size_t n;
    unsigned long long bytes;
};

ts_logtail *ts_logtail_new(size_t n, const char *const *paths,
                           const char *const *prefixes)
{
    ts_logtail *t = calloc(1, sizeof *t);

    if (!t || !(t->f = calloc(n ? n : 1, sizeof *t->f))) {
        free(t);
        return NULL;
    }
    t->n = n;
    for (size_t i = 0; i < n; i++) {
        if (!(t->f[i].path = strdup(paths[i]))
            || (prefixes && prefixes[i] && !(t->f[i].prefix = strdup(prefixes[i])))) {
            ts_logtail_free(t);
            return NULL;
        }
    }
    return t;
}

void ts_logtail_free(ts_logtail *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->f[i].path);
        free(t->f[i].prefix);
        free(t->f[i].part);
    }
    free(t->f);
    free(t);
}

static void emit_line(tfile *f, FILE *out, const char *a, size_t alen,
                      const char *b, size_t blen)
{
    fputs(f->prefix, out);
    if (alen)
        fwrite(a, 1, alen, out);
    if (blen)
        fwrite(b, 1, blen, out);
    fputc('\n', out);
}

static int hold(tfile *f, const char *p, size_t len)
{
    if (f->plen + len > f->pcap) {
        size_t cap = f->pcap ? f->pcap : 256;
        char *np;
        while (cap < f->plen + len)
            cap *= 2;
        if (!(np = realloc(f->part, cap)))
            return -1;
        f->part = np;
        f->pcap = cap;
    }
    memcpy(f->part + f->plen, p, len);
    f->plen += len;
    return 0;
}

/* Split a chunk of a prefixed file into lines. */
static int lines(tfile *f, FILE *out, const char *p, size_t len)
{
    while (len) {
        const char *nl = memchr(p, '\n', len);
        size_t seg = nl ? (size_t)(nl - p) : len;

        if (!nl && f->plen + seg < LINE_MAX_HELD)
            return hold(f, p, seg);
        if (!nl)        /* too long to hold: cut it here */
            seg = LINE_MAX_HELD > f->plen ? LINE_MAX_HELD - f->plen : 0;
        emit_line(f, out, f->part, f->plen, p, seg);
        f->plen = 0;
        if (nl && seg == (size_t)(nl - p))
            seg++;      /* the newline itself */
        p += seg;
        len -= seg;
    }
    return 0;
}

static int poll_one(ts_logtail *t, tfile *f, FILE *out, ts_err *err)
{
    static char buf[CHUNK];
    struct stat st;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return ts_errc(err, TS_EXIT_FAIL, "%s: %s", f->path, strerror(errno));
    }
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return ts_errc(err, TS_EXIT_FAIL, "%s: %s", f->path, strerror(e));
    }
    if (f->seen && (st.st_dev != f->dev || st.st_ino != f->ino || st.st_size < f->off)) {
        f->off = 0;     /* replaced or truncated: from the start */
        f->plen = 0;
    }
    f->seen = true;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, f->off);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            close(fd);
            return ts_errc(err, TS_EXIT_FAIL, "%s: %s", f->path, strerror(e));
        }
        if (n == 0)
            break;
        f->off += n;
        t->bytes += (unsigned long long)n;
        if (!f->prefix)
            fwrite(buf, 1, (size_t)n, out);
        else if (lines(f, out, buf, (size_t)n) < 0) {
            close(fd);
            return ts_errc(err, TS_EXIT_FAIL, "out of memory");
        }
    }
    close(fd);
    return 0;
}

int ts_logtail_poll(ts_logtail *t, FILE *out, ts_err *err)
{
    for (size_t i = 0; i < t->n; i++)
        if (poll_one(t, &t->f[i], out, err) < 0)
            return -1;
    if (fflush(out) == EOF || ferror(out))
        return ts_errc(err, TS_EXIT_FAIL, "write error: %s", strerror(errno));
    return 0;
}

void ts_logtail_flush(ts_logtail *t, FILE *out)
{
    for (size_t i = 0; i < t->n; i++) {
        tfile *f = &t->f[i];
        if (f->prefix && f->plen) {
            emit_line(f, out, f->part, f->plen, NULL, 0);
            f->plen = 0;
        }
    }
    fflush(out);
}

size_t ts_logtail_seen(const ts_logtail *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->f[i].seen;
    return n;
}

unsigned long long ts_logtail_bytes(const ts_logtail *t)
{
    return t->bytes;
}
