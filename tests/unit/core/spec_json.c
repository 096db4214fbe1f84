/* spec_json: the hook spec that travels from sbatch (user) to the prolog
 * (root) must survive the trip exactly, and hostile text must be refused. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
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
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"run\":\"a\",\"envs\":[\"A=1\"]}}",
      "hook spec: prep.envs is not an object" },
    /* env names: [A-Za-z_][A-Za-z0-9_]*, shown without control characters */
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"run\":\"a\",\"envs\":{\"A=B\":\"1\"}}}",
      "hook spec: prep.envs: \"A=B\" is not a valid variable name (letters, digits and \"_\", "
      "not starting with a digit, at most 128)" },
    { "{\"v\":1,\"name\":\"x\",\"cleanup\":{\"run\":\"a\",\"envs\":{\"\":\"1\"}}}",
      "hook spec: cleanup.envs: \"\" is not a valid variable name (letters, digits and \"_\", "
      "not starting with a digit, at most 128)" },
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"run\":\"a\",\"envs\":{\"A\\nB\\u001b\":\"1\"}}}",
      "hook spec: prep.envs: \"A?B?\" is not a valid variable name (letters, digits and \"_\", "
      "not starting with a digit, at most 128)" },
    { "{\"v\":1,\"name\":\"x\",\"prep\":{\"run\":\"a\",\"envs\":{\"1A\":\"1\"}}}",
      "hook spec: prep.envs: \"1A\" is not a valid variable name (letters, digits and \"_\", "
      "not starting with a digit, at most 128)" },
    /* what slurmd logs: no control characters in the name or the id */
    { "{\"v\":1,\"name\":\"x\\u001b[2J\"}", "hook spec: \"name\" holds a control character" },
    { "{\"v\":1,\"name\":\"x\\ntasksuite: forged\"}",
      "hook spec: \"name\" holds a control character" },
    { "{\"v\":1,\"id\":\"ab\\r12\",\"name\":\"x\"}", "hook spec: \"id\" holds a control character" },
    { "{\"v\":1,\"id\":\"ab\\u007f\",\"name\":\"x\"}", "hook spec: \"id\" holds a control character" },
    { "{\"v\":1,\"name\":\"\"}",
      "hook spec: \"name\" is not a valid name (1 to 64 letters, digits, \".\", \"_\" or \"-\")" },
    { "{\"v\":1,\"name\":\"a b\"}",
      "hook spec: \"name\" is not a valid name (1 to 64 letters, digits, \".\", \"_\" or \"-\")" },
    { "{\"v\":1,\"id\":\"../x\",\"name\":\"x\"}",
      "hook spec: \"id\" is not a valid name (1 to 64 letters, digits, \".\", \"_\" or \"-\")" },
    { "{\"v\":1,\"name\":\"x0123456789012345678901234567890123456789012345678901234567890123\"}",
      "hook spec: \"name\" is not a valid name (1 to 64 letters, digits, \".\", \"_\" or \"-\")" },
    { "{\"v\":1,\"name\":\"x\",\"workdir\":5}", "hook spec: \"workdir\" is not a string" },
};

/* A spec whose prep hook has n args (key "args") or n envs (key "envs"). */
static char *many(const char *key, int n)
{
    size_t cap = 64 + (size_t)n * 16;
    char *t = malloc(cap);
    size_t o = (size_t)snprintf(t, cap, "{\"v\":1,\"name\":\"x\",\"prep\":{%s",
                                strcmp(key, "envs") == 0 ? "\"run\":\"a\",\"envs\":{"
                                                         : "\"args\":[");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(t + o, cap - o, strcmp(key, "envs") == 0 ? "%s\"V%d\":\"1\""
                                                                       : "%s\"a%d\"",
                              i ? "," : "", i);
    snprintf(t + o, cap - o, "%s}}", strcmp(key, "envs") == 0 ? "}" : "]");
    return t;
}

static void limits(void)
{
    ts_hookspec h;
    ts_err err = { 0 };
    char *t;

    t = many("args", TS_HOOKSPEC_MAX_ARGS);
    ok(ts_hooks_deserialize(t, &h, &err) == 0 && h.prep.args.n == TS_HOOKSPEC_MAX_ARGS,
       "%d args accepted", TS_HOOKSPEC_MAX_ARGS);
    ts_hookspec_free(&h);
    free(t);
    t = many("args", TS_HOOKSPEC_MAX_ARGS + 1);
    ok(ts_hooks_deserialize(t, &h, &err) == -1, "%d args refused", TS_HOOKSPEC_MAX_ARGS + 1);
    is_str(err.msg, "hook spec: prep.args has more than 1024 entries", "args count message");
    free(t);
    t = many("envs", TS_HOOKSPEC_MAX_ENVS);
    ok(ts_hooks_deserialize(t, &h, &err) == 0 && h.prep.envs.n == TS_HOOKSPEC_MAX_ENVS,
       "%d envs accepted", TS_HOOKSPEC_MAX_ENVS);
    ts_hookspec_free(&h);
    free(t);
    t = many("envs", TS_HOOKSPEC_MAX_ENVS + 1);
    ok(ts_hooks_deserialize(t, &h, &err) == -1, "%d envs refused", TS_HOOKSPEC_MAX_ENVS + 1);
    is_str(err.msg, "hook spec: prep.envs has more than 1024 entries", "envs count message");
    free(t);

    static const char *paths[] = { "workdir", "output_dir", "dir" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char want[128];
        t = malloc(PATH_MAX + 128);
        int n = snprintf(t, PATH_MAX + 128, "{\"v\":1,\"name\":\"x\",\"%s\":\"/", paths[i]);
        memset(t + n, 'p', PATH_MAX - 1);
        strcpy(t + n + PATH_MAX - 1, "\"}");
        ok(ts_hooks_deserialize(t, &h, &err) == -1, "%s of PATH_MAX bytes refused", paths[i]);
        snprintf(want, sizeof want, "hook spec: \"%s\" is longer than %d bytes", paths[i],
                 PATH_MAX - 1);
        is_str(err.msg, want, "path length message");
        t[n + PATH_MAX - 2] = '\0';
        strcat(t, "\"}");
        ok(ts_hooks_deserialize(t, &h, &err) == 0, "%s of PATH_MAX - 1 bytes accepted", paths[i]);
        ts_hookspec_free(&h);
        free(t);
    }

    /* paths may hold any byte a path may; the name is then still clean */
    ok(ts_hooks_deserialize("{\"v\":1,\"name\":\"ok.name_1-2\",\"id\":\"ab12cd34\","
                            "\"workdir\":\"/tmp/a\\nb\"}", &h, &err) == 0,
       "a path with a newline is kept (shown through ts_err_shown when logged)");
    is_str(h.workdir, "/tmp/a\nb", "path verbatim");
    ts_hookspec_free(&h);
}

int main(void)
{
    ts_hookspec h;
    ts_err err;

    round_trip();
    limits();
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
