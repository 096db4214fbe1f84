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

static inline void ts_fault_point(const char *name)
{
    const char *want = getenv("TASKSUITE_FAULT");
    if (want && strcmp(want, name) == 0)
        raise(SIGKILL);
}
#else
#define ts_fault_point(name) ((void)0)
#endif

#endif
