/* poolsync.c: sync's pool-mode part (see poolsync.h). */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"
#include "manifest.h"
#include "opentasks.h"
#include "poolsubmit.h"
#include "poolsync.h"
#include "submission.h"
#include "sync.h"

bool ts_poolsync_job_ended(const char *jobid, const ts_job_info *jobs, size_t n, bool known,
                           uint32_t self)
{
    char *end;
    unsigned long id = strtoul(jobid ? jobid : "", &end, 10);
    if (!known || !jobid || !*jobid || *end || id == 0)
        return false;     /* no news, or no job to ask about: the heartbeat decides */
    if (id == self)
        return true;
    for (size_t i = 0; i < n; i++)
        if (jobs[i].job_id == id)
            return !(jobs[i].state == TS_JOB_PENDING || jobs[i].state == TS_JOB_RUNNING)
                   || jobs[i].completing;
    return true;          /* Slurm no longer lists it */
}

enum ts_attempt_state ts_poolsync_lost_state(const char *jobid, const ts_job_info *jobs,
                                             size_t n)
{
    unsigned long id = strtoul(jobid ? jobid : "", NULL, 10);
    for (size_t i = 0; id && i < n; i++)
        if (jobs[i].job_id == id) {
            if (jobs[i].state == TS_JOB_TIMEOUT)
                return TS_ATT_TIMEOUT;
            if (jobs[i].state == TS_JOB_PREEMPTED)
                return TS_ATT_PREEMPTED;
        }
    return TS_ATT_NODE_FAIL;
}

/* A task lost with its agent (the node, the allocation, the agent itself)
 * gets its next attempt as an array element lost with its node does from
 * Slurm's own requeue: whatever retry_on says, while attempts are left. A
 * state retry_on names is left to the sync's retries (not queued twice). */
static int lost_retry(ts_journal *j, const ts_suite_info *si, long task, int attempt,
                      enum ts_attempt_state st, ts_err *err)
{
    unsigned bit = st == TS_ATT_TIMEOUT     ? TS_RETRY_TIMEOUT
                   : st == TS_ATT_PREEMPTED ? TS_RETRY_PREEMPTED
                                            : TS_RETRY_NODE_FAIL;
    if ((si->retry_on & bit) || attempt >= 1 + si->max_retries)
        return 0;
    return ts_journal_intent_create(j, si->id, &task, 1, NULL, err);
}

enum ts_pool_verdict ts_poolsync_judge(const ts_pool_claimrec *c, double now, double heartbeat,
                                       double lease, bool job_ended, int open_attempt)
{
    bool dead = ts_pool_agent_dead(now, heartbeat, c->time, lease, job_ended);
    bool open = open_attempt == c->e.attempt;
    enum ts_pool_verdict v = ts_pool_decide(c, dead, !open);
    /* An attempt the journal no longer has open (cancelled, or already
     * ended and retried) is not put back in the queue: nobody must run it. */
    if ((v == TS_POOL_RETURN || v == TS_POOL_REQUEUE) && !open)
        return TS_POOL_KEEP;
    return v;
}

/* Is (task, attempt, gen) in any queue epoch? has_next only says the next
 * generation was claimed: a returned entry waits unclaimed while no agent
 * runs, and must not be queued again by every sync meanwhile. Read only
 * when a REQUEUE is a candidate (a crash between a return's fate and its
 * epoch, or the window before the next generation is claimed). */
static bool in_queue(const char *pooldir, const ts_pool_entry *want)
{
    char qdir[PATH_MAX + 8], path[PATH_MAX + 300];
    struct dirent *de;
    bool found = false;
    snprintf(qdir, sizeof qdir, "%s/queue", pooldir);
    DIR *d = opendir(qdir);
    if (!d)
        return false;
    while (!found && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        ts_pool_entry *v = NULL;
        size_t n = 0;
        ts_err e = { 0 };
        if (de->d_name[0] == '.' || len < 3 || strcmp(de->d_name + len - 2, ".q") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", qdir, de->d_name);
        if (ts_pool_queue_read(path, &v, &n, &e) < 0)
            continue;
        for (size_t i = 0; i < n && !found; i++)
            found = v[i].task == want->task && v[i].attempt == want->attempt
                    && v[i].gen == want->gen + 1;
        free(v);
    }
    closedir(d);
    return found;
}

bool ts_pool_agent_job(const char *agent, char *job, size_t len)
{
    char name[TS_POOL_IDLEN], *dot[3] = { NULL, NULL, NULL };
    /* "<host>.<jobid>.<pid>.<start>" (claims.h); the host may hold dots,
     * so the job id is the third field from the end */
    if (!agent || snprintf(name, sizeof name, "%s", agent) >= (int)sizeof name)
        return false;
    for (int k = 0; k < 3; k++) {
        if (!(dot[k] = strrchr(name, '.')))
            return false;
        *dot[k] = '\0';
    }
    return snprintf(job, len, "%s", dot[2] + 1) < (int)len && dot[2][1] != '\0';
}

/* ------------------------------------------------------------ agents */

/* What sync knows of one agent this run. */
typedef struct agent_info {
    char id[TS_POOL_IDLEN];
    double hb;
    bool dead, settled, clean;
} agent_info;

typedef struct agent_list {
    agent_info *v;
    size_t n, cap;
} agent_list;

#define FULL_SCAN_S 600.0   /* torn claims, a sync that died mid-return */

static agent_info *find_agent(agent_list *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].id, id))
            return &l->v[i];
    return NULL;
}

