/* report_json.h: suites, tasks and attempts as cJSON objects, for
 * `status --json` and `list --json`.
 *
 * Keys are stable (scripts rely on them); a value that is not known is null,
 * never a missing key. Times are epoch seconds (numbers).
 *
 *   suite summary (list):
 *     {"id","name","state","owner_uid","labels":[...],"created_at",
 *      "updated_at","total","done","percent","counts":{"pending":n,...}}
 *   status document: the summary plus
 *     "completions", "dir", "sync_error" (null, or the one-line reason the
 *     refresh from events/Slurm failed: the rest is then the journal as it
 *     was), "tasks":[{"idx","name","state","attempts","last_exit",
 *     "last_signal","checkpoint","step","attempt_history":[{"attempt",
 *     "state","exit_code","signal","slurm_job_id","node","num_nodes",
 *     "started_at","ended_at"}]}]
 *   counts lists every task state, in the journal's order.
 */
#ifndef TS_REPORT_JSON_H
#define TS_REPORT_JSON_H

#include <cjson/cJSON.h>

#include "err.h"
#include "journal.h"

cJSON *ts_json_counts(const ts_counts *c);
cJSON *ts_json_attempt(const ts_attempt_info *a);
/* A task without its "attempt_history" (the caller adds it). */
cJSON *ts_json_task(const ts_task_info *t);
/* The summary; c may be NULL (then total/done/percent/counts from the
 * suite row alone: total_tasks, and null for the rest). */
cJSON *ts_json_suite_summary(const ts_suite_info *s, const ts_counts *c);

/* The whole status document of a suite: summary + completions + dir +
 * sync_error + every task with its attempts (two walks over the journal,
 * not one query per task). dir and sync_error may be NULL. */
int ts_json_suite_status(ts_journal *j, const ts_suite_info *s,
                         const ts_counts *c, const char *dir,
                         const char *sync_error, cJSON **out, ts_err *err);

#endif
