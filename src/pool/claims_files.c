/* claims_files.c: atomic publication of small files on a shared (NFS)
 * filesystem with link() and rename() only, for the claim protocol
 * (claims_int.h). Separate from the protocol so the NFS reasoning lives in
 * one place. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "claims_int.h"

bool pc_fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

int pc_mkdir(const char *path, ts_err *err)
{
    struct stat st;

    if (mkdir(path, 0755) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (errno == EEXIST)
        errno = ENOTDIR;
    return ts_errf(err, "pool: mkdir %s: %s", path, strerror(errno));
}

void pc_sanitize(const char *s, const char *dflt, char *out, size_t len)
{
    size_t i = 0;

    if (!s || !*s)
        s = dflt;
    for (; *s && i + 1 < len; s++) {
        char c = *s;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                 || (c >= '0' && c <= '9') || c == '_' || c == '-';
        out[i++] = keep ? c : '_';
    }
    out[i] = '\0';
}

double pc_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A name no other process on any host picks: .t.<host>.<pid>.<random>. */
static int tmp_name(const char *dir, char *buf, size_t len, ts_err *err)
{
    /* The host name does not change under a running agent: ask once. */
    static char shost[128];
    unsigned long long r = 0;

    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        return ts_errf(err, "pool: getrandom: %s", strerror(errno));
    if (shost[0] == '\0') {
        char host[128];
        if (gethostname(host, sizeof host) < 0)
            host[0] = '\0';
        host[sizeof host - 1] = '\0';
        pc_sanitize(host, "unknown", shost, sizeof shost);
    }
    if (!pc_fits(snprintf(buf, len, "%s/.t.%s.%ld.%016llx", dir, shost,
                          (long)getpid(), r), len))
        return ts_errf(err, "pool: path too long under %s", dir);
    return 0;
}

int pc_tmpfile(const char *dir, const char *text, size_t len, char *tmp,
               size_t tmplen, ts_err *err)
{
    int fd;

    if (tmp_name(dir, tmp, tmplen, err) < 0)
        return -1;
    /* The name is unique, so O_EXCL is a belt, not the mechanism. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;      /* callers test ENOENT: a directory to make */
        ts_errf(err, "pool: create %s: %s", tmp, strerror(e));
        errno = e;
        return -1;
    }
    if (write_all(fd, text, len) < 0) {
        ts_errf(err, "pool: write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    /* NFS reports delayed write errors at close (close-to-open). */
    if (close(fd) < 0) {
        ts_errf(err, "pool: close %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int pc_link_publish(const char *tmp, const char *name, ts_err *err)
{
    struct stat st;
    int rc = link(tmp, name), saved = errno;

    /* open(2)'s NFS recipe: whatever link() said, the link count of our
     * private name tells whether the new name points at our file. */
    if (stat(tmp, &st) < 0) {
        ts_errf(err, "pool: stat %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    unlink(tmp);
    if (st.st_nlink >= 2)
        return 1;
    if (rc < 0 && saved == EEXIST)
        return 0;
    if (rc == 0)        /* success with a count of 1: cannot be */
        return ts_errf(err, "pool: link %s: link count stayed 1", name);
    return ts_errf(err, "pool: link %s: %s", name, strerror(saved));
}

int pc_replace(const char *dir, const char *path, const char *text,
               size_t len, ts_err *err)
{
    char tmp[PATH_MAX];

    if (pc_tmpfile(dir, text, len, tmp, sizeof tmp, err) < 0)
        return -1;
    if (rename(tmp, path) < 0) {
        ts_errf(err, "pool: rename to %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

long pc_read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;

    if (fd < 0)
        return -1;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

int pc_shard_dir(const char *pooldir, long task, char *buf, size_t len,
                 ts_err *err)
{
    if (task < 0)
        return ts_errf(err, "pool: bad task index %ld", task);
    if (!pc_fits(snprintf(buf, len, "%s/claims/%06ld", pooldir,
                          task / TS_POOL_SHARD), len))
        return ts_errf(err, "pool: path too long under %s", pooldir);
    return 0;
}

int pc_claim_path(const char *pooldir, const ts_pool_entry *e, bool fate,
                  char *buf, size_t len, ts_err *err)
{
    if (e->task < 0 || e->attempt < 1 || e->gen < 0)
        return ts_errf(err, "pool: bad entry (task %ld, attempt %d, generation %d)",
                       e->task, e->attempt, e->gen);
    if (!pc_fits(snprintf(buf, len, "%s/claims/%06ld/%ld.%d.%d%s", pooldir,
                          e->task / TS_POOL_SHARD, e->task, e->attempt,
                          e->gen, fate ? ".f" : ""), len))
        return ts_errf(err, "pool: path too long under %s", pooldir);
    return 0;
}

int pc_fate(const char *pooldir, const ts_pool_entry *e, char letter,
            const char *who, char *got, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], text[512], buf[512];
    int n, rc;

    if (pc_shard_dir(pooldir, e->task, dir, sizeof dir, err) < 0
        || pc_claim_path(pooldir, e, true, path, sizeof path, err) < 0)
        return -1;
    n = snprintf(text, sizeof text, "TSF1 %c %.3f %s\n", letter, pc_now(), who);
    if (!pc_fits(n, sizeof text))
        return ts_errf(err, "pool: fate writer name too long");
    if (pc_tmpfile(dir, text, (size_t)n, tmp, sizeof tmp, err) < 0)
        return -1;
    if ((rc = pc_link_publish(tmp, path, err)) != 0)
        return rc;
    *got = '?';
    if (pc_read_small(path, buf, sizeof buf) >= 6 && strncmp(buf, "TSF1 ", 5) == 0
        && (buf[5] == 'S' || buf[5] == 'R'))
        *got = buf[5];
    return 0;
}
