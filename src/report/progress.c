#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

/* Append to buf at *pos; -1 (and *pos at the end) once it does not fit. */
static int add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos >= len)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *pos) {
        *pos = len;
        return -1;
    }
    *pos += (size_t)n;
    return 0;
}

int ts_progress_tenths(long done, long total)
{
    long long t;

    if (total <= 0)
        return 0;
    if (done < 0)
        done = 0;
    if (done > total)
        done = total;
    /* round half up: (1000 * done / total + 0.5) in integers */
    t = ((long long)done * 2000 + total) / (2 * (long long)total);
    if (t >= 1000 && done < total)
        t = 999;
    if (t <= 0 && done > 0)
        t = 1;
    return (int)t;
}

double ts_progress_percent(long done, long total)
{
    return ts_progress_tenths(done, total) / 10.0;
}

int ts_progress_text(char *buf, size_t len, long done, long total)
{
    int t = ts_progress_tenths(done, total);
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    if (add(buf, len, &pos, "%ld/%ld done (%d.%d%%)", done, total < 0 ? 0 : total,
            t / 10, t % 10) < 0)
        return -1;
    return (int)pos;
}

int ts_progress_bar(char *buf, size_t len, long done, long total, int width)
{
    long long filled = 0;

    if (width < 1)
        width = 1;
    if (width > TS_PROGRESS_BAR_MAX)
        width = TS_PROGRESS_BAR_MAX;
    if (total > 0) {
        if (done < 0)
            done = 0;
        if (done > total)
            done = total;
        filled = (long long)done * width / total;
    }
    if (len < (size_t)width + 3) {
        if (len) {
            size_t n = len - 1;
            memset(buf, '-', n);
            if (n)
                buf[0] = '[';
            buf[n] = '\0';
        }
        return -1;
    }
    buf[0] = '[';
    for (int i = 0; i < width; i++)
        buf[1 + i] = i < filled ? '#' : '-';
    buf[1 + width] = ']';
    buf[2 + width] = '\0';
    return width + 2;
}

int ts_progress_counts(char *buf, size_t len, const ts_counts *c, bool skip_zero)
{
    size_t pos = 0;
    int any = 0;

    if (len)
        buf[0] = '\0';
    for (int s = 0; s < TS_TASK_NSTATES; s++) {
        if ((skip_zero || s == TS_TASK_SKIPPED) && c->n[s] == 0)
            continue;   /* skipped exists only in a graph: shown when it happens */
        if (add(buf, len, &pos, "%s%s %ld", any ? ", " : "",
                ts_task_state_name((enum ts_task_state)s), c->n[s]) < 0)
            return -1;
        any = 1;
    }
    if (!any && add(buf, len, &pos, "no tasks") < 0)
        return -1;
    return (int)pos;
}

int ts_progress_line(char *buf, size_t len, const char *suite_id,
                     const char *state, const ts_counts *c)
{
    char prog[96], counts[512];
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    ts_progress_text(prog, sizeof prog, c->done, c->total);
    if (ts_progress_counts(counts, sizeof counts, c, true) < 0)
        return -1;
    if (add(buf, len, &pos, "%s %s %s: %s", suite_id, state, prog, counts) < 0)
        return -1;
    return (int)pos;
}

long ts_progress_failed(const ts_counts *c)
{
    return c->n[TS_TASK_FAILED] + c->n[TS_TASK_TIMEOUT] + c->n[TS_TASK_NODE_FAIL]
           + c->n[TS_TASK_PREEMPTED];
}

int ts_progress_done_short(char *buf, size_t len, const ts_counts *c)
{
    size_t pos = 0;
    long failed = ts_progress_failed(c);

    if (len)
        buf[0] = '\0';
    if (add(buf, len, &pos, "%ld/%ld", c->done, c->total < 0 ? 0 : c->total) < 0)
        return -1;
    if (failed > 0 && add(buf, len, &pos, " (%ld failed)", failed) < 0)
        return -1;
    return (int)pos;
}

int ts_progress_counts_wrapped(char *buf, size_t len, const ts_counts *c, int indent,
                               int width)
{
    size_t pos = 0;
    int col = indent;

    if (len)
        buf[0] = '\0';
    int shown = c->n[TS_TASK_SKIPPED] ? TS_TASK_NSTATES : TS_TASK_SKIPPED;
    for (int s = 0; s < shown; s++) {
        char item[64];
        int n = snprintf(item, sizeof item, "%s %ld",
                         ts_task_state_name((enum ts_task_state)s), c->n[s]);
        bool last = s == shown - 1;
        int need = n + (last ? 0 : 1);      /* the item and its comma */
        if (s > 0) {
            if (col + 1 + need > width) {
                if (add(buf, len, &pos, "\n%*s", indent, "") < 0)
                    return -1;
                col = indent;
            } else {
                if (add(buf, len, &pos, " ") < 0)
                    return -1;
                col++;
            }
        }
        if (add(buf, len, &pos, "%s%s", item, last ? "" : ",") < 0)
            return -1;
        col += need;
    }
    return (int)pos;
}

void ts_progress_follow(FILE *f, const ts_counts *c, long *last_done, bool tty)
{
    if (c->done == *last_done && !tty)
        return;
    char text[96], bar[64], counts[256];
    ts_progress_text(text, sizeof text, c->done, c->total);
    ts_progress_counts(counts, sizeof counts, c, true);
    if (tty) {
        ts_progress_bar(bar, sizeof bar, c->done, c->total, 30);
        fprintf(f, "\r\033[K%s %s  %s", bar, text, counts);
    } else {
        fprintf(f, "%s: %s\n", text, counts);
    }
    *last_done = c->done;
}
