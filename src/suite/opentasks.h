/* opentasks.h: a suite's unsettled tasks (by state mask: pending, running)
 * and the attempt each is at, looked up by task index. sync classifies
 * Slurm's records against it; the --local runner decides what may start
 * and which attempt a child that ended was running. */
#ifndef TS_OPENTASKS_H
#define TS_OPENTASKS_H

#include <stddef.h>

#include "journal.h"

typedef struct ts_open_tasks {
    long *idx;            /* ascending (the journal walks tasks in index order) */
    int *attempt;
    size_t n, cap;
} ts_open_tasks;

/* Replace o's content with the tasks of suite_id whose state is in mask. */
int ts_open_tasks_load(ts_journal *j, const char *suite_id, unsigned mask, ts_open_tasks *o,
                       ts_err *err);

/* The attempt task idx is at, 0 when it is not in o. */
int ts_open_tasks_attempt(const ts_open_tasks *o, long idx);

void ts_open_tasks_free(ts_open_tasks *o);

#endif
