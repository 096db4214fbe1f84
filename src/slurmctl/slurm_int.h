/* slurm_int.h: what the files of src/slurmctl/ share, and nothing else sees.
 *
 * slurm.h is the layer's interface; this header is for its own files:
 * conn.c (init, RPC errors), jobdesc*.c and optvalue.c (the sbatch
 * emulation), submit.c, query.c, tasklist.c, limits.c, control.c. It
 * includes libslurm's headers (through slurm_compat.h), so it must never
 * be included from outside src/slurmctl/ except by unit tests.
 */
#ifndef TS_SLURM_INT_H
#define TS_SLURM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "slurm_compat.h"

#include "err.h"
#include "slurm.h"
#include "spec.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* ------------------------------------------------------------ conn.c */

/* errno values that mean "no answer from slurmctld", not "it said no". */
bool ts_slurm_unreachable(int e);

/* "<what>: <reason>" for a failed RPC, reason from errno e; TS_EXIT_SLURM.
 * Returns -1. */
int ts_slurm_rpc_error(ts_err *err, int e, const char *what);

/* ------------------------------------------------------------ jobdesc_mem.c */

/* "out of memory while building the Slurm job request"; returns -1. */
int ts_slurm_oom(ts_err *err);

/* Replace *field with a malloc'd copy of value (or of the formatted text). */
int ts_jobdesc_set_string(char **field, const char *value, ts_err *err);
int ts_jobdesc_set_stringf(char **field, ts_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------ optvalue.c */

/* "slurm.<key>: <value>: <reason>"; returns -1. */
int ts_optval_bad(ts_err *err, const ts_kv *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whole string, decimal, no sign, within [lo, hi]. */
bool ts_optval_ulong(const char *s, unsigned long lo, unsigned long hi,
                     unsigned long *out);
/* A non-empty one-line value. */
int ts_optval_need(const ts_kv *kv, ts_err *err);
/* A node list, not a node file; its node count and ranged form on request. */
int ts_optval_hostlist(const ts_kv *kv, int *count, char **ranged,
                       ts_err *err);
int ts_optval_count(const ts_kv *kv, unsigned long max, unsigned long *v,
                    ts_err *err);
int ts_optval_size(const ts_kv *kv, uint64_t *mb, ts_err *err);
int ts_optval_minutes(const ts_kv *kv, uint32_t *mins, ts_err *err);
/* --begin/--deadline's point in time; -1 when not one. */
int ts_optval_when(const char *v, time_t now, time_t *out);
int ts_optval_flag(const ts_kv *kv, bool *on, ts_err *err);
/* "[type:]count" items, comma-separated, as --gpus* take them. */
int ts_optval_tres_items(const ts_kv *kv, ts_err *err);

/* ------------------------------------------------------------ jobdesc.c */

/* What sbatch keeps in its opt_t between parsing and building the job_desc,
 * for the options whose effect depends on others. */
typedef struct opt_ctx {
    bool nodes_set;
    uint32_t min_nodes, max_nodes;      /* max 0 = not given */
    bool ntasks_set;
    uint32_t ntasks;
    bool cpus_set;
    uint32_t cpus_per_task;
    uint32_t ntasks_per_node;           /* NO_VAL = not given */
    uint32_t sockets, cores, threads;   /* NO_VAL = not given */
    uint32_t ntasks_per_core;           /* NO_VAL = not given */
    const ts_kv *hint, *threads_kv;
    const ts_kv *mem_kv;                /* first of mem / mem-per-cpu / -gpu */
    const ts_kv *requeue_kv;
    const char *gres, *gpus, *gpus_per_node, *gpus_per_task;
    uint64_t mem_per_gpu;               /* NO_VAL64 = not given */
    const ts_kv *nodelist;
    time_t begin, deadline;
} opt_ctx;

/* Every option of opts through its handler, then ts_jobdesc_finish(). */
int ts_jobdesc_apply(job_desc_msg_t *d, const ts_kvlist *opts, opt_ctx *c,
                     ts_err *err);

/* The i-th option name the handler table applies, NULL past the last (for
 * the test that validator and submitter agree). */
const char *ts_jobdesc_handled(size_t i);

/* ------------------------------------------------------------ jobdesc_verify.c */

/* What sbatch does after reading every option (_opt_verify) and while
 * building the job_desc (slurm_opt_create_job_desc). */
int ts_jobdesc_finish(job_desc_msg_t *d, opt_ctx *c, ts_err *err);

/* ------------------------------------------------------------ tasklist.c */

/* Indices in a pending array's task list ("0-3,7,9-15:2%4"); 1 when it
 * cannot be read (the record counts once at least). */
long ts_tasklist_count(const char *list);

enum {
    TS_TASKLIST_CUT = -2,   /* ends in "...": libslurm cut it short */
    TS_TASKLIST_BAD = -3,   /* not a task list */
};

/* fn(index, arg) for every index of the list, in order; 0, or -1 when fn
 * returned < 0 (it has said why), or TS_TASKLIST_CUT / TS_TASKLIST_BAD
 * (then fn may have seen a first part of the list). */
int ts_tasklist_each(const char *list, int (*fn)(uint32_t index, void *arg),
                     void *arg);

#endif
