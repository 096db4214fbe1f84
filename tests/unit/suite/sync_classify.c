/* sync_classify.t: how a sync classifies attempts from Slurm's records
 * (src/suite/sync.c), through the Slurm seam (ts_sync_slurm, a fake
 * array_elements): a suite of five tasks in one array whose elements end
 * completed, timeout, node_fail, preempted, or still run, without a single
 * event from the tasks (killed before they could write one; the run
 * directory does not even exist). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "sync.h"
#include "tap.h"

#define ARRAY_ID 1000u

static const ts_job_state ends[] = {
    TS_JOB_COMPLETED, TS_JOB_TIMEOUT, TS_JOB_NODE_FAIL, TS_JOB_PREEMPTED, TS_JOB_RUNNING,
};
#define NTASKS (sizeof ends / sizeof ends[0])

static int asked;

static int fake_elements(uint32_t array_job_id, ts_job_info **out, size_t *n, ts_err *err)
{
    (void)err;
    asked++;
    *n = 0;
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

    ts_journal_close(j);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        diag("could not remove %s", home);
    return done_testing();
}
