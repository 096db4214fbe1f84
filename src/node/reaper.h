/* reaper.h: find and stop every process a command left behind.
 *
 * Shared by the hook supervisor (hook.c, in the plugin, after fork: only
 * system calls and snprintf here, no malloc, no stdio) and the task runner
 * of `tasksuite exec` (runner.c). Both make themselves the child subreaper
 * (PR_SET_CHILD_SUBREAPER), so whatever the command started comes to them
 * when its parent exits: walking their own children until there is none
 * finds every descendant, even one that left the process group (setsid).
 * A pid reported here is a child of ours until we reap it, so signalling it
 * never hits an unrelated process.
 *
 * It lives in src/node/ with the root-side code it was written for (the
 * supervisor's rules above bind it); the launcher's runner.c, as the user,
 * links the same file.
 */
#ifndef TS_REAPER_H
#define TS_REAPER_H

#include <stdint.h>
#include <sys/types.h>

/* getdents64(2) without opendir() (which mallocs): fn(name, arg) for each
 * entry of the open directory dir, from its start. 0 at the end, -1 on an
 * error. */
int ts_each_dirent(int dir, void (*fn)(const char *, void *), void *arg);

/* fn(pid, arg) for each child of ours (one pass), from
 * /proc/self/task/TID/children when the kernel has it, else from the parent
 * pid in every /proc/PID/stat. Returns the number of children seen, -1 when
 * /proc cannot tell. */
int ts_reaper_each_child(void (*fn)(pid_t, void *), void *arg);

#define TS_REAPER_MAX_TERMED 256

/* Our live children other than `leader` (0: none exempt): zombies among
 * them are reaped, the others counted and sent sig (0: none; SIGTERM goes
 * with SIGCONT and only once to each pid listed in termed[*n_termed], which
 * it extends, up to TS_REAPER_MAX_TERMED). Returns the number still live,
 * -1 when /proc cannot tell. */
int ts_reaper_sweep(pid_t leader, int sig, pid_t *termed, int *n_termed);

/* Stop every child of ours and everything that comes to us meanwhile:
 * SIGTERM (+SIGCONT) to each, then, after term_ms or as soon as none is
 * left, SIGKILL to each until none is left or kill_ms more have passed.
 * Reaps them all. Returns how many were found at the start (0: nothing was
 * left behind), or -1 when /proc cannot tell. For a subreaper only: it
 * waits for orphans that are its own children. */
int ts_reaper_stop_all(int64_t term_ms, int64_t kill_ms);

/* Send sig to every process of process group pgid except those running the
 * program spared_exe names (compared by device and inode, so a path like
 * /proc/self/exe works). For the warning: a `tasksuite checkpoint` that is
 * still being loaded when it comes cannot block it yet and would die of it
 * without recording anything; once loaded it blocks the warning anyway.
 * Returns the number signalled, -1 when /proc cannot tell (the caller then
 * signals the whole group). */
int ts_signal_group_sparing(pid_t pgid, int sig, const char *spared_exe);

#endif
