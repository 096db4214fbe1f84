/* agentclaims.c: the agent's claims (agent_int.h): kept in a buffer by
 * priority, up to task_prefetch_count beyond the idle workers, given back
 * whole when the agent winds down; each started right before its task's
 * process is forked (worker.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "events.h"
#include "worker.h"

/* Give back everything claimed but not started (no attempt spent). */
void pa_release_buffer(agent *a)
{
    ts_err err = { 0 };
    if (a->nbuf == 0)
        return;
    if (ts_pool_release(a->ag, a->buf, a->nbuf, &err) < 0)
        fprintf(stderr, MSG "cannot give back %zu claimed tasks: %s (sync returns them "
                "when this agent is judged dead)\n", a->nbuf, err.msg);
    a->nbuf = 0;
}

static void pa_buffer_add(agent *a, const ts_pool_entry *e)
{
    size_t i = a->nbuf;
    /* after every entry of the same or a higher priority: stable */
    while (i > 0 && a->buf[i - 1].priority < e->priority) {
        a->buf[i] = a->buf[i - 1];
        i--;
    }
    a->buf[i] = *e;
    a->nbuf++;
}

int pa_idle_workers(const agent *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += !a->w[i].task.live && a->w[i].st.state == TS_WORKER_IDLE;
    return n;
}

int pa_busy_workers(const agent *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->w[i].task.live != NULL;
    return n;
}

void pa_claim_more(agent *a, double now)
{
    ts_err err = { 0 }, warn = { 0 };
    int idle = pa_idle_workers(a);
    int want = idle + a->rs.workers.task_prefetch_count - (int)a->nbuf;
    if (idle == 0 || want <= 0)
        return;
    /* after an empty look, at most one a second */
    if (a->dry && now - a->last_look < 1.0)
        return;
    int got = ts_pool_claim(a->ag, a->buf + a->nbuf, want, &warn, &err);
    /* from the look's end: the next empty look is a second after this
     * one's listing, so it lists queue/ again (TS_POOL_EMPTY_LOOKS) */
    a->last_look = pa_now_s();
    (void)now;
    if (warn.msg[0])
        fprintf(stderr, MSG "%s\n", warn.msg);
    if (got < 0) {
        fprintf(stderr, MSG "%s\n", err.msg);
        got = 0;
    }
    a->dry = got == 0;
    if (got == 0) {
        if (pa_busy_workers(a) == 0 && a->nbuf == 0)
            a->empty_looks++;
        return;
    }
    a->empty_looks = 0;
    ts_pool_entry *fresh = malloc((size_t)got * sizeof *fresh);
    if (!fresh) {
        fprintf(stderr, MSG "out of memory\n");
        return;
    }
    memcpy(fresh, a->buf + a->nbuf, (size_t)got * sizeof *fresh);
    for (int i = 0; i < got; i++)
        pa_buffer_add(a, &fresh[i]);
    free(fresh);
}

/* 1: started; 0: not to be run (cancelled, returned): next entry. */
static int pa_start_one(agent *a, slot *s, const ts_pool_entry *e)
{
    ts_err err = { 0 };
    bool cancelled = false;
    if (ts_events_is_cancelled(a->rs.dir, e->task, &cancelled, &err) < 0)
        fprintf(stderr, MSG "%s\n", err.msg);
    /* Started even when cancelled: the fate settles the claim for good, so
     * nobody else runs it either; nothing runs and nothing is recorded. */
    int r = ts_pool_start(a->ag, e, &err);
    if (r < 0) {
        fprintf(stderr, MSG "task %ld attempt %d: %s: not run\n", e->task, e->attempt, err.msg);
        ts_err ignored = { 0 };
        (void)ts_pool_release(a->ag, e, 1, &ignored);   /* if it is still ours */
    }
    if (r <= 0)
        return 0;
    if (cancelled) {
        fprintf(stderr, MSG "task %ld was cancelled: not run\n", e->task);
        return 0;
    }
    ts_pool_task_req req = {
        .rundir = a->rs.dir, .manifest = a->manifest, .pooldir = a->pooldir, .e = *e,
        /* rounded down, as the cut's own test is: a lead of 4.75 s (half
         * an odd walltime) must not put the mark after the TERM */
        .cut_from = a->end > 0 ? (time_t)((double)a->end - pa_cut_before(a)) : 0,
        .end = a->end,
        .topo = a->topo, .plan = &a->plan, .worker = (size_t)s->st.id,
        .runspec = &a->rs, .index = &a->mix,
    };
    /* One stat per task; the whole file again only when it was replaced
     * (tasks added). Unreadable here: the task's process reads it itself
     * and records why it could not run. */
    if (ts_manifest_index_stale(&a->mix, a->manifest, e->task)
        && ts_manifest_index_open(a->manifest, &a->mix, &err) < 0) {
        req.index = NULL;
        err.msg[0] = '\0';
    }
    s->e = *e;
    enum ts_pool_result result;
    if (!ts_pool_task_start(&s->task, &req, &result)) {
        pa_task_ended(a, s, result);     /* nothing runs: counted, the slot free */
        return 0;
    }
    s->termed = false;
    s->kill_at = 0;
    s->st.state = TS_WORKER_RUNNING;
    s->st.task = e->task;
    s->st.attempt = e->attempt;
    a->dirty = true;
    return 1;
}

void pa_dispatch(agent *a)
{
    for (size_t i = 0; i < a->n && a->nbuf > 0; i++) {
        slot *s = &a->w[i];
        if (s->task.live || s->st.state != TS_WORKER_IDLE)
            continue;
        while (a->nbuf > 0 && !s->task.live && s->st.state == TS_WORKER_IDLE) {
            ts_pool_entry e = a->buf[0];
            memmove(a->buf, a->buf + 1, (a->nbuf - 1) * sizeof *a->buf);
            a->nbuf--;
            pa_start_one(a, s, &e);
        }
    }
}
