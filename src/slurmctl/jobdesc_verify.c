/* jobdesc_verify.c: what sbatch does after reading every option.
 *
 * sbatch checks options against each other (_opt_verify of src/sbatch/opt.c)
 * and derives fields while building the job_desc (slurm_opt_create_job_desc
 * of src/common/slurm_opt.c): --hint, node and task counts, min_cpus, TRES
 * strings. jobdesc.c applies one option at a time into an opt_ctx; this
 * file turns the whole context into job_desc fields, so the rules that
 * depend on several options (and most TS_SBATCH_*_RULES) are in one place.
 * Where sbatch silently ignores or adjusts a contradiction, an error is
 * reported instead: a suite is checked once and then runs unattended.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm_int.h"

/* verify_hint() of src/common/proc_args.c, for sbatch (no cpu_bind). */
static void apply_hint(opt_ctx *c)
{
    const char *p = c->hint->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (strncasecmp(p, "compute_bound", len) == 0 && len == 13) {
            c->sockets = NO_VAL;
            c->cores = NO_VAL;
            c->threads = 1;
        } else if (strncasecmp(p, "memory_bound", len) == 0 && len == 12) {
            c->cores = 1;
            c->threads = 1;
        } else if (strncasecmp(p, "multithread", len) == 0 && len == 11) {
            c->threads = NO_VAL;
            c->ntasks_per_core = INFINITE16;
        } else {                                     /* nomultithread */
            c->threads = 1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

/* How sbatch names TRES in the job request: "gres:gpu:2" up to 23.02,
 * "gres/gpu:2" from 23.11. */
#define TRES_GPU (TS_SBATCH_2311_RULES ? "gres/gpu:" : "gres:gpu:")
#define TRES_GRES (TS_SBATCH_2311_RULES ? "gres/" : "gres:")

/* xfmt_tres() of src/common/proc_args.c: prefix (TRES_GPU or TRES_GRES)
 * before every comma item. */
static int append_tres(char **dest, const char *prefix, const char *items,
                       ts_err *err)
{
    const char *p = items;
    while (*p) {
        size_t len = strcspn(p, ",");
        /* gres_prepend_tres_type(): "gres:" once, never "gres:gres:". */
        if (strcmp(prefix, TRES_GRES) == 0
            && (strncmp(p, "gres:", 5) == 0 || strncmp(p, "gres/", 5) == 0)) {
            p += 5;
            len -= 5;
        }
        if (*dest) {
            if (ts_jobdesc_set_stringf(dest, err, "%s,%s%.*s", *dest, prefix, (int)len, p)
                < 0)
                return -1;
        } else if (ts_jobdesc_set_stringf(dest, err, "%s%.*s", prefix, (int)len, p) < 0) {
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* 23.11: tres_per_task carries --cpus-per-task and --gpus-per-task,
 * "cpu=N,gres/gpu[:type]=M" (slurm_opt.c: _validate_tres_per_task). sbatch
 * reads one "[type:]count" of --gpus-per-task and drops the rest of a
 * list silently: a suite is told instead. */
static int tres_per_task(job_desc_msg_t *d, const opt_ctx *c, ts_err *err)
{
    char *s = NULL;
    if (c->gpus_per_task) {
        const char *v = c->gpus_per_task, *colon = strrchr(v, ':');
        unsigned long n = 0;
        ts_kv kv = { .key = "gpus-per-task", .value = (char *)v };
        if (strchr(v, ',') || !ts_optval_ulong(colon ? colon + 1 : v, 1,
                                           NO_VAL16 - 1, &n))
            return ts_optval_bad(err, &kv, "not [type:]count: Slurm 23.11 and newer "
                       "take one GPU type per task");
        if (colon ? ts_jobdesc_set_stringf(&s, err, "gres/gpu:%.*s=%lu",
                                (int)(colon - v), v, n) < 0
                  : ts_jobdesc_set_stringf(&s, err, "gres/gpu=%lu", n) < 0)
            return -1;
    }
    if (c->cpus_set) {
        int rc = s ? ts_jobdesc_set_stringf(&s, err, "cpu=%" PRIu32 ",%s",
                                 c->cpus_per_task, s)
                   : ts_jobdesc_set_stringf(&s, err, "cpu=%" PRIu32, c->cpus_per_task);
        if (rc < 0) {
            free(s);
            return -1;
        }
    }
    free(d->tres_per_task);
    d->tres_per_task = s;
    return 0;
}

/* What sbatch does after reading every option (_opt_verify) and while
 * building the job_desc (slurm_opt_create_job_desc). */
int ts_jobdesc_finish(job_desc_msg_t *d, opt_ctx *c, ts_err *err)
{
    char *tres = NULL;

    if (c->hint) {
        /* sbatch drops --hint silently when --threads-per-core is given. */
        if (c->threads_kv)
            return ts_optval_bad(err, c->hint, "conflicts with slurm.threads-per-core "
                       "(sbatch would ignore the hint)");
        apply_hint(c);
    }
    if (c->nodelist) {
        int count = 0;
        if (ts_optval_hostlist(c->nodelist, &count, NULL, err) < 0)
            return -1;
        uint32_t n = (uint32_t)count;
        if (TS_SBATCH_2302_RULES) {
            /* 23.02: the list may name more nodes than --nodes asks for;
             * it gives the node count only without --nodes. */
            if (!c->nodes_set)
                c->min_nodes = n;
        } else {
            if (c->nodes_set && c->max_nodes && n > c->max_nodes)
                return ts_optval_bad(err, c->nodelist, "names %u nodes, more than the "
                           "%u the job asks for", n, c->max_nodes);
            if (!c->nodes_set || n > c->min_nodes)
                c->min_nodes = n;
        }
        c->nodes_set = true;
    }
    /* --ntasks-per-node on a fixed node count: 22.05 derives the task count
     * from it; 23.02 only sizes min_cpus with it (below). */
    bool per_node = c->ntasks_per_node != NO_VAL && !c->ntasks_set
                    && (c->max_nodes == 0 || c->min_nodes == c->max_nodes);
    if (per_node && (uint64_t)c->min_nodes * c->ntasks_per_node >= NO_VAL)
        return ts_errf(err, "slurm.ntasks-per-node: %" PRIu32 " tasks on each "
                       "of %" PRIu32 " nodes is too many", c->ntasks_per_node,
                       c->min_nodes);
    if (per_node && !TS_SBATCH_2302_RULES) {
        c->ntasks = c->min_nodes * c->ntasks_per_node;
        c->ntasks_set = true;
    }
    if (c->nodes_set && (c->min_nodes == c->max_nodes || c->max_nodes == 0)
        && !c->ntasks_set
        && (!TS_SBATCH_2302_RULES || c->ntasks_per_node == NO_VAL)) {
        /* One task per node, times sockets x cores x threads if given. */
        c->ntasks = c->min_nodes > 1 ? c->min_nodes : 1;
        if (c->sockets != NO_VAL) {
            c->ntasks *= c->sockets;
            c->ntasks_set = true;
        }
        if (c->cores != NO_VAL) {
            c->ntasks *= c->cores;
            c->ntasks_set = true;
        }
        if (c->threads != NO_VAL) {
            c->ntasks *= c->threads;
            c->ntasks_set = true;
        }
    } else if (c->nodes_set && c->ntasks_set) {
        /* sbatch lowers the node count with a warning; a suite says what
         * it means instead. */
        if (c->ntasks < c->min_nodes) {
            char msg[64];
            snprintf(msg, sizeof msg, "%" PRIu32, c->ntasks);
            ts_kv kv = { .key = "ntasks", .value = msg };
            return ts_optval_bad(err, &kv, "fewer tasks than nodes (%" PRIu32 "); "
                       "ask for at least one task per node", c->min_nodes);
        }
        if (c->max_nodes && c->ntasks < c->max_nodes)
            c->max_nodes = c->ntasks;
    }
    /* The task count min_cpus is sized for (estimated_ntasks). */
    uint32_t est_ntasks = c->ntasks;
    if (per_node && TS_SBATCH_2302_RULES)
        est_ntasks = c->min_nodes * c->ntasks_per_node;
    if (c->begin && c->deadline && c->deadline < c->begin)
        return ts_errf(err, "slurm.deadline: is before slurm.begin");

    /* min_cpus, pn_min_cpus (slurm_opt_create_job_desc, no overcommit). */
    if (c->cpus_set) {
        d->pn_min_cpus = (uint16_t)c->cpus_per_task;
        uint64_t total = (uint64_t)est_ntasks * c->cpus_per_task;
        if (total >= NO_VAL)
            return ts_errf(err, "slurm.cpus-per-task: %" PRIu32 " CPUs for "
                           "each of %" PRIu32 " tasks is too many",
                           c->cpus_per_task, est_ntasks);
        d->min_cpus = (uint32_t)total;
        d->cpus_per_task = (uint16_t)c->cpus_per_task;
        d->bitflags |= JOB_CPUS_SET;
    } else if (c->nodes_set && c->min_nodes == 0) {
        d->min_cpus = 0;
    } else {
        d->min_cpus = est_ntasks;
    }
    if (c->nodes_set) {
        d->min_nodes = c->min_nodes;
        if (c->max_nodes)
            d->max_nodes = c->max_nodes;
    } else if (TS_SBATCH_2302_RULES && c->ntasks_set
               && c->ntasks_per_node != NO_VAL) {
        /* 23.02: enough nodes for the tasks at --ntasks-per-node each. */
        d->min_nodes = (c->ntasks + c->ntasks_per_node - 1)
                       / c->ntasks_per_node;
    }
    if (c->ntasks_set) {
        d->num_tasks = c->ntasks;
        d->bitflags |= JOB_NTASKS_SET;
    }
    if (c->sockets != NO_VAL)
        d->sockets_per_node = (uint16_t)c->sockets;
    if (c->cores != NO_VAL)
        d->cores_per_socket = (uint16_t)c->cores;
    if (c->threads != NO_VAL)
        d->threads_per_core = (uint16_t)c->threads;
    if (c->ntasks_per_node != NO_VAL)
        d->ntasks_per_node = (uint16_t)c->ntasks_per_node;
    if (c->ntasks_per_core != NO_VAL)
        d->ntasks_per_core = (uint16_t)c->ntasks_per_core;

    /* TRES: --gpus, then --gpus-per-node with --gres appended, as sbatch. */
    if (c->gpus && append_tres(&d->tres_per_job, TRES_GPU, c->gpus, err) < 0)
        return -1;
    if (c->gpus_per_node
        && append_tres(&tres, TRES_GPU, c->gpus_per_node, err) < 0)
        goto fail;
    if (c->gres && append_tres(&tres, TRES_GRES, c->gres, err) < 0)
        goto fail;
    if (tres) {
        free(d->tres_per_node);
        d->tres_per_node = tres;
        tres = NULL;
    }
    if (TS_SBATCH_2311_RULES) {
        if (tres_per_task(d, c, err) < 0)
            return -1;
    } else if (c->gpus_per_task
               && append_tres(&d->tres_per_task, TRES_GPU, c->gpus_per_task,
                              err) < 0) {
        return -1;
    }
    if (c->mem_per_gpu != NO_VAL64
        && ts_jobdesc_set_stringf(&d->mem_per_tres, err, "%s%" PRIu64, TRES_GPU,
                       c->mem_per_gpu) < 0)
        return -1;
    return 0;
fail:
    free(tres);
    return -1;
}
