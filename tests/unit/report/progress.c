/* progress.c: the progress text, percentage rounding, bar and counters. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "progress.h"
#include "report.h"
#include "tap.h"

static const char *text(long done, long total)
{
    static char buf[96];
    ts_progress_text(buf, sizeof buf, done, total);
    return buf;
}

static const char *bar(long done, long total, int width)
{
    static char buf[TS_PROGRESS_BAR_MAX + 8];
    ts_progress_bar(buf, sizeof buf, done, total, width);
    return buf;
}

static void test_percent(void)
{
    is_str(text(873, 1000), "873/1000 done (87.3%)", "the SPEC's example");
    is_str(text(0, 0), "0/0 done (0.0%)", "no tasks: 0.0%");
    is_str(text(0, 5), "0/5 done (0.0%)", "nothing done");
    is_str(text(5, 5), "5/5 done (100.0%)", "all done: 100.0%");
    is_str(text(1, 3), "1/3 done (33.3%)", "1/3 rounds down to 33.3");
    is_str(text(2, 3), "2/3 done (66.7%)", "2/3 rounds up to 66.7");
    is_str(text(1, 8), "1/8 done (12.5%)", "exact tenths stay");
    is_str(text(1, 16), "1/16 done (6.3%)", "6.25 rounds half up");
    is_str(text(9999, 10000), "9999/10000 done (99.9%)",
           "99.99% is not shown as 100.0% while a task is left");
    is_str(text(99999, 100000), "99999/100000 done (99.9%)", "nor 99.999%");
    is_str(text(1, 100000), "1/100000 done (0.1%)",
           "one task done is not shown as 0.0%");
    is_str(text(1, 2000), "1/2000 done (0.1%)", "0.05 rounds to 0.1");
    is_int(ts_progress_tenths(873, 1000), 873, "tenths of 873/1000");
    is_int(ts_progress_tenths(7, 0), 0, "tenths with total 0");
    is_int(ts_progress_tenths(-3, 10), 0, "negative done is clamped to 0");
    is_int(ts_progress_tenths(12, 10), 1000, "done above total is clamped");
    ok(ts_progress_percent(873, 1000) == 87.3, "percent for JSON: 87.3");
    ok(ts_progress_percent(2, 3) == 66.7, "percent for JSON: 66.7");
    is_int(ts_progress_tenths(2000000000L, 2000000001L), 999,
           "large counts do not overflow");

    char small[8];
    is_int(ts_progress_text(small, sizeof small, 873, 1000), -1,
           "a buffer too small: -1");
    ok(strlen(small) < sizeof small, "and the buffer is still a string");
}

static void test_bar(void)
{
    is_str(bar(0, 10, 10), "[----------]", "empty bar");
    is_str(bar(10, 10, 10), "[##########]", "full bar");
    is_str(bar(5, 10, 10), "[#####-----]", "half");
    is_str(bar(873, 1000, 20), "[#################---]", "87.3% of 20 cells: 17");
    is_str(bar(999, 1000, 10), "[#########-]", "never full before the end");
    is_str(bar(1, 1000, 10), "[----------]", "rounded down at the start");
    is_str(bar(0, 0, 5), "[-----]", "no tasks: empty");
    is_str(bar(3, 3, 1), "[#]", "one cell");
    is_str(bar(1, 2, 0), "[-]", "width 0 is clamped to 1");
    is_int((long long)strlen(bar(1, 2, 100000)), TS_PROGRESS_BAR_MAX + 2,
           "width is clamped to TS_PROGRESS_BAR_MAX");
    is_int(ts_progress_bar((char[64]){ 0 }, 64, 1, 2, 40), 42, "returns the length");

    char small[6];
    is_int(ts_progress_bar(small, sizeof small, 1, 2, 10), -1, "too small: -1");
    ok(strlen(small) < sizeof small, "and the buffer is still a string");
}

static void test_counts(void)
{
    ts_counts c = { .n = { 100, 27, 850, 20, 3, 0, 0, 0 }, .total = 1000, .done = 873 };
    ts_counts none = { .total = 0 };
    char buf[512], line[512];

    ts_progress_counts(buf, sizeof buf, &c, false);
    is_str(buf, "pending 100, running 27, completed 850, failed 20, timeout 3, "
                "cancelled 0, node_fail 0, preempted 0", "every state, in order");
    ts_progress_counts(buf, sizeof buf, &c, true);
    is_str(buf, "pending 100, running 27, completed 850, failed 20, timeout 3",
           "skip_zero leaves out empty states");
    ts_progress_counts(buf, sizeof buf, &none, true);
    is_str(buf, "no tasks", "skip_zero with nothing at all");
    is_int(ts_progress_counts(buf, 10, &c, false), -1, "too small: -1");

    ts_progress_line(line, sizeof line, "ab12cd34", "open", &c);
    is_str(line, "ab12cd34 open 873/1000 done (87.3%): pending 100, running 27, "
                 "completed 850, failed 20, timeout 3", "the --watch line");
}

/* The widest line of text (columns; "\xe2\x80\xa6" counts one). */
static int widest(const char *s)
{
    int w = 0, col = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            col = 0;
            continue;
        }
        if (((unsigned char)*s & 0xC0) != 0x80)
            col++;
        if (col > w)
            w = col;
    }
    return w;
}

