/* skypilot: the SkyPilot task keys that are more than a warning (spec.h):
 * null values given at submit, secrets kept out of the journal's copy,
 * resources alternatives merged over the base, job_recovery as resume. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tap.h"

static ts_suite *parse(const char *text)
{
    ts_suite *s = NULL;
    ts_err err = { 0 };
    if (ts_spec_parse("t.yaml", text, strlen(text), &s, &err) < 0)
        diag("%s", err.msg);
    return s;
}

static void launch_env(void)
{
    ts_suite *s = parse("envs:\n  HF_TOKEN: null\n  A: x\nsecrets:\n  K: null\nrun: x\n");
    ts_err err = { 0 };
    ok(s != NULL, "a null env and a null secret are valid");
    if (!s)
        return;
    ok(s->envs.v[0].required && !s->envs.v[1].required, "the null one is required");
    char *none[] = { NULL };
    is_int(ts_spec_apply_launch_env(s, NULL, none, &err), -1, "missing at submit: refused");
    is_str(err.msg, "t.yaml:2:3: envs.HF_TOKEN: has no value (null: give it at submit): "
           "tasksuite submit --env HF_TOKEN=VALUE, --env-file FILE, or set HF_TOKEN in the "
           "environment", "the message names the key and where");
    ts_kvlist given = { 0 };
    char *envp[] = { "K=from-env", "HF_TOKEN=ignored", NULL };
    ok(ts_spec_parse_env_arg("HF_TOKEN=tok", envp, &given, &err) == 0, "--env K=V");
    ok(ts_spec_parse_env_arg("NEW", envp, &given, &err) < 0, "--env K with K unset: refused");
    ok(ts_spec_apply_launch_env(s, &given, envp, &err) == 0, "given: accepted");
    is_str(ts_kv_get(&s->envs, "HF_TOKEN"), "tok", "--env wins over the environment");
    is_str(ts_kv_get(&s->secrets, "K"), "from-env", "the environment gives the secret");
    ts_kvlist_clear(&given);
    ts_spec_free(s);
}

static void redaction(void)
{
    const char *text = "secrets:\n  A: |\n    line1\n    line2\n  B: \"q\"\n  C: null\n"
                       "envs: {E: visible}\nrun: x\n";
    ts_suite *s = parse(text);
    ok(s != NULL, "secrets parse");
    if (!s)
        return;
    char *r = ts_spec_redact_secrets(s, text, strlen(text));
    ok(r && !strstr(r, "line1") && !strstr(r, "\"q\""), "the values are gone");
    ok(r && strstr(r, "visible"), "the rest is kept");
    ts_suite *again = r ? parse(r) : NULL;
    ok(again && again->secrets.n == 3 && again->secrets.v[0].required
           && again->secrets.v[1].required, "the copy parses, each secret now required");
    ok(again && again->run_pos.line == s->run_pos.line, "lines do not move");
    ts_spec_free(again);
    free(r);
    ts_spec_free(s);
}

static void alternatives(void)
{
    ts_suite *s = parse("resources:\n  memory: 2Gi\n  any_of:\n    - {accelerators: A100:8}\n"
                        "    - {cpus: 3}\n    - {}\nrun: x\n");
    ok(s != NULL, "any_of parses");
    if (!s)
        return;
    is_int((long)s->candidates.n, 3, "three alternatives");
    is_int(s->resources.gpu_count, 8, "the first is used until submit picks");
    is_int((long)s->resources.memory_mb, 2048, "over the base resources");
    ts_spec_use_candidate(s, 1);
    is_int(s->resources.gpu_count, 0, "the second has no GPU");
    is_int(s->resources.cpus, 3, "and 3 CPUs");
    is_int((long)s->resources.memory_mb, 2048, "and the base memory");
    ts_spec_use_candidate(s, 2);
    is_int(s->resources.cpus, 0, "{} is the base as it is");
    ok(s->warnings.n == 1 && strstr(s->warnings.v[0], "resources.any_of: 3 alternatives"),
       "one warning says so");
    ts_spec_free(s);
}

static void job_recovery(void)
{
    ts_suite *s = parse("resources: {job_recovery: {max_restarts_on_errors: 4}}\nrun: x\n");
    ok(s && s->resume.max_retries == 4 && (s->resume.retry_on & TS_RETRY_FAILED),
       "max_restarts_on_errors: resume max_retries and retry_on failed");
    ts_spec_free(s);
    s = parse("resources: {job_recovery: {max_restarts_on_errors: 4}}\n"
              "resume: {max_retries: 1}\nrun: x\n");
    ok(s && s->resume.max_retries == 1 && !(s->resume.retry_on & TS_RETRY_FAILED),
       "resume: written wins");
    ts_spec_free(s);
    s = parse("resources: {job_recovery: none}\nrun: x\n");
    ok(s && s->warnings.n == 0 && s->resume.max_retries == 3, "none: nothing changes");
    ts_spec_free(s);
}

int main(void)
{
    launch_env();
    redaction();
    alternatives();
    job_recovery();
    return done_testing();
}
