/* sync_classify.t: how a sync classifies attempts from Slurm's records
 * (src/suite/sync.c), through the Slurm seam (ts_sync_slurm, a fake
 * array_elements): a suite of five tasks in one array whose elements end
 * completed, timeout, node_fail, preempted, or still run; only the one that
 * timed out wrote its `started` record, the others none (killed before
 * they could). Then a task that moved on without its
 * attempt's end: attempt 1 started, queued attempt 2 as a job of its own
 * and was killed before its `exited` record (the campaign's "attempt 1
 * running, yet attempt 3 followed"); its element's TIMEOUT closes it.
 * Then a lost launch: an element that ran out its time limit for an
 * attempt that never started (slurmctld restarted between allocating it
 * and sending it to its node) is node_fail with its job, and retried even
 * though retry_on is the default [timeout]. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "journal.h"
#include "sync.h"
#include "tap.h"

#define ARRAY_ID 1000u

static const ts_job_state ends[] = {
    TS_JOB_COMPLETED, TS_JOB_TIMEOUT, TS_JOB_NODE_FAIL, TS_JOB_PREEMPTED, TS_JOB_RUNNING,
};
#define NTASKS (sizeof ends / sizeof ends[0])

static int asked;
static ts_job_state moved_end = TS_JOB_RUNNING;  /* the second array's element */
static unsigned moved_restarts;

static int fake_elements(uint32_t array_job_id, ts_job_info **out, size_t *n, ts_err *err)
{
    (void)err;
    asked++;
    *n = 0;
    if (array_job_id == ARRAY_ID + 100 || array_job_id == ARRAY_ID + 200
        || array_job_id == ARRAY_ID + 300) {
        if (!(*out = calloc(1, sizeof **out)))
            return -1;
        (*out)[0] = (ts_job_info){ .job_id = array_job_id + 1, .array_job_id = array_job_id,
                                   .state = moved_end, .restart_cnt = moved_restarts,
                                   .exit_code = -1 };
        *n = 1;
        return 0;
    }
    if (array_job_id != ARRAY_ID || !(*out = calloc(NTASKS, sizeof **out)))
        return 0;
    for (size_t i = 0; i < NTASKS; i++)
        (*out)[i] = (ts_job_info){ .job_id = ARRAY_ID + 1 + (uint32_t)i,
                                   .array_job_id = ARRAY_ID, .array_task_id = (uint32_t)i,
                                   .state = ends[i], .exit_code = -1 };
    *n = NTASKS;
    return 0;
}

static int no_release(uint32_t job_id, ts_err *err)
{
    (void)job_id;
    return ts_errf(err, "release: not in this test");
}

static int no_cancel(const char *spec, ts_err *err)
{
    return ts_errf(err, "cancel %s: not in this test", spec);
}

typedef struct att_seen {
    int attempt;
    enum ts_attempt_state state;
    bool classified;
} att_seen;

static int note_att(const ts_attempt_info *a, void *arg)
{
    att_seen *v = arg;
    if (a->attempt >= 1 && a->attempt <= 3)
        v[a->attempt] = (att_seen){ a->attempt, a->state, a->classified };
    return 0;
}

static int note_intent(const ts_intent_info *in, void *arg)
{
    *(int64_t *)arg = in->id;
    return 0;
}

/* A one-task suite: attempt 1 in array `array`, started (its event file
 * says so), queued attempt 2 as job 4242 (adopted) and never wrote
 * `exited`. Its element ends TIMEOUT: as itself (rerun 0: it closes
 * attempt 1) or as a rerun (rerun 1: Slurm ran the element again as
 * attempt 2, which job 4242 runs; that end says nothing about attempt 1). */
