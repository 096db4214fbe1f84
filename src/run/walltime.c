#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "slurm.h"
#include "walltime.h"

/* Slurm gives a job without a time limit an end a year after its start
 * (YEAR_SECONDS): an end that far away is no limit. */
#define UNLIMITED_AFTER (364L * 86400)

static time_t limited(time_t end)
{
    return end > 0 && end - time(NULL) >= UNLIMITED_AFTER ? 0 : end;
}

static time_t env_time(const char *name)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return 0;
    long long t = strtoll(v, &end, 10);
    return (*end || t <= 0) ? 0 : limited((time_t)t);
}

/* slurm_get_end_time() for SLURM_JOB_ID: 0 unlimited, -1 not asked or no
 * answer. */
static time_t ask_slurm(void)
{
    const char *id = getenv("SLURM_JOB_ID");
    char *end;
    if (!id || !*id)
        return -1;
    unsigned long job = strtoul(id, &end, 10);
    if (*end || job == 0 || job > UINT32_MAX)
        return -1;
    return limited(ts_slurm_end_time((uint32_t)job));
}

time_t ts_walltime_end_time(void)
{
    time_t t = env_time("TASK_SUITE_END_TIME");
    if (!t)
        t = env_time("SLURM_JOB_END_TIME");
    if (t)
        return t;
    t = ask_slurm();
    return t > 0 ? t : 0;
}

time_t ts_walltime_end_time_fresh(void)
{
    time_t t = ask_slurm();
    if (t >= 0)
        return t;
    /* Slurm could not say: the copies, newest first (a step starts after
     * its job; exec's copy may be older than this step's). */
    t = env_time("SLURM_JOB_END_TIME");
    return t ? t : env_time("TASK_SUITE_END_TIME");
}

time_t ts_walltime_end_time_cached(void)
{
    static time_t end, fetched;
    time_t now = time(NULL);
    const char *r = getenv("TASKSUITE_REMAINING_REFRESH");
    long refresh = r ? strtol(r, NULL, 10) : 60;

    if (!fetched) {
        end = ts_walltime_end_time();
        fetched = now;
    } else if (getenv("SLURM_JOB_ID") && now - fetched >= (refresh > 0 ? refresh : 60)) {
        time_t t = ask_slurm();
        if (t >= 0)
            end = t;
        fetched = now;
    }
    return end;
}

long ts_walltime_left(time_t end)
{
    if (end <= 0)
        return -1;
    time_t now = time(NULL);
    return end > now ? (long)(end - now) : 0;
}
