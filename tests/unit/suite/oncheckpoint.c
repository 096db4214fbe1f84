/* oncheckpoint.t: the trigger bookkeeping of on_checkpoint (issue 16,
 * src/suite/oncheckpoint.c over src/journal/triggers.c), without Slurm:
 * checkpoints recorded (event files, ingested) become triggered tasks
 * exactly once per (task, step); every: filters; a step recorded again by
 * a later attempt, or a second look, triggers nothing; a triggered task's
 * own checkpoints trigger nothing; the task is rebuilt from the journal
 * with its environment; a suite without on_checkpoint only moves the mark.
 * carry is false throughout: the intents are left for sync's resubmit. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "journal.h"
#include "oncheckpoint.h"
#include "record.h"
#include "spec.h"
#include "tap.h"
#include "triggers.h"

static const char yaml[] =
    "name: t\n"
    "run: train\n"
    "on_checkpoint:\n"
    "  run: eval \"$TASK_SUITE_CHECKPOINT\"\n"
    "  every: 2\n"
    "tasks:\n"
    "  - {name: a}\n"
    "  - {name: b}\n";

static void record(const char *dir, const char *id, long idx, int attempt, long step)
{
    char path[64];
    ts_err err = { 0 };
    ts_evctx ctx = { .suite_dir = dir, .suite_id = id, .task_idx = idx, .attempt = attempt,
                     .jobid = "77", .node = "n1", .num_nodes = 1 };
    snprintf(path, sizeof path, "/ck/%ld/%ld", idx, step);
    if (ts_events_started(&ctx, &err) < 0 || ts_events_checkpoint(&ctx, path, step, &err) < 0)
        diag("events: %s", err.msg);
}

typedef struct seen {
    char names[1024];
    long n;
} seen;

static int note(const ts_trigger_info *t, void *arg)
{
    seen *s = arg;
    size_t o = strlen(s->names);
    snprintf(s->names + o, sizeof s->names - o, "%s%s<-%s@%ld", o ? " " : "", t->target_name,
             t->source_name, t->step);
    s->n++;
    return 0;
}

static seen edges(ts_journal *j, const char *id)
{
    seen s = { .n = 0 };
    ts_err err = { 0 };
    if (ts_journal_triggers_foreach(j, id, note, &s, &err) < 0)
        diag("triggers: %s", err.msg);
    return s;
}

static long sync_once(ts_journal *j, const char *id, const char *dir)
{
    ts_suite_info si;
    ts_err err = { 0 };
    long created = -1;
    if (ts_journal_ingest(j, id, dir, NULL, &err) < 0
        || ts_journal_suite_get(j, id, &si, &err) < 0) {
        diag("ingest: %s", err.msg);
        return -1;
    }
    if (ts_oncheckpoint_sync(j, &si, false, &created, &err) < 0)
        diag("oncheckpoint: %s", err.msg);
    ts_suite_info_clear(&si);
    return created;
}

int main(void)
{
    char home[] = "/tmp/ts-oncheckpoint.XXXXXX", id[TS_SUITE_ID_LEN + 1], dir[PATH_MAX];
    ts_journal *j = NULL;
    ts_err err = { 0 };
    int64_t sub;

    plan_no_plan();
    if (!mkdtemp(home) || ts_journal_open(home, &j, &err) < 0) {
        diag("setup: %s", err.msg);
        return 1;
    }
    ts_submit_record rec = { .submit_key = "k", .file = "/x/t.yaml", .workdir = "/x",
                             .self = "/bin/true", .yaml = (char *)yaml };
    char *rj = ts_submit_record_to_json(&rec);
    ts_suite_new sn = { .name = "t", .owner_uid = getuid(), .close_after_s = -1,
                        .submit_record = rj, .max_retries = 3, .retry_on = TS_RETRY_TIMEOUT };
    ts_task_new tasks[] = { { .name = "a" }, { .name = "b" } };
    ok(ts_journal_suite_create(j, &sn, tasks, 2, id, &sub, &err) == 0, "suite created");
    snprintf(dir, sizeof dir, "%s/suites", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/suites/%s", home, id);
    mkdir(dir, 0700);

    /* attempt 1 of a: steps 1..4; b: step 3 (not a multiple of 2) */
    for (long s = 1; s <= 4; s++)
        record(dir, id, 0, 1, s);
    record(dir, id, 1, 1, 3);
    is_int(sync_once(j, id, dir), 2, "steps 2 and 4 of a trigger two tasks; b's step 3 none");
    is_str(edges(j, id).names, "a.ckpt-2<-a@2 a.ckpt-4<-a@4", "named after source and step");
    is_int(sync_once(j, id, dir), 0, "a second look triggers nothing");

    /* attempt 2 of a (resumed) records step 4 again, then 5, 6 */
    record(dir, id, 0, 2, 4);
    record(dir, id, 0, 2, 5);
    record(dir, id, 0, 2, 6);
    is_int(sync_once(j, id, dir), 1, "after the resume only step 6 is new");
    seen s = edges(j, id);
    is_int(s.n, 3, "3 edges in all");
    is_str(s.names, "a.ckpt-2<-a@2 a.ckpt-4<-a@4 a.ckpt-6<-a@6", "none duplicated");

    /* a triggered task's own checkpoint */
    long eval_idx = -1;
    ts_journal_task_find(j, id, "a.ckpt-2", &eval_idx, &err);
    bool is_target = false;
    ok(ts_journal_trigger_is_target(j, id, eval_idx, &is_target, &err) == 0 && is_target,
       "a.ckpt-2 is a triggered task");
    record(dir, id, eval_idx, 1, 2);
    is_int(sync_once(j, id, dir), 0, "its own checkpoint triggers nothing");

    /* the triggered task as the manifest will carry it */
    ts_suite *spec = NULL;
    ok(ts_spec_parse("t.yaml", yaml, strlen(yaml), &spec, &err) == 0, "spec parsed");
    ts_task t;
    ok(ts_oncheckpoint_task(spec, eval_idx, "a.ckpt-2",
                            "{\"source_task\":\"a\",\"checkpoint\":\"/ck/0/2\",\"step\":\"2\"}",
                            &t, &err) == 0, "triggered task rebuilt from its journal args");
    is_str(t.run, "eval \"$TASK_SUITE_CHECKPOINT\"", "it runs on_checkpoint.run");
    is_str(ts_kv_get(&t.env, "TASK_SUITE_CHECKPOINT"), "/ck/0/2", "TASK_SUITE_CHECKPOINT");
    is_str(ts_kv_get(&t.env, "TASK_SUITE_CHECKPOINT_STEP"), "2", "TASK_SUITE_CHECKPOINT_STEP");
    is_str(ts_kv_get(&t.env, "TASK_SUITE_SOURCE_TASK"), "a", "TASK_SUITE_SOURCE_TASK");
    ts_task_free(&t);
    ok(ts_oncheckpoint_task(spec, eval_idx, "x", "{}", &t, &err) < 0
       && strstr(err.msg, "missing"), "args without source and checkpoint: an error");
    ts_spec_free(spec);

    /* the evaluations are pending: their intents wait for sync's resubmit */
    ts_counts c;
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.total == 5
       && c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 5,
       "5 tasks, none done: the suite cannot complete before its evaluations");

    /* a suite without on_checkpoint: the mark moves, nothing is created */
    ts_submit_record plain = rec;
    plain.yaml = "name: p\nrun: train\n";
    char *pj = ts_submit_record_to_json(&plain);
    ts_suite_new pn = sn;
    pn.name = "p";
    pn.submit_record = pj;
    char pid[TS_SUITE_ID_LEN + 1], pdir[PATH_MAX];
    ok(ts_journal_suite_create(j, &pn, tasks, 1, pid, &sub, &err) == 0, "plain suite created");
    snprintf(pdir, sizeof pdir, "%s/suites/%s", home, pid);
    mkdir(pdir, 0700);
    record(pdir, pid, 0, 1, 2);
    is_int(sync_once(j, pid, pdir), 0, "no on_checkpoint: nothing triggered");
    int64_t mark = 0;
    ok(ts_journal_trigger_mark(j, pid, &mark, &err) == 0 && mark > 0, "but the mark moved");

    free(rj);
    free(pj);
    ts_journal_close(j);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        diag("could not remove %s", home);
    return done_testing();
}
