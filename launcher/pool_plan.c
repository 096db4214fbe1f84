/* pool_plan.c: `tasksuite pool-plan [FILE]` (internal, diagnostic).
 *
 * Prints where the pool workers of FILE's worker_schedule would run on this
 * machine, within the cpuset and GPUs this process was given (inside a
 * Slurm job: the allocation's): one line per worker, "worker ID cpus LIST
 * gpus LIST" ("-" for no GPU), after a "#" line describing the allocation.
 * Without FILE: one Exclusive worker per core. Computes, binds nothing.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "binding.h"
#include "commands.h"
#include "exitcodes.h"
#include "spec.h"

#define POOL_PLAN_USAGE "usage: tasksuite pool-plan [FILE]"

/* How many cores the allocation has: a one-worker Shared plan says. */
static int count_cores(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                       size_t *n, ts_err *err)
{
    ts_worker_schedule one = { .present = true, .worker_count = 1,
                               .strategy = TS_BIND_SHARED };
    ts_gpus none = { 0 };
    ts_binding_plan p;

    if (ts_binding_plan_make(topo, allowed, &one, &none, &p, err) < 0)
        return -1;
    *n = p.ncores;
    ts_binding_plan_free(&p);
    return 0;
}

static int print_plan(const ts_binding_plan *p)
{
    char *all = ts_binding_cpulist(p->allowed);
    char *gpus = ts_gpus_join(p->gpus.ids, 0, p->gpus.n);

    if (!all || !gpus) {
        free(all);
        free(gpus);
        return -1;
    }
    printf("# %zu core%s (PUs %s), %zu worker%s on %zu, GPUs %s%s%s\n", p->ncores,
           p->ncores == 1 ? "" : "s", all, p->nworkers, p->nworkers == 1 ? "" : "s",
           p->nused, p->gpus.n ? gpus : "none",
           p->gpus.n ? " from " : "", p->gpus.n ? p->gpus.source : "");
    free(all);
    free(gpus);
    for (size_t i = 0; i < p->nworkers; i++) {
        char *cpus = ts_binding_cpulist(p->w[i].cpuset);
        char *mine = ts_binding_worker_gpus(p, i);
        if (!cpus || !mine) {
            free(cpus);
            free(mine);
            return -1;
        }
        printf("worker %zu cpus %s gpus %s\n", i, cpus, *mine ? mine : "-");
        free(cpus);
        free(mine);
    }
    return 0;
}

int cmd_pool_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ts_worker_schedule ws = { .present = true, .strategy = TS_BIND_EXCLUSIVE };
    hwloc_topology_t topo = NULL;
    hwloc_bitmap_t allowed = NULL;
    ts_suite *s = NULL;
    ts_binding_plan plan;
    ts_gpus gpus = { 0 };
    ts_err err = { 0 };
    const char *file;
    size_t ncores;
    int c, rc = TS_EXIT_FAIL;

    optind = 1;
    if ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
        return ts_cli_usage(POOL_PLAN_USAGE, c == 'h');
    if (argc - optind > 1)
        return ts_cli_usage(POOL_PLAN_USAGE, 0);
    file = optind < argc ? argv[optind] : NULL;
    if (file) {
        if (ts_spec_load(file, &s, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return TS_EXIT_FAIL;
        }
        if (!s->worker_schedule.present) {
            ts_spec_free(s);
            return ts_cli_fail("pool-plan", TS_EXIT_FAIL, "%s: no worker_schedule: "
                               "its tasks run one array element each", file);
        }
        ws = s->worker_schedule;
    }
    if (ts_binding_load(&topo, &allowed, &err) < 0)
        goto fail;
    if (!file) {
        if (count_cores(topo, allowed, &ncores, &err) < 0)
            goto fail;
        ws.worker_count = (int)ncores;
    }
    if (ts_gpus_from_env(&gpus, &err) < 0
        || ts_binding_plan_make(topo, allowed, &ws, &gpus, &plan, &err) < 0)
        goto fail;
    rc = print_plan(&plan) < 0 ? TS_EXIT_FAIL : TS_EXIT_OK;
    if (rc != TS_EXIT_OK)
        ts_cli_say("pool-plan", "out of memory");
    ts_binding_plan_free(&plan);
    goto out;
fail:
    if (file)
        ts_cli_say("pool-plan", "%s: %s", file, err.msg);
    else
        ts_cli_say("pool-plan", "%s", err.msg);
out:
    hwloc_bitmap_free(allowed);
    if (topo)
        hwloc_topology_destroy(topo);
    ts_spec_free(s);
    return rc;
}
