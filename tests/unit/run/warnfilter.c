/* warnfilter: when Slurm's warning signal is meant for the task
 * (src/run/warnfilter.c): `lead` seconds before the end, never in the
 * first half of the walltime; an earlier one is held back until then, and
 * with no known end, or for another signal, nothing is held. */
#include "config.h"

#include <signal.h>

#include "tap.h"
#include "warnfilter.h"

#define T0 1700000000L

static const struct {
    const char *name;
    int signo, lead;
    long started, end, now;     /* offsets from T0; end 0: no known end */
    long want;                  /* hold until T0 + want; -1: forward now */
    long want_lead;
} cases[] = {
    { "due: lead seconds before the end", SIGUSR1, 300, 0, 3600, 3300, -1, 0 },
    { "one second early still counts as due", SIGUSR1, 300, 0, 3600, 3299, -1, 0 },
    { "early: held until lead before the end", SIGUSR1, 300, 0, 3600, 600, 3300, 300 },
    { "right after the start (a requeue): held", SIGUSR1, 300, 0, 3600, 1, 3300, 300 },
    { "lead over half the walltime: clamped to half", SIGUSR1, 3000, 0, 3600, 60, 1800, 1800 },
    { "clamped lead, due: forwarded", SIGUSR1, 3000, 0, 3600, 1800, -1, 0 },
    { "another signal is never held", SIGTERM, 300, 0, 3600, 600, -1, 0 },
    { "no lead: never held", SIGUSR1, 0, 0, 3600, 600, -1, 0 },
    { "no known end: forwarded", SIGUSR1, 300, 0, 0, 600, -1, 0 },
    { "past the end: forwarded", SIGUSR1, 300, 0, 3600, 3700, -1, 0 },
    { "start unknown (after the end): lead unclamped", SIGUSR1, 300, 4000, 3600, 600, 3300, 300 },
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_warnfilter f = { .warn_signal = SIGUSR1, .lead_s = cases[i].lead,
                            .started = T0 + cases[i].started };
        long lead = 0;
        time_t end = cases[i].end ? T0 + cases[i].end : 0;
        time_t got = ts_warnfilter_hold_until(&f, cases[i].signo, end, T0 + cases[i].now, &lead);
        is_int(got ? (long long)(got - T0) : -1, cases[i].want, cases[i].name);
        if (cases[i].want >= 0)
            ok(lead == cases[i].want_lead, "%s: measured with lead %ld (want %ld)",
               cases[i].name, lead, cases[i].want_lead);
    }
    return done_testing();
}
