/* Unit tests for the pool agent's pure rules (src/pool/agentrules.h):
 * suspension counting, the exit decision, a task process's status; and the
 * .workers JSON (agentstatus.h). The agent's processes are tested end to
 * end by tests/cli/t0490-pool-agent.t. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "agentrules.h"
#include "agentstatus.h"
#include "tap.h"

static void suspension(void)
{
    ts_pool_tally t = { 0 };
    ok(!ts_pool_tally_note(&t, TS_POOL_FAILED, 3) && !ts_pool_tally_note(&t, TS_POOL_FAILED, 3),
       "two failures of three: not yet");
    ok(!ts_pool_tally_note(&t, TS_POOL_DONE, 3) && t.streak == 0 && t.failed == 2
       && t.done == 1, "a completed task breaks the streak");
    ts_pool_tally_note(&t, TS_POOL_FAILED, 3);
    ts_pool_tally_note(&t, TS_POOL_FAILED, 3);
    ok(!ts_pool_tally_note(&t, TS_POOL_TIMEOUT, 3) && !ts_pool_tally_note(&t, TS_POOL_SKIPPED, 3)
       && t.streak == 2, "a timeout or a skipped task neither counts nor breaks it");
    ok(ts_pool_tally_note(&t, TS_POOL_FAILED, 3) && t.suspended && t.streak == 3,
       "the third in a row suspends");
    ok(!ts_pool_tally_note(&t, TS_POOL_FAILED, 3), "once only");

    ts_pool_tally n = { 0 };
    bool any = false;
    for (int i = 0; i < 100; i++)
        any |= ts_pool_tally_note(&n, TS_POOL_FAILED, 0);
    ok(!any && !n.suspended && n.failed == 100, "suspend_after 0: never");
    ts_pool_tally one = { 0 };
    ok(ts_pool_tally_note(&one, TS_POOL_FAILED, 1), "suspend_after 1: the first failure");
}

static void exit_rule(void)
{
    ok(!ts_pool_agent_done(1, 0, 10, false), "a busy worker: not done");
    ok(!ts_pool_agent_done(1, 0, 0, true), "winding down, still busy: not done");
    ok(ts_pool_agent_done(0, 3, 0, true), "winding down, idle: done (claims given back)");
    ok(!ts_pool_agent_done(0, 1, 5, false), "a claimed task waits: not done");
    ok(!ts_pool_agent_done(0, 0, TS_POOL_EMPTY_LOOKS - 1, false), "too few empty looks");
    ok(ts_pool_agent_done(0, 0, TS_POOL_EMPTY_LOOKS, false), "enough empty looks: done");
}

static void status_json(void)
{
    ts_pool_worker_status w[2] = {
        { .id = 0, .cpus = "0-1", .gpus = "", .state = TS_WORKER_RUNNING, .task = 7,
          .attempt = 2, .tally = { .done = 3, .failed = 1, .streak = 1 } },
        { .id = 1, .cpus = "2", .gpus = "0", .state = TS_WORKER_SUSPENDED,
          .tally = { .failed = 5, .streak = 5, .suspended = true } },
    };
    snprintf(w[1].reason, sizeof w[1].reason, "suspended: \"quoted\"");
    ts_pool_agent_status st = { .agent = "n1.42.100.1700000000", .host = "n1",
                                .jobid = "42", .time = 1700000000.5, .w = w, .n = 2 };
    char *text = ts_pool_agent_status_json(&st);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    cJSON *ws = cJSON_GetObjectItem(o, "workers");
    cJSON *w0 = cJSON_GetArrayItem(ws, 0), *w1 = cJSON_GetArrayItem(ws, 1);
    ok(o && cJSON_GetArraySize(ws) == 2, "valid JSON with 2 workers: %s", text ? text : "");
    ok(w0 && cJSON_GetObjectItem(w0, "task")->valueint == 7
       && cJSON_GetObjectItem(w0, "attempt")->valueint == 2
       && !strcmp(cJSON_GetObjectItem(w0, "state")->valuestring, "running")
       && !strcmp(cJSON_GetObjectItem(w0, "cpus")->valuestring, "0-1"),
       "a running worker: task, attempt, state, cpus");
    ok(w1 && cJSON_IsNull(cJSON_GetObjectItem(w1, "task"))
       && cJSON_GetObjectItem(w1, "streak")->valueint == 5
       && !strcmp(cJSON_GetObjectItem(w1, "reason")->valuestring, "suspended: \"quoted\"")
       && !strcmp(cJSON_GetObjectItem(w1, "state")->valuestring, "suspended"),
       "a suspended worker: null task, its streak and reason");
    ok(!strcmp(cJSON_GetObjectItem(o, "jobid")->valuestring, "42")
       && cJSON_GetObjectItem(o, "time")->valuedouble > 1700000000,
       "agent, jobid, time");
    cJSON_Delete(o);
    free(text);
}

int main(void)
{
    suspension();
    exit_rule();
    status_json();
    return done_testing();
}
