/* exitcodes.h: the exit status classes of the tasksuite command.
 *
 * A failing library call fills `ts_err.code` with one of these (0 = unset:
 * the caller picks, usually TS_EXIT_FAIL). tasksuite(1) documents the same
 * table; keep them in step.
 *
 *   0  TS_EXIT_OK        success (for `status`: the command worked, whatever
 *                        the suite's state)
 *   1  TS_EXIT_FAIL      generic failure: an invalid suite file (`validate`,
 *                        `submit`), a task that failed (`exec`), an I/O
 *                        error
 *   2  TS_EXIT_USAGE     bad command line: unknown option, missing or extra
 *                        argument, bad option value, an ambiguous ID prefix
 *   3  TS_EXIT_NOTFOUND  what was named does not exist: unknown suite ID,
 *                        unknown task name, no checkpoint, no such attempt
 *   4  TS_EXIT_JOURNAL   the journal cannot be used: written by a newer
 *                        tasksuite, corrupt (quick_check failed), its directory
 *                        unwritable, or locked by another process too long
 *   5  TS_EXIT_SLURM     Slurm is unreachable or refused an RPC (submit,
 *                        job lookup, cancel)
 *   6  TS_EXIT_TASKS     the suite ran, but not every task completed
 *                        (`submit --local` or `submit` that followed the
 *                        suite to its end: a task failed, timed out, was
 *                        cancelled or lost); 1 stays "the file is invalid"
 */
#ifndef TS_EXITCODES_H
#define TS_EXITCODES_H

#define TS_EXIT_OK        0
#define TS_EXIT_FAIL      1
#define TS_EXIT_USAGE     2
#define TS_EXIT_NOTFOUND  3
#define TS_EXIT_JOURNAL   4
#define TS_EXIT_SLURM     5
#define TS_EXIT_TASKS     6

#endif
