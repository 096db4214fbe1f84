/* binding.c: the per-worker cpusets of a node's pool (semantics in
 * binding.h and doc/pool.md), and binding a worker to its own.
 *
 * The plan is pure computation over a topology and an allowed cpuset, so the
 * unit tests drive it with synthetic topologies and simulated cgroups; only
 * ts_binding_load and ts_binding_apply touch this machine.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

int ts_binding_load(hwloc_topology_t *topo, hwloc_bitmap_t *allowed, ts_err *err)
{
    hwloc_topology_t t;
    hwloc_bitmap_t bound;

    if (hwloc_topology_init(&t) < 0)
        return ts_errf(err, "hwloc: cannot initialise a topology: %s", strerror(errno));
    if (hwloc_topology_load(t) < 0) {
        int e = errno;
        hwloc_topology_destroy(t);
        return ts_errf(err, "hwloc: cannot read this machine's topology: %s",
                       strerror(e));
    }
    *allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t));
    bound = hwloc_bitmap_alloc();
    if (!*allowed || !bound) {
        hwloc_bitmap_free(*allowed);
        hwloc_bitmap_free(bound);
        hwloc_topology_destroy(t);
        return ts_errf(err, "out of memory");
    }
    /* The cgroup is the job's; srun may have bound this process to fewer. */
    if (hwloc_get_cpubind(t, bound, HWLOC_CPUBIND_PROCESS) == 0
        && hwloc_bitmap_intersects(bound, *allowed))
        hwloc_bitmap_and(*allowed, *allowed, bound);
    hwloc_bitmap_free(bound);
    *topo = t;
    return 0;
}

int ts_binding_load_synthetic(const char *desc, hwloc_topology_t *topo,
                              hwloc_bitmap_t *allowed, ts_err *err)
{
    hwloc_topology_t t;

    if (hwloc_topology_init(&t) < 0)
        return ts_errf(err, "hwloc: cannot initialise a topology: %s", strerror(errno));
    if (hwloc_topology_set_synthetic(t, desc) < 0 || hwloc_topology_load(t) < 0) {
        hwloc_topology_destroy(t);
        return ts_errf(err, "hwloc: \"%s\" is not a synthetic topology", desc);
    }
    if (!(*allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t)))) {
        hwloc_topology_destroy(t);
        return ts_errf(err, "out of memory");
    }
    *topo = t;
    return 0;
}

char *ts_binding_cpulist(hwloc_const_bitmap_t set)
{
    char *s = NULL;

    if (hwloc_bitmap_iszero(set))
        return strdup("");
    if (hwloc_bitmap_list_asprintf(&s, set) < 0)
        return NULL;
    return s;
}

static void free_sets(hwloc_bitmap_t *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        hwloc_bitmap_free(v[i]);
    free(v);
}

/* The allocation's cores, each as its allowed PUs, in logical order. A
 * topology without Core objects counts each PU as a core. */
static int allocation_cores(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                            hwloc_bitmap_t **out, size_t *n, ts_err *err)
{
    hwloc_obj_type_t type = HWLOC_OBJ_CORE;
    int total = hwloc_get_nbobjs_by_type(topo, type);
    hwloc_bitmap_t *cores;

    if (total <= 0) {
        type = HWLOC_OBJ_PU;
        total = hwloc_get_nbobjs_by_type(topo, type);
    }
    *n = 0;
    /* an array of handles (hwloc_bitmap_t is a pointer) */
    cores = calloc(total > 0 ? (size_t)total : 1, sizeof *cores); // NOLINT(bugprone-sizeof-expression)
    if (!cores)
        return ts_errf(err, "out of memory");
    for (int i = 0; i < total; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);

        if (!o || !o->cpuset || !hwloc_bitmap_intersects(o->cpuset, allowed))
            continue;
        if (!(cores[*n] = hwloc_bitmap_alloc())) {
            free_sets(cores, *n);
            return ts_errf(err, "out of memory");
        }
        hwloc_bitmap_and(cores[*n], o->cpuset, allowed);
        (*n)++;
    }
    if (*n == 0) {
        char *l = ts_binding_cpulist(allowed);
        ts_errf(err, "no CPU to bind workers to: the allowed cpuset (%s) holds no "
                "PU of this machine", l && *l ? l : "empty");
        free(l);
        free_sets(cores, 0);
        return -1;
    }
    *out = cores;
    return 0;
}

