/* pool_login.t: the login side of pool mode (src/suite/poolsubmit.c,
 * poolsync.c): the allocation count, which Slurm jobs are the suite's live
 * allocations, the verdict on a claim, and a sync of a suite whose agent
 * died (claims written here as an agent would have, with old times, no
 * Slurm): its started attempt is lost (node_fail), its unstarted claim
 * goes back to the queue as the next generation; and a `resubmitted`
 * record with next_job 0 (the agent queued attempt + 1 in the pool). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "journal.h"
#include "layout.h"
#include "poolsubmit.h"
#include "poolsync.h"
#include "sync.h"
#include "tap.h"

static void pure(void)
{
    ts_worker_schedule ws = { .present = true, .worker_count = 4 };
    is_int(ts_pool_allocations(&ws, 1), 1, "1 task, 4 workers: 1 allocation");
    is_int(ts_pool_allocations(&ws, 9), 3, "9 tasks, 4 workers: 3 allocations");
    is_int(ts_pool_allocations(&ws, 100000), TS_POOL_ALLOCATIONS_MAX, "many tasks: capped");
    is_int(ts_pool_allocations(&ws, 0), 1, "no task yet: still 1");
    ws.allocations = 7;
    is_int(ts_pool_allocations(&ws, 1), 7, "allocations: as the suite says");

    ts_job_info jobs[] = {
        { .job_id = 10, .state = TS_JOB_RUNNING, .name = "ts-abcd1234",
          .comment = "tasksuite:abcd1234:pool:0" },
        { .job_id = 11, .state = TS_JOB_PENDING, .name = "ts-abcd1234",
          .comment = "tasksuite:abcd1234:pool:1 user words" },
        { .job_id = 12, .state = TS_JOB_COMPLETED, .name = "ts-abcd1234",
          .comment = "tasksuite:abcd1234:pool:2" },
        { .job_id = 13, .state = TS_JOB_RUNNING, .completing = 1, .name = "ts-abcd1234",
          .comment = "tasksuite:abcd1234:pool:3" },
        { .job_id = 14, .state = TS_JOB_PENDING, .name = "ts-abcd1234-reconcile",
          .comment = "tasksuite:abcd1234:poolend:10" },
        { .job_id = 15, .state = TS_JOB_PENDING, .name = "ts-abcd1234",
          .comment = "tasksuite:abcd1234:1:0" },
    };
    size_t n = sizeof jobs / sizeof jobs[0];
    ok(ts_pool_is_allocation(&jobs[0], "abcd1234") && !ts_pool_is_allocation(&jobs[4], "abcd1234")
       && !ts_pool_is_allocation(&jobs[5], "abcd1234")
       && !ts_pool_is_allocation(&jobs[0], "abcd9999"),
       "allocations: name ts-<id> and the pool key; not the reconcile job or an array");
    is_int(ts_pool_live_allocations(jobs, n, "abcd1234", 0), 2,
           "live: pending or running, not ended or completing");
    is_int(ts_pool_live_allocations(jobs, n, "abcd1234", 10), 1,
           "the allocation this runs in (its end-of-job reconcile) is not live");

    ok(!ts_poolsync_job_ended("10", jobs, n, true, 0), "running allocation: not ended");
    ok(ts_poolsync_job_ended("12", jobs, n, true, 0), "completed: ended");
    ok(ts_poolsync_job_ended("13", jobs, n, true, 0), "completing: ended");
    ok(ts_poolsync_job_ended("99", jobs, n, true, 0), "purged from Slurm: ended");
    ok(!ts_poolsync_job_ended("99", jobs, n, false, 0), "Slurm did not answer: no news");
    ok(!ts_poolsync_job_ended("", jobs, n, true, 0), "no job id (torn claim): no news");
    ok(ts_poolsync_job_ended("10", jobs, n, true, 10), "own allocation: its agents are done");

    uint32_t ids[4] = { 30, 10, 40, 20 };
    bool had[4] = { false, true, false, false }, live[4] = { false };
    ok(ts_pool_barren(ids, had, live, 4),
       "the 3 newest allocations (40, 30, 20) started no agent: barren");
    had[3] = true;
    ok(!ts_pool_barren(ids, had, live, 4), "one of the 3 newest had an agent: not barren");
    had[3] = false;
    live[2] = true;
    ok(!ts_pool_barren(ids, had, live, 4), "the newest still runs: not barren");
    live[2] = false;
    ok(!ts_pool_barren(ids, had, live, 2), "fewer than 3 allocations: not barren");

    char job[64];
    ok(ts_pool_agent_job("n1.cluster.org.4242.77.1700000000", job, sizeof job)
       && !strcmp(job, "4242"), "agent id: the job id is the third field from the end");
    ok(!ts_pool_agent_job("n1.4242", job, sizeof job), "agent id of another form: no job");

    ts_job_info ends[] = {
        { .job_id = 20, .state = TS_JOB_TIMEOUT }, { .job_id = 21, .state = TS_JOB_PREEMPTED },
        { .job_id = 22, .state = TS_JOB_CANCELLED },
    };
    is_int(ts_poolsync_lost_state("20", ends, 3), TS_ATT_TIMEOUT,
           "lost in an allocation cut at its walltime: timeout");
    is_int(ts_poolsync_lost_state("21", ends, 3), TS_ATT_PREEMPTED, "preempted allocation");
    is_int(ts_poolsync_lost_state("22", ends, 3), TS_ATT_NODE_FAIL, "otherwise node_fail");
    is_int(ts_poolsync_lost_state("99", ends, 3), TS_ATT_NODE_FAIL, "purged: node_fail");

    ts_pool_claimrec c = { .e = { .task = 3, .attempt = 2 }, .fate = TS_POOL_STARTED,
                           .time = 1000 };
    is_int(ts_poolsync_judge(&c, 1100, 1090, 300, false, 2), TS_POOL_KEEP,
           "started, agent alive: keep");
    is_int(ts_poolsync_judge(&c, 1500, 1090, 300, false, 2), TS_POOL_LOST,
           "started, heartbeat older than the lease, attempt open: lost");
    is_int(ts_poolsync_judge(&c, 1100, 1090, 300, true, 2), TS_POOL_LOST,
           "started, allocation ended, attempt open: lost");
    is_int(ts_poolsync_judge(&c, 1500, 1090, 300, true, 0), TS_POOL_KEEP,
           "started, agent dead, attempt ended (events seen): keep");
    c.fate = TS_POOL_UNSTARTED;
    is_int(ts_poolsync_judge(&c, 1500, 0, 300, false, 2), TS_POOL_RETURN,
           "unstarted, agent dead: back to the queue");
    is_int(ts_poolsync_judge(&c, 1500, 0, 300, false, 3), TS_POOL_KEEP,
           "unstarted, but the task moved on to attempt 3: nobody may run attempt 2");
    c.fate = TS_POOL_RETURNED;
    is_int(ts_poolsync_judge(&c, 1100, 1090, 300, false, 2), TS_POOL_REQUEUE,
           "returned, next generation never queued: requeue");
    c.has_next = true;
    is_int(ts_poolsync_judge(&c, 1100, 1090, 300, false, 2), TS_POOL_KEEP,
           "returned and requeued: keep");
}

static int put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Count the queue entries of (task, attempt, gen) over every epoch. */
static int queued(const char *pooldir, long task, int attempt, int gen)
{
    char path[PATH_MAX];
    int found = 0;
    ts_err err = { 0 };
    for (long e = 1; e < 50; e++) {
        ts_pool_entry *v = NULL;
        size_t n = 0;
        snprintf(path, sizeof path, "%s/queue/%08ld.q", pooldir, e);
        if (access(path, F_OK) < 0)
            continue;
        if (ts_pool_queue_read(path, &v, &n, &err) < 0)
            continue;
        for (size_t i = 0; i < n; i++)
            found += v[i].task == task && v[i].attempt == attempt && v[i].gen == gen;
        free(v);
    }
    return found;
}

