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

struct ts_strbuf;   /* jsonw.h */

typedef struct ts_task {
    size_t index;         /* 0-based position in the expanded list */
    char *name;           /* unique within the suite */
    ts_kvlist args;       /* argument name -> value */
    ts_kvlist env;        /* TASK_SUITE_ARG_<NAME>=value, in arg order */
    int priority;
    char *setup;          /* %(x) rewritten; NULL if none */
    char *run;            /* %(x) rewritten */
    size_t node;          /* 1 + its node in the suite's graph (dag.h);
                             0: the suite has no graph, or not a node */
} ts_task;

/* A pure matrix (no `tasks:`), kept as its axes instead of one ts_task per
 * element, so that submitting 100,000 tasks costs (nearly) nothing per
 * task: task k is decoded on demand (mixed radix, last axis fastest: the
 * same order, names, args, env and command text as the eager expansion). */
typedef struct ts_lazy_axis {
    char *name;
    char **values;
    size_t n;
} ts_lazy_axis;

typedef struct ts_lazy_matrix {
    ts_lazy_axis *axes;
    size_t naxes;
    size_t count;         /* the product of the axes' sizes */
    char *setup;          /* %(x) rewritten; NULL if none */
    char *run;            /* %(x) rewritten */
} ts_lazy_matrix;

typedef struct ts_tasklist {
    ts_task *v;           /* NULL when lazy */
    size_t n;
    ts_lazy_matrix *lazy; /* set only by ts_expand_lazy */
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

/* ts_expand of a suite with a graph (expand_graph.c; ts_expand calls it):
 * the tasks in graph order, so each node's tasks are contiguous and come
 * after its upstream nodes' (priority orders only within that), t->node
 * set. A stage's tasks are named "STAGE.TASK" ("STAGE" alone for a stage
 * of one default task), carry the stage's envs after their arguments, and
 * run the stage's setup/run. */
int ts_expand_graph(const ts_suite *s, ts_tasklist *out, ts_err *err);
/* The expansion of s's own matrix/tasks, ignoring any graph. */
int ts_expand_flat(const ts_suite *s, ts_tasklist *out, ts_err *err);

/* Like ts_expand, but a pure matrix whose tasks need no name fallback
 * beyond "matrix-<k>" (the sanitised values of each axis are distinct, so
 * no two generated names can collide) comes back lazy: out->v NULL,
 * out->n the task count, out->lazy its axes. Everything else, and every
 * error, goes through ts_expand (the same messages). */
int ts_expand_lazy(const ts_suite *s, ts_tasklist *out, ts_err *err);

/* Task k of a lazy matrix, whole (index k, priority 0); -1 out of memory
 * or k out of range. Free with ts_task_free. */
int ts_lazy_task(const ts_lazy_matrix *m, size_t k, ts_task *out);
/* Only its name, as ts_lazy_task would give it, into buf (at least
 * TS_TASK_NAME_MAX + 1 bytes); -1 if k is out of range. */
int ts_lazy_task_name(const ts_lazy_matrix *m, size_t k, char *buf, size_t len);
/* Task k's name NUL args-as-JSON-object NUL appended to b, what the
 * journal stores of a task (the same text as ts_strbuf_json_kv of its
 * args), without building the task; -1 if k is out of range. */
int ts_lazy_task_pack(const ts_lazy_matrix *m, size_t k, struct ts_strbuf *b);
/* ts_lazy_task_pack of tasks 0..count-1 into b, the offset of each in
 * off[] (count entries): each value's name and JSON text built once per
 * axis, then copied, for the submit of 100,000 tasks. -1 out of memory. */
int ts_lazy_pack_all(const ts_lazy_matrix *m, struct ts_strbuf *b, size_t *off);
/* The same for tasks first..first+count-1, tail (tail_len bytes, may hold
 * NULs) appended after each task, off[] (count entries) optional: the
 * values' text built once by ts_lazy_packer_new, for a reader that decodes
 * a lazy matrix range by range (the journal, chunk by chunk). The packer
 * refers to m, which must outlive it. -1 out of memory or out of range. */
typedef struct ts_lazy_packer ts_lazy_packer;
ts_lazy_packer *ts_lazy_packer_new(const ts_lazy_matrix *m);
int ts_lazy_packer_range(const ts_lazy_packer *p, size_t first, size_t count,
                         const char *tail, size_t tail_len, struct ts_strbuf *b,
                         size_t *off);
void ts_lazy_packer_free(ts_lazy_packer *p);
void ts_task_free(ts_task *t);
void ts_lazy_matrix_free(ts_lazy_matrix *m);

/* "lr" -> "TASK_SUITE_ARG_LR" into buf; -1 if it does not fit or `arg` is
 * not an argument name (see above). */
int ts_arg_env_name(const char *arg, char *buf, size_t len);

#endif
