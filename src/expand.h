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

/* Order: explicit tasks first in file order, then the matrix product in
 * row-major order (last axis varies fastest); stable-sorted by priority,
 * highest first. Matrix task names: "lr=0.1,depth=18". */
int ts_expand(const ts_suite *s, ts_tasklist *out, ts_err *err);
void ts_tasklist_free(ts_tasklist *l);

/* "lr" -> "TASK_SUITE_ARG_LR" into buf; -1 if it does not fit. */
int ts_arg_env_name(const char *arg, char *buf, size_t len);

#endif
