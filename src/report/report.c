#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "exitcodes.h"
#include "progress.h"
#include "report.h"
#include "units.h"

int ts_report_fail(const char *cmd, const ts_err *err)
{
    fprintf(stderr, "tasksuite %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
    return err->code ? err->code : TS_EXIT_FAIL;
}

int ts_report_usage_error(const char *cmd, int c, char **argv, const char *usage)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = { '-', (char)optopt, '\0' };

    if (c == ':') {
        fprintf(stderr, "tasksuite %s: option \"%s\" needs a value (%s)\n", cmd,
                arg, usage);
    } else {
        /* an unknown short option inside a group ("-jx"): name the letter */
        if (optopt > 0 && optopt < 128 && (strncmp(arg, "--", 2) != 0 || !arg[2]))
            arg = shortopt;
        fprintf(stderr, "tasksuite %s: unknown option \"%s\" (%s)\n", cmd, arg,
                usage);
    }
    return TS_EXIT_USAGE;
}

const char *ts_report_exit(char *buf, size_t len, bool has_exit, int exit_code,
                           int sig)
{
    if (sig > 0) {
        const char *name = ts_signal_name(sig);
        if (name)
            snprintf(buf, len, "SIG%s", name);
        else
            snprintf(buf, len, "signal %d", sig);
        return buf;
    }
    if (has_exit && exit_code >= 0)
        snprintf(buf, len, "exit %d", exit_code);
    else
        snprintf(buf, len, "-");
    return buf;
}

const char *ts_report_time(char *buf, size_t len, double t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "-");
    return buf;
}

const char *ts_report_labels(char *buf, size_t len, const char *labels_json)
{
    cJSON *a = labels_json ? cJSON_Parse(labels_json) : NULL;
    const cJSON *e;
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return buf;
    }
    cJSON_ArrayForEach(e, a) {
        int n;
        if (!cJSON_IsString(e))
            continue;
        n = snprintf(buf + pos, len - pos, "%s%s", pos ? "," : "", e->valuestring);
        if (n < 0 || (size_t)n >= len - pos) {
            if (len >= 4)
                memcpy(buf + len - 4, "...", 4);
            break;
        }
        pos += (size_t)n;
    }
    cJSON_Delete(a);
    return buf;
}

/* ---------------------------------------------------------------- suites */

typedef struct latest {
    char id[TS_SUITE_ID_LEN + 1];
    double at;
    bool found;
} latest;

static int latest_cb(const ts_suite_info *s, void *arg)
{
    latest *l = arg;
    if (!l->found || s->created_at >= l->at) {
        memcpy(l->id, s->id, sizeof l->id);
        l->at = s->created_at;
        l->found = true;
    }
    return 0;
}

int ts_report_latest_suite(ts_journal *j, uid_t uid,
                           char id[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    ts_suite_filter f = { .only_owner = true, .owner_uid = uid };
    latest l = { .found = false };

    if (ts_journal_suites_foreach(j, &f, latest_cb, &l, err) < 0)
        return -1;
    if (!l.found)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no suites of yours in %s",
                       ts_journal_path(j));
    memcpy(id, l.id, sizeof l.id);
    return 0;
}

/* ---------------------------------------------------------------- tasks */

typedef struct task_find {
    long idx;
    ts_task_brief *out;
    bool found, oom;
} task_find;

static int task_find_cb(const ts_task_info *t, void *arg)
{
    task_find *f = arg;
    if (f->idx >= 0 && t->idx != f->idx)
        return t->idx > f->idx ? 1 : 0;
    f->found = true;
    f->out->idx = t->idx;
    f->out->num_nodes = t->num_nodes;
    f->out->state = t->state;
    f->out->attempts = t->attempts;
    if (!(f->out->name = strdup(t->name ? t->name : "")))
        f->oom = true;
    return 1;
}

int ts_report_task_by_idx(ts_journal *j, const char *suite_id, long idx,
                          ts_task_brief *out, ts_err *err)
{
    task_find f = { .idx = idx, .out = out };

    memset(out, 0, sizeof *out);
    if (ts_journal_tasks_foreach(j, suite_id, 0, task_find_cb, &f, err) < 0)
        return -1;
    if (f.oom) {
        ts_task_brief_clear(out);
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    }
    if (!f.found) {
        if (idx < 0)
            return ts_errc(err, TS_EXIT_NOTFOUND, "suite %s has no tasks", suite_id);
        return ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s", idx, suite_id);
    }
    return 0;
}

int ts_report_task_get(ts_journal *j, const char *suite_id, const char *name,
                       ts_task_brief *out, ts_err *err)
{
    long idx;

    memset(out, 0, sizeof *out);
    if (ts_journal_task_find(j, suite_id, name, &idx, err) < 0)
        return -1;
    return ts_report_task_by_idx(j, suite_id, idx, out, err);
}

