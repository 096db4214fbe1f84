/* fuzz_envexpand.c: libFuzzer target for $NAME expansion (taskenv.c).
 *
 * Input: one byte choosing the cap, then lines. Lines up to the first empty
 * one are NAME=VALUE set into the environment; every line's value (after
 * its first '=') is then expanded with the cap and compared with a plain
 * reference expansion written here: the result is the reference when that
 * fits the cap, else NULL with E2BIG, and never longer than the cap. Last,
 * all lines go through ts_env_apply as a hook's envs would, and the
 * environment must stay within TS_ENV_MAX_BYTES. Build and run:
 * tests/fuzz/run.sh. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taskenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static void check(int cond)
{
    if (!cond)
        abort();
}

static int alpha(int c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int alnum(int c)
{
    return alpha(c) || (c >= '0' && c <= '9');
}

static const char *lookup(const ts_env *e, const char *name, size_t len)
{
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=')
            return e->v[i] + len + 1;
    return NULL;
}

/* The grammar of taskenv.h, independently: with out NULL only the length. */
static size_t reference(const ts_env *e, const char *s, char *out)
{
    size_t n = 0;
    while (*s) {
        const char *add = s, *name, *end;
        size_t len = 1;
        if (*s == '$') {
            int braced = s[1] == '{';
            name = s + 1 + braced;
            for (end = name; alpha((unsigned char)*end) || (end > name && alnum((unsigned char)*end)); end++)
                ;
            if (s[1] == '$') {
                s += 2;
            } else if (end > name && (!braced || *end == '}')) {
                add = lookup(e, name, (size_t)(end - name));
                len = add ? strlen(add) : 0;
                s = end + braced;
            } else {
                s++;
            }
        } else {
            s++;
        }
        if (out && len)
            memcpy(out + n, add, len);
        n += len;
    }
    if (out)
        out[n] = '\0';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = data[0] == 0xff ? TS_ENV_MAX_VALUE : (size_t)data[0] * 16;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    ts_kv kv[MAX_LINES];
    size_t nl = 0, nset = 0;
    int in_env = 1;
    for (char *line = text, *next; line && nl < MAX_LINES; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line) {
            in_env = 0;
            continue;
        }
        char *eq = strchr(line, '=');
        if (eq)
            *eq = '\0';
        kv[nl].key = line;
        kv[nl].value = eq ? eq + 1 : line + strlen(line);
        if (in_env)
            nset = ++nl;
        else
            nl++;
    }

    ts_env e;
    ts_err err;
    check(ts_env_init(&e, NULL) == 0);
    for (size_t i = 0; i < nset; i++) {
        int rc = ts_env_set(&e, kv[i].key, kv[i].value);
        check(rc == 0 || (errno == EINVAL && (!*kv[i].key || strchr(kv[i].key, '='))));
    }
    for (size_t i = 0; i < nl; i++) {
        size_t want = reference(&e, kv[i].value, NULL);
        errno = 0;
        char *got = ts_env_expand_capped(&e, kv[i].value, cap, &err);
        if (want <= cap) {
            char *ref = malloc(want + 1);
            check(ref != NULL);
            reference(&e, kv[i].value, ref);
            check(got && strcmp(got, ref) == 0);
            free(ref);
        } else {
            check(!got && errno == E2BIG);
            check(strncmp(err.msg, "expands to more than ", 21) == 0);
        }
        free(got);
    }

    ts_kvlist l = { kv, nl };
    if (ts_env_apply(&e, &l, "fuzz", &err) < 0) {
        check(strncmp(err.msg, "fuzz: envs: ", 12) == 0);
        for (const char *p = err.msg; *p; p++)
            check((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
    size_t bytes = 0;
    for (size_t i = 0; i < e.n; i++)
        bytes += strlen(e.v[i]) + 1;
    check(bytes == e.bytes && bytes <= TS_ENV_MAX_BYTES);
    ts_env_free(&e);
    free(text);
    return 0;
}
