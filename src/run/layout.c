#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"

static int fmt(char *buf, size_t len, ts_err *err, const char *f, ...)
    __attribute__((format(printf, 4, 5)));
static int fmt(char *buf, size_t len, ts_err *err, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, len, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len)
        return ts_errf(err, "path too long under %.80s", buf);
    return 0;
}

int ts_layout_suite_dir(const char *home, const char *output_dir, const char *id,
                        char *buf, size_t len, ts_err *err)
{
    if (output_dir && *output_dir)
        return fmt(buf, len, err, "%s", output_dir);
    return fmt(buf, len, err, "%s/suites/%s", home, id);
}

int ts_layout_task_dir(const char *suite_dir, const char *task, char *buf,
                       size_t len, ts_err *err)
{
    return fmt(buf, len, err, "%s/tasks/%s", suite_dir, task);
}

int ts_layout_attempt_dir(const char *suite_dir, const char *task, int attempt,
                          char *buf, size_t len, ts_err *err)
{
    return fmt(buf, len, err, "%s/tasks/%s/attempt-%d", suite_dir, task, attempt);
}

int ts_layout_output(const char *suite_dir, const char *task, int attempt,
                     int node_rank, int num_nodes, const char *which, char *buf,
                     size_t len, ts_err *err)
{
    if (num_nodes > 1)
        return fmt(buf, len, err, "%s/tasks/%s/attempt-%d/node-%d.%s", suite_dir,
                   task, attempt, node_rank, which);
    return fmt(buf, len, err, "%s/tasks/%s/attempt-%d/%s", suite_dir, task,
               attempt, which);
}

int ts_layout_manifest(const char *suite_dir, long sub_id, char *buf, size_t len,
                       ts_err *err)
{
    return fmt(buf, len, err, "%s/manifests/sub-%ld.jsonl", suite_dir, sub_id);
}

int ts_layout_runspec(const char *suite_dir, char *buf, size_t len, ts_err *err)
{
    return fmt(buf, len, err, "%s/suite.json", suite_dir);
}

/* mkdir of tmp, its missing parents first: from the deepest, so a path
 * whose parents exist costs one call (a pool agent's thousands of attempt
 * directories), not one per component from /. */
static int mkdirs_in(char *tmp, unsigned mode, ts_err *err)
{
    if (mkdir(tmp, mode) == 0 || errno == EEXIST)
        return 0;
    char *slash = strrchr(tmp, '/');
    if (errno != ENOENT || !slash || slash == tmp)
        return ts_errf(err, "cannot create %s: %s", tmp, strerror(errno));
    *slash = '\0';
    int rc = mkdirs_in(tmp, mode, err);
    *slash = '/';
    if (rc < 0)
        return -1;
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return ts_errf(err, "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

int ts_mkdirs(const char *path, unsigned mode, ts_err *err)
{
    char tmp[4096];
    if (fmt(tmp, sizeof tmp, err, "%s", path) < 0)
        return -1;
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    return mkdirs_in(tmp, mode, err);
}

/* A parent that others may write without the sticky bit: they could
 * rename what is below it and put their own in its place. */
static int open_parent(const struct stat *sb)
{
    return (sb->st_mode & S_IWOTH) && !(sb->st_mode & S_ISVTX);
}

static int secure_dir(const char *path, unsigned mode, const char *what, int create,
                      ts_err *err)
{
    char dir[4096];
    struct stat sb;

    if (fmt(dir, sizeof dir, err, "%s", path) < 0)
        return -1;
    for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
        dir[l - 1] = '\0';
    /* The parents, from the top; stat follows symbolic links on purpose.
     * Messages name the whole path (`path`) and the parent (`dir`, cut). */
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        int rc = 0;
        if (stat(dir, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                rc = ts_errf(err, "%s %s: %s", what, path, strerror(ENOTDIR));
            else if (open_parent(&sb))
                rc = ts_errf(err, "%s %s: %s above it is writable by others without the "
                             "sticky bit (mode %04o): they could replace it; use another place",
                             what, path, dir, (unsigned)(sb.st_mode & 07777));
        } else if (errno != ENOENT || (create && mkdir(dir, mode) < 0 && errno != EEXIST)) {
            rc = ts_errf(err, "%s %s: %s", what, path, strerror(errno));
        } else if (!create) {
            return 0;   /* nothing below exists yet */
        }
        *p = '/';
        if (rc < 0)
            return -1;
    }
    if (lstat(dir, &sb) < 0) {
        if (errno != ENOENT)
            return ts_errf(err, "%s %s: %s", what, path, strerror(errno));
        if (!create)
            return 0;
        if ((mkdir(dir, mode) < 0 && errno != EEXIST) || lstat(dir, &sb) < 0)
            return ts_errf(err, "%s %s: %s", what, path, strerror(errno));
    }
    if (S_ISLNK(sb.st_mode))
        return ts_errf(err, "%s %s is a symbolic link, not a directory: whoever can change "
                       "the link could change what your jobs run; name the directory itself",
                       what, path);
    if (!S_ISDIR(sb.st_mode))
        return ts_errf(err, "%s %s: %s", what, path, strerror(ENOTDIR));
    if (sb.st_uid != geteuid())
        return ts_errf(err, "%s %s is owned by uid %ld, not by you (uid %ld): its owner "
                       "could change what your jobs run; use a directory of your own",
                       what, path, (long)sb.st_uid, (long)geteuid());
    if (sb.st_mode & (S_IWGRP | S_IWOTH))
        return ts_errf(err, "%s %s is writable by %s (mode %04o): they could change what "
                       "your jobs run; chmod go-w %s", what, path,
                       !(sb.st_mode & S_IWOTH) ? "its group"
                       : sb.st_mode & S_IWGRP ? "its group and others" : "others",
                       (unsigned)(sb.st_mode & 07777), path);
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
        return ts_errf(err, "%s %s: %s", what, path, strerror(errno));
    return 0;
}

int ts_secure_dir(const char *path, unsigned mode, const char *what, ts_err *err)
{
    return secure_dir(path, mode, what, 1, err);
}

int ts_secure_dir_check(const char *path, const char *what, ts_err *err)
{
    return secure_dir(path, 0, what, 0, err);
}

void ts_layout_remove_unused(const char *suite_dir)
{
    char path[4096];
    DIR *d;
    struct dirent *e;

    if (snprintf(path, sizeof path, "%s/manifests", suite_dir) < (int)sizeof path
        && (d = opendir(path))) {
        while ((e = readdir(d)))
            if (!strncmp(e->d_name, "sub-", 4) && strstr(e->d_name, ".jsonl")) {
                char f[4096 + 300];
                snprintf(f, sizeof f, "%s/%s", path, e->d_name);
                unlink(f);
            }
        closedir(d);
        rmdir(path);
    }
    if (snprintf(path, sizeof path, "%s/suite.json", suite_dir) < (int)sizeof path)
        unlink(path);
    if (snprintf(path, sizeof path, "%s/slurm", suite_dir) < (int)sizeof path)
        rmdir(path);
    rmdir(suite_dir);
}
