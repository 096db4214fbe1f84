/* oncomplete.h: the suite's on_complete hook (SPEC.md section 5), and
 * where it runs.
 *
 * It runs once each time the suite becomes complete, in one of these
 * places only, whichever gets there first:
 *   - `tasksuite sync` and `reconcile` (the reconcile job that follows a
 *     suite's arrays, and the safety-net watchdog job), on Slurm;
 *   - `submit`'s follow (until it ends or detaches);
 *   - the local runner, for --local suites (ts_on_complete_run_if_due once
 *     its tasks are done);
 * never from `status`, `list` or `logs`: they may refresh the suite and
 * see it complete, but never run user code (a 5 s hook would make `list`
 * take 5 s). A completion they see is left due (a refresh leaves the
 * watchdog in place while the hook is due) and the next of the places
 * above runs it.
 *
 * As the user who runs that command (always the suite's owner), with the
 * hook's timeout and process-group kill. Its output goes to
 * SUITEDIR/hooks/on_complete.N.log (N = the suite's completion count); that
 * file is also the claim (created exclusively before the hook starts), so
 * a completion runs it at most once even when two commands race. A failure
 * is reported and logged; it never undoes the completion.
 */
#ifndef TS_ONCOMPLETE_H
#define TS_ONCOMPLETE_H

#include <stdbool.h>

#include "err.h"
#include "journal.h"

/* Whether the suite is complete with an on_complete that has not run (nor
 * started) for this completion. */
int ts_on_complete_due(ts_journal *j, const char *suite_id, bool *due, ts_err *err);

/* Run it when due (see above); call without holding the journal's writer
 * lock (the hook may call tasksuite itself). *ran (may be NULL): this call
 * ran it. 0 when it ran and succeeded or was not due; -1 with err naming
 * the hook, its outcome and its log otherwise. */
int ts_on_complete_run_if_due(ts_journal *j, const char *suite_id, bool *ran, ts_err *err);

#endif
