/* agentwatch.c: the agent's running tasks (agent_int.h): their ends and
 * the workers' counts, cancel marks, the walltime's warning and the cut at
 * the very end, TERM then KILL.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "agent_int.h"
#include "agentrules.h"
#include "events.h"
#include "walltime.h"
#include "worker.h"

/* The warning's lead as exec measures it (warnfilter.c): never in the
 * first half of the walltime. */
double pa_lead_of(const agent *a)
{
    double lead = a->rs.warn_lead_s > 0 ? a->rs.warn_lead_s : 0;
    double wall = a->end > 0 ? (double)(a->end - a->started) : 0;
    return wall > 0 && lead > wall / 2 ? wall / 2 : lead;
}

/* Seconds before the end at which running tasks are TERMed: late enough to
 * leave the warning's lead to the task, early enough to record the end
 * before Slurm's own TERM. */
double pa_cut_before(const agent *a)
{
    double lead = pa_lead_of(a);
    double c = lead >= 20 ? 10 : lead / 2;
    return c < 2 ? 2 : c;
}

static void pa_signal_running(agent *a, int sig)
{
    for (size_t i = 0; i < a->n; i++)
        ts_pool_task_signal(&a->w[i].task, sig);
}

void pa_wind_down(agent *a, const char *why)
{
    if (a->winding)
        return;
    a->winding = true;
    fprintf(stderr, MSG "%s: no more tasks taken here\n", why);
    pa_release_buffer(a);
    a->dirty = true;
}

void pa_warn_tasks(agent *a, const char *why)
{
    pa_wind_down(a, why);
    if (a->rs.warn_signal > 0)
        pa_signal_running(a, a->rs.warn_signal);
}

void pa_term_slot(agent *a, slot *s, double grace)
{
    if (!s->task.live || s->termed)
        return;
    ts_pool_task_signal(&s->task, SIGTERM);
    s->termed = true;
    s->kill_at = pa_now_s() + grace;
    (void)a;
}

void pa_task_ended(agent *a, slot *s, enum ts_pool_result r)
{
    s->termed = false;
    s->kill_at = 0;
    s->st.state = TS_WORKER_IDLE;
    a->empty_looks = 0;     /* it may have queued its next attempt: look again */
    a->dry = false;
    a->dirty = true;
    if (ts_pool_tally_note(&s->st.tally, r, a->rs.workers.suspend_after)) {
        snprintf(s->st.reason, sizeof s->st.reason,
                 "suspended: its last %d tasks failed (suspend_after), the last task %ld "
                 "attempt %d", s->st.tally.streak, s->e.task, s->e.attempt);
        s->st.state = TS_WORKER_SUSPENDED;
        fprintf(stderr, MSG "worker %d on %s %s\n", s->st.id, a->host, s->st.reason);
    }
}

void pa_reap(agent *a)
{
    int status;
    pid_t pid;
    /* the tasks' processes, and what they left that came to us */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < a->n; i++) {
            slot *s = &a->w[i];
            enum ts_pool_result r;
            if (s->task.live && s->task.group == pid && !ts_pool_task_exited(&s->task, status, &r))
                pa_task_ended(a, s, r);
        }
}

void pa_check_cancels(agent *a, double now)
{
    ts_err err = { 0 };
    if (now - a->last_cancel < CANCEL_CHECK_S)
        return;
    a->last_cancel = now;
    for (size_t i = 0; i < a->n; i++) {
        slot *s = &a->w[i];
        bool cancelled = false;
        if (!s->task.live || s->termed)
            continue;
        if (ts_events_is_cancelled(a->rs.dir, s->e.task, &cancelled, &err) == 0 && cancelled) {
            fprintf(stderr, MSG "task %ld was cancelled: stopping it\n", s->e.task);
            pa_term_slot(a, s, CANCEL_GRACE_S);
        }
    }
}

void pa_escalate(agent *a, double now)
{
    ts_pool_strays_escalate(false);
    for (size_t i = 0; i < a->n; i++) {
        slot *s = &a->w[i];
        if (s->task.live && s->kill_at > 0 && now >= s->kill_at) {
            ts_pool_task_kill(&s->task);
            s->kill_at = 0;
        }
    }
}

/* The walltime: warn at end - lead, TERM near the very end. */
void pa_check_walltime(agent *a, double now)
{
    if (now - a->end_asked >= END_REFRESH_S && !a->cut) {
        time_t e = ts_walltime_end_time_fresh();
        if (e > 0)
            a->end = e;
        a->end_asked = now;
    }
    if (a->end <= 0)
        return;
    if (!a->winding && now >= (double)a->end - pa_lead_of(a))
        pa_warn_tasks(a, "the walltime's warning is due");
    if (!a->cut && now >= (double)a->end - pa_cut_before(a)) {
        a->cut = true;
        pa_wind_down(a, "the walltime ends");
        for (size_t i = 0; i < a->n; i++)
            pa_term_slot(a, &a->w[i], CUT_KILL_AFTER_S);
    }
}
