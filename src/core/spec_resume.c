/* spec_resume.c: the resume: section of a suite file (retries, the
 * warning signal and its lead), and the lead's bound by slurm: time.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "units.h"

/* ----------------------------------------------------------------- resume */

#define RESUME(obj) ((ts_resume *)(obj))

static int rs_max_retries(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    return spec_get_int_field(c, v, path, 0, 100, &RESUME(obj)->max_retries);
}

static int rs_retry_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    static const struct { const char *name; unsigned bit; } states[] = {
        { "timeout", TS_RETRY_TIMEOUT }, { "node_fail", TS_RETRY_NODE_FAIL },
        { "preempted", TS_RETRY_PREEMPTED }, { "failed", TS_RETRY_FAILED },
    };
    unsigned bits = 0;

    if (spec_want_seq(c, v, path) < 0)
        return -1;
    for (size_t i = 0; i < spec_nitems(v); i++) {
        yaml_node_t *it = spec_node(c, v->data.sequence.items.start[i]);
        const char *st;
        char ip[PATH_LEN];
        size_t j;

        spec_path_idx(ip, path, i);
        if (spec_get_str(c, it, ip, &st) < 0)
            return -1;
        for (j = 0; j < sizeof states / sizeof states[0]; j++)
            if (strcmp(st, states[j].name) == 0)
                break;
        if (j == sizeof states / sizeof states[0])
            return spec_fail(c, it, ip, "%s is not a state that can be retried "
                             "(timeout, node_fail, preempted, failed)", spec_qv(c, st));
        bits |= states[j].bit;
    }
    RESUME(obj)->retry_on = bits;
    return 0;
}

/* "USR2@300": the signal Slurm sends, and how many seconds before the
 * walltime (sbatch --signal). The lead may also be a duration ("5m"). */
static int rs_signal(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s, *at;
    char name[32];
    int sig;
    long lead = 300;

    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    at = strchr(s, '@');
    sig = -1;
    if ((at ? (size_t)(at - s) : strlen(s)) < sizeof name) {
        snprintf(name, sizeof name, "%.*s",
                 (int)(at ? (size_t)(at - s) : strlen(s)), s);
        sig = ts_parse_signal(name);
    }
    if (sig < 0)
        return spec_fail(c, v, path, "%s is not a signal (e.g. USR2@300: SIGUSR2 "
                         "300 s before the walltime)", spec_qv(c, s));
    if (sig == SIGKILL || sig == SIGSTOP)
        return spec_fail(c, v, path, "%s cannot be caught, so no task could act "
                         "on it (use USR2 or TERM)", spec_qv(c, s));
    if (at) {
        char *end;

        errno = 0;
        if (spec_all_digits(at + 1))
            lead = strtol(at + 1, &end, 10);
        else if (ts_parse_duration(at + 1, &lead) < 0)
            return spec_fail(c, v, path, "%s is not a signal (e.g. USR2@300: "
                             "SIGUSR2 300 s before the walltime)", spec_qv(c, s));
        if (errno == ERANGE || lead < 1 || lead > 65535)
            return spec_fail(c, v, path, "the lead time must be from 1 to 65535 "
                             "seconds (Slurm's limit), found %s", spec_qv(c, s));
    }
    RESUME(obj)->signal = sig;
    RESUME(obj)->signal_lead_s = (int)lead;
    return 0;
}

/* issue 16: how long `tasksuite cancel` lets a running task checkpoint
 * after the warning signal before Slurm's kill (cancel --grace). */
static int rs_cancel_grace(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_duration(c, v, path, 0, 86400, &RESUME(obj)->cancel_grace_s);
}

static const field resume_fields[] = {
    { "cancel_grace", rs_cancel_grace, false, NULL },
    { "max_retries", rs_max_retries, false, NULL },
    { "retry_on", rs_retry_on, false, NULL },
    { "signal", rs_signal, false, NULL },
    { NULL, NULL, false, NULL },
};

int spec_read_resume(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_walk_map(c, v, path, resume_fields, &SUITE(obj)->resume);
}

/* A warning before the job has done anything is no warning: with the
 * default lead (300 s) and a short walltime, Slurm would send it at once,
 * and every attempt would end before it started. The lead is at most half
 * the walltime (Slurm counts whole minutes, so the walltime is at least
 * 60 s and the lead at least 30 s), and the suite says so when it lowers it.
 * Without slurm.time the walltime is the partition's, unknown here. */
int spec_clamp_signal_lead(pctx *c)
{
    ts_suite *s = c->s;
    const char *t = ts_kv_get(&s->slurm, "time");
    long secs;

    if (s->resume.signal <= 0 || !t || ts_parse_duration(t, &secs) < 0 || secs <= 0)
        return 0;
    long minutes = (secs + 59) / 60;            /* as Slurm rounds --time */
    long wall = minutes * 60, half = wall / 2;
    if (s->resume.signal_lead_s <= half)
        return 0;
    ts_pos p = { 0, 0 };
    for (size_t i = 0; i < s->slurm.n; i++)
        if (strcmp(s->slurm.v[i].key, "time") == 0)
            p = s->slurm.v[i].pos;
    char what[64];
    if (minutes % 60 == 0)
        snprintf(what, sizeof what, "%ld-hour", minutes / 60);
    else
        snprintf(what, sizeof what, "%ld-minute", minutes);
    ts_strlist *w = &s->warnings;
    char line[1024], **v = realloc(w->v, (w->n + 1) * sizeof *v);
    if (!v)
        return spec_oom(c);
    w->v = v;
    snprintf(line, sizeof line, "%s:%d:%d: resume.signal lead %ds is %s the %s "
             "walltime: using %lds", c->file, p.line, p.col, s->resume.signal_lead_s,
             s->resume.signal_lead_s >= wall ? "longer than" : "more than half of", what,
             half);
    if (!(w->v[w->n] = strdup(line)))
        return spec_oom(c);
    w->n++;
    s->resume.signal_lead_s = (int)half;
    return 0;
}
