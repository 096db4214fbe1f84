/* htmlreport.h: `tasksuite report`: one self-contained HTML page about a
 * suite (no network, no external assets: inline CSS, JS and SVG).
 *
 * The page carries the suite's data as one JSON document in a
 * <script type="application/json"> element, written as the journal is read
 * (constant memory at any size), and an inline script draws from it: the
 * state summary, a timeline of every attempt per task (node, start, end,
 * end state, resume gaps, checkpoints as marks), walltime use per attempt,
 * the slowest and the most-retried tasks, the hooks' runs per node. Above
 * TS_HTML_TIMELINE_ROWS tasks the timeline shows that many (the unfinished,
 * the most retried, the slowest) and a chart of attempts running over time
 * stands for all of them.
 *
 * Every string from the journal or the disk (task names, node names, paths)
 * is JSON-escaped with <, >, & and U+2028/U+2029 as \uXXXX, so nothing in
 * the data can end the script element; the script puts text into the page
 * with textContent only. A Content-Security-Policy forbids every fetch.
 */
#ifndef TS_HTMLREPORT_H
#define TS_HTMLREPORT_H

#include <stdio.h>

#include "err.h"
#include "journal.h"

#define TS_HTML_TIMELINE_ROWS 400

typedef struct ts_html_input {
    const ts_suite_info *suite;
    const ts_counts *counts;
    const char *dir;            /* run directory (hooks' logs), may be NULL */
    long walltime_s;            /* the tasks' time limit, <= 0 unknown/none */
    double generated_at;        /* epoch s */
    const char *sync_error;     /* NULL: the journal was brought up to date */
} ts_html_input;

/* Write the page to f. -1 with err on a journal or write error. */
int ts_html_report_write(FILE *f, ts_journal *j, const ts_html_input *in, ts_err *err);

/* The tasks' time limit in seconds from a suite's stored submit record
 * (the suite file's slurm.time), 0 when it has none or is a --local suite. */
long ts_html_walltime(const char *submit_record);

/* s as a JSON string that is safe inside a <script> element (see above),
 * quotes included. */
void ts_html_json_string(FILE *f, const char *s);

/* s with &, <, >, " and ' as entities, for HTML text and attributes. */
void ts_html_text(FILE *f, const char *s);

/* The page's style and script (htmlassets.c). */
extern const char ts_html_css[];
extern const char ts_html_js[];

#endif
