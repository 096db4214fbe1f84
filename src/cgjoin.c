/* cgjoin.c: find the job's extern-step cgroups (cgjoin.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        int w = snprintf(procs[n], PATH_MAX, "%s%s/step_extern/cgroup.procs", mnt, path);
        if (w > 0 && w < PATH_MAX && access(procs[n], W_OK) == 0)
            n++;
    }
    fclose(f);
    return n;
}
