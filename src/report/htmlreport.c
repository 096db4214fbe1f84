/* htmlreport.c: the page of `tasksuite report` (see htmlreport.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "hookruns.h"
#include "htmlreport.h"
#include "progress.h"
#include "record.h"
#include "spec.h"
#include "units.h"

/* Hook runs listed one by one; beyond that the page counts them. */
#define MAX_HOOK_RUNS 5000

void ts_html_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    putc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        /* what could close the script element or start markup */
        case '<': fputs("\\u003c", f); break;
        case '>': fputs("\\u003e", f); break;
        case '&': fputs("\\u0026", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
                /* line and paragraph separators: JavaScript line ends */
                fprintf(f, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
                p += 2;
            } else
                putc(*p, f);
        }
    }
    putc('"', f);
}

void ts_html_text(FILE *f, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: putc(*p, f);
        }
    }
}

/* Seconds after t0 to a tenth ("12", "12.5"); null when unknown. */
static void rel_time(FILE *f, double t, double t0)
{
    if (t <= 0) {
        fputs("null", f);
        return;
    }
    double r = round((t - t0) * 10) / 10;
    if (r == floor(r))
        fprintf(f, "%.0f", r);
    else
        fprintf(f, "%.1f", r);
}

static void opt_int(FILE *f, bool known, long v)
{
    if (known)
        fprintf(f, "%ld", v);
    else
        fputs("null", f);
}

long ts_html_walltime(const char *submit_record)
{
    ts_submit_record r = { 0 };
    ts_err e = { 0 };
    ts_suite *sp = NULL;
    long secs = 0;

    if (!submit_record || ts_submit_record_from_json(submit_record, &r, &e) < 0)
        return 0;
    if (!r.local && r.yaml
        && ts_spec_parse(r.file ? r.file : "suite", r.yaml, strlen(r.yaml), &sp, &e) == 0) {
        const char *t = ts_kv_get(&sp->slurm, "time");
        if (t && ts_parse_duration(t, &secs) < 0)
            secs = 0;
    }
    ts_spec_free(sp);
    ts_submit_record_free(&r);
    return secs > 0 ? secs : 0;
}

/* ---------------------------------------------------------------- tasks */

/* Each task: [idx, name, state, attempts, [attempt...], [checkpoint...]]
 * attempt:    [n, state, node, start, end, exit, signal, job]
 * checkpoint: [attempt, at, step]
 * (times relative to t0; the walk gives attempts, then checkpoints). */
typedef struct page {
    FILE *f;
    double t0;
    long ntasks;
    int part;             /* 0: in attempts, 1: in checkpoints */
    long nattempts;
} page;

static int task_cb(const ts_task_info *t, void *arg)
{
    page *p = arg;
    fputs(p->ntasks++ ? ",\n[" : "[", p->f);
    fprintf(p->f, "%ld,", t->idx);
    ts_html_json_string(p->f, t->name);
    putc(',', p->f);
    ts_html_json_string(p->f, ts_task_state_name(t->state));
    fprintf(p->f, ",%d,[", t->attempts);
    p->part = 0;
    p->nattempts = 0;
    return ferror(p->f) ? 1 : 0;
}

static int attempt_cb(const ts_attempt_info *a, void *arg)
{
    page *p = arg;
    FILE *f = p->f;
    fprintf(f, "%s[%d,", p->nattempts++ ? "," : "", a->attempt);
    ts_html_json_string(f, ts_attempt_state_name(a->state));
    putc(',', f);
    ts_html_json_string(f, a->node ? a->node : "");
    putc(',', f);
    rel_time(f, a->started_at, p->t0);
    putc(',', f);
    rel_time(f, a->ended_at, p->t0);
    putc(',', f);
    opt_int(f, a->exit_code >= 0, a->exit_code);
    putc(',', f);
    opt_int(f, a->signal > 0, a->signal);
    putc(',', f);
    ts_html_json_string(f, a->slurm_job_id ? a->slurm_job_id : "");
    putc(']', f);
    return ferror(f) ? 1 : 0;
}

static void to_checkpoints(page *p)
{
    if (p->part == 0) {
        fputs("],[", p->f);
        p->part = 1;
        p->nattempts = 0;
    }
}

static int checkpoint_cb(const ts_checkpoint_info *c, void *arg)
{
    page *p = arg;
    to_checkpoints(p);
    fprintf(p->f, "%s[%d,", p->nattempts++ ? "," : "", c->attempt);
    rel_time(p->f, c->at, p->t0);
    putc(',', p->f);
    opt_int(p->f, c->step >= 0, c->step);
    putc(']', p->f);
    return ferror(p->f) ? 1 : 0;
}

static int task_end_cb(const ts_task_info *t, void *arg)
{
    page *p = arg;
    (void)t;
    to_checkpoints(p);
    fputs("]]", p->f);
    return ferror(p->f) ? 1 : 0;
}

/* ---------------------------------------------------------------- hooks */

typedef struct hooks {
    FILE *f;
    double t0;
    long n;
} hooks;

