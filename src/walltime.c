#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <slurm/slurm.h>

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
    time_t end = 0;
    slurm_init(NULL);
    if (slurm_get_end_time((uint32_t)strtoul(id, NULL, 10), &end) != SLURM_SUCCESS)
        return 0;
    /* An unlimited job reports an end far in the future (INFINITE). */
    return end > 0 && (uint64_t)end < (uint64_t)INFINITE ? end : 0;
}