/* pool/sync/<agent>.settled holds the heartbeat time of a dead agent all
 * of whose claims a scan found final: while its heartbeat stays that old,
 * it has nothing left to judge. */
static int settled_path(const char *pooldir, const char *id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/sync/%s.settled", pooldir, id);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static bool is_settled(const char *pooldir, const agent_info *a)
{
    char path[PATH_MAX + TS_POOL_IDLEN];
    double t = -1;
    if (settled_path(pooldir, a->id, path, sizeof path) < 0)
        return false;
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    if (fscanf(f, "%lf", &t) != 1)
        t = -1;
    fclose(f);
    return t >= a->hb;
}

static void mark_settled(const char *pooldir, const agent_info *a)
{
    char path[PATH_MAX + TS_POOL_IDLEN], dir[PATH_MAX + 8], text[64];
    ts_err e = { 0 };
    snprintf(dir, sizeof dir, "%s/sync", pooldir);
    (void)mkdir(dir, 0750);
    int n = snprintf(text, sizeof text, "%.3f\n", a->hb);
    if (settled_path(pooldir, a->id, path, sizeof path) == 0)
        (void)ts_write_file_atomic(path, text, (size_t)n, 0640, &e);   /* an optimisation */
}

/* The agents that wrote a heartbeat, judged dead or alive. */
static int list_agents(const char *pooldir, double now, double lease, const ts_job_info *jobs,
                       size_t njobs, bool known, uint32_t self, agent_list *l)
{
    char adir[PATH_MAX + 8], job[64];
    struct dirent *de;
    snprintf(adir, sizeof adir, "%s/agents", pooldir);
    DIR *d = opendir(adir);
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 4 || len - 3 >= TS_POOL_IDLEN
            || strcmp(de->d_name + len - 3, ".hb") != 0)
            continue;
        if (ts_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0) {
            closedir(d);
            return -1;
        }
        agent_info *a = &l->v[l->n++];
        memset(a, 0, sizeof *a);
        memcpy(a->id, de->d_name, len - 3);
        a->hb = ts_pool_heartbeat_time(pooldir, a->id);
        bool ended = ts_pool_agent_job(a->id, job, sizeof job)
                     && ts_poolsync_job_ended(job, jobs, njobs, known, self);
        a->dead = ts_pool_agent_dead(now, a->hb, 0, lease, ended);
        a->settled = a->dead && is_settled(pooldir, a);
        a->clean = true;
    }
    closedir(d);
    return 0;
}

/* Time for a scan even with no dead agent to settle? (pool/sync/scan: the
 * time of the last full one) */
static bool full_scan_due(const char *pooldir, double now)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/sync/scan", pooldir);
    return stat(path, &st) < 0 || now - (double)st.st_mtime > FULL_SCAN_S;
}

static void note_full_scan(const char *pooldir)
{
    char path[PATH_MAX + 16], dir[PATH_MAX + 8];
    ts_err e = { 0 };
    snprintf(dir, sizeof dir, "%s/sync", pooldir);
    (void)mkdir(dir, 0750);
    snprintf(path, sizeof path, "%s/sync/scan", pooldir);
    (void)ts_write_file_atomic(path, "scan\n", 5, 0640, &e);
}

