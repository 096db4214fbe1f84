/* fuzz_hookspec.c: libFuzzer target for the hook spec parser (spec_json.c)
 * and the environment root builds from it (taskenv.c).
 *
 * Root parses this text in slurmstepd and slurmd's prolog/epilog, and a user
 * can write it directly (the SPANK job environment): any input must end in a
 * spec within the documented bounds (spec_json.h) or in one "hook spec: ..."
 * line without control characters (slurmd logs it). A parsed spec's envs are
 * then expanded as root does it, which must stay within TS_ENV_MAX_VALUE /
 * TS_ENV_MAX_BYTES. Build and run: tests/fuzz/run.sh. */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec_json.h"
#include "taskenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static int loggable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static void check_name(const char *s)
{
    size_t n = strlen(s);
    check(n >= 1 && n <= TS_HOOKSPEC_MAX_NAME && loggable(s));
    check(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n);
}

static void check_hook(const ts_hook *h)
{
    if (!h->present) {
        check(!h->run && h->args.n == 0 && h->envs.n == 0);
        return;
    }
    check(h->run || h->args.n >= 1);
    check(h->args.n <= TS_HOOKSPEC_MAX_ARGS && h->envs.n <= TS_HOOKSPEC_MAX_ENVS);
    for (size_t i = 0; i < h->args.n; i++)
        check(h->args.v[i] != NULL);
    check(!h->args.v || h->args.v[h->args.n] == NULL);
    for (size_t i = 0; i < h->envs.n; i++)
        check(ts_env_name_valid(h->envs.v[i].key) && h->envs.v[i].value);
    check(h->timeout_s > 0);
}

/* What src/node/nodehooks.c does with a hook's envs, as root. */
static void build_env(const ts_hook *h, const char *what)
{
    ts_env e;
    ts_err err = { 0 };
    size_t prefix = strlen(what);

    check(ts_env_init(&e, NULL) == 0);
    check(ts_env_set(&e, "PATH", "/usr/bin:/bin") == 0);
    check(ts_env_set(&e, "HOME", "/home/user") == 0);
    if (ts_env_apply(&e, &h->envs, what, &err) < 0) {
        check(strncmp(err.msg, what, prefix) == 0 && strncmp(err.msg + prefix, ": envs: ", 8) == 0);
        check(loggable(err.msg));
    }
    size_t bytes = 0;
    for (size_t i = 0; i < e.n; i++) {
        const char *eq = strchr(e.v[i], '=');
        check(eq && eq > e.v[i]);
        check(strlen(eq + 1) <= TS_ENV_MAX_VALUE);
        bytes += strlen(e.v[i]) + 1;
    }
    check(e.v[e.n] == NULL);
    check(bytes == e.bytes && bytes <= TS_ENV_MAX_BYTES);
    ts_env_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_hookspec h;
    ts_err err = { 0 };
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (ts_hooks_deserialize(text, &h, &err) == 0) {
        check_name(h.suite_name);
        if (h.suite_id)
            check_name(h.suite_id);
        check(!h.workdir || strlen(h.workdir) < PATH_MAX);
        check(!h.output_dir || strlen(h.output_dir) < PATH_MAX);
        check(!h.suite_dir || strlen(h.suite_dir) < PATH_MAX);
        check(h.worker_count >= 1);
        check_hook(&h.prep);
        check_hook(&h.cleanup);
        build_env(&h.prep, "env_preparation");
        build_env(&h.cleanup, "env_cleanup");
        ts_hookspec_free(&h);
    } else {
        check(strncmp(err.msg, "hook spec: ", 11) == 0);
        check(loggable(err.msg));
        check(!h.suite_id && !h.suite_name && !h.prep.present && !h.cleanup.present);
    }
    free(text);
    return 0;
}
