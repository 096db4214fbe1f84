/* rankrule.h: how the ranks of a multi-node attempt combine into the
 * attempt's end, as plain structs (no SQLite), so the rule is testable on
 * its own (tests/unit/journal/rankrule.c).
 *
 * Each rank (node) of an attempt reports its own start and end; the
 * attempt is:
 *   - failed as soon as one rank failed (an exit other than 0 or
 *     TS_TASK_EXIT_TEMPFAIL, without a graceful-timeout record), with that
 *     rank's exit code and end time, even while other ranks still run;
 *   - otherwise running until every rank has ended (num_nodes of them);
 *   - then timeout if a rank exited TS_TASK_EXIT_TEMPFAIL (75) or recorded
 *     a graceful timeout (its exit code; or, with none, the signal that
 *     ended another rank); else ended_by_signal if a rank died of a signal
 *     (sync decides what that was); else completed (exit 0).
 * Among ranks alike, the lowest-numbered one (the first folded) decides.
 */
#ifndef TS_RANKRULE_H
#define TS_RANKRULE_H

#include <stdbool.h>

#include "journal.h"

/* One rank's records. */
typedef struct ts_rank_end {
    bool has_start;
    double started_at;
    bool has_end;
    double ended_at;
    int exit_code;          /* < 0: none (it died of a signal) */
    int signal;             /* 0: none */
    bool graceful;          /* it recorded a graceful timeout */
} ts_rank_end;

/* The ranks folded so far; start from TS_RANK_FOLD_INIT. */
typedef struct ts_rank_fold {
    int exited;
    int fail_code, timeout_code, sig;
    bool any_fail, any_timeout, any_sig;
    double started, ended, fail_ended;      /* 0: none */
} ts_rank_fold;

#define TS_RANK_FOLD_INIT \
    { .fail_code = -1, .timeout_code = -1 }

/* The attempt's end as the ranks tell it. */
typedef struct ts_rank_verdict {
    enum ts_attempt_state state;
    int exit_code;          /* < 0: none */
    int signal;             /* 0: none */
    double started_at;      /* the earliest rank start; 0: none */
    double ended_at;        /* 0: not ended */
} ts_rank_verdict;

/* Fold the next rank in (call in rank order). */
void ts_rank_fold_add(ts_rank_fold *f, const ts_rank_end *r);

/* The verdict once the ranks are folded, for an attempt of num_nodes. */
ts_rank_verdict ts_rank_fold_verdict(const ts_rank_fold *f, int num_nodes);

/* Whether the attempt state is an end (not running, not ended_by_signal,
 * which sync still has to classify). */
bool ts_attempt_state_is_final(enum ts_attempt_state a);

#endif
