/* gpus.h: the GPUs an allocation lists in its environment, and how they are
 * split between a node's pool workers.
 *
 * Separate from binding.c: it needs no hwloc, and it is the one place that
 * decides which variable names the GPUs (see doc/pool.md, "Binding"):
 *   CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, GPU_DEVICE_ORDINAL (what the
 *   GPU runtimes read, in the numbering they see inside the job's device
 *   cgroup), then SLURM_STEP_GPUS, SLURM_JOB_GPUS (the node's own indices).
 * The first one set wins; GPUs are never guessed from the hardware.
 */
#ifndef TS_POOL_GPUS_H
#define TS_POOL_GPUS_H

#include <stddef.h>

#include "err.h"

#define TS_GPUS_MAX 1024          /* entries of one list */
#define TS_GPUS_NRUNTIME 3        /* the *_VISIBLE_DEVICES-like variables */

typedef struct ts_gpu_var {
    const char *name;             /* static: one of the runtime variables */
    char **ids;                   /* its entries (as many as the source's) */
} ts_gpu_var;

typedef struct ts_gpus {
    const char *source;           /* static: the variable the list came from;
                                     NULL when none is set (no GPUs) */
    char **ids;                   /* the GPUs, in the source's order */
    size_t n;
    /* The runtime variables that were set: each is narrowed to a worker's
     * positions of the list (ts_binding_env). */
    ts_gpu_var runtime[TS_GPUS_NRUNTIME];
    size_t nruntime;
} ts_gpus;

/* Variable lookup: getenv, or a table in the unit tests. */
typedef const char *(*ts_gpus_lookup)(const char *name, void *ctx);

/* Read the allocation's GPUs. A malformed list (empty entry, odd character,
 * an entry twice, more than TS_GPUS_MAX) or runtime variables that disagree
 * on how many GPUs there are: -1, err says which variable and why. */
int ts_gpus_read(ts_gpus_lookup get, void *ctx, ts_gpus *out, ts_err *err);
/* ts_gpus_read over the process's environment. */
int ts_gpus_from_env(ts_gpus *out, ts_err *err);
void ts_gpus_free(ts_gpus *g);

/* Worker w of nworkers gets the positions [*first, *first + *count) of
 * ngpus: contiguous blocks as equal as possible when ngpus >= nworkers (the
 * first ngpus % nworkers workers one more), otherwise all of them (shared). */
void ts_gpus_share(size_t ngpus, size_t nworkers, size_t w, size_t *first,
                   size_t *count);

/* "a,b,c" of ids[first .. first + count), malloc'd ("" for none); NULL when
 * out of memory. */
char *ts_gpus_join(char *const *ids, size_t first, size_t count);

#endif
