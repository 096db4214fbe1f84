/* outcome.t: what the end of an attempt means (outcome.h), as exec.c asks
 * it: exit 75 and the deaths at the walltime are timeouts. Table-driven. */
#include "config.h"

#include <signal.h>
#include <stdbool.h>

#include "outcome.h"
#include "tap.h"

static const struct {
    ts_task_ending e;
    enum ts_task_outcome want;
    int status;
    const char *what;
} cases[] = {
    { { 0, 0, SIGUSR2, false, false }, TS_OUTCOME_COMPLETED, 0, "exit 0" },
    { { 1, 0, SIGUSR2, false, false }, TS_OUTCOME_FAILED, 1, "exit 1" },
    { { 75, 0, SIGUSR2, false, false }, TS_OUTCOME_TEMPFAIL, 75, "exit 75, no warning" },
    { { 75, 0, 0, true, true }, TS_OUTCOME_TEMPFAIL, 75, "exit 75 after the warning" },
    { { -1, SIGUSR2, SIGUSR2, true, false }, TS_OUTCOME_CUT_AT_LIMIT, 128 + SIGUSR2,
      "died of the warning" },
    { { 128 + SIGUSR2, 0, SIGUSR2, true, false }, TS_OUTCOME_CUT_AT_LIMIT, 128 + SIGUSR2,
      "a shell reported the death by the warning" },
    { { -1, SIGUSR2, SIGUSR2, false, false }, TS_OUTCOME_FAILED, 128 + SIGUSR2,
      "SIGUSR2 that tasksuite did not forward" },
    { { -1, SIGUSR2, 0, true, false }, TS_OUTCOME_FAILED, 128 + SIGUSR2,
      "no warning signal in the suite" },
    { { -1, SIGTERM, SIGUSR2, false, true }, TS_OUTCOME_CUT_AT_LIMIT, 128 + SIGTERM,
      "Slurm's TERM at the walltime" },
    { { 128 + SIGTERM, 0, SIGUSR2, false, true }, TS_OUTCOME_CUT_AT_LIMIT, 128 + SIGTERM,
      "a shell reported the TERM at the walltime" },
    { { -1, SIGTERM, SIGUSR2, false, false }, TS_OUTCOME_FAILED, 128 + SIGTERM,
      "a TERM before the walltime" },
    { { -1, SIGKILL, SIGUSR2, true, true }, TS_OUTCOME_FAILED, 128 + SIGKILL, "SIGKILL" },
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum ts_task_outcome o = ts_task_outcome_of(&cases[i].e);

        is_int(o, cases[i].want, cases[i].what);
        is_int(ts_task_exit_status(&cases[i].e), cases[i].status, cases[i].what);
        ok(ts_task_outcome_is_timeout(o) == (cases[i].want == TS_OUTCOME_TEMPFAIL
                                             || cases[i].want == TS_OUTCOME_CUT_AT_LIMIT),
           "%s: timeout or not", cases[i].what);
    }
    ok(!ts_task_outcome_is_timeout(TS_OUTCOME_COMPLETED), "completed is no timeout");
    ok(!ts_task_outcome_is_timeout(TS_OUTCOME_FAILED), "failed is no timeout");
    return done_testing();
}
