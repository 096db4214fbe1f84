/* taskenv: NAME=VALUE sets and $NAME expansion. Root expands a hook's envs
 * from a spec the user wrote, so expansion and the environment are bounded
 * here (TS_ENV_MAX_VALUE, TS_ENV_MAX_BYTES), and a bomb fails fast. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec_json.h"
#include "taskenv.h"
#include "tap.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n copies of s, malloc'd. */
static char *repeat(const char *s, size_t n)
{
    size_t len = strlen(s);
    char *out = malloc(len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, s, len);
    out[len * n] = '\0';
    return out;
}

static size_t sum_bytes(const ts_env *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += strlen(e->v[i]) + 1;
    return n;
}

static const struct {
    const char *value;
    const char *want;
} expansions[] = {
    { "plain", "plain" },
    { "$A", "one" },
    { "${A}", "one" },
    { "x${A}y$A", "xoneyone" },
    { "$$A", "$A" },
    { "$UNSET.", "." },
    { "${UNSET}", "" },
    { "$", "$" },
    { "a$", "a$" },
    { "$1", "$1" },
    { "${A", "${A" },
    { "${}", "${}" },
    { "$A_B", "" },
    { "${A}_B", "one_B" },
    { "$LONG_NAME_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789",
      "long" },
};

static void basics(void)
{
    ts_env e;
    char *envp[] = { "A=one", "B=two=2", NULL };

    ok(ts_env_init(&e, envp) == 0, "init from envp");
    is_int((long long)e.bytes, (long long)sum_bytes(&e), "bytes counted at init");
    is_str(ts_env_get(&e, "B"), "two=2", "value with '='");
    ok(ts_env_set(&e, "A", "uno") == 0, "replace");
    is_str(ts_env_get(&e, "A"), "uno", "replaced value");
    ok(ts_env_set(&e, "A", "one") == 0 && ts_env_set(&e, "C", "three") == 0, "set");
    is_int((long long)e.bytes, (long long)sum_bytes(&e), "bytes kept on set/replace");
    ok(ts_env_unset(&e, "C") == 0 && ts_env_get(&e, "C") == NULL, "unset");
    is_int((long long)e.bytes, (long long)sum_bytes(&e), "bytes kept on unset");
    errno = 0;
    ok(ts_env_set(&e, "", "x") == -1 && errno == EINVAL, "empty name refused (EINVAL)");
    errno = 0;
    ok(ts_env_set(&e, "A=B", "x") == -1 && errno == EINVAL, "name with '=' refused (EINVAL)");
    is_str(ts_env_get(&e, "A"), "one", "A untouched by the refused set");
    ok(ts_env_get(&e, "A=B") == NULL, "no lookup by a name with '='");
    ts_env_set(&e, "LONG_NAME_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789",
               "long");
    for (size_t i = 0; i < sizeof expansions / sizeof expansions[0]; i++) {
        char *v = ts_env_expand(&e, expansions[i].value);
        is_str(v, expansions[i].want, expansions[i].value);
        free(v);
    }
    ts_env_free(&e);
}

static const struct {
    const char *name;
    bool valid;
} names[] = {
    { "A", true },       { "_", true },        { "a_1", true },  { "PATH", true },
    { "", false },       { "1A", false },      { "A=B", false }, { "A\nB", false },
    { "A B", false },    { "A-B", false },     { "\xc3\xa9", false },
};

static void name_rules(void)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ok(ts_env_name_valid(names[i].name) == names[i].valid, "name %zu %s", i,
           names[i].valid ? "valid" : "refused");
    char *n = repeat("N", TS_ENV_MAX_NAME);
    ok(ts_env_name_valid(n), "a name of %d bytes is valid", TS_ENV_MAX_NAME);
    free(n);
    n = repeat("N", TS_ENV_MAX_NAME + 1);
    ok(!ts_env_name_valid(n), "a name of %d bytes is refused", TS_ENV_MAX_NAME + 1);
    free(n);
    ok(!ts_env_name_valid(NULL), "NULL refused");
}

static void value_cap(void)
{
    ts_env e;
    ts_err err = { 0 };

    ts_env_init(&e, NULL);
    ts_env_set(&e, "K", "0123456789abcdef");   /* 16 bytes */
    char *v = ts_env_expand_capped(&e, "$K$K", 32, &err);
    ok(v && strlen(v) == 32, "exactly the cap is fine");
    free(v);
    errno = 0;
    v = ts_env_expand_capped(&e, "$K$K!", 32, &err);
    ok(v == NULL && errno == E2BIG, "one byte over the cap: NULL, E2BIG");
    is_str(err.msg, "expands to more than 32 bytes", "cap message");
    v = ts_env_expand_capped(&e, "$K$K$K", 32, NULL);
    ok(v == NULL, "over the cap with no err");

    /* Before the fix, this was a 300 KB string. */
    char *a = repeat("x", 1000), *b = repeat("$A", 300);
    ts_env_set(&e, "A", a);
    errno = 0;
    v = ts_env_expand(&e, b);
    ok(v == NULL && errno == E2BIG, "ts_env_expand caps at TS_ENV_MAX_VALUE");
    free(v);
    free(a);
    free(b);
    ts_env_free(&e);
}

