/* submit_record.t: the submit record (src/suite/record.h): a round trip,
 * the exact bytes earlier releases wrote (journals on disk hold them), old
 * and damaged records, and the --local question sync and retry ask. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tap.h"

/* What launcher/submit.c's journal_spec() wrote before the record had a
 * type: the same keys in the same order, cJSON_PrintUnformatted. */
static const char old_record[] =
    "{\"submit_key\":\"0123456789abcdef\",\"file\":\"/home/u/suite.yaml\","
    "\"workdir\":\"/home/u\",\"tasksuite\":\"/usr/bin/tasksuite\",\"local\":false,"
    "\"yaml\":\"name: s\\nrun: echo \\\"local\\\":true\\n\"}";

static void round_trip(void)
{
    ts_submit_record r = { .submit_key = "0123456789abcdef", .file = "/home/u/suite.yaml",
                           .workdir = "/home/u", .self = "/usr/bin/tasksuite", .local = false,
                           .yaml = "name: s\nrun: echo \"local\":true\n" };
    ts_submit_record back;
    ts_err err = { 0 };
    char *json = ts_submit_record_to_json(&r);

    ok(json != NULL, "to_json");
    is_str(json, old_record, "the bytes earlier releases wrote");
    is_int(ts_submit_record_from_json(json, &back, &err), 0, "from_json");
    is_str(back.submit_key, r.submit_key, "submit_key back");
    is_str(back.file, r.file, "file back");
    is_str(back.workdir, r.workdir, "workdir back");
    is_str(back.self, r.self, "tasksuite back");
    is_str(back.yaml, r.yaml, "yaml back");
    ok(!back.local, "local back");
    /* The yaml holds "local":true as text: not a --local suite. */
    ok(!ts_submit_record_is_local(json), "\"local\":true in the yaml is not --local");
    ts_submit_record_free(&back);
    free(json);

    r.local = true;
    json = ts_submit_record_to_json(&r);
    ok(ts_submit_record_is_local(json), "a --local record");
    is_int(ts_submit_record_from_json(json, &back, &err), 0, "--local from_json");
    ok(back.local, "--local back");
    ts_submit_record_free(&back);
    free(json);
}

static void old_and_damaged(void)
{
    ts_submit_record r;
    ts_err err = { 0 };

    is_int(ts_submit_record_from_json(old_record, &r, &err), 0, "an old journal's record");
    is_str(r.file, "/home/u/suite.yaml", "its file");
    ts_submit_record_free(&r);

    /* A record without "local" or "submit_key" (fields absent): read, empty. */
    is_int(ts_submit_record_from_json("{\"yaml\":\"x: 1\\n\"}", &r, &err), 0,
           "a record with fields missing");
    ok(r.submit_key == NULL && r.file == NULL && !r.local, "missing fields stay empty");
    is_str(r.yaml, "x: 1\n", "its yaml");
    ts_submit_record_free(&r);

    /* A suite created by a test or the API with another JSON: no yaml. */
    is_int(ts_submit_record_from_json("{\"name\":\"x\"}", &r, &err), 0, "a foreign object");
    ok(r.yaml == NULL, "no yaml in it");
    ts_submit_record_free(&r);

    ok(ts_submit_record_from_json(NULL, &r, &err) < 0, "no record");
    ok(ts_submit_record_from_json("not json", &r, &err) < 0, "not JSON");
    ok(ts_submit_record_from_json("[1,2]", &r, &err) < 0, "not an object");
    ok(!ts_submit_record_is_local(NULL), "no record is not --local");
    ok(!ts_submit_record_is_local("{\"local\":\"true\"}"), "\"true\" as a string is not --local");
}

int main(void)
{
    round_trip();
    old_and_damaged();
    return done_testing();
}