static int task2_attempt(const ts_task_info *t, void *arg)
{
    if (t->idx == 2)
        *(int *)arg = t->attempts;
    return 0;
}

static int count_intents(const ts_intent_info *in, void *arg)
{
    (void)in;
    ++*(int *)arg;
    return 0;
}

/* max_retries 0: the lost attempt ends the task; 3 (retry_on the default
 * [timeout]): it gets its next attempt all the same, as an array element
 * lost with its node does from Slurm's requeue. */
static void dead_agent(int max_retries)
{
    char home[] = "/tmp/ts-pool-login.XXXXXX", id[TS_SUITE_ID_LEN + 1];
    char dir[PATH_MAX], pooldir[PATH_MAX], path[PATH_MAX + 64], text[256];
    ts_task_new tasks[3] = { { .name = "t0" }, { .name = "t1" }, { .name = "t2" } };
    ts_journal *j = NULL;
    ts_err err = { 0 };
    int64_t sub = 0;

    setenv("TASKSUITE_NO_RECONCILE_JOB", "1", 1);
    if (!mkdtemp(home) || ts_journal_open(home, &j, &err) < 0) {
        diag("journal: %s", err.msg);
        return;
    }
    ts_suite_new sn = { .name = "pool", .owner_uid = getuid(), .spec_path = "/x.yaml",
                        .submit_record = "{}", .close_after_s = 0,
                        .max_retries = max_retries,
                        .retry_on = max_retries ? TS_RETRY_TIMEOUT : 0, .num_nodes = 1 };
    ok(ts_journal_suite_create(j, &sn, tasks, 3, id, &sub, &err) == 0
           && ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0,
       "a suite of 3 tasks: %s", err.msg);
    ok(ts_layout_suite_dir(home, NULL, id, dir, sizeof dir, &err) == 0
           && ts_mkdirs(dir, 0750, &err) == 0
           && ts_pool_path(dir, NULL, pooldir, sizeof pooldir) == 0
           && ts_pool_init(pooldir, &err) == 0,
       "its pool directory: %s", err.msg);
    ts_pool_entry first[3] = { { 0, 1, 0, 0 }, { 1, 1, 0, 0 }, { 2, 1, 0, 0 } };
    ok(ts_pool_queue_append(pooldir, first, 3, NULL, &err) == 0, "first epoch: %s", err.msg);
    ts_worker_schedule ws = { .present = true, .worker_count = 2, .lease_s = 60 };
    ok(ts_pool_settings_write(dir, &ws, 1, &err) == 0, "settings: %s", err.msg);
    long lease = 0, allocs = 0;
    ts_pool_settings_read(dir, &lease, &allocs);
    ok(lease == 60 && allocs == 1, "settings read back: lease %ld, allocations %ld", lease,
       allocs);

    /* An agent claimed tasks 0 and 1 ten minutes ago, started 0, and died
     * (its heartbeat as old). */
    double old = (double)time(NULL) - 600;
    const char *agent = "node1.4242.77.1700000000";
    snprintf(path, sizeof path, "%s/claims/000000", pooldir);
    mkdir(path, 0750);
    for (int t = 0; t < 2; t++) {
        snprintf(path, sizeof path, "%s/claims/000000/%d.1.0", pooldir, t);
        snprintf(text, sizeof text, "TSC1 %d 1 0 0 %.3f %s 4242\n", t, old, agent);
        ok(put(path, text) == 0, "claim of task %d written", t);
    }
    snprintf(path, sizeof path, "%s/claims/000000/0.1.0.f", pooldir);
    snprintf(text, sizeof text, "TSF1 S %.3f %s\n", old, agent);
    ok(put(path, text) == 0, "task 0's claim started");
    snprintf(path, sizeof path, "%s/agents/%s.hb", pooldir, agent);
    snprintf(text, sizeof text, "TSH1 %.3f 77\n", old);
    ok(put(path, text) == 0, "old heartbeat");

    ok(ts_pool_allocation_had_agent(dir, 4242), "allocation 4242 had an agent (its heartbeat)");
    ok(!ts_pool_allocation_had_agent(dir, 77), "the pid is not a job id");
    ok(!ts_pool_allocation_had_agent(dir, 4243), "allocation 4243 had none");

    /* The agent had queued attempt 2 of task 2 (a timeout) and said so. */
    bool adopted = false;
    ok(ts_journal_adopt_job(j, id, 2, 2, 0, &adopted, &err) == 0 && adopted,
       "resubmitted with next_job 0: attempt 2 of task 2 adopted: %s", err.msg);
    ok(ts_journal_adopt_job(j, id, 2, 2, 0, &adopted, &err) == 0 && !adopted,
       "the same record again: nothing (one submission per attempt)");
    int at2 = 0;
    ok(ts_journal_tasks_foreach(j, id, TS_BIT(TS_TASK_PENDING), task2_attempt, &at2, &err) == 0
           && at2 == 2, "task 2 pending at attempt 2");

    ts_sync_opts so = { .quiet = true, .no_slurm = true };
    ts_sync_result res;
    ts_counts c;
    ok(ts_sync(j, id, &so, &res, &err) == 0, "sync: %s", err.msg);
    ok(ts_journal_counts(j, id, &c, &err) == 0, "counts");
    if (max_retries) {
        int intents = 0;
        ok(ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), count_intents, &intents,
                                      &err) == 0, "intents");
        is_int(intents, 1, "retry_on [timeout], attempts left: task 0 gets attempt 2 queued "
               "(an intent: this sync has no Slurm to carry it out)");
        is_int(c.n[TS_TASK_PENDING], 3, "tasks 0, 1 and 2 pending");
        ts_journal_close(j);
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
        if (system(cmd) != 0)
            diag("could not remove %s", home);
        return;
    }
    is_int(c.n[TS_TASK_NODE_FAIL], 1, "task 0's started attempt was lost: node_fail");
    is_int(c.n[TS_TASK_PENDING], 2, "tasks 1 and 2 pending");
    is_int(queued(pooldir, 1, 1, 1), 1, "task 1's unstarted claim queued again as generation 1");
    is_int(queued(pooldir, 0, 1, 1), 0, "task 0's started attempt is not queued again");
    snprintf(path, sizeof path, "%s/claims/000000/1.1.0.f", pooldir);
    ok(access(path, F_OK) == 0, "task 1's claim has its fate (returned)");

    snprintf(path, sizeof path, "%s/sync/%s.settled", pooldir, agent);
    ok(access(path, F_OK) < 0, "the dead agent is not settled yet (its claims were acted on)");
    ok(ts_sync(j, id, &so, &res, &err) == 0, "a second sync");
    is_int(queued(pooldir, 1, 1, 1), 1, "returns nothing twice");
    ok(access(path, F_OK) == 0, "now every claim of the dead agent is final: settled");
    snprintf(path, sizeof path, "%s/claims/000000/9.1.0", pooldir);
    snprintf(text, sizeof text, "TSC1 9 1 0 0 %.3f %s 4242\n", old, agent);
    ok(put(path, text) == 0, "a claim appears after the agent was settled (not rescanned)");
    ok(ts_sync(j, id, &so, &res, &err) == 0, "a third sync: %s", err.msg);
    snprintf(path, sizeof path, "%s/claims/000000/9.1.0.f", pooldir);
    ok(access(path, F_OK) < 0, "a settled agent's claims are not read again (until the "
       "next full scan)");

    ts_journal_close(j);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        diag("could not remove %s", home);
}

int main(void)
{
    pure();
    dead_agent(0);
    dead_agent(3);
    return done_testing();
}
