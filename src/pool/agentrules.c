/* agentrules.c: the pool agent's pure decisions (agentrules.h). */
#include "config.h"

#include "agentrules.h"

bool ts_pool_tally_note(ts_pool_tally *t, enum ts_pool_result r, int suspend_after)
{
    switch (r) {
    case TS_POOL_DONE:
        t->done++;
        t->streak = 0;
        return false;
    case TS_POOL_FAILED:
        t->failed++;
        t->streak++;
        break;
    default:
        return false;
    }
    if (suspend_after > 0 && t->streak >= suspend_after && !t->suspended) {
        t->suspended = true;
        return true;
    }
    return false;
}

bool ts_pool_agent_done(int busy, int buffered, int empty_looks, bool winding_down)
{
    if (busy > 0)
        return false;
    if (winding_down)
        return true;
    return buffered == 0 && empty_looks >= TS_POOL_EMPTY_LOOKS;
}