static void moved_on(ts_journal *j, const ts_sync_slurm *fake, uint32_t array, unsigned rerun)
{
    char id[TS_SUITE_ID_LEN + 1], dir[4096];
    ts_task_new t = { .name = "long" };
    ts_err err = { 0 };
    int64_t sub = 0;
    ts_suite_new sn = { .name = "moved", .owner_uid = getuid(), .spec_path = "/y.yaml",
                        .submit_record = "{}", .close_after_s = 0, .max_retries = 3,
                        .retry_on = TS_RETRY_TIMEOUT, .num_nodes = 1 };
    ts_slurm_job job = { .array_job_id = array, .index_offset = 0, .first_index = 0,
                         .last_index = 0 };
    ts_suite_info si = { 0 };
    ok(ts_journal_suite_create(j, &sn, &t, 1, id, &sub, &err) == 0
           && ts_journal_intent_add_job(j, sub, &job, &err) == 0
           && ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0
           && ts_journal_suite_get(j, id, &si, &err) == 0
           && ts_sync_suite_dir(j, &si, dir, sizeof dir, &err) == 0,
       "rerun %u: a one-task suite whose attempt runs in array %u: %s", rerun, array,
       err.msg);
    ts_suite_info_clear(&si);
    char jobid[32], cmd[4200];
    snprintf(jobid, sizeof jobid, "%u", array + 1);
    ts_evctx ev = { .suite_dir = dir, .suite_id = id, .task_idx = 0, .attempt = 1,
                    .jobid = jobid, .node = "n1", .num_nodes = 1 };
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    /* The adopted job's submission as a sync leaves it: submitted (no
     * suite file here to write its manifest from). */
    int64_t adopted = 0;
    ok(system(cmd) == 0 && ts_events_started(&ev, &err) == 0
           && ts_journal_adopt_job(j, id, 0, 2, 4242, NULL, &err) == 0
           && ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), note_intent, &adopted,
                                         &err) == 0
           && adopted && ts_journal_intent_set_state(j, adopted, TS_SUB_SUBMITTED, &err) == 0,
       "attempt 1 started and queued attempt 2 as job 4242, no `exited`: %s", err.msg);

    ts_sync_opts so = { .quiet = true, .slurm = fake };
    ts_sync_result res;
    att_seen v[4] = { { 0 } };
    moved_end = TS_JOB_RUNNING;
    moved_restarts = rerun;
    ok(ts_sync(j, id, &so, &res, &err) == 0, "sync while the element still runs: %s", err.msg);
    ok(ts_journal_attempts_foreach(j, id, 0, 0, note_att, v, &err) == 0, "attempts");
    ok(v[1].attempt == 1 && v[1].state == TS_ATT_RUNNING, "attempt 1 is running (got %d)",
       (int)v[1].state);

    moved_end = TS_JOB_TIMEOUT;
    ok(ts_sync(j, id, &so, &res, &err) == 0, "sync after the element ended TIMEOUT: %s",
       err.msg);
    memset(v, 0, sizeof v);
    ok(ts_journal_attempts_foreach(j, id, 0, 0, note_att, v, &err) == 0, "attempts");
    if (rerun) {
        is_int(res.classified, 0, "a rerun's end closes nothing");
        ok(v[1].attempt == 1 && v[1].state == TS_ATT_RUNNING,
           "attempt 1 stays running (got %d)", (int)v[1].state);
    } else {
        is_int(res.classified, 1, "one attempt closed");
        ok(v[1].state == TS_ATT_TIMEOUT && v[1].classified,
           "attempt 1 is timeout, classified (got %d)", (int)v[1].state);
    }
    ok(v[2].attempt == 0, "attempt 2 (job 4242) has no row of its own yet");
    ts_counts c;
    ok(ts_journal_counts(j, id, &c, &err) == 0, "counts");
    is_int(c.n[TS_TASK_PENDING], 1, "the task stays pending with attempt 2");
    ok(ts_sync(j, id, &so, &res, &err) == 0 && res.classified == 0,
       "a second sync closes nothing again");
}

static int count_intent(const ts_intent_info *in, void *arg)
{
    (void)in;
    ++*(int *)arg;
    return 0;
}

static int note_job(const ts_attempt_info *a, void *arg)
{
    if (a->attempt == 1)
        snprintf(arg, 32, "%s", a->slurm_job_id ? a->slurm_job_id : "");
    return 0;
}

/* A one-task suite with the default retry_on ([timeout]) whose attempt 1
 * element (array ARRAY_ID + 300) ends TIMEOUT with no record at all. The
 * suite is marked --local so the sync leaves the retry as an intent (a
 * --local suite's runner carries out its retries, and there is none here),
 * where this test can see it. */
static void launch_lost(ts_journal *j, const ts_sync_slurm *fake)
{
    char id[TS_SUITE_ID_LEN + 1], job[32] = "";
    ts_task_new t = { .name = "lost" };
    ts_err err = { 0 };
    int64_t sub = 0;
    ts_suite_new sn = { .name = "lost", .owner_uid = getuid(), .spec_path = "/z.yaml",
                        .submit_record = "{\"local\":true}", .close_after_s = 0,
                        .max_retries = 3, .retry_on = TS_RETRY_TIMEOUT, .num_nodes = 1 };
    ts_slurm_job arr = { .array_job_id = ARRAY_ID + 300, .index_offset = 0,
                         .first_index = 0, .last_index = 0 };
    ok(ts_journal_suite_create(j, &sn, &t, 1, id, &sub, &err) == 0
           && ts_journal_intent_add_job(j, sub, &arr, &err) == 0
           && ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0,
       "lost launch: a one-task suite in array %u: %s", ARRAY_ID + 300, err.msg);
    ts_sync_opts so = { .quiet = true, .slurm = fake };
    ts_sync_result res;
    att_seen v[4] = { { 0 } };
    int intents = 0;
    moved_end = TS_JOB_TIMEOUT;
    moved_restarts = 0;
    ok(ts_sync(j, id, &so, &res, &err) == 0, "sync: %s", err.msg);
    ok(ts_journal_attempts_foreach(j, id, 0, 0, note_att, v, &err) == 0
           && ts_journal_attempts_foreach(j, id, 0, 0, note_job, job, &err) == 0, "attempts");
    ok(v[1].state == TS_ATT_NODE_FAIL && v[1].classified,
       "the attempt that never started is node_fail, not timeout (got %d)", (int)v[1].state);
    is_str(job, "1301", "with the job that ran out its limit");
    ok(ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), count_intent, &intents,
                                  &err) == 0, "intents");
    is_int(intents, 1, "the task is queued again although retry_on is [timeout]");
}

