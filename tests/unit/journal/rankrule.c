/* rankrule.t: how the ranks of a multi-node attempt combine into the
 * attempt's end (src/journal/rankrule.h), on plain structs, no journal:
 * a failure decides at once, otherwise the attempt runs until every rank
 * ended; then exit 75 or a graceful timeout is a timeout, a death by
 * signal is left to sync (ended_by_signal), else completed. The first rank
 * (the lowest-numbered) decides among ranks alike. Table-driven. */
#include "config.h"

#include <signal.h>
#include <stdbool.h>

#include "outcome.h"
#include "rankrule.h"
#include "tap.h"

#define MAXR 4

/* Rank shorthands: started at s, ended at e (0: not), exit code, signal. */
#define OK(s, e) { true, s, true, e, 0, 0, false }
#define EXIT(s, e, c) { true, s, true, e, c, 0, false }
#define SIG(s, e, n) { true, s, true, e, -1, n, false }
#define RUNNING(s) { true, s, false, 0, -1, 0, false }
#define GRACEFUL(s, e, c) { true, s, true, e, c, 0, true }

static const struct {
    const char *what;
    int num_nodes, nranks;
    ts_rank_end r[MAXR];
    ts_rank_verdict want;
} cases[] = {
    { "one rank, exit 0", 1, 1, { OK(10, 20) },
      { TS_ATT_COMPLETED, 0, 0, 10, 20 } },
    { "one rank still running", 1, 1, { RUNNING(10) },
      { TS_ATT_RUNNING, -1, 0, 10, 0 } },
    { "no rank record yet", 2, 0, { { 0 } },
      { TS_ATT_RUNNING, -1, 0, 0, 0 } },
    { "two ranks, both exit 0: the last end, the first start", 2, 2,
      { OK(12, 30), OK(10, 25) }, { TS_ATT_COMPLETED, 0, 0, 10, 30 } },
    { "two of three ranks ended: still running", 3, 2, { OK(10, 20), OK(10, 21) },
      { TS_ATT_RUNNING, -1, 0, 10, 0 } },
    { "a failure decides before the others end", 3, 2, { RUNNING(10), EXIT(10, 15, 3) },
      { TS_ATT_FAILED, 3, 0, 10, 15 } },
    { "two failures: the first rank's code and end", 2, 2,
      { EXIT(10, 40, 2), EXIT(10, 30, 9) }, { TS_ATT_FAILED, 2, 0, 10, 40 } },
    { "a failure beats a timeout", 2, 2,
      { EXIT(10, 20, TS_TASK_EXIT_TEMPFAIL), EXIT(10, 25, 1) },
      { TS_ATT_FAILED, 1, 0, 10, 25 } },
    { "a failure beats a signal", 2, 2, { SIG(10, 20, SIGKILL), EXIT(10, 22, 4) },
      { TS_ATT_FAILED, 4, 0, 10, 22 } },
    { "exit 75 on every rank: timeout", 2, 2,
      { EXIT(10, 20, TS_TASK_EXIT_TEMPFAIL), EXIT(10, 21, TS_TASK_EXIT_TEMPFAIL) },
      { TS_ATT_TIMEOUT, TS_TASK_EXIT_TEMPFAIL, 0, 10, 21 } },
    { "exit 75 on one rank, 0 on the other: timeout", 2, 2,
      { OK(10, 20), EXIT(10, 21, TS_TASK_EXIT_TEMPFAIL) },
      { TS_ATT_TIMEOUT, TS_TASK_EXIT_TEMPFAIL, 0, 10, 21 } },
    { "exit 75 waits for the other ranks", 2, 1,
      { EXIT(10, 20, TS_TASK_EXIT_TEMPFAIL) }, { TS_ATT_RUNNING, -1, 0, 10, 0 } },
    { "a graceful timeout with another exit code is a timeout", 1, 1,
      { GRACEFUL(10, 20, 1) }, { TS_ATT_TIMEOUT, 1, 0, 10, 20 } },
    { "a timeout beats a signal", 2, 2,
      { SIG(10, 20, SIGTERM), EXIT(10, 21, TS_TASK_EXIT_TEMPFAIL) },
      { TS_ATT_TIMEOUT, TS_TASK_EXIT_TEMPFAIL, 0, 10, 21 } },
    { "a graceful rank killed by a signal: the other rank's signal", 2, 2,
      { { true, 10, true, 20, -1, SIGUSR2, true }, SIG(10, 21, SIGTERM) },
      { TS_ATT_TIMEOUT, -1, SIGTERM, 10, 21 } },
    { "a graceful rank killed by a signal alone: no signal", 1, 1,
      { { true, 10, true, 20, -1, SIGUSR2, true } },
      { TS_ATT_TIMEOUT, -1, 0, 10, 20 } },
    { "a death by signal is left to sync", 1, 1, { SIG(10, 20, SIGTERM) },
      { TS_ATT_ENDED_BY_SIGNAL, -1, SIGTERM, 10, 20 } },
    { "two signals: the first rank's", 2, 2, { SIG(10, 20, SIGUSR1), SIG(10, 21, SIGKILL) },
      { TS_ATT_ENDED_BY_SIGNAL, -1, SIGUSR1, 10, 21 } },
    { "a signal waits for the other ranks", 2, 1, { SIG(10, 20, SIGKILL) },
      { TS_ATT_RUNNING, -1, 0, 10, 0 } },
    { "an end without a start", 1, 1, { { false, 0, true, 20, 0, 0, false } },
      { TS_ATT_COMPLETED, 0, 0, 0, 20 } },
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_rank_fold f = TS_RANK_FOLD_INIT;
        ts_rank_verdict v;

        for (int k = 0; k < cases[i].nranks; k++)
            ts_rank_fold_add(&f, &cases[i].r[k]);
        v = ts_rank_fold_verdict(&f, cases[i].num_nodes);
        is_str(ts_attempt_state_name(v.state),
               ts_attempt_state_name(cases[i].want.state), cases[i].what);
        ok(v.exit_code == cases[i].want.exit_code && v.signal == cases[i].want.signal,
           "%s: exit %d signal %d (want %d, %d)", cases[i].what, v.exit_code, v.signal,
           cases[i].want.exit_code, cases[i].want.signal);
        ok(v.started_at == cases[i].want.started_at && v.ended_at == cases[i].want.ended_at,
           "%s: started %g ended %g (want %g, %g)", cases[i].what, v.started_at,
           v.ended_at, cases[i].want.started_at, cases[i].want.ended_at);
    }

    /* Which states are ends: reconcile's verdict stands over the others. */
    static const struct {
        enum ts_attempt_state s;
        bool final;
    } fin[] = {
        { TS_ATT_RUNNING, false }, { TS_ATT_ENDED_BY_SIGNAL, false },
        { TS_ATT_COMPLETED, true }, { TS_ATT_FAILED, true }, { TS_ATT_TIMEOUT, true },
        { TS_ATT_CANCELLED, true }, { TS_ATT_NODE_FAIL, true }, { TS_ATT_PREEMPTED, true },
    };
    for (size_t i = 0; i < sizeof fin / sizeof fin[0]; i++)
        ok(ts_attempt_state_is_final(fin[i].s) == fin[i].final, "%s is %sfinal",
           ts_attempt_state_name(fin[i].s), fin[i].final ? "" : "not ");
    return done_testing();
}
