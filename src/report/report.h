/* report.h: small lookups and text pieces shared by the read-only commands
 * (status, list, logs) and cancel.
 */
#ifndef TS_REPORT_H
#define TS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "journal.h"

/* Print err as the one line "tasksuite CMD: message" on stderr; returns
 * its exit code (err->code, TS_EXIT_FAIL when unset). */
int ts_report_fail(const char *cmd, const ts_err *err);

/* After getopt_long returned c ('?' or ':', with an optstring starting
 * ":"): print "tasksuite CMD: unknown option "-x" (usage: ...)" or
 * "... option "--attempt" needs a value (...)" and return TS_EXIT_USAGE. */
int ts_report_usage_error(const char *cmd, int c, char **argv, const char *usage);

/* A task's or attempt's end: "exit 3", "SIGKILL" ("signal 42" for one
 * without a name), or "-" when neither is known (has_exit false and sig 0).
 * Returns buf. */
const char *ts_report_exit(char *buf, size_t len, bool has_exit, int exit_code,
                           int sig);

/* Local time "2024-05-01 12:00:03"; "-" for 0 (unknown). Returns buf. */
const char *ts_report_time(char *buf, size_t len, double t);

/* A labels JSON array (as the journal stores it) as "a,b"; "" for none or
 * anything that is not an array of strings. Returns buf (truncated with
 * "..." if needed). */
const char *ts_report_labels(char *buf, size_t len, const char *labels_json);

/* Whether to colour what goes to f: a terminal, NO_COLOR unset or empty
 * (https://no-color.org), TERM not "dumb". */
bool ts_report_colour(FILE *f);

/* The SGR colour of a task state when coloured ("" for none): failures
 * red, timeout/node_fail/preempted yellow, completed green. */
const char *ts_report_state_colour(enum ts_task_state st);
#define TS_REPORT_RESET "\033[0m"

/* s fitted into `width` columns: as is when it fits, else its start and
 * its end around "\xe2\x80\xa6" (one column; the end, where a file name
 * is, gets the larger part). width < 8 keeps s as is. */
const char *ts_report_elide(char *buf, size_t len, const char *s, int width);

/* path relative to dir when it lies inside it ("ck/7.pt"), else path. */
const char *ts_report_relpath(const char *path, const char *dir);

/* The tasks of suite id that ended without completing (failed, timeout,
 * node_fail, preempted; ts_progress_failed), named after a progress line
 * such as "4/4 done (100.0%): failed 4": one line on f,
 * "not completed: a (exit 1), b (SIGKILL), ... and N more (tasksuite
 * status ID)", the first `max` of them; nothing when there are none. */
int ts_report_failed_names(FILE *f, ts_journal *j, const char *id, int max, ts_err *err);

/* The most recently created suite owned by uid (ties: the last one the
 * journal lists). None: -1, TS_EXIT_NOTFOUND, "no suites of yours in
 * /path/journal.db". */
int ts_report_latest_suite(ts_journal *j, uid_t uid,
                           char id[TS_SUITE_ID_LEN + 1], ts_err *err);

/* An owned copy of the fields of one task that the commands need. */
typedef struct ts_task_brief {
    long idx;
    char *name;
    int num_nodes;
    enum ts_task_state state;
    int attempts;
} ts_task_brief;

/* The task `name` of a suite (ts_journal_task_find, then a walk that stops
 * at it). Unknown: TS_EXIT_NOTFOUND `no task "x" in suite ab12cd34`. */
int ts_report_task_get(ts_journal *j, const char *suite_id, const char *name,
                       ts_task_brief *out, ts_err *err);
/* The same by index (the first task when idx < 0). */
int ts_report_task_by_idx(ts_journal *j, const char *suite_id, long idx,
                          ts_task_brief *out, ts_err *err);
void ts_task_brief_clear(ts_task_brief *t);

/* Attempt `attempt` of a task: 1 with *out filled (strings not kept: only
 * the numeric fields and state are meaningful afterwards), 0 when the
 * journal has no row for it (it never started, as far as events and Slurm
 * told), -1 on error. */
int ts_report_attempt_get(ts_journal *j, const char *suite_id, long task_idx,
                          int attempt, ts_attempt_info *out, ts_err *err);

/* An attempt whose end is known (anything but running; ended_by_signal
 * counts as ended: only its classification is pending). */
bool ts_attempt_ended(enum ts_attempt_state s);

#endif
