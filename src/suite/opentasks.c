/* opentasks.c: a suite's unsettled tasks by index (see opentasks.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "opentasks.h"

static int note_open(const ts_task_info *t, void *arg)
{
    ts_open_tasks *o = arg;
    size_t cap = o->cap;
    if (ts_grow((void **)&o->idx, &cap, o->n, sizeof *o->idx) < 0
        || ts_grow((void **)&o->attempt, &o->cap, o->n, sizeof *o->attempt) < 0)
        return -1;
    o->idx[o->n] = t->idx;
    o->attempt[o->n++] = t->attempts;
    return 0;
}

int ts_open_tasks_load(ts_journal *j, const char *suite_id, unsigned mask, ts_open_tasks *o,
                       ts_err *err)
{
    o->n = 0;
    return ts_journal_tasks_foreach(j, suite_id, mask, note_open, o, err);
}

int ts_open_tasks_attempt(const ts_open_tasks *o, long idx)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {   /* binary search: index order */
        size_t mid = lo + (hi - lo) / 2;
        if (o->idx[mid] == idx)
            return o->attempt[mid];
        if (o->idx[mid] < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void ts_open_tasks_free(ts_open_tasks *o)
{
    free(o->idx);
    free(o->attempt);
    memset(o, 0, sizeof *o);
}