void ts_task_brief_clear(ts_task_brief *t)
{
    if (!t)
        return;
    free(t->name);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- attempts */

typedef struct att_find {
    int attempt;
    ts_attempt_info *out;
    bool found;
} att_find;

static int att_find_cb(const ts_attempt_info *a, void *arg)
{
    att_find *f = arg;
    if (a->attempt != f->attempt)
        return 0;
    *f->out = *a;
    f->out->suite_id = NULL;
    f->out->slurm_job_id = "";
    f->out->node = "";
    f->found = true;
    return 1;
}

int ts_report_attempt_get(ts_journal *j, const char *suite_id, long task_idx,
                          int attempt, ts_attempt_info *out, ts_err *err)
{
    att_find f = { .attempt = attempt, .out = out };

    memset(out, 0, sizeof *out);
    if (task_idx < 0)
        return 0;
    if (ts_journal_attempts_foreach(j, suite_id, task_idx, 0, att_find_cb, &f, err) < 0)
        return -1;
    return f.found ? 1 : 0;
}

bool ts_attempt_ended(enum ts_attempt_state s)
{
    return s != TS_ATT_RUNNING && (int)s >= 0 && s < TS_ATT_NSTATES;
}

bool ts_report_colour(FILE *f)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if (nc && *nc)
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(f)) == 1;
}

const char *ts_report_state_colour(enum ts_task_state st)
{
    switch (st) {
    case TS_TASK_FAILED: return "\033[31m";
    case TS_TASK_TIMEOUT:
    case TS_TASK_NODE_FAIL:
    case TS_TASK_PREEMPTED:
    case TS_TASK_SKIPPED: return "\033[33m";
    case TS_TASK_COMPLETED: return "\033[32m";
    default: return "";
    }
}

const char *ts_report_elide(char *buf, size_t len, const char *s, int width)
{
    size_t n = strlen(s);

    if (width < 8 || n <= (size_t)width || len < (size_t)width + 3) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    /* width - 1 columns of s around the ellipsis, a third at the start */
    size_t head = (size_t)(width - 1) / 3, tail = (size_t)(width - 1) - head;
    /* never cut a UTF-8 character in two */
    while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
        head--;
    while (tail > 0 && ((unsigned char)s[n - tail] & 0xC0) == 0x80)
        tail--;
    snprintf(buf, len, "%.*s\xe2\x80\xa6%s", (int)head, s, s + n - tail);
    return buf;
}

const char *ts_report_relpath(const char *path, const char *dir)
{
    size_t n = dir ? strlen(dir) : 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1])
        return path + n + 1;
    return path;
}

typedef struct failed_walk {
    FILE *f;
    int max, shown;
    long more;
    bool colour;
} failed_walk;

static int failed_cb(const ts_task_info *t, void *arg)
{
    failed_walk *w = arg;
    char ex[32];

    if (w->shown >= w->max) {
        w->more++;
        return 0;
    }
    ts_report_exit(ex, sizeof ex, t->has_exit, t->last_exit, t->last_signal);
    bool has_ex = strcmp(ex, "-") != 0, named = t->state != TS_TASK_FAILED;
    fprintf(w->f, "%s%s%s%s", w->shown ? ", " : "",
            w->colour ? ts_report_state_colour(t->state) : "", t->name,
            w->colour ? TS_REPORT_RESET : "");
    if (named || has_ex)
        fprintf(w->f, " (%s%s%s)", named ? ts_task_state_name(t->state) : "",
                named && has_ex ? ", " : "", has_ex ? ex : "");
    w->shown++;
    return 0;
}

int ts_report_failed_names(FILE *f, ts_journal *j, const char *id, int max, ts_err *err)
{
    failed_walk w = { .f = f, .max = max > 0 ? max : 1, .colour = ts_report_colour(f) };
    unsigned mask = TS_BIT(TS_TASK_FAILED) | TS_BIT(TS_TASK_TIMEOUT)
                    | TS_BIT(TS_TASK_NODE_FAIL) | TS_BIT(TS_TASK_PREEMPTED);
    ts_counts c;

    if (ts_journal_counts(j, id, &c, err) < 0)
        return -1;
    if (ts_progress_failed(&c) == 0)
        return 0;
    fprintf(f, "not completed: ");
    if (ts_journal_tasks_foreach(j, id, mask, failed_cb, &w, err) < 0) {
        fputc('\n', f);
        return -1;
    }
    if (w.more)
        fprintf(f, ", \xe2\x80\xa6 and %ld more (tasksuite status %s)", w.more, id);
    fprintf(f, "\n");
    return 0;
}
