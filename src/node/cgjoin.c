/* cgjoin.c: find the job's extern-step cgroups (cgjoin.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgjoin.h"

/* Does the comma-separated option list opts hold every controller of the
 * comma-separated list want? */
static int has_all(const char *opts, const char *want)
{
    char w[256];
    snprintf(w, sizeof w, "%s", want);
    for (char *save = NULL, *t = strtok_r(w, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t n = strlen(t);
        const char *p = opts;
        int found = 0;
        while ((p = strstr(p, t))) {
            if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) {
                found = 1;
                break;
            }
            p += n;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The mount point of the hierarchy named by controllers ("" for cgroup2). */
static int mount_of(const char *controllers, char *buf, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        char mnt[PATH_MAX], fstype[64], opts[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1
            || sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2)
            continue;
        if (controllers[0] ? (strcmp(fstype, "cgroup") == 0 && has_all(opts, controllers))
                           : strcmp(fstype, "cgroup2") == 0) {
            snprintf(buf, len, "%s", mnt);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int ts_cgroup_extern_procs(uint32_t job_id, char (*procs)[PATH_MAX], int max)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096], key[64];
    int n = 0;
    if (!f)
        return 0;
    snprintf(key, sizeof key, "/job_%lu", (unsigned long)job_id);
    while (n < max && fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        char *path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        const char *controllers = c1 + 1;
        if (strncmp(controllers, "name=", 5) == 0)
            continue;   /* named hierarchies (systemd) hold no controller */
        char *job = strstr(path, key);
        while (job && job[strlen(key)] != '/' && job[strlen(key)] != '\0')
            job = strstr(job + 1, key);
        if (!job)
            continue;
        job[strlen(key)] = '\0';
        char mnt[PATH_MAX];
        if (!mount_of(controllers, mnt, sizeof mnt))
            continue;
        /* cgroup v2 forbids processes in a cgroup with controllers enabled
         * below it: Slurm's v2 layout keeps extern processes in a leaf. */
        const char *leaf = controllers[0] ? "step_extern" : "step_extern/user/task_special";
        int w = snprintf(procs[n], PATH_MAX, "%s%s/%s/cgroup.procs", mnt, path, leaf);
        if (w > 0 && w < PATH_MAX && access(procs[n], W_OK) == 0)
            n++;
    }
    fclose(f);
    return n;
}

/* The job's directory in the memory hierarchy (v1 "memory", else v2). */
static int job_memory_dir(uint32_t job_id, char *buf, size_t len, int *v2)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096], key[64];
    int found = 0;
    if (!f)
        return 0;
    snprintf(key, sizeof key, "/job_%lu", (unsigned long)job_id);
    while (!found && fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1;
        char *path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        int is_v2 = controllers[0] == '\0';
        if (!is_v2 && !has_all(controllers, "memory"))
            continue;
        char *job = strstr(path, key);
        while (job && job[strlen(key)] != '/' && job[strlen(key)] != '\0')
            job = strstr(job + 1, key);
        char mnt[PATH_MAX];
        if (!job || !mount_of(is_v2 ? "" : controllers, mnt, sizeof mnt))
            continue;
        job[strlen(key)] = '\0';
        int w = snprintf(buf, len, "%s%s", mnt, path);
        found = w > 0 && (size_t)w < len;
        *v2 = is_v2;
    }
    fclose(f);
    return found;
}

static int read_ull(const char *path, unsigned long long *v)
{
    char text[64] = "";
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    char *end;
    errno = 0;
    *v = strtoull(text, &end, 10);
    return ok && !errno && end != text ? 0 : -1;   /* "max" (v2): no limit */
}

int ts_cgroup_job_memory(uint32_t job_id, char *parent, size_t len, unsigned long long *limit)
{
    char dir[PATH_MAX], file[PATH_MAX + 32];
    int v2 = 0;
    if (!job_memory_dir(job_id, dir, sizeof dir, &v2))
        return -1;
    snprintf(file, sizeof file, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
    /* v1 says "no limit" with a huge page-rounded LONG_MAX */
    if (read_ull(file, limit) < 0 || *limit >= (1ULL << 62))
        return -1;
    /* .../uid_U/job_J -> ... : the level Slurm keeps for the node */
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            return -1;
        *slash = '\0';
    }
    int w = snprintf(parent, len, "%s", dir);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

int ts_cgroup_cleanup_create(const char *parent, uint32_t job_id, const char *node,
                             unsigned long long limit, char *dir, size_t dlen, char *procs,
                             size_t plen)
{
    char file[PATH_MAX + 64], num[32];
    struct stat st;
    /* Only under a directory root owns and nobody else can write. */
    if (lstat(parent, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0
        || (st.st_mode & 022))
        return -1;
    int w = snprintf(dir, dlen, "%s/tasksuite_cleanup_%lu_%s", parent, (unsigned long)job_id,
                     node && *node && !strchr(node, '/') ? node : "node");
    if (w < 0 || (size_t)w >= dlen || (mkdir(dir, 0755) < 0 && errno != EEXIST))
        return -1;
    snprintf(file, sizeof file, "%s/cgroup.controllers", parent);
    int v2 = access(file, F_OK) == 0;
    snprintf(file, sizeof file, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
    snprintf(num, sizeof num, "%llu", limit);
    FILE *f = fopen(file, "we");
    int ok = f && fputs(num, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok) {
        (void)rmdir(dir);
        return -1;
    }
    w = snprintf(procs, plen, "%s/cgroup.procs", dir);
    return w > 0 && (size_t)w < plen ? 0 : -1;
}

void ts_cgroup_cleanup_remove(const char *dir)
{
    for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++) {
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
}
