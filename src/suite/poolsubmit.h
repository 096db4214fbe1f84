/* poolsubmit.h: queueing a suite in pool mode (doc/pool.md, "Submitting").
 * poolsubmit.c: the pool directory, manifest and queue; poolalloc.c: the
 * allocations.
 *
 * A suite with worker_schedule (not --local) runs in pool mode: instead of
 * one array element per task, its tasks go to the claim queue under
 * <run dir>/pool (src/pool/claims.h) and a few pool allocations, each
 * running one `tasksuite pool-agent` per node, pull them.
 *
 * The journal keeps its array-mode shape: each (task, attempt) still gets
 * one submission_tasks row through an intent, which is how attempts stay
 * numbered without gaps and queued once; carrying out an intent in pool
 * mode appends its (task, attempt, generation 0) entries as a queue epoch
 * instead of queueing arrays. A crash between the append and marking the
 * intent submitted appends them again on the next run: harmless, a claim
 * is named by (task, attempt, generation), so the second entry is never
 * claimed once the first was. Pool allocations are recorded as jobs of the
 * intent they were queued with, with an empty position range (first_index 0,
 * last_index -1): cancel and rm know them, nothing maps them to a task.
 */
#ifndef TS_SUITE_POOLSUBMIT_H
#define TS_SUITE_POOLSUBMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "slurm.h"
#include "spec.h"
#include "submission.h"

/* Does the suite run in pool mode? (--local runs every task here.) */
bool ts_pool_mode(const ts_suite *s, bool local);

/* Was the suite in run directory dir queued in pool mode (it has dir/pool)? */
bool ts_pool_dir_exists(const char *suite_dir);

/* <suite_dir>/pool and its manifest; -1 when too long. */
int ts_pool_path(const char *suite_dir, const char *leaf, char *buf, size_t len);

/* How many pool allocations are queued at once: worker_schedule.allocations,
 * or min(TS_POOL_ALLOCATIONS_MAX, ntasks / worker_count rounded up), at
 * least 1. Pure. */
long ts_pool_allocations(const ts_worker_schedule *ws, long ntasks);

/* The allocation this process runs in when it is one of the suite's
 * (its end-of-job reconcile), else 0. */
uint32_t ts_pool_self_job(const char *suite_id);

/* Slurm jobs that are pool allocations of the suite: job name "ts-<id>",
 * comment starting "tasksuite:<id>:pool:". live: only those pending or
 * running (not completing), except `self` (the allocation this process runs
 * in, 0: none): it is ending. Pure. */
bool ts_pool_is_allocation(const ts_job_info *ji, const char *suite_id);
long ts_pool_live_allocations(const ts_job_info *jobs, size_t n, const char *suite_id,
                              uint32_t self);

/* The lease and allocation count written at submit to pool/settings, for
 * sync (which does not parse the suite file on every run). Missing or
 * unreadable: the defaults. */
int ts_pool_settings_write(const char *suite_dir, const ts_worker_schedule *ws,
                           long allocations, ts_err *err);
void ts_pool_settings_read(const char *suite_dir, long *lease_s, long *allocations);

/* Carry out intent sub_id in pool mode: the pool directory, the manifest
 * (rewritten when the intent holds a task it lacks), the intent's queue
 * epoch, then allocations: up to the suite's count at the first intent
 * (first: submit), else one when none is pending or running; then the
 * intent is marked submitted. At submit, no allocation at all is an error
 * (nothing queued: the caller discards the suite); later it is a warning
 * (the next sync's safety net tries again). */
int ts_pool_carry_out(const ts_submit_ctx *c, int64_t sub_id, bool first, ts_err *err);

/* Queue pool allocations until `want` are pending or running (those Slurm
 * has but the journal does not, from an interrupted run, are recorded on
 * sub_id first); *queued (may be NULL) gets how many were queued now. */
int ts_pool_allocate(const ts_submit_ctx *c, int64_t sub_id, long want, long *queued,
                     ts_err *err);

/* The pool allocations the journal records for the suite (malloc'd). */
int ts_pool_recorded(ts_journal *j, const char *suite_id, uint32_t **ids, size_t *n,
                     ts_err *err);

/* Did any agent start in allocation jobid (a pool/agents file names it)? */
bool ts_pool_allocation_had_agent(const char *suite_dir, uint32_t jobid);

/* The brake on the safety net: the last TS_POOL_BARREN allocations all
 * ended without starting an agent (a broken agent, a worker_schedule the
 * nodes refuse): queueing more would loop. Pure over its inputs: ids the
 * recorded allocations, had_agent[i] and live[i] for each. */
#define TS_POOL_BARREN 3
bool ts_pool_barren(const uint32_t *ids, const bool *had_agent, const bool *live, size_t n);

/* One allocation's sbatch options: the suite's (resources, num_nodes,
 * slurm:), the resume signal sent to the job's steps (the agents), not to
 * the batch shell ("B:" dropped). */
int ts_pool_allocation_options(const ts_suite *s, ts_kvlist *opts, ts_err *err);

/* Submit's undo (Slurm refused the first allocation, the suite is
 * discarded): what ts_pool_carry_out wrote under <suite_dir>/pool. */
void ts_pool_remove_unused(const char *suite_dir);

/* For --dry-run and validate: how the suite would be queued. */
int ts_pool_describe(const ts_submit_ctx *c, long ntasks, FILE *out, ts_err *err);

#endif
