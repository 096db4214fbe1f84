/* warnfilter.c: the early-warning rule of an attempt (warnfilter.h), apart
 * from the runner that applies it and the exec that reads the clock, so it
 * can be tested with any end and any "now".
 */
#include "config.h"

#include "warnfilter.h"

/* When the warning is meant for the task: `lead` seconds before the end of
 * this attempt's walltime, and never in its first half (the suite file
 * clamps the lead against slurm.time; a partition's default walltime is
 * only known here). Slurm sends it early at times: it checks limits every
 * 30 s, and re-sends it at once to a requeued job (its time limit is
 * checked against the previous run's end). Such a warning is held back
 * until its time; with no known end it goes through at once. */
time_t ts_warnfilter_hold_until(const ts_warnfilter *f, int signo, time_t end, time_t now,
                                long *lead_out)
{
    if (signo != f->warn_signal || f->lead_s <= 0)
        return 0;
    if (end <= 0 || end <= now)
        return 0;
    long wall = (long)(end - f->started);
    long lead = f->lead_s;
    if (wall > 0 && lead > wall / 2)
        lead = wall / 2;
    if ((long)(end - now) <= lead + 1)
        return 0;
    if (lead_out)
        *lead_out = lead;
    return end - lead;
}
