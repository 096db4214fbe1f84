#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "slurm.h"
#include "walltime.h"

static time_t env_time(const char *name)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return 0;
    long long t = strtoll(v, &end, 10);
    return (*end || t <= 0) ? 0 : (time_t)t;
}

time_t ts_walltime_end_time(void)
{
    time_t t = env_time("TASK_SUITE_END_TIME");
    return t ? t : ts_walltime_end_time_fresh();
}

time_t ts_walltime_end_time_fresh(void)
{
    time_t t = env_time("SLURM_JOB_END_TIME");
    if (t)
        return t;
    const char *id = getenv("SLURM_JOB_ID");
    if (!id)
        return 0;
    return ts_slurm_end_time((uint32_t)strtoul(id, NULL, 10));
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
        time_t fresh = ts_walltime_end_time_fresh();
        if (fresh > 0)
            end = fresh;
        fetched = now;
    }
    return end;
}

long ts_walltime_remaining(void)
{
    time_t end = ts_walltime_end_time_cached();
    if (end <= 0)
        return -1;
    time_t now = time(NULL);
    return end > now ? (long)(end - now) : 0;
}
