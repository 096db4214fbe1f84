#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "taskctx.h"

static const char *need(const char *name, ts_err *err)
{
    const char *v = getenv(name);
    if (!v || !*v)
        ts_errf(err, "%s is not set: not inside a tasksuite task", name);
    return v && *v ? v : NULL;
}

static long num(const char *v, long dflt)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : dflt;
    return (v && *v && !*end) ? n : dflt;
}

int ts_taskctx_from_env(ts_evctx *ctx, ts_err *err)
{
    memset(ctx, 0, sizeof *ctx);
    if (!(ctx->suite_dir = need("TASK_SUITE_DIR", err))
        || !(ctx->suite_id = need("TASK_SUITE_ID", err))
        || !need("TASK_SUITE_TASK_INDEX", err) || !need("TASK_SUITE_ATTEMPT", err))
        return -1;
    ctx->task_idx = num(getenv("TASK_SUITE_TASK_INDEX"), -1);
    ctx->attempt = (int)num(getenv("TASK_SUITE_ATTEMPT"), 0);
    if (ctx->task_idx < 0 || ctx->attempt < 1)
        return ts_errf(err, "TASK_SUITE_TASK_INDEX/TASK_SUITE_ATTEMPT are not numbers");
    ctx->jobid = getenv("SLURM_JOB_ID");
    ctx->node = getenv("SLURMD_NODENAME");
    ctx->node_rank = (int)num(getenv("NODE_RANK"), 0);
    ctx->num_nodes = (int)num(getenv("NUM_NODES"), 1);
    return 0;
}

int ts_taskctx_checkpoint(const char *path, long step, ts_err *err)
{
    ts_evctx ctx;
    char abs[PATH_MAX];
    if (ts_taskctx_from_env(&ctx, err) < 0
        || ts_path_absolute(path, abs, sizeof abs, err) < 0)
        return -1;
    return ts_events_checkpoint(&ctx, abs, step < 0 ? -1 : step, err);
}
