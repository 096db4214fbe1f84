/* api.c: the public C API (tasksuite.h), a thin layer over libtasksuite. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "tasksuite.h"
#include "taskctx.h"
#include "walltime.h"

double tasksuite_remaining(void)
{
    time_t end = ts_walltime_end_time_cached();
    if (end <= 0)
        return INFINITY;
    double left = difftime(end, time(NULL));
    return left > 0 ? left : 0;
}

int tasksuite_checkpoint(const char *path, long step)
{
    ts_err err = { 0 };
    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    if (ts_taskctx_checkpoint(path, step, &err) < 0) {
        if (!errno)
            errno = EINVAL;
        return -1;
    }
    return 0;
}

const char *tasksuite_last_checkpoint(void)
{
    const char *v = getenv("TASK_SUITE_CHECKPOINT");
    return v && *v ? v : NULL;
}
