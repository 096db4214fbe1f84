/* addtask.h: one more task for an existing suite (`add`).
 *
 * Separate from the launcher: the task is expanded against the suite's
 * setup/run as kept in the journal (the submit record), exactly like an
 * entry of its `tasks:` list, then written and carried out like any
 * submission. The caller holds the journal's writer lock.
 */
#ifndef TS_SUITE_ADDTASK_H
#define TS_SUITE_ADDTASK_H

#include <stddef.h>

#include "err.h"
#include "journal.h"
#include "spec.h"

/* name NULL: one made from the args ("lr=0.1,depth=18", as the matrix
 * names its tasks; "added-N" when that does not fit), written to
 * name_buf. *idx gets the new task's index. Nothing is written when the
 * expansion fails (a %(name) without a value). */
int ts_suite_add_task(ts_journal *j, const ts_suite_info *si, const char *name,
                      const ts_kvlist *args, int priority, char *name_buf, size_t name_len,
                      long *idx, ts_err *err);

#endif
