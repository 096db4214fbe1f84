/* outcome.h: what the end of a task's attempt means.
 *
 * The one place that knows the exit-status conventions a task and tasksuite
 * share: exit 75 (EX_TEMPFAIL, sysexits.h) is "give me another attempt",
 * the graceful timeout; death by the suite's warning signal, or by Slurm's
 * TERM at the walltime, is a timeout too; 128+N is how a shell reports the
 * death by signal N. Pure, so the plugin, the launcher and the journal can
 * all ask it.
 */
#ifndef TS_OUTCOME_H
#define TS_OUTCOME_H

#include <stdbool.h>

/* EX_TEMPFAIL: "give me another attempt", the graceful timeout. */
#define TS_TASK_EXIT_TEMPFAIL 75

/* How an attempt ended, as the process that ran it saw it. */
typedef struct ts_task_ending {
    int exit_code;          /* when term_signal is 0 */
    int term_signal;        /* the signal that ended it; 0: it exited */
    int warn_signal;        /* the suite's resume.signal; <= 0: none */
    bool warned;            /* tasksuite forwarded the warning signal */
    bool term_at_limit;     /* Slurm's TERM at the walltime arrived */
} ts_task_ending;

enum ts_task_outcome {
    TS_OUTCOME_COMPLETED,   /* exit 0 */
    TS_OUTCOME_FAILED,      /* any other exit, or another signal */
    TS_OUTCOME_TEMPFAIL,    /* exit 75: the task asked for another attempt */
    TS_OUTCOME_CUT_AT_LIMIT,/* killed by the warning signal or by Slurm's TERM
                               at the walltime: a timeout the task did not
                               report itself */
};

enum ts_task_outcome ts_task_outcome_of(const ts_task_ending *e);

/* Both kinds of timeout, which resume.retry_on's "timeout" retries. */
bool ts_task_outcome_is_timeout(enum ts_task_outcome o);

/* Did the task die of `sig`, or did a shell around it report that death as
 * 128+sig? */
bool ts_task_died_of(const ts_task_ending *e, int sig);

/* The exit status that stands for the ending: the task's, or 128+N when
 * signal N ended it. */
int ts_task_exit_status(const ts_task_ending *e);

#endif