int ts_poolsync_claims(ts_journal *j, const ts_suite_info *si, const char *dir, bool slurm,
                       long *lost, ts_err *err)
{
    char pooldir[PATH_MAX], name[64];
    ts_pool_claimrec *c = NULL;
    size_t nc = 0;
    ts_pool_scan_stats stats = { 0 };
    ts_job_info *jobs = NULL;
    size_t njobs = 0;
    ts_open_tasks o = { 0 };
    enum ts_pool_verdict *v = NULL;
    agent_list agents = { 0 };
    long lease = 0, allocs = 0, nlost = 0;
    bool known = false;
    int rc = -1;

    if (lost)
        *lost = 0;
    if (ts_pool_path(dir, NULL, pooldir, sizeof pooldir) < 0)
        return ts_errf(err, "path too long under %.80s", dir);
    ts_pool_settings_read(dir, &lease, &allocs);
    if (slurm) {
        ts_err probe = { 0 };
        snprintf(name, sizeof name, "ts-%s", si->id);
        known = ts_slurm_find_jobs(getuid(), name, &jobs, &njobs, &probe) == 0;
    }
    uint32_t self = ts_pool_self_job(si->id);
    double now = (double)time(NULL);
    if (list_agents(pooldir, now, (double)lease, jobs, njobs, known, self, &agents) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    /* Reading every claim costs O(claims): only when an agent died and was
     * not settled yet, or now and then for what no agent names. */
    bool full = full_scan_due(pooldir, now), need = full;
    for (size_t i = 0; i < agents.n && !need; i++)
        need = agents.v[i].dead && !agents.v[i].settled;
    if (!need) {
        rc = 0;
        goto out;
    }
    if (ts_pool_scan(pooldir, &c, &nc, &stats, err) < 0)
        goto out;
    if (nc && ts_open_tasks_load(j, si->id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING),
                                 &o, err) < 0)
        goto out;
    if (nc && !(v = calloc(nc, sizeof *v))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    size_t nback = 0;
    for (size_t i = 0; i < nc; i++) {
        int open = ts_open_tasks_attempt(&o, c[i].e.task);
        agent_info *a = c[i].agent[0] ? find_agent(&agents, c[i].agent) : NULL;
        /* Most claims are of attempts that ended long ago: final. */
        if (c[i].fate == TS_POOL_STARTED && open != c[i].e.attempt)
            continue;
        if (c[i].fate == TS_POOL_RETURNED && c[i].has_next)
            continue;
        double hb = a ? a->hb : ts_pool_heartbeat_time(pooldir, c[i].agent);
        v[i] = ts_poolsync_judge(&c[i], now, hb, (double)lease,
                                 ts_poolsync_job_ended(c[i].jobid, jobs, njobs, known, self),
                                 open);
        if (v[i] == TS_POOL_REQUEUE && in_queue(pooldir, &c[i].e))
            v[i] = TS_POOL_KEEP;
        /* Not final yet: a started attempt still open, anything to do (a
         * returned claim whose next generation waits in the queue is
         * final for its agent). */
        if (a && (v[i] != TS_POOL_KEEP || c[i].fate == TS_POOL_STARTED))
            a->clean = false;
        if (v[i] == TS_POOL_LOST) {
            enum ts_attempt_state st = ts_poolsync_lost_state(c[i].jobid, jobs, njobs);
            if (ts_journal_attempt_classify(j, si->id, c[i].e.task, c[i].e.attempt, st,
                                            err) < 0)
                goto out;
            fprintf(stderr, "tasksuite: task %ld: attempt %d was lost with its pool agent "
                    "%s: %s\n", c[i].e.task, c[i].e.attempt,
                    c[i].agent[0] ? c[i].agent : "(unknown)", ts_attempt_state_name(st));
            if (lost_retry(j, si, c[i].e.task, c[i].e.attempt, st, err) < 0)
                goto out;
            nlost++;
        } else if (v[i] != TS_POOL_KEEP)
            nback++;
    }
    if (nback && ts_pool_return(pooldir, c, v, nc, "sync", err) < 0)
        goto out;
    /* Dead agents none of whose claims is left to judge: not again. (An
     * unstarted claim of one, e.g. of a cancelled task, is final too.) */
    for (size_t i = 0; i < agents.n; i++)
        if (agents.v[i].dead && !agents.v[i].settled && agents.v[i].clean)
            mark_settled(pooldir, &agents.v[i]);
    if (full)
        note_full_scan(pooldir);
    if (lost)
        *lost = nlost;
    rc = 0;
out:
    free(v);
    free(c);
    free(jobs);
    free(agents.v);
    ts_open_tasks_free(&o);
    return rc;
}

/* ------------------------------------------------------------ done intents */

typedef struct intent_list {
    int64_t *v;
    size_t n, cap;
} intent_list;

static int note_submitted(const ts_intent_info *in, void *arg)
{
    intent_list *l = arg;
    if (ts_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0)
        return -1;
    l->v[l->n++] = in->id;
    return 0;
}

typedef struct open_count {
    const ts_open_tasks *o;
    long open;
} open_count;

static int count_open(long position, long task_idx, int attempt, void *arg)
{
    open_count *oc = arg;
    (void)position;
    oc->open += ts_open_tasks_attempt(oc->o, task_idx) == attempt;
    return 0;
}

int ts_poolsync_close_intents(ts_journal *j, const char *suite_id, ts_err *err)
{
    intent_list l = { 0 };
    ts_open_tasks o = { 0 };
    int rc = -1;

    if (ts_journal_intents_foreach(j, suite_id, TS_BIT(TS_SUB_SUBMITTED), note_submitted, &l,
                                   err) < 0)
        goto out;
    if (l.n && ts_open_tasks_load(j, suite_id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING),
                                  &o, err) < 0)
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        open_count oc = { .o = &o };
        if (ts_journal_intent_tasks_foreach(j, l.v[i], count_open, &oc, err) < 0)
            goto out;
        if (!oc.open && ts_journal_intent_set_state(j, l.v[i], TS_SUB_DONE, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(l.v);
    ts_open_tasks_free(&o);
    return rc;
}

/* ------------------------------------------------------------ safety net */

static int latest_intent(const ts_intent_info *in, void *arg)
{
    if (in->id > *(int64_t *)arg)
        *(int64_t *)arg = in->id;
    return 0;
}

int ts_poolsync_safety_net(ts_journal *j, const ts_suite_info *si, long *queued, ts_err *err)
{
    char name[64];
    ts_job_info *jobs = NULL;
    size_t njobs = 0;
    ts_counts c;
    ts_err probe = { 0 };
    int64_t sub = 0;
    int rc = 0;

    if (queued)
        *queued = 0;
    if (ts_journal_counts(j, si->id, &c, err) < 0)
        return -1;
    if (c.n[TS_TASK_PENDING] == 0)
        return 0;
    snprintf(name, sizeof name, "ts-%s", si->id);
    /* Slurm unreachable: nothing can be queued now either. */
    if (ts_slurm_find_jobs(getuid(), name, &jobs, &njobs, &probe) < 0)
        return 0;
    uint32_t self = ts_pool_self_job(si->id);
    long live = ts_pool_live_allocations(jobs, njobs, si->id, self);
    if (live > 0) {
        free(jobs);
        return 0;
    }
    /* The brake: allocations that end without ever starting an agent would
     * otherwise be queued one after the other, forever. */
    uint32_t *ids = NULL;
    size_t nids = 0;
    if (ts_pool_recorded(j, si->id, &ids, &nids, err) < 0) {
        free(jobs);
        return -1;
    }
    bool *had = calloc(nids ? nids : 1, sizeof *had), *alive = calloc(nids ? nids : 1, 1);
    char dir[PATH_MAX];
    bool barren = false;
    if (had && alive && ts_sync_suite_dir(j, si, dir, sizeof dir, err) == 0) {
        for (size_t i = 0; i < nids; i++) {
            had[i] = ts_pool_allocation_had_agent(dir, ids[i]);
            char idtext[16];
            snprintf(idtext, sizeof idtext, "%u", ids[i]);
            alive[i] = !ts_poolsync_job_ended(idtext, jobs, njobs, true, self);
        }
        barren = ts_pool_barren(ids, had, alive, nids);
    }
    free(had);
    free(alive);
    free(jobs);
    if (barren) {
        uint32_t newest = 0;
        for (size_t i = 0; i < nids; i++)
            newest = ids[i] > newest ? ids[i] : newest;
        fprintf(stderr, "tasksuite: suite %s: its last %d pool allocations ended without "
                "starting an agent (see %s/slurm/pool-%u.out); not queueing another (cancel "
                "the suite, fix the cause, submit again)\n", si->id, TS_POOL_BARREN, dir,
                newest);
        free(ids);
        return 0;
    }
    free(ids);
    if (ts_journal_intents_foreach(j, si->id, ~0u, latest_intent, &sub, err) < 0)
        return -1;
    if (!sub)
        return 0;
    ts_submit_store store;
    ts_submit_ctx ctx;
    if (ts_submission_load(j, si, &store, &ctx, err) < 0)
        return -1;
    ctx.recover = true;
    rc = ts_pool_allocate(&ctx, sub, 1, queued, err);
    ts_submission_store_free(&store);
    return rc;
}
