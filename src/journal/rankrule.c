/* rankrule.c: the ranks of a multi-node attempt → the attempt's end
 * (rules in rankrule.h). Pure, no SQLite: attempts.c reads the rank rows
 * and folds them in here; tests/unit/journal/rankrule.c checks each rule. */
#include "config.h"

#include <stdbool.h>

#include "outcome.h"
#include "rankrule.h"

void ts_rank_fold_add(ts_rank_fold *f, const ts_rank_end *r)
{
    if (r->has_start && (f->started == 0 || r->started_at < f->started))
        f->started = r->started_at;
    if (!r->has_end)
        return;
    f->exited++;
    if (r->ended_at > f->ended)
        f->ended = r->ended_at;
    if (r->signal == 0 && r->exit_code == 0)
        return;                             /* ok */
    if (r->exit_code == TS_TASK_EXIT_TEMPFAIL || r->graceful) {
        if (!f->any_timeout)
            f->timeout_code = r->exit_code;
        f->any_timeout = true;
    } else if (r->signal > 0) {
        if (!f->any_sig)
            f->sig = r->signal;
        f->any_sig = true;
    } else {
        if (!f->any_fail) {
            f->fail_code = r->exit_code;
            f->fail_ended = r->ended_at;
        }
        f->any_fail = true;
    }
}

ts_rank_verdict ts_rank_fold_verdict(const ts_rank_fold *f, int num_nodes)
{
    ts_rank_verdict v = { .state = TS_ATT_RUNNING, .exit_code = -1,
                          .started_at = f->started, .ended_at = f->ended };

    if (f->any_fail) {
        v.state = TS_ATT_FAILED;
        v.exit_code = f->fail_code;
        v.ended_at = f->fail_ended;
    } else if (f->exited >= num_nodes) {
        if (f->any_timeout) {
            v.state = TS_ATT_TIMEOUT;
            v.exit_code = f->timeout_code;
            v.signal = f->timeout_code < 0 ? f->sig : 0;
        } else if (f->any_sig) {
            v.state = TS_ATT_ENDED_BY_SIGNAL;
            v.signal = f->sig;
        } else {
            v.state = TS_ATT_COMPLETED;
            v.exit_code = 0;
        }
    } else {
        v.ended_at = 0;
    }
    return v;
}

bool ts_attempt_state_is_final(enum ts_attempt_state a)
{
    return a != TS_ATT_RUNNING && a != TS_ATT_ENDED_BY_SIGNAL;
}
