/* hookruns.c: the hooks' runs from their logs (see hookruns.h). */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hookruns.h"

static const char *const hook_names[] = { "env_preparation", "env_cleanup" };

typedef struct walk {
    long max, seen, more;
    ts_hook_run_cb cb;
    void *arg;
} walk;

/* "2026-11-30T12:00:03Z" as epoch seconds; 0 when it is not that. */
static double parse_utc(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end)
        return 0;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : (double)t;
}

/* The plugin's first line of the log, when it wrote one: start, timeout. */
static void read_header(const char *path, ts_hook_run *r)
{
    char line[512];
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(line, sizeof line, f) && strncmp(line, "tasksuite: ", 11) == 0) {
        const char *at = strstr(line, ", at ");
        const char *to = strstr(line, ", timeout ");
        if (at)
            r->started_at = parse_utc(at + 5);
        if (to)
            r->timeout_s = strtol(to + 10, NULL, 10);
    }
    fclose(f);
}

static int report(walk *w, ts_hook_run *r)
{
    struct stat st;
    if (stat(r->log, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (w->max >= 0 && w->seen >= w->max) {
        w->more++;
        return 0;
    }
    w->seen++;
    r->last_write = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
    r->bytes = (long long)st.st_size;
    r->timeout_s = -1;
    r->started_at = 0;
    read_header(r->log, r);
    return w->cb(r, w->arg);
}

/* "<node>.<hook>.log" in hooks/<jobid>/ */
static int job_dir(walk *w, const char *path, const char *job)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int rc = 0;
    if (!d)
        return 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".log") != 0)
            continue;
        for (size_t h = 0; h < sizeof hook_names / sizeof hook_names[0]; h++) {
            size_t hl = strlen(hook_names[h]);
            if (n < hl + 6 || e->d_name[n - 4 - hl - 1] != '.'
                || strncmp(e->d_name + n - 4 - hl, hook_names[h], hl) != 0)
                continue;
            char node[256], log[PATH_MAX];
            snprintf(node, sizeof node, "%.*s", (int)(n - 4 - hl - 1), e->d_name);
            if (snprintf(log, sizeof log, "%s/%s", path, e->d_name) >= (int)sizeof log)
                break;
            ts_hook_run r = { .node = node, .hook = hook_names[h], .job = job, .log = log };
            rc = report(w, &r);
            break;
        }
    }
    closedir(d);
    return rc;
}

/* "<hook>.<host>.log" in hooks/local/ */
static int local_dir(walk *w, const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int rc = 0;
    if (!d)
        return 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".log") != 0)
            continue;
        for (size_t h = 0; h < sizeof hook_names / sizeof hook_names[0]; h++) {
            size_t hl = strlen(hook_names[h]);
            if (n < hl + 6 || strncmp(e->d_name, hook_names[h], hl) != 0 || e->d_name[hl] != '.')
                continue;
            char host[256], log[PATH_MAX];
            snprintf(host, sizeof host, "%.*s", (int)(n - 4 - hl - 1), e->d_name + hl + 1);
            if (snprintf(log, sizeof log, "%s/%s", path, e->d_name) >= (int)sizeof log)
                break;
            ts_hook_run r = { .node = host, .hook = hook_names[h], .job = "local", .log = log };
            rc = report(w, &r);
            break;
        }
    }
    closedir(d);
    return rc;
}

int ts_hook_runs_foreach(const char *dir, long max, ts_hook_run_cb cb, void *arg, long *more)
{
    char hooks[PATH_MAX], path[PATH_MAX];
    walk w = { .max = max, .cb = cb, .arg = arg };
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (more)
        *more = 0;
    if (!dir || snprintf(hooks, sizeof hooks, "%s/hooks", dir) >= (int)sizeof hooks)
        return 0;
    if (!(d = opendir(hooks)))
        return 0;
    while (rc == 0 && (e = readdir(d))) {
        const char *nm = e->d_name;
        if (nm[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", hooks, nm) >= (int)sizeof path)
            continue;
        if (strcmp(nm, "local") == 0) {
            rc = local_dir(&w, path);
        } else if (strspn(nm, "0123456789") == strlen(nm)) {
            rc = job_dir(&w, path, nm);
        } else if (strncmp(nm, "on_complete.", 12) == 0) {
            ts_hook_run r = { .node = "", .hook = "on_complete", .job = "", .log = path };
            rc = report(&w, &r);
        }
    }
    closedir(d);
    if (more)
        *more = w.more;
    return rc;
}
