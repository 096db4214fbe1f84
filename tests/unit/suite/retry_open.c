/* retry_open.t: `retry --task` of a task whose attempt is still open
 * (src/suite/retry.c): ts_retry_refusal's verdict and message for each task
 * state, and ts_suite_retry on a journal whose tasks were just queued
 * (pending, attempt 1): a pending name is refused, one refused name among
 * several refuses them all, and neither writes a submission or hands out an
 * attempt. No Slurm: nothing here gets far enough to ask it. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "journal.h"
#include "retry.h"
#include "tap.h"

#define NTASKS 3

static int count_intent(const ts_intent_info *s, void *arg)
{
    (void)s;
    ++*(long *)arg;
    return 0;
}

static long intents(ts_journal *j, const char *id)
{
    long n = 0;
    ts_err err = { 0 };
    return ts_journal_intents_foreach(j, id, 0, count_intent, &n, &err) < 0 ? -1 : n;
}

static int sum_attempts(const ts_task_info *t, void *arg)
{
    *(long *)arg += t->attempts;
    return 0;
}

static long handed_out(ts_journal *j, const char *id)
{
    long n = 0;
    ts_err err = { 0 };
    return ts_journal_tasks_foreach(j, id, 0, sum_attempts, &n, &err) < 0 ? -1 : n;
}

static void verdicts(void)
{
    static const struct {
        enum ts_task_state state;
        int attempt;
        const char *job, *want;   /* want NULL: accepted */
    } cases[] = {
        { TS_TASK_RUNNING, 2, "1234_5",
          "task \"lr0.1\" is running (attempt 2, job 1234_5): cancel it first "
          "(tasksuite cancel ab12cd34 --task lr0.1)" },
        { TS_TASK_PENDING, 1, NULL,
          "task \"lr0.1\" is pending (attempt 1): cancel it first "
          "(tasksuite cancel ab12cd34 --task lr0.1)" },
        { TS_TASK_PENDING, 3, "",
          "task \"lr0.1\" is pending (attempt 3): cancel it first "
          "(tasksuite cancel ab12cd34 --task lr0.1)" },
        { TS_TASK_COMPLETED, 1, "1234_5", NULL },
        { TS_TASK_FAILED, 1, NULL, NULL },
        { TS_TASK_TIMEOUT, 2, NULL, NULL },
        { TS_TASK_CANCELLED, 1, "9", NULL },
        { TS_TASK_NODE_FAIL, 1, NULL, NULL },
        { TS_TASK_PREEMPTED, 1, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512] = "";
        int r = ts_retry_refusal("ab12cd34", "lr0.1", cases[i].state, cases[i].attempt,
                                 cases[i].job, buf, sizeof buf);
        const char *st = ts_task_state_name(cases[i].state);
        if (cases[i].want) {
            ok(r == 1, "%s: refused", st);
            is_str(buf, cases[i].want, "... with the message");
        } else {
            ok(r == 0, "%s: accepted", st);
        }
    }
}

int main(void)
{
    char home[] = "/tmp/ts-retry-open.XXXXXX", id[TS_SUITE_ID_LEN + 1];
    ts_task_new tasks[NTASKS];
    char names[NTASKS][8];
    ts_journal *j = NULL;
    ts_err err = { 0 };
    int64_t sub = 0;

    verdicts();
    if (!mkdtemp(home) || ts_journal_open(home, &j, &err) < 0) {
        diag("journal: %s", err.msg);
        return 1;
    }
    for (size_t i = 0; i < NTASKS; i++) {
        snprintf(names[i], sizeof names[i], "t%zu", i);
        tasks[i] = (ts_task_new){ .name = names[i] };
    }
    ts_suite_new sn = { .name = "open", .owner_uid = getuid(), .spec_path = "/x.yaml",
                        .submit_record = "{}", .num_nodes = 1 };
    ok(ts_journal_suite_create(j, &sn, tasks, NTASKS, id, &sub, &err) == 0
           && ts_journal_task_set_state(j, id, 1, TS_TASK_FAILED, &err) == 0,
       "a suite of %d tasks queued, t1 failed: %s", NTASKS, err.msg);
    ts_suite_info si = { 0 };
    ok(ts_journal_lock(j, &err) == 0 && ts_journal_suite_get(j, id, &si, &err) == 0,
       "locked, suite read: %s", err.msg);
    long subs0 = intents(j, id), att0 = handed_out(j, id);
    ok(subs0 == 1 && att0 == NTASKS, "one submission, attempt 1 each (%ld, %ld)", subs0, att0);

    ts_retry_result res;
    char want[256];
    const char *pending[] = { "t0" };
    err = (ts_err){ 0 };
    ok(ts_suite_retry(j, &si, pending, 1, &res, &err) < 0, "retry --task t0 (pending): refused");
    is_int(err.code, TS_EXIT_FAIL, "... exit class 1");
    snprintf(want, sizeof want,
             "task \"t0\" is pending (attempt 1): cancel it first (tasksuite cancel %s --task t0)",
             id);
    is_str(err.msg, want, "... the message");

    const char *mixed[] = { "t1", "t2" };
    err = (ts_err){ 0 };
    ok(ts_suite_retry(j, &si, mixed, 2, &res, &err) < 0,
       "retry --task t1 --task t2 (failed, pending): refused");
    ok(strstr(err.msg, "task \"t2\" is pending") != NULL, "... naming t2: %s", err.msg);
    is_int(intents(j, id), subs0, "no submission written");
    is_int(handed_out(j, id), att0, "no attempt handed out");

    const char *unknown[] = { "nope" };
    err = (ts_err){ 0 };
    ok(ts_suite_retry(j, &si, unknown, 1, &res, &err) < 0 && err.code == TS_EXIT_NOTFOUND,
       "an unknown name: not found (%s)", err.msg);

    ts_suite_info_clear(&si);
    ts_journal_unlock(j);
    ts_journal_close(j);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        diag("could not remove %s", home);
    return done_testing();
}