/* The cores the workers go on: cpu_binding.cores (indices into the
 * allocation's cores, in the order listed) or all of them. */
static int select_cores(const ts_worker_schedule *ws, size_t ncores,
                        hwloc_const_cpuset_t allowed,
                        size_t **sel, size_t *nsel, ts_err *err)
{
    size_t n = ws->ncores ? ws->ncores : ncores;

    if (!(*sel = calloc(n, sizeof **sel)))
        return ts_errf(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!ws->ncores) {
            (*sel)[i] = i;
            continue;
        }
        if (ws->cores[i] < 0 || (size_t)ws->cores[i] >= ncores) {
            char *l = ts_binding_cpulist(allowed);
            char range[48];
            if (ncores == 1)
                snprintf(range, sizeof range, "numbered 0");
            else
                snprintf(range, sizeof range, "numbered 0-%zu", ncores - 1);
            ts_errf(err, "cpu_binding.cores: core %d is not in this allocation: "
                    "it has %zu core%s, %s (PUs %s)", ws->cores[i], ncores,
                    ncores == 1 ? "" : "s", range, l ? l : "?");
            free(l);
            free(*sel);
            *sel = NULL;
            return -1;
        }
        (*sel)[i] = (size_t)ws->cores[i];
    }
    *nsel = n;
    return 0;
}

int ts_binding_plan_make(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                         const ts_worker_schedule *ws, ts_gpus *gpus,
                         ts_binding_plan *out, ts_err *err)
{
    ts_binding_plan p = { 0 };
    hwloc_bitmap_t *cores = NULL;
    size_t ncores = 0, *sel = NULL, nsel = 0;
    int rc = -1;

    p.gpus = *gpus;
    memset(gpus, 0, sizeof *gpus);
    p.strategy = ws->strategy;
    p.nworkers = ws->worker_count > 0 ? (size_t)ws->worker_count : 0;
    if (p.nworkers == 0) {
        ts_errf(err, "worker_count must be at least 1");
        goto out;
    }
    if (allocation_cores(topo, allowed, &cores, &ncores, err) < 0
        || select_cores(ws, ncores, allowed, &sel, &nsel, err) < 0)
        goto out;
    p.ncores = ncores;
    p.nused = nsel;
    if (ws->strategy == TS_BIND_EXCLUSIVE && p.nworkers > nsel) {
        ts_errf(err, "cpu_binding: Exclusive gives each worker its own cores: "
                "%zu workers, %zu core%s %s", p.nworkers, nsel, nsel == 1 ? "" : "s",
                ws->ncores ? "selected by cpu_binding.cores" : "in this allocation");
        goto out;
    }
    p.allowed = hwloc_bitmap_dup(allowed);
    p.w = calloc(p.nworkers, sizeof *p.w);
    if (!p.allowed || !p.w) {
        ts_errf(err, "out of memory");
        goto out;
    }
    size_t base = nsel / p.nworkers, extra = nsel % p.nworkers;
    for (size_t i = 0; i < p.nworkers; i++) {
        ts_worker_binding *w = &p.w[i];
        size_t first, count;

        if (!(w->cpuset = hwloc_bitmap_alloc())) {
            ts_errf(err, "out of memory");
            goto out;
        }
        switch (ws->strategy) {
        case TS_BIND_EXCLUSIVE:
            first = i * base + (i < extra ? i : extra);
            count = base + (i < extra);
            break;
        case TS_BIND_SHARED:
            first = 0;
            count = nsel;
            break;
        case TS_BIND_ROUND_ROBIN:
        default:
            first = i % nsel;
            count = 1;
            break;
        }
        for (size_t k = first; k < first + count; k++)
            hwloc_bitmap_or(w->cpuset, w->cpuset, cores[sel[k]]);
        ts_gpus_share(p.gpus.n, p.nworkers, i, &w->gpu_first, &w->gpu_count);
    }
    *out = p;
    memset(&p, 0, sizeof p);
    rc = 0;
out:
    free(sel);
    free_sets(cores, ncores);
    ts_binding_plan_free(&p);
    return rc;
}

