/* warnfilter.h: when Slurm's warning signal is meant for the task.
 *
 * Pure (no clock, no Slurm): the caller passes the walltime's end and the
 * time now, so the rule is testable on its own (tests/unit/run/warnfilter.c).
 * The runner asks it for each warning (ts_run_req.defer) and holds back one
 * that came too early until it is due.
 */
#ifndef TS_WARNFILTER_H
#define TS_WARNFILTER_H

#include <time.h>

typedef struct ts_warnfilter {
    int warn_signal;        /* the suite's resume.signal; 0: none */
    int lead_s;             /* resume lead: seconds before the end */
    time_t started;         /* when exec started: about the job's start */
} ts_warnfilter;

/* The epoch time until which `signo` is held back, or 0 to forward it now
 * (not the warning, no lead, no known end, or already due). `*lead_out`
 * (may be NULL) gets the lead it was measured with, for the message. */
time_t ts_warnfilter_hold_until(const ts_warnfilter *f, int signo, time_t end, time_t now,
                                long *lead_out);

#endif