int main(void)
{
    char home[] = "/tmp/ts-sync-classify.XXXXXX", id[TS_SUITE_ID_LEN + 1];
    ts_task_new tasks[NTASKS];
    char names[NTASKS][8];
    ts_journal *j = NULL;
    ts_err err = { 0 };
    int64_t sub = 0;

    /* No watchdog to cancel when the suite completes: there is no Slurm. */
    setenv("TASKSUITE_NO_RECONCILE_JOB", "1", 1);
    if (!mkdtemp(home) || ts_journal_open(home, &j, &err) < 0) {
        diag("journal: %s", err.msg);
        return 1;
    }
    for (size_t i = 0; i < NTASKS; i++) {
        snprintf(names[i], sizeof names[i], "t%zu", i);
        tasks[i] = (ts_task_new){ .name = names[i] };
    }
    ts_suite_new sn = { .name = "classify", .owner_uid = getuid(), .spec_path = "/x.yaml",
                        .submit_record = "{}", .close_after_s = 0, .max_retries = 0,
                        .retry_on = 0, .num_nodes = 1 };
    ts_slurm_job job = { .array_job_id = ARRAY_ID, .index_offset = 0, .first_index = 0,
                         .last_index = (long)NTASKS - 1 };
    ok(ts_journal_suite_create(j, &sn, tasks, NTASKS, id, &sub, &err) == 0
           && ts_journal_intent_add_job(j, sub, &job, &err) == 0
           && ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0,
       "a suite of %zu tasks in one array: %s", NTASKS, err.msg);

    /* The element that timed out had started its task. */
    ts_suite_info si = { 0 };
    char dir[4096], cmd0[4200], jobid[32];
    ok(ts_journal_suite_get(j, id, &si, &err) == 0
           && ts_sync_suite_dir(j, &si, dir, sizeof dir, &err) == 0, "run dir: %s", err.msg);
    ts_suite_info_clear(&si);
    snprintf(cmd0, sizeof cmd0, "mkdir -p '%s'", dir);
    snprintf(jobid, sizeof jobid, "%u", ARRAY_ID + 2);
    ts_evctx ev = { .suite_dir = dir, .suite_id = id, .task_idx = 1, .attempt = 1,
                    .jobid = jobid, .node = "n1", .num_nodes = 1 };
    ok(system(cmd0) == 0 && ts_events_started(&ev, &err) == 0, "task 1 started: %s", err.msg);

    ts_sync_slurm fake = { .array_elements = fake_elements, .release = no_release,
                           .cancel = no_cancel };
    ts_sync_opts so = { .quiet = true, .slurm = &fake };
    ts_sync_result res;
    ts_counts c;
    ok(ts_sync(j, id, &so, &res, &err) == 0, "sync: %s", err.msg);
    ok(asked == 1, "Slurm asked once about the array");
    is_int(res.classified, 4, "the four ended elements classified");
    is_int(res.resubmitted, 0, "nothing resubmitted (retry_on: none)");
    ok(ts_journal_counts(j, id, &c, &err) == 0, "counts");
    is_int(c.n[TS_TASK_COMPLETED], 1, "completed from Slurm's COMPLETED");
    is_int(c.n[TS_TASK_TIMEOUT], 1, "timeout from TIMEOUT");
    is_int(c.n[TS_TASK_NODE_FAIL], 1, "node_fail from NODE_FAIL");
    is_int(c.n[TS_TASK_PREEMPTED], 1, "preempted from PREEMPTED");
    is_int(c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING], 1, "the running element stays open");

    ok(ts_sync(j, id, &so, &res, &err) == 0, "a second sync");
    is_int(res.classified, 0, "classifies nothing again");

    moved_on(j, &fake, ARRAY_ID + 100, 0);
    moved_on(j, &fake, ARRAY_ID + 200, 1);
    launch_lost(j, &fake);

    ts_journal_close(j);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        diag("could not remove %s", home);
    return done_testing();
}
