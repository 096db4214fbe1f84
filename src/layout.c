#include "config.h"

#include <errno.h>
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

int ts_mkdirs(const char *path, unsigned mode, ts_err *err)
{
    char tmp[4096];
    if (fmt(tmp, sizeof tmp, err, "%s", path) < 0)
        return -1;
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return ts_errf(err, "cannot create %s: %s", tmp, strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
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
