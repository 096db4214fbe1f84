/* triggers_report.c: on_checkpoint in `status` (see triggers_report.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "triggers.h"
#include "triggers_report.h"

/* One source task's evaluations, summed as the walk (in source order)
 * goes. */
typedef struct per_source {
    FILE *f;
    bool header;
    long source;
    char name[TS_TASK_NAME_MAX + 1];
    long n, by_state[TS_TASK_NSTATES];
    char steps[160];
} per_source;

static void flush_source(per_source *p)
{
    char states[256] = "";
    size_t o = 0;

    if (!p->n)
        return;
    if (!p->header) {
        fprintf(p->f, "evaluations (on_checkpoint):\n");
        p->header = true;
    }
    for (int s = 0; s < TS_TASK_NSTATES; s++)
        if (p->by_state[s] && o < sizeof states) {
            int w = snprintf(states + o, sizeof states - o, "%s%ld %s", o ? ", " : "",
                             p->by_state[s], ts_task_state_name((enum ts_task_state)s));
            o += w > 0 ? (size_t)w : 0;
        }
    fprintf(p->f, "  %-16s %ld evaluation%s: %s%s%s%s\n", p->name, p->n, p->n == 1 ? "" : "s",
            states, p->steps[0] ? " (steps " : "", p->steps, p->steps[0] ? ")" : "");
    p->n = 0;
    memset(p->by_state, 0, sizeof p->by_state);
    p->steps[0] = '\0';
}

static int text_cb(const ts_trigger_info *t, void *arg)
{
    per_source *p = arg;
    if (p->n && t->source_idx != p->source)
        flush_source(p);
    p->source = t->source_idx;
    snprintf(p->name, sizeof p->name, "%s", t->source_name ? t->source_name : "?");
    p->n++;
    p->by_state[t->target_state]++;
    size_t len = strlen(p->steps);
    if (t->step >= 0 && len + 24 < sizeof p->steps)
        snprintf(p->steps + len, sizeof p->steps - len, "%s%ld", len ? ", " : "", t->step);
    else if (t->step >= 0 && len + 4 < sizeof p->steps && !strstr(p->steps, "..."))
        snprintf(p->steps + len, sizeof p->steps - len, ", ...");
    return 0;
}

int ts_report_triggers_text(FILE *f, ts_journal *j, const char *suite_id, ts_err *err)
{
    per_source p = { .f = f };
    if (ts_journal_triggers_foreach(j, suite_id, text_cb, &p, err) < 0)
        return -1;
    flush_source(&p);
    return 0;
}

static int json_cb(const ts_trigger_info *t, void *arg)
{
    ts_jout *w = arg;
    ts_jout_obj(w, NULL);
    ts_jout_str(w, "source_task", t->source_name);
    if (t->step >= 0)
        ts_jout_num(w, "step", (double)t->step);
    else
        ts_jout_null(w, "step");
    ts_jout_str(w, "checkpoint", t->path);
    ts_jout_str(w, "task", t->target_name);
    ts_jout_str(w, "state", ts_task_state_name(t->target_state));
    ts_jout_end(w);
    return 0;
}

int ts_report_triggers_json(ts_jout *w, ts_journal *j, const char *suite_id, ts_err *err)
{
    ts_jout_arr(w, "checkpoint_triggers");
    int rc = ts_journal_triggers_foreach(j, suite_id, json_cb, w, err);
    ts_jout_end(w);
    return rc;
}
