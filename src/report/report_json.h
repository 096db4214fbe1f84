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
 *     "started_at","ended_at"}],"checkpoints":[{"attempt","path","step",
 *     "at"}]}]
 *   counts lists every task state, in the journal's order.
 */
#ifndef TS_REPORT_JSON_H
#define TS_REPORT_JSON_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "journal.h"

cJSON *ts_json_counts(const ts_counts *c);
/* The summary; c may be NULL (then total/done/percent/counts from the
 * suite row alone: total_tasks, and null for the rest). */
cJSON *ts_json_suite_summary(const ts_suite_info *s, const ts_counts *c);

/* The whole status document of a suite, written to f as the journal is
 * read (ts_journal_suite_walk: constant memory at any size) in the bytes
 * cJSON_Print would give for the same tree, and a newline: summary +
 * completions + dir + sync_error + every task with its attempts and
 * checkpoints. dir and sync_error may be NULL. On an error the document is
 * cut short (the caller says so and exits non-zero); -1 with err. */
int ts_json_suite_status_write(FILE *f, ts_journal *j, const ts_suite_info *s,
                               const ts_counts *c, const char *dir,
                               const char *sync_error, ts_err *err);
/* The same with the suite's graph (graphview.h) as "graph", NULL: none. */
int ts_json_suite_status_write_graph(FILE *f, ts_journal *j, const ts_suite_info *s,
                                     const ts_counts *c, const char *dir,
                                     const char *sync_error, const cJSON *graph,
                                     ts_err *err);

#endif