static void total_cap(void)
{
    ts_env e;
    ts_err err = { 0 };
    char *big = repeat("v", 60000);
    char name[16];
    int i, rc = 0;

    ts_env_init(&e, NULL);
    for (i = 0; i < 100 && rc == 0; i++) {
        snprintf(name, sizeof name, "V%d", i);
        rc = ts_env_set(&e, name, big);
    }
    ok(rc == -1 && errno == E2BIG, "ts_env_set stops at TS_ENV_MAX_BYTES (E2BIG)");
    is_int(i, 18, "after 17 values of 60000 bytes");
    ok(e.bytes <= TS_ENV_MAX_BYTES && e.bytes == sum_bytes(&e), "bytes within the cap");
    ok(ts_env_set(&e, "V0", "small") == 0, "replacing by less still fits");
    ok(ts_env_set(&e, "V0", big) == 0, "and back");

    ts_kv kv[] = { { .key = "W", .value = "$V1" } };
    ts_kvlist l = { kv, 1 };
    ok(ts_env_apply(&e, &l, "env_preparation", &err) == -1, "apply over the total refused");
    is_str(err.msg, "env_preparation: envs: W: the environment would be larger than 1048576 bytes",
           "total message");
    ts_env_free(&e);

    /* init from an environment already over the cap */
    char **envp = calloc(20, sizeof *envp);
    for (i = 0; i < 19; i++) {
        envp[i] = malloc(60010);
        snprintf(envp[i], 60010, "E%d=%s", i, big);
    }
    errno = 0;
    ok(ts_env_init(&e, envp) == -1 && errno == E2BIG, "init over the cap: E2BIG");
    ok(e.n == 0 && e.v == NULL, "env left empty");
    ts_env_free(&e);
    for (i = 0; i < 19; i++)
        free(envp[i]);
    free(envp);
    free(big);
}

static void apply_messages(void)
{
    static const struct {
        const char *key, *value, *what, *msg;
    } bad[] = {
        { "A=B", "x", "env_preparation",
          "env_preparation: envs: \"A=B\" is not a valid variable name (letters, digits and "
          "\"_\", not starting with a digit, at most 128)" },
        { "", "x", "env_cleanup",
          "env_cleanup: envs: \"\" is not a valid variable name (letters, digits and \"_\", "
          "not starting with a digit, at most 128)" },
        { "A\nB\x1b", "x", NULL,
          "envs: \"A?B?\" is not a valid variable name (letters, digits and \"_\", not "
          "starting with a digit, at most 128)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_env e;
        ts_err err = { 0 };
        ts_kv kv[] = { { .key = (char *)bad[i].key, .value = (char *)bad[i].value } };
        ts_kvlist l = { kv, 1 };
        ts_env_init(&e, NULL);
        ok(ts_env_apply(&e, &l, bad[i].what, &err) == -1, "bad name %zu refused", i);
        is_str(err.msg, bad[i].msg, "bad name message");
        ok(e.n == 0, "nothing set");
        ts_env_free(&e);
    }

    ts_env e;
    ts_err err = { 0 };
    ts_kv kv[] = { { .key = "A", .value = "1" }, { .key = "B", .value = "$A-${A}2" },
                   { .key = "A", .value = "$B$$" } };
    ts_kvlist l = { kv, 3 };
    ts_env_init(&e, NULL);
    ok(ts_env_apply(&e, &l, "x", &err) == 0, "apply in order");
    is_str(ts_env_get(&e, "B"), "1-12", "later values see earlier ones");
    is_str(ts_env_get(&e, "A"), "1-12$", "and may replace them");
    ts_env_free(&e);
}

/* The finding: a 3 KB spec whose envs ask root for ~27 GB. */
static void bomb(void)
{
    char *a = repeat("x", 1000), *b = repeat("$A", 300), *c = repeat("$B", 300),
         *d = repeat("$C", 300), *text = NULL;
    ts_hookspec h;
    ts_err err = { 0 };
    ts_env e;

    if (asprintf(&text, "{\"v\":1,\"name\":\"bomb\",\"prep\":{\"args\":[\"/bin/true\"],"
                        "\"envs\":{\"A\":\"%s\",\"B\":\"%s\",\"C\":\"%s\",\"D\":\"%s\"}}}",
                 a, b, c, d) < 0)
        text = NULL;
    ok(text && strlen(text) < 3000, "the spec is under 3 KB (%zu bytes)", text ? strlen(text) : 0);
    ok(text && ts_hooks_deserialize(text, &h, &err) == 0, "it is a valid hook spec");
    double t0 = now_s();
    ts_env_init(&e, NULL);
    ok(ts_env_apply(&e, &h.prep.envs, "env_preparation", &err) == -1, "expansion refused");
    is_str(err.msg, "env_preparation: envs: B: expands to more than 65536 bytes",
           "names the variable and the cap");
    ok(now_s() - t0 < 2.0, "quickly (%.3fs)", now_s() - t0);
    ok(e.bytes <= 2000, "only A was set (%zu bytes)", e.bytes);
    ts_env_free(&e);

    /* Each step alone, with the one before at the cap: refused too. */
    char *full = repeat("y", TS_ENV_MAX_VALUE);
    ts_env_init(&e, NULL);
    ts_env_set(&e, "A", a);
    ts_env_set(&e, "B", full);
    ts_env_set(&e, "C", full);
    const char *steps[] = { b, c, d };
    for (int i = 0; i < 3; i++) {
        char *v = ts_env_expand_capped(&e, steps[i], TS_ENV_MAX_VALUE, NULL);
        ok(v == NULL, "%c alone refused", 'B' + i);
        free(v);
    }
    ts_env_free(&e);
    free(full);
    ts_hookspec_free(&h);
    free(text);
    free(a);
    free(b);
    free(c);
    free(d);
}

int main(void)
{
    basics();
    name_rules();
    value_cap();
    total_cap();
    apply_messages();
    bomb();
    return done_testing();
}
