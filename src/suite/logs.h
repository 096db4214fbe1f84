/* logs.h: finding and reading one attempt's output files (`tasksuite logs`).
 *
 * Separate from the launcher so the command only parses and prints: which
 * task (the only one when none is named), which attempt (the latest by
 * default), where its files are (one per node, layout.h) and whether it
 * is over are questions about the suite, answered here. Printing the
 * lines is ts_logtail's (logtail.h).
 */
#ifndef TS_SUITE_LOGS_H
#define TS_SUITE_LOGS_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "journal.h"
#include "logtail.h"
#include "report.h"

typedef struct ts_logs {
    ts_journal *j;
    const char *suite_id;
    ts_task_brief tb;
    int attempt;              /* 1, 2, ... */
    const char *which;        /* "stdout" or "stderr" */
    bool started;             /* the attempt has a row in the journal */
    int num_nodes;
    char **paths;             /* one output file per node, rank order */
    char **prefixes;          /* "node-R | " when num_nodes > 1, else NULL */
    ts_logtail *tail;
    char *dir;                /* the suite's run directory */
} ts_logs;

/* The task `task` (NULL: the suite's only task) of suite si and its
 * attempt `attempt` (0: the latest), with a tail over its output files.
 * 1 when no task was named and the suite does not have exactly one:
 * *ntasks gets how many it has, l holds nothing. -1 on error (err->code
 * TS_EXIT_NOTFOUND for an attempt the task does not have). */
int ts_logs_open(ts_logs *l, ts_journal *j, const ts_suite_info *si, const char *task,
                 int attempt, const char *which, long *ntasks, ts_err *err);

/* Print what the files hold now, once. -1 when there was nothing, with
 * err saying why (not started, no such file). */
int ts_logs_print(ts_logs *l, FILE *out, ts_err *err);

/* 1 when the attempt has ended or never will start, 0 while it may still
 * produce output, -1 on error. *started: it has a row in the journal. */
int ts_logs_attempt_over(const ts_logs *l, bool *started, ts_err *err);

/* Bytes in the attempt's stream `which` ("stdout" or "stderr"), over all
 * its node files; 0 when there is none. For the hint a failed task's empty
 * output needs: its error went to stderr. */
long long ts_logs_bytes(const ts_logs *l, const char *which);

void ts_logs_close(ts_logs *l);

#endif