void ts_binding_plan_free(ts_binding_plan *p)
{
    for (size_t i = 0; p->w && i < p->nworkers; i++)
        hwloc_bitmap_free(p->w[i].cpuset);
    free(p->w);
    hwloc_bitmap_free(p->allowed);
    ts_gpus_free(&p->gpus);
    memset(p, 0, sizeof *p);
}

char *ts_binding_worker_gpus(const ts_binding_plan *p, size_t w)
{
    return ts_gpus_join(p->gpus.ids, p->w[w].gpu_first, p->w[w].gpu_count);
}

static int set(const char *name, const char *value, ts_err *err)
{
    if (!value)
        return ts_errf(err, "out of memory");
    if (setenv(name, value, 1) < 0)
        return ts_errf(err, "cannot set %s: %s", name, strerror(errno));
    return 0;
}

int ts_binding_env(const ts_binding_plan *p, size_t w, ts_err *err)
{
    const ts_worker_binding *b;
    char id[24], *cpus, *gpus;
    int rc;

    if (w >= p->nworkers)
        return ts_errf(err, "worker %zu: the plan has %zu workers", w, p->nworkers);
    b = &p->w[w];
    snprintf(id, sizeof id, "%zu", w);
    cpus = ts_binding_cpulist(b->cpuset);
    gpus = ts_binding_worker_gpus(p, w);
    rc = set("TASK_SUITE_WORKER_ID", id, err) < 0
        || set("TASK_SUITE_WORKER_CPUS", cpus, err) < 0
        || set("TASK_SUITE_WORKER_GPUS", gpus, err) < 0 ? -1 : 0;
    free(cpus);
    if (rc == 0 && p->gpus.n > 0 && p->gpus.nruntime == 0) {
        /* Slurm's node indices, devices not constrained: what the runtimes
         * see too. */
        rc = set("CUDA_VISIBLE_DEVICES", gpus, err) < 0
            || set("ROCR_VISIBLE_DEVICES", gpus, err) < 0 ? -1 : 0;
    }
    free(gpus);
    for (size_t i = 0; rc == 0 && p->gpus.n > 0 && i < p->gpus.nruntime; i++) {
        const ts_gpu_var *v = &p->gpus.runtime[i];
        char *mine = ts_gpus_join(v->ids, b->gpu_first, b->gpu_count);

        rc = set(v->name, mine, err);
        free(mine);
    }
    return rc;
}

int ts_binding_bind(hwloc_topology_t topo, const ts_binding_plan *p, size_t w, ts_err *err)
{
    if (w >= p->nworkers)
        return ts_errf(err, "worker %zu: the plan has %zu workers", w, p->nworkers);
    if (hwloc_set_cpubind(topo, p->w[w].cpuset, HWLOC_CPUBIND_PROCESS) < 0) {
        int e = errno;
        char *l = ts_binding_cpulist(p->w[w].cpuset);
        ts_errf(err, "worker %zu: cannot bind to CPUs %s: %s", w, l ? l : "?",
                strerror(e));
        free(l);
        return -1;
    }
    return 0;
}

int ts_binding_apply(hwloc_topology_t topo, const ts_binding_plan *p, size_t w,
                     ts_err *err)
{
    return ts_binding_bind(topo, p, w, err) < 0 ? -1 : ts_binding_env(p, w, err);
}
