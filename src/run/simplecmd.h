/* simplecmd.h: run a task's text without a shell when a shell would add
 * nothing (GNU make's fast path for recipe lines).
 *
 * `/bin/sh -c 'python train.py --lr 0.1'` costs a fork and an exec more
 * than running python itself: Debian's dash does not exec the last command
 * of -c, it forks it and waits. For thousands of short pooled tasks that
 * doubled the cost of each (doc/PERFORMANCE.md, pool mode). A text qualifies
 * only when the shell could not change its meaning: one line of words made
 * of letters, digits and - _ . / , : + @ % = (no quoting, expansion,
 * redirection, globbing, comments or operators), whose first word is no
 * assignment and no shell builtin or reserved word (true, false and test
 * behave the same either way). Anything else goes to the shell, and so
 * does any exec failure (not found, no permission, no #! line): the shell
 * then gives the usual message and exit status (127, 126).
 */
#ifndef TS_SIMPLECMD_H
#define TS_SIMPLECMD_H

#include <stdbool.h>

/* The text runs the same with or without /bin/sh -c. */
bool ts_simple_command(const char *text);

/* In a child about to exec: when ts_simple_command(text), split it and exec
 * the first word, searched on envp's PATH (none there: the shell decides).
 * Returns only when that did not happen; the caller then runs the shell. */
void ts_exec_simple(const char *text, char *const envp[]);

#endif
