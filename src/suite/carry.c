/* carry.c: carrying out a submission intent (see carry.h). */
#include "config.h"

#include "carry.h"
#include "fault.h"
#include "localrun.h"
#include "poolsubmit.h"

int ts_submission_carry_out(const ts_submit_ctx *c, int64_t sub_id, const ts_carry_opts *o,
                            enum ts_carry_step *failed_at, ts_err *err)
{
    enum ts_carry_step scratch;
    if (!failed_at)
        failed_at = &scratch;
    *failed_at = TS_CARRY_MANIFEST;
    /* Pool mode: the intent's tasks go to the claim queue, and allocations
     * pull them (poolsubmit.h). */
    if (ts_pool_mode(c->s, o->local)) {
        *failed_at = TS_CARRY_QUEUE;
        if (ts_pool_carry_out(c, sub_id, o->first, err) < 0)
            return -1;
        if (o->watch_cmd)
            ts_submission_watch_or_warn(c, o->watch_cmd, o->watch_look);
        return 0;
    }
    if (ts_submission_write_manifest(c, sub_id, err) < 0)
        return -1;
    ts_fault_point("after-manifest");
    *failed_at = TS_CARRY_QUEUE;
    if (o->local)   /* a --local suite runs here, through the local runner */
        return (ts_localrun_mark(c->j, sub_id, err) < 0
                || (o->run_now && ts_localrun(c->j, c->suite_id, c->suite_dir, c->self, err) < 0))
                   ? -1 : 0;
    if (ts_submission_submit(c, sub_id, NULL, err) < 0)
        return -1;
    if (o->watch_cmd)
        ts_submission_watch_or_warn(c, o->watch_cmd, o->watch_look);
    return 0;
}

static int first_intent(const ts_intent_info *in, void *arg)
{
    *(int64_t *)arg = in->id;
    return 1;
}

int ts_submission_first_intent(ts_journal *j, const char *suite_id, int64_t *sub_id,
                               ts_err *err)
{
    *sub_id = 0;
    return ts_journal_intents_foreach(j, suite_id, TS_BIT(TS_SUB_INTENT), first_intent, sub_id,
                                      err) < 0 ? -1 : 0;
}
