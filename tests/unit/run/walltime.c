/* walltime: where the job's end time comes from (src/run/walltime.c). Slurm's
 * answer is stubbed: ts_slurm_end_time() below replaces src/slurm.c's, so
 * the test counts the RPCs and chooses their answers.
 *
 * The rule under test (Slurm 23.02+ sets SLURM_JOB_END_TIME at step start):
 * the environment's copies are a first value and a fallback, never a reason
 * not to ask slurmctld when a fresh value is due. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "slurm.h"
#include "tap.h"
#include "walltime.h"

static int rpcs;
static time_t answer;           /* what "slurmctld" says: end, 0, or -1 */
static uint32_t asked_for;

time_t ts_slurm_end_time(uint32_t job_id)
{
    rpcs++;
    asked_for = job_id;
    return answer;
}

static void setenv_time(const char *name, time_t t)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)t);
    setenv(name, buf, 1);
}

static void clear_env(void)
{
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_JOB_END_TIME");
    unsetenv("TASK_SUITE_END_TIME");
    unsetenv("TASKSUITE_REMAINING_REFRESH");
}

int main(void)
{
    time_t now = time(NULL), end;

    /* ---------------------------------------------------- a first value */
    clear_env();
    setenv("SLURM_JOB_ID", "42", 1);
    setenv_time("SLURM_JOB_END_TIME", now + 600);
    answer = now + 1200;
    rpcs = 0;
    end = ts_walltime_end_time();
    is_int(end, now + 600, "first value: SLURM_JOB_END_TIME, the step's copy");
    is_int(rpcs, 0, "... without an RPC");
    setenv_time("TASK_SUITE_END_TIME", now + 500);
    is_int(ts_walltime_end_time(), now + 500, "first value: TASK_SUITE_END_TIME before it");
    unsetenv("TASK_SUITE_END_TIME");

    /* ---------------------------------------------------- a fresh value */
    rpcs = 0;
    end = ts_walltime_end_time_fresh();
    is_int(end, now + 1200, "fresh: slurmctld's answer although SLURM_JOB_END_TIME is set "
           "(a TimeLimit change is seen)");
    ok(rpcs == 1 && asked_for == 42, "... one RPC, for SLURM_JOB_ID (%d, job %u)", rpcs,
       (unsigned)asked_for);
    setenv_time("TASK_SUITE_END_TIME", now + 500);
    is_int(ts_walltime_end_time_fresh(), now + 1200, "fresh: a stale TASK_SUITE_END_TIME is not used either");
    answer = -1;
    is_int(ts_walltime_end_time_fresh(), now + 600,
           "slurmctld does not answer: SLURM_JOB_END_TIME, the newer copy");
    unsetenv("SLURM_JOB_END_TIME");
    is_int(ts_walltime_end_time_fresh(), now + 500, "... else TASK_SUITE_END_TIME");
    unsetenv("TASK_SUITE_END_TIME");
    is_int(ts_walltime_end_time_fresh(), 0, "... else no limit known");
    answer = 0;
    setenv_time("SLURM_JOB_END_TIME", now + 600);
    is_int(ts_walltime_end_time_fresh(), 0, "slurmctld says unlimited (after scontrol update "
           "TimeLimit=UNLIMITED): unlimited, whatever the copy says");
    answer = now + 365L * 86400;
    is_int(ts_walltime_end_time_fresh(), 0, "an end a year away (Slurm's end for a job "
           "without a limit) is no limit");
    setenv_time("SLURM_JOB_END_TIME", now + 365L * 86400 + 10);
    is_int(ts_walltime_end_time(), 0, "... also as a first value from the environment");
    unsetenv("SLURM_JOB_ID");
    setenv_time("SLURM_JOB_END_TIME", now + 600);
    rpcs = 0;
    is_int(ts_walltime_end_time_fresh(), now + 600, "not in a job (no SLURM_JOB_ID): the copy");
    is_int(rpcs, 0, "... and no RPC");

    /* ---------------------------------------------------- the library's cache */
    clear_env();
    setenv("SLURM_JOB_ID", "42", 1);
    setenv_time("SLURM_JOB_END_TIME", now + 600);
    setenv("TASKSUITE_REMAINING_REFRESH", "1", 1);
    answer = now + 1800;
    rpcs = 0;
    is_int(ts_walltime_end_time_cached(), now + 600, "cached: the first value from the environment");
    is_int(ts_walltime_end_time_cached(), now + 600, "... kept until a refresh is due");
    is_int(rpcs, 0, "... without an RPC");
    sleep(2);
    is_int(ts_walltime_end_time_cached(), now + 1800,
           "a refresh is due: slurmctld's answer, not SLURM_JOB_END_TIME again");
    is_int(rpcs, 1, "... one RPC");
    answer = -1;
    sleep(2);
    is_int(ts_walltime_end_time_cached(), now + 1800, "slurmctld silent at the next refresh: the last answer stays");

    /* ---------------------------------------------------- seconds left */
    is_int(ts_walltime_left(0), -1, "left: no limit is -1");
    is_int(ts_walltime_left(time(NULL) - 5), 0, "left: 0 once the end has passed");
    ok(ts_walltime_left(time(NULL) + 100) >= 99, "left: seconds until the end");
    clear_env();
    return done_testing();
}
