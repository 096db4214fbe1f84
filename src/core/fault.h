/* fault.h: kill points for crash-safety tests.
 *
 * Built only with ./configure --enable-fault-injection (the test build).
 * TASKSUITE_FAULT=NAME makes the process SIGKILL itself when it reaches the
 * point NAME, exactly like `kill -9` at that moment. Release builds compile
 * the calls away.
 */
#ifndef TS_FAULT_H
#define TS_FAULT_H

#ifdef TS_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void ts_fault_point(const char *name)
{
    const char *want = getenv("TASKSUITE_FAULT");
    if (want && strcmp(want, name) == 0)
        raise(SIGKILL);
}

/* TASKSUITE_JOB_FAULT=NAME makes a job's process stop for good at NAME
 * (until a signal it does not block, or SIGKILL, ends it): what a job looks
 * like that Slurm believes runs while nothing happens, e.g. a launch lost
 * in a slurmctld restart. A variable of its own: submissions keep
 * TASKSUITE_FAULT* out of the jobs they queue (a launcher's kill point must
 * not fire in a job), and this one is meant for the job. */
static inline void ts_fault_hang(const char *name)
{
    const char *want = getenv("TASKSUITE_JOB_FAULT");
    if (want && strcmp(want, name) == 0)
        for (;;)
            pause();
}
#else
#define ts_fault_point(name) ((void)0)
#define ts_fault_hang(name) ((void)0)
#endif

#endif
