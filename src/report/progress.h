/* progress.h: how far a suite is, as text (status, list, status --watch).
 *
 * Pure formatting, no I/O. The percentage has one decimal and is rounded
 * half up, except that it never reads 100.0% while a task is still pending
 * or running, nor 0.0% once one is done: 9999/10000 is "99.9%", 1/100000 is
 * "0.1%". A suite of no tasks is "0/0 done (0.0%)".
 *
 * Functions writing into buf return the length written, or -1 when it does
 * not fit (buf then holds a truncated, NUL-terminated string).
 */
#ifndef TS_PROGRESS_H
#define TS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "journal.h"

/* Widest bar ts_progress_bar draws (cells between the brackets). */
#define TS_PROGRESS_BAR_MAX 200

/* done/total in tenths of a percent, 0..1000 (see above). done is clamped
 * to [0, total]; total <= 0 gives 0. */
int ts_progress_tenths(long done, long total);

/* The same as a number for JSON: 87.3. */
double ts_progress_percent(long done, long total);

/* "873/1000 done (87.3%)" */
int ts_progress_text(char *buf, size_t len, long done, long total);

/* "[#######---]": `width` cells (clamped to 1..TS_PROGRESS_BAR_MAX) between
 * brackets, done*width/total of them '#' (rounded down, so the bar is full
 * only when everything is done), the rest '-'. total <= 0: all '-'. */
int ts_progress_bar(char *buf, size_t len, long done, long total, int width);

/* The per-state counters in the journal's state order:
 * "pending 100, running 27, completed 850, failed 20, timeout 3,
 *  cancelled 0, node_fail 0, preempted 0"; skip_zero leaves out the states
 * with no task (then "no tasks" when all are zero). */
int ts_progress_counts(char *buf, size_t len, const ts_counts *c, bool skip_zero);

/* Tasks that ended without completing, cancelled ones aside: failed,
 * timeout, node_fail, preempted. */
long ts_progress_failed(const ts_counts *c);

/* `list`'s DONE/TOTAL: "873/1000", or "4/4 (4 failed)" when tasks ended
 * without completing (ts_progress_failed), so that a suite whose every
 * task failed never reads like a success. */
int ts_progress_done_short(char *buf, size_t len, const ts_counts *c);

/* ts_progress_counts (all states), broken into lines of at most `width`
 * columns: a line break before a counter that would pass it, the next line
 * indented by `indent` spaces (the first line is taken to start at column
 * `indent` too, after a label such as "counts:   "). */
int ts_progress_counts_wrapped(char *buf, size_t len, const ts_counts *c, int indent,
                               int width);

/* One line for `status --watch` without a terminal:
 * "ab12cd34 open 873/1000 done (87.3%): pending 100, running 27, ..."
 * (the counters with skip_zero). */
int ts_progress_line(char *buf, size_t len, const char *suite_id,
                     const char *state, const ts_counts *c);

/* What a following `submit` prints each round: on a terminal one bar line
 * redrawn in place, otherwise a line per change of the done count
 * (*last_done remembers it; start it at -1). */
void ts_progress_follow(FILE *f, const ts_counts *c, long *last_done, bool tty);

#endif
