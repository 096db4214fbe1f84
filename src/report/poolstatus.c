/* poolstatus.c: pool agents and workers for `status` (see poolstatus.h). */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poolstatus.h"

#define STALE_S 3600.0

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t n = 0;
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size < (1 << 22)
        && (buf = malloc((size_t)st.st_size + 1)))
        n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* One agent's report (a struct, so arrays of them are sized plainly). */
typedef struct report {
    cJSON *o;
} report;

static int by_job(const void *a, const void *b)
{
    const cJSON *x = ((const report *)a)->o, *y = ((const report *)b)->o;
    double jx = num(x, "jobid"), jy = num(y, "jobid");
    if (jx == 0 && jy == 0)
        jx = strtod(str(x, "jobid"), NULL), jy = strtod(str(y, "jobid"), NULL);
    if (jx != jy)
        return jx < jy ? -1 : 1;
    return strcmp(str(x, "agent"), str(y, "agent"));
}

cJSON *ts_pool_status_json(const char *dir)
{
    char adir[PATH_MAX], path[PATH_MAX + 300];
    report *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (!dir || snprintf(adir, sizeof adir, "%s/pool/agents", dir) >= (int)sizeof adir)
        return NULL;
    DIR *d = opendir(adir);
    if (!d) {
        snprintf(adir, sizeof adir, "%s/pool", dir);
        struct stat st;
        return stat(adir, &st) == 0 ? cJSON_CreateArray() : NULL;
    }
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 9 || strcmp(de->d_name + len - 8, ".workers") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", adir, de->d_name);
        char *text = slurp(path);
        cJSON *o = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            continue;
        }
        if (n == cap) {
            report *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof *v);
            if (!nv) {
                cJSON_Delete(o);
                break;
            }
            v = nv;
        }
        v[n++].o = o;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, by_job);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        if (!arr || !cJSON_AddItemToArray(arr, v[i].o))
            cJSON_Delete(v[i].o);
    free(v);
    return arr;
}

static void jobid_text(const cJSON *o, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "jobid");
    if (cJSON_IsNumber(v))
        snprintf(buf, len, "%.0f", v->valuedouble);
    else
        snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "?");
}

static void worker_line(FILE *f, const cJSON *w)
{
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(w, "task");
    const char *state = str(w, "state"), *gpus = str(w, "gpus"), *reason = str(w, "reason");
    fprintf(f, "    worker %.0f  cpus %s%s%s  %s", num(w, "worker"), str(w, "cpus"),
            gpus[0] ? "  gpus " : "", gpus, state[0] ? state : "?");
    if (cJSON_IsNumber(task))
        fprintf(f, " task %.0f attempt %.0f", task->valuedouble, num(w, "attempt"));
    /* The agent's reason repeats its state ("suspended: its last 5 ..."),
     * which this line has just said. */
    size_t sl = strlen(state);
    if (sl && !strncmp(reason, state, sl) && reason[sl] == ':')
        reason += sl + 1 + (reason[sl + 1] == ' ');
    if (reason[0])
        fprintf(f, " (%s)", reason);
    fprintf(f, "  done %.0f failed %.0f\n", num(w, "done"), num(w, "failed"));
}

void ts_pool_status_text(FILE *f, const char *dir, double now)
{
    cJSON *arr = ts_pool_status_json(dir);
    const cJSON *a;
    char job[64], last[64] = "";
    long stale = 0, shown = 0;

    if (!arr)
        return;
    cJSON_ArrayForEach(a, arr) {
        double t = num(a, "time");
        if (t > 0 && now - t > STALE_S) {
            stale++;
            continue;
        }
        if (!shown++)
            fprintf(f, "pool:\n");
        jobid_text(a, job, sizeof job);
        if (strcmp(job, last) != 0)
            fprintf(f, "  allocation %s\n", job);
        snprintf(last, sizeof last, "%s", job);
        fprintf(f, "   agent %s on %s, updated %.0f s ago\n", str(a, "agent"), str(a, "host"),
                t > 0 && now > t ? now - t : 0);
        const cJSON *w, *workers = cJSON_GetObjectItemCaseSensitive(a, "workers");
        cJSON_ArrayForEach(w, workers) {
            worker_line(f, w);
        }
    }
    if (!shown)
        fprintf(f, "pool:     no agent running\n");
    if (stale)
        fprintf(f, "  (%ld agent%s of allocations that ended over an hour ago not shown)\n",
                stale, stale == 1 ? "" : "s");
    cJSON_Delete(arr);
}