/* [node, hook, job, start, last_write, timeout, bytes, log] */
static int hook_cb(const ts_hook_run *r, void *arg)
{
    hooks *h = arg;
    FILE *f = h->f;
    fputs(h->n++ ? ",\n[" : "[", f);
    ts_html_json_string(f, r->node);
    putc(',', f);
    ts_html_json_string(f, r->hook);
    putc(',', f);
    ts_html_json_string(f, r->job);
    putc(',', f);
    rel_time(f, r->started_at, h->t0);
    putc(',', f);
    rel_time(f, r->last_write, h->t0);
    putc(',', f);
    opt_int(f, r->timeout_s >= 0, r->timeout_s);
    fprintf(f, ",%lld,", r->bytes);
    ts_html_json_string(f, r->log);
    putc(']', f);
    return ferror(f) ? 1 : 0;
}

/* ---------------------------------------------------------------- page */

static void head(FILE *f, const ts_html_input *in)
{
    const ts_suite_info *s = in->suite;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          /* no fetch of any kind: the page is all there is */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"tasksuite " PACKAGE_VERSION "\">\n<title>", f);
    ts_html_text(f, s->name);
    fputs(" (", f);
    ts_html_text(f, s->id);
    fputs(") \xe2\x80\x94 tasksuite report</title>\n<style>\n", f);
    fputs(ts_html_css, f);
    fputs("</style>\n</head>\n<body>\n<header><h1>", f);
    ts_html_text(f, s->name);
    fputs(" <span class=\"id\">", f);
    ts_html_text(f, s->id);
    fputs("</span></h1><p id=\"subtitle\"></p></header>\n"
          "<noscript><p class=\"warn\">This report draws itself with JavaScript; "
          "the data is in the page's source (the element with id \"ts-data\").</p></noscript>\n"
          "<main id=\"app\"></main>\n", f);
}

int ts_html_report_write(FILE *f, ts_journal *j, const ts_html_input *in, ts_err *err)
{
    static const ts_suite_walk_cbs cbs = {
        .task = task_cb, .attempt = attempt_cb, .checkpoint = checkpoint_cb,
        .task_end = task_end_cb,
    };
    const ts_suite_info *s = in->suite;
    const ts_counts *c = in->counts;
    double t0 = s->created_at > 0 ? s->created_at : 0;
    page p = { .f = f, .t0 = t0 };
    hooks h = { .f = f, .t0 = t0 };
    long more = 0;

    head(f, in);
    fputs("<script type=\"application/json\" id=\"ts-data\">\n{\"version\":1,\"suite\":{\"id\":", f);
    ts_html_json_string(f, s->id);
    fputs(",\"name\":", f);
    ts_html_json_string(f, s->name);
    fputs(",\"state\":", f);
    ts_html_json_string(f, ts_suite_state_name(s->state));
    fprintf(f, ",\"created_at\":%.3f,\"updated_at\":%.3f,\"generated_at\":%.3f",
            s->created_at, s->updated_at, in->generated_at);
    fprintf(f, ",\"total\":%ld,\"done\":%ld,\"percent\":%.1f,\"max_retries\":%d", c->total,
            c->done, ts_progress_percent(c->done, c->total), s->max_retries);
    fputs(",\"walltime_s\":", f);
    opt_int(f, in->walltime_s > 0, in->walltime_s);
    fputs(",\"dir\":", f);
    if (in->dir)
        ts_html_json_string(f, in->dir);
    else
        fputs("null", f);
    fputs(",\"sync_error\":", f);
    if (in->sync_error)
        ts_html_json_string(f, in->sync_error);
    else
        fputs("null", f);
    fputs(",\"counts\":{", f);
    for (int st = 0; st < TS_TASK_NSTATES; st++) {
        fprintf(f, "%s", st ? "," : "");
        ts_html_json_string(f, ts_task_state_name((enum ts_task_state)st));
        fprintf(f, ":%ld", c->n[st]);
    }
    fputs("}},\n\"tasks\":[\n", f);
    int rc = ts_journal_suite_walk(j, s->id, &cbs, &p, err);
    if (rc < 0)
        return -1;
    if (rc > 0 || ferror(f))
        return ts_errc(err, TS_EXIT_FAIL, "write error: %s", strerror(errno ? errno : EIO));
    fputs("],\n\"hooks\":[\n", f);
    if (ts_hook_runs_foreach(in->dir, MAX_HOOK_RUNS, hook_cb, &h, &more) != 0 || ferror(f))
        return ts_errc(err, TS_EXIT_FAIL, "write error: %s", strerror(errno ? errno : EIO));
    fprintf(f, "],\n\"hooks_left_out\":%ld}\n</script>\n<script>\n", more);
    fputs(ts_html_js, f);
    fputs("</script>\n</body>\n</html>\n", f);
    if (ferror(f))
        return ts_errc(err, TS_EXIT_FAIL, "write error: %s", strerror(errno ? errno : EIO));
    return 0;
}
