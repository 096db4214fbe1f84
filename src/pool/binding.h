/* binding.h: where a node's pool workers run: a cpuset and GPUs per worker,
 * computed from the hwloc topology, the cpuset the allocation gave this
 * process, the suite's worker_schedule and the allocation's GPUs; and the
 * call a worker makes before exec to take its place.
 *
 * Semantics (doc/pool.md, "Binding"):
 *  - the allocation's cores are the topology's cores that hold at least one
 *    allowed PU, numbered 0..n-1 in hwloc's logical order; a core's PUs are
 *    its allowed PUs only;
 *  - cpu_binding.cores selects by that number (not the OS core id), in the
 *    order listed; a number >= n is refused;
 *  - RoundRobin: worker i gets core i mod n; Exclusive: disjoint contiguous
 *    blocks, sizes differ by at most one, refused when workers > cores;
 *    Shared: every worker gets every core;
 *  - GPUs: gpus.h.
 */
#ifndef TS_POOL_BINDING_H
#define TS_POOL_BINDING_H

#include <stddef.h>

#include <hwloc.h>

#include "err.h"
#include "gpus.h"
#include "spec.h"

typedef struct ts_worker_binding {
    hwloc_bitmap_t cpuset;        /* PUs, OS indexes (a Linux cpu list) */
    size_t gpu_first, gpu_count;  /* positions in the plan's gpus.ids */
} ts_worker_binding;

typedef struct ts_binding_plan {
    enum ts_bind_strategy strategy;
    size_t nworkers;
    ts_worker_binding *w;
    size_t ncores;                /* cores in the allocation */
    size_t nused;                 /* cores the workers are placed on */
    hwloc_bitmap_t allowed;       /* the allocation's PUs */
    ts_gpus gpus;                 /* owned */
} ts_binding_plan;

/* This machine's topology, and the PUs this process may use: hwloc's
 * allowed cpuset (the job's cgroup) within the process's current binding
 * (what srun/task-affinity bound it to). Free with hwloc_topology_destroy
 * and hwloc_bitmap_free. */
int ts_binding_load(hwloc_topology_t *topo, hwloc_bitmap_t *allowed, ts_err *err);
/* A synthetic topology ("pack:2 core:4 pu:2"), every PU allowed; for tests
 * and what-ifs. */
int ts_binding_load_synthetic(const char *desc, hwloc_topology_t *topo,
                              hwloc_bitmap_t *allowed, ts_err *err);

/* The plan. *gpus is moved into it (zeroed) on success and on failure.
 * A user error (a core not allocated, Exclusive without enough cores, no
 * allowed PU) is -1 with a one-line message naming the numbers. */
int ts_binding_plan_make(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                         const ts_worker_schedule *ws, ts_gpus *gpus,
                         ts_binding_plan *out, ts_err *err);
void ts_binding_plan_free(ts_binding_plan *p);

/* "0-3,8": malloc'd, NULL when out of memory. */
char *ts_binding_cpulist(hwloc_const_bitmap_t set);
/* Worker w's GPUs, "0,1" or "" (ts_gpus_join). */
char *ts_binding_worker_gpus(const ts_binding_plan *p, size_t w);

/* Worker w's environment: TASK_SUITE_WORKER_ID, _CPUS, _GPUS, and each
 * runtime variable the allocation set narrowed to the worker's GPUs (when
 * the GPUs came from SLURM_*_GPUS: CUDA_VISIBLE_DEVICES and
 * ROCR_VISIBLE_DEVICES). Not async-signal-safe: call it in a child forked
 * from a single-threaded parent, or before exec otherwise safe. */
int ts_binding_env(const ts_binding_plan *p, size_t w, ts_err *err);
/* Bind the calling process (all its threads) to worker w's cpuset
 * (ts_binding_bind), and then ts_binding_env (ts_binding_apply). topo must
 * be this machine's (ts_binding_load). */
int ts_binding_bind(hwloc_topology_t topo, const ts_binding_plan *p, size_t w, ts_err *err);
int ts_binding_apply(hwloc_topology_t topo, const ts_binding_plan *p, size_t w,
                     ts_err *err);

#endif
