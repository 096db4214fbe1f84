/* spec_workers.c: the worker_schedule: section of a suite file (workers
 * per node, CPU binding, prefetch).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_internal.h"

/* -------------------------------------------------------- worker_schedule */

#define WS(obj) ((ts_worker_schedule *)(obj))
#define MAX_CORE 65535

static int cb_cores(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_worker_schedule *w = WS(obj);
    unsigned char *seen;
    size_t n;

    if (spec_want_seq(c, v, path) < 0)
        return -1;
    n = spec_nitems(v);
    c->cores_pos = spec_pos_of(v);
    w->cores = calloc(n ? n : 1, sizeof *w->cores);
    seen = calloc(MAX_CORE / 8 + 1, 1);
    if (!w->cores || !seen) {
        free(seen);
        return spec_oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        char ip[PATH_LEN];
        long core;

        spec_path_idx(ip, path, i);
        if (spec_get_int(c, it, ip, 0, MAX_CORE, &core) < 0) {
            free(seen);
            return -1;
        }
        if (seen[core / 8] & (1u << (core % 8))) {
            free(seen);
            return spec_fail(c, it, ip, "core %ld is listed twice", core);
        }
        seen[core / 8] |= (unsigned char)(1u << (core % 8));
        w->cores[w->ncores++] = (int)core;
    }
    free(seen);
    return 0;
}

static int cb_strategy(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    static const struct { const char *name; enum ts_bind_strategy st; }
    strategies[] = {
        { "RoundRobin", TS_BIND_ROUND_ROBIN },
        { "Exclusive", TS_BIND_EXCLUSIVE },
        { "Shared", TS_BIND_SHARED },
    };
    const char *s;

    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++) {
        if (strcasecmp(s, strategies[i].name) == 0) {
            WS(obj)->strategy = strategies[i].st;
            return 0;
        }
    }
    return spec_fail(c, v, path, "%s is not a strategy (RoundRobin, Exclusive or "
                     "Shared)", spec_qv(c, s));
}

static const field cpu_binding_fields[] = {
    { "cores", cb_cores, false, NULL },
    { "strategy", cb_strategy, false, NULL },
    { NULL, NULL, false, NULL },
};

static int ws_worker_count(pctx *c, void *obj, yaml_node_t *v,
                           const char *path)
{
    return spec_get_int_field(c, v, path, 1, 10000, &WS(obj)->worker_count);
}

static int ws_cpu_binding(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    return spec_walk_map(c, v, path, cpu_binding_fields, obj);
}

static int ws_prefetch(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int_field(c, v, path, 0, 1000000,
                              &WS(obj)->task_prefetch_count);
}

/* A worker whose last K tasks failed stops pulling (a broken node must not
 * eat the queue); 0 turns it off. */
static int ws_suspend_after(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int_field(c, v, path, 0, 1000000, &WS(obj)->suspend_after);
}

/* Each allocation is a Slurm job (and one dependency of the reconcile job
 * after them): more than this is a typo, not a plan. */
static int ws_allocations(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int_field(c, v, path, 1, TS_POOL_ALLOCATIONS_LIMIT, &WS(obj)->allocations);
}

/* Agents write a heartbeat every few seconds: a lease under 30 s would
 * judge a slow (NFS) agent dead while it works. */
static int ws_lease(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_duration(c, v, path, 30, 7L * 86400, &WS(obj)->lease_s);
}

static const field worker_schedule_fields[] = {
    { "worker_count", ws_worker_count, false, NULL },
    { "allocations", ws_allocations, false, NULL },
    { "lease", ws_lease, false, NULL },
    { "cpu_binding", ws_cpu_binding, false, NULL },
    { "task_prefetch_count", ws_prefetch, false, NULL },
    { "suspend_after", ws_suspend_after, false, NULL },
    { NULL, NULL, false, NULL },
};

int spec_read_worker_schedule(pctx *c, void *obj, yaml_node_t *v,
                             const char *path)
{
    ts_worker_schedule *w = &SUITE(obj)->worker_schedule;
    char cp[PATH_LEN];

    w->task_prefetch_count = -1;
    w->suspend_after = -1;
    w->lease_s = TS_POOL_LEASE_DEFAULT_S;
    if (spec_walk_map(c, v, path, worker_schedule_fields, w) < 0)
        return -1;
    if (w->worker_count == 0) {
        spec_path_key(cp, path, "worker_count");
        return spec_fail(c, v, cp, "is required (how many workers run tasks)");
    }
    if (w->task_prefetch_count < 0)
        w->task_prefetch_count = w->worker_count;
    if (w->suspend_after < 0)
        w->suspend_after = TS_SUSPEND_AFTER_DEFAULT;
    if (w->strategy == TS_BIND_EXCLUSIVE && w->ncores
        && w->ncores < (size_t)w->worker_count) {
        spec_path_key(cp, path, "cpu_binding.cores");
        return spec_fail_at(c, c->cores_pos, cp, "Exclusive gives each worker its "
                            "own core: %zu cores for %d workers", w->ncores,
                            w->worker_count);
    }
    w->present = true;
    return 0;
}
