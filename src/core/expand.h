/* expand.h: matrix + tasks -> concrete tasks.
 *
 * `%(name)` in setup/run becomes "$TASK_SUITE_ARG_NAME" (double-quoted
 * parameter expansion): the value reaches the shell as data in the
 * environment, never as shell text, so no value can inject code. A name with
 * no value in some task is an error at expansion (= validation) time.
 */
#ifndef TS_EXPAND_H
#define TS_EXPAND_H

#include "spec.h"

typedef struct ts_task {
    size_t index;         /* 0-based position in the expanded list */
    char *name;           /* unique within the suite */
    ts_kvlist args;       /* argument name -> value */
    ts_kvlist env;        /* TASK_SUITE_ARG_<NAME>=value, in arg order */
    int priority;
    char *setup;          /* %(x) rewritten; NULL if none */
    char *run;            /* %(x) rewritten */
} ts_task;

typedef struct ts_tasklist {
    ts_task *v;
    size_t n;
} ts_tasklist;

/* Limits. The task cap keeps a typo in a matrix from allocating gigabytes:
 * a larger product is an error, not a truncation. */
#define TS_EXPAND_MAX_TASKS 1000000
#define TS_TASK_NAME_MAX    64      /* bytes, generated and explicit */
#define TS_ARG_NAME_MAX     64      /* bytes of an argument name */

/* Order: explicit tasks first in file order, then the matrix product in
 * row-major order (last axis varies fastest); stable-sorted by priority,
 * highest first; `index` is renumbered after the sort. Matrix task names:
 * "lr=0.1,depth=18".
 *
 * Decisions (the contract the tests pin down):
 *  - Argument names (matrix axes, tasks[i].args keys, %(name)) are C
 *    identifiers, [A-Za-z_][A-Za-z0-9_]*, at most TS_ARG_NAME_MAX bytes, so
 *    that TASK_SUITE_ARG_<NAME> is a valid environment name. %(name) matches
 *    an argument exactly (case-sensitive); two arguments of one task whose
 *    upper-cased names are equal are an error.
 *  - Only "%(" and "%%" are special; any other '%' is literal, so printf
 *    formats in run text need no escaping. "%%" gives '%'.
 *  - The rewrite does not parse the shell text, so write %(name) outside
 *    quotes: inside "..." the inserted quotes pair up with the user's and
 *    the value is word-split/globbed (still never executed as code); inside
 *    '...' it is not expanded at all.
 *  - Explicit task names: 1..TS_TASK_NAME_MAX bytes, no whitespace, control
 *    characters or '/', not starting with '.' or '-' (they become directory
 *    names and command-line words). Duplicates are an error.
 *  - Generated names never collide with anything: explicit names are
 *    claimed first; an unnamed tasks[i] becomes "task-<i>" (i as in the
 *    error messages, 0-based); a matrix task whose name would be longer than
 *    TS_TASK_NAME_MAX or is taken becomes "matrix-<k>" (k = its 0-based
 *    position in the product). A still-taken name gets "-2", "-3", ...
 *  - Matrix values in names are sanitised to [A-Za-z0-9._-] ('_' for the
 *    rest); args/env carry the values unchanged.
 *  - A matrix axis with no values is an error (not an empty product).
 *  - No matrix and no tasks: one task named after the suite, no args.
 *  - More than TS_EXPAND_MAX_TASKS tasks in total is an error.
 *  - On error returns -1 with `out` set to an empty list (safe to free). */
int ts_expand(const ts_suite *s, ts_tasklist *out, ts_err *err);
void ts_tasklist_free(ts_tasklist *l);

/* "lr" -> "TASK_SUITE_ARG_LR" into buf; -1 if it does not fit or `arg` is
 * not an argument name (see above). */
int ts_arg_env_name(const char *arg, char *buf, size_t len);

#endif
