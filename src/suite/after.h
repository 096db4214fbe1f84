/* after.h: a suite that waits for other suites (the suite-level
 * depends_on: [other-suite-id-or-name], doc/dags.md).
 *
 * Each name is resolved once, at submit, to a suite ID of the submitting
 * user in the same journal (an ID or unique ID prefix first, else the
 * newest suite of that name) and the IDs are kept in the submit record
 * ("after"). While one of them is not complete, every array of the
 * waiting suite is queued held; a sync of the waiting suite leaves them
 * held (not the "launch failed" hold sync releases), and releases them
 * once every suite it waits for is complete. A suite that becomes
 * complete has its sync refresh the suites waiting for it, so they start
 * at once rather than at their watchdog's next look.
 */
#ifndef TS_SUITE_AFTER_H
#define TS_SUITE_AFTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "journal.h"
#include "spec.h"

/* s->depends_on -> suite IDs (malloc'd array of malloc'd strings, *n of
 * them). An unknown one: "FILE: depends_on[K]: no suite "X" of yours in
 * the journal (an ID or the name of a suite you submitted)". */
int ts_after_resolve(ts_journal *j, const ts_suite *s, uid_t uid, char ***ids, size_t *n,
                     ts_err *err);

/* Whether the suite with this submit record waits for a suite that is not
 * complete yet; *which (may be NULL) gets the first such ID. */
int ts_after_waiting(ts_journal *j, const char *submit_record, bool *waiting,
                     char which[TS_SUITE_ID_LEN + 1], ts_err *err);

/* Once it waits for nothing: release its held arrays (each array job as
 * a whole; one that is not held any more is left as it is). */
int ts_after_release(ts_journal *j, const ts_suite_info *si, ts_err *err);

/* The open suites of uid that wait for `done_id` (IDs into *out). */
int ts_after_dependents(ts_journal *j, const char *done_id, uid_t uid, char ***out,
                        size_t *n, ts_err *err);

void ts_after_ids_free(char **ids, size_t n);

#endif
