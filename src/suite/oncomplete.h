/* oncomplete.h: the suite's on_complete hook (SPEC.md section 5).
 *
 * Runs once each time the suite becomes complete, as the user who ran the
 * sync that completed it (the submitter's `status`/`submit`, or the
 * safety-net job: always the suite's owner), with the hook's timeout and
 * process-group kill. Its output goes to SUITEDIR/hooks/on_complete.N.log
 * (N = the suite's completion count). A failure is reported and logged; it
 * never undoes the completion.
 */
#ifndef TS_ONCOMPLETE_H
#define TS_ONCOMPLETE_H

#include "err.h"
#include "journal.h"

/* 0 when it ran and succeeded or there is no hook; -1 with err naming the
 * hook, its outcome and its log otherwise. */
int ts_on_complete_run(ts_journal *j, const char *suite_id, ts_err *err);

#endif