static void test_fit(void)
{
    ts_counts c = { .total = 100000, .done = 99000 };
    char buf[512];

    c.n[TS_TASK_PENDING] = 100000;
    c.n[TS_TASK_RUNNING] = 100000;
    c.n[TS_TASK_COMPLETED] = 100000;
    c.n[TS_TASK_FAILED] = 100000;
    c.n[TS_TASK_TIMEOUT] = 100000;
    c.n[TS_TASK_CANCELLED] = 100000;
    c.n[TS_TASK_NODE_FAIL] = 100000;
    c.n[TS_TASK_PREEMPTED] = 100000;
    ok(ts_progress_counts_wrapped(buf, sizeof buf, &c, 10, 80) > 0, "wrapped counts fit buf");
    char shown[600];
    snprintf(shown, sizeof shown, "counts:   %s", buf);
    ok(widest(shown) <= 80, "counts after a 10-column label fit 80 columns (%d)",
       widest(shown));
    ok(strchr(buf, '\n') != NULL, "and were wrapped");
    ok(strstr(buf, "\n          ") != NULL, "the next line is indented under the first");
    ok(strstr(buf, "preempted 100000") != NULL, "no counter is lost");
    ts_counts small = { .total = 3, .done = 1 };
    small.n[TS_TASK_COMPLETED] = 1;
    small.n[TS_TASK_PENDING] = 2;
    ts_progress_counts_wrapped(buf, sizeof buf, &small, 10, 200);
    is_str(buf, "pending 2, running 0, completed 1, failed 0, timeout 0, cancelled 0, "
           "node_fail 0, preempted 0", "a wide terminal: one line, as before");

    ts_counts f = { .total = 4, .done = 4 };
    f.n[TS_TASK_FAILED] = 3;
    f.n[TS_TASK_COMPLETED] = 1;
    ts_progress_done_short(buf, sizeof buf, &f);
    is_str(buf, "4/4 (3 failed)", "DONE/TOTAL names the failures");
    f.n[TS_TASK_FAILED] = 0;
    f.n[TS_TASK_CANCELLED] = 3;
    ts_progress_done_short(buf, sizeof buf, &f);
    is_str(buf, "4/4", "cancelled tasks are not failures");

    const char *p = "/scratch/user/experiments/resnet/run-2026-11-21/checkpoints/epoch-0042/model.pt";
    char e[256];
    ts_report_elide(e, sizeof e, p, 40);
    is_int(widest(e), 40, "an elided path takes exactly the width");
    ok(strstr(e, "model.pt") != NULL, "and keeps its file name");
    ok(strncmp(e, "/scratch", 8) == 0, "and its start");
    ts_report_elide(e, sizeof e, "short.pt", 40);
    is_str(e, "short.pt", "a path that fits is kept");
    ts_report_elide(e, sizeof e, "/a/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9/b/c/d/e/f/g/h", 10);
    ok(widest(e) <= 10, "multi-byte names are cut between characters");
    is_str(ts_report_relpath("/run/dir/tasks/a/ck.pt", "/run/dir"), "tasks/a/ck.pt",
           "a path in the run dir is shown relative to it");
    is_str(ts_report_relpath("/run/dirx/ck.pt", "/run/dir"), "/run/dirx/ck.pt",
           "a sibling with the same prefix is not");
    is_str(ts_report_relpath("/x/ck.pt", NULL), "/x/ck.pt", "no run dir: as is");
}

int main(void)
{
    test_fit();
    test_percent();
    test_bar();
    test_counts();
    return done_testing();
}
