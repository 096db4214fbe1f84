/* spec_json: the hook spec that travels from sbatch (user) to the prolog
 * (root) must survive the trip exactly, and hostile text must be refused. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "spec_json.h"
#include "tap.h"

static const char suite_yaml[] =
    "name: demo\n"
    "workdir: /scratch/demo\n"
    "env_preparation:\n"
    "  args: [\"./setup.sh\", \"--with space\", \"it's; $(x)\"]\n"
    "  envs: {A: \"1\", B: \"two words\"}\n"
    "  timeout: 5m\n"
    "env_cleanup:\n"
    "  run: rm -rf \"$TASK_SUITE_SCRATCH\"\n"
    "worker_schedule: {worker_count: 4}\n"
    "run: echo hi\n";

static void round_trip(void)
{
    ts_suite *s = NULL;
    ts_err err = { 0 };
    ts_hookspec h;

    if (!ok(ts_spec_parse("demo.yaml", suite_yaml, strlen(suite_yaml), &s, &err) == 0,
            "parse demo suite")) {
        diag("%s", err.msg);
        return;
    }
    char *text = ts_hooks_serialize(s, "ab12cd34", "/scratch/demo");
    ok(text != NULL, "serialize");
    ok(text && !strchr(text, '\n'), "one line, no raw newline");
    ok(ts_hooks_deserialize(text, &h, &err) == 0, "deserialize");
    is_str(h.suite_id, "ab12cd34", "suite id");
    is_str(h.suite_name, "demo", "name");
    is_str(h.workdir, "/scratch/demo", "workdir");
    is_int(h.worker_count, 4, "worker count");
    ok(h.prep.present && !h.prep.run, "prep is args");
    is_int((long long)h.prep.args.n, 3, "three args");
    is_str(h.prep.args.n == 3 ? h.prep.args.v[2] : NULL, "it's; $(x)", "arg kept verbatim");
    is_int((long long)h.prep.envs.n, 2, "two envs");
    is_str(h.prep.envs.n == 2 ? h.prep.envs.v[1].value : NULL, "two words", "env value");
    is_int(h.prep.timeout_s, 300, "timeout");
    ok(h.cleanup.present && h.cleanup.run, "cleanup is run");
    is_str(h.cleanup.run, "rm -rf \"$TASK_SUITE_SCRATCH\"", "cleanup text");
    ts_hookspec_free(&h);
    free(text);
    ts_spec_free(s);
}

static const struct {
    const char *text;
    const char *error;
} bad[] = {
    { "", "hook spec: not a JSON object" },
    { "[1,2]", "hook spec: not a JSON object" },
    { "{\"v\":2,\"name\":\"x\"}", "hook spec: unsupported version" },
    { "{\"v\":1}", "hook spec: missing \"name\"" },
    { "{\"v\":1,\"name\":7}", "hook spec: \"name\" is not a string" },
    { "{\"v\":1,\"name\":\"x\",\"prep\":{}}", "hook spec: prep has neither run nor args" },
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"args\":[1]}}", "hook spec: prep.args holds a non-string" },
    { "{\"v\":1,\"name\":\"x\",\"cleanup\":5}", "hook spec: cleanup is not an object" },
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"run\":\"a\",\"envs\":{\"A\":1}}}",
      "hook spec: prep.envs holds a non-string" },
};

int main(void)
{
    ts_hookspec h;
    ts_err err;

    round_trip();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_err_clear(&err);
        ok(ts_hooks_deserialize(bad[i].text, &h, &err) == -1, "bad spec %zu refused", i);
        is_str(err.msg, bad[i].error, "bad spec message");
    }
    char *huge = malloc(TS_HOOKSPEC_MAX + 2);
    memset(huge, 'x', TS_HOOKSPEC_MAX + 1);
    huge[TS_HOOKSPEC_MAX + 1] = '\0';
    ok(ts_hooks_deserialize(huge, &h, &err) == -1, "oversized spec refused");
    free(huge);
    ok(ts_hooks_deserialize(NULL, &h, &err) == -1, "missing spec refused");
    return done_testing();
}
