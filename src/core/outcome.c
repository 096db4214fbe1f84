/* outcome.c: what the end of a task's attempt means (outcome.h). Kept
 * apart from the executor (launcher/exec.c) so that the rule is written
 * once and can be tested without running a task. */
#include "config.h"

#include <signal.h>

#include "outcome.h"

bool ts_task_died_of(const ts_task_ending *e, int sig)
{
    return e->term_signal == sig || (!e->term_signal && e->exit_code == 128 + sig);
}

/* The task died of the warning signal tasksuite forwarded to it (a plain
 * script that never heard of tasksuite takes SIGUSR2's default action), or
 * a shell around it reported that death as 128+N: the walltime ended the
 * attempt, so it timed out, and is retried like a graceful timeout. */
static bool died_of_warning(const ts_task_ending *e)
{
    return e->warn_signal > 0 && e->warned && ts_task_died_of(e, e->warn_signal);
}

enum ts_task_outcome ts_task_outcome_of(const ts_task_ending *e)
{
    /* Killed by the warning, or by Slurm's TERM at the walltime: a timeout. */
    if (died_of_warning(e) || (e->term_at_limit && ts_task_died_of(e, SIGTERM)))
        return TS_OUTCOME_CUT_AT_LIMIT;
    if (e->term_signal)
        return TS_OUTCOME_FAILED;
    if (e->exit_code == TS_TASK_EXIT_TEMPFAIL)
        return TS_OUTCOME_TEMPFAIL;
    return e->exit_code == 0 ? TS_OUTCOME_COMPLETED : TS_OUTCOME_FAILED;
}

bool ts_task_outcome_is_timeout(enum ts_task_outcome o)
{
    return o == TS_OUTCOME_TEMPFAIL || o == TS_OUTCOME_CUT_AT_LIMIT;
}

int ts_task_exit_status(const ts_task_ending *e)
{
    return e->term_signal ? 128 + e->term_signal : e->exit_code;
}
