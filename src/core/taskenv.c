/* taskenv.c: NAME=VALUE sets and $NAME expansion, bounded (taskenv.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskenv.h"

static int grow(ts_env *e)
{
    if (e->n + 2 <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap * 2 : 64;
    char **v = realloc(e->v, cap * sizeof *v);
    if (!v)
        return -1;
    e->v = v;
    e->cap = cap;
    return 0;
}

static long find(const ts_env *e, const char *name, size_t nlen)
{
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->v[i], name, nlen) == 0 && e->v[i][nlen] == '=')
            return (long)i;
    return -1;
}

/* A name find() can look up: not empty, no '=' (envp entries split at the
 * first '='). */
static bool name_usable(const char *name, size_t nlen)
{
    return nlen > 0 && !memchr(name, '=', nlen);
}

static int fail_errno(int e)
{
    errno = e;
    return -1;
}

int ts_env_init(ts_env *e, char *const *envp)
{
    memset(e, 0, sizeof *e);
    if (grow(e) < 0)
        return fail_errno(ENOMEM);
    e->v[0] = NULL;
    for (size_t i = 0; envp && envp[i]; i++) {
        size_t len = strlen(envp[i]) + 1;
        int why = 0;
        if (len > TS_ENV_MAX_BYTES - e->bytes)
            why = E2BIG;
        else if (grow(e) < 0 || !(e->v[e->n] = strdup(envp[i])))
            why = ENOMEM;
        if (why) {
            ts_env_free(e);
            return fail_errno(why);
        }
        e->bytes += len;
        e->v[++e->n] = NULL;
    }
    return 0;
}

int ts_env_set(ts_env *e, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    if (!name_usable(name, nlen))
        return fail_errno(EINVAL);
    long i = find(e, name, nlen);
    size_t old = i >= 0 ? strlen(e->v[i]) + 1 : 0;
    if (nlen >= TS_ENV_MAX_BYTES || vlen >= TS_ENV_MAX_BYTES)
        return fail_errno(E2BIG);
    size_t len = nlen + vlen + 2, rest = e->bytes - old;
    if (rest > TS_ENV_MAX_BYTES || len > TS_ENV_MAX_BYTES - rest)
        return fail_errno(E2BIG);
    char *kv = malloc(len);
    if (!kv)
        return fail_errno(ENOMEM);
    memcpy(kv, name, nlen + 1);
    kv[nlen] = '=';
    memcpy(kv + nlen + 1, value, vlen + 1);
    if (i >= 0) {
        free(e->v[i]);
        e->v[i] = kv;
    } else {
        if (grow(e) < 0) {
            free(kv);
            return fail_errno(ENOMEM);
        }
        e->v[e->n++] = kv;
        e->v[e->n] = NULL;
    }
    e->bytes = e->bytes - old + len;
    return 0;
}

int ts_env_setf(ts_env *e, const char *name, const char *fmt, ...)
{
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail_errno(ENOMEM);
    int rc = ts_env_set(e, name, value);
    int saved = errno;
    free(value);
    errno = saved;
    return rc;
}

int ts_env_unset(ts_env *e, const char *name)
{
    size_t nlen = strlen(name);
    long i = name_usable(name, nlen) ? find(e, name, nlen) : -1;
    if (i < 0)
        return 0;
    e->bytes -= strlen(e->v[i]) + 1;
    free(e->v[i]);
    memmove(&e->v[i], &e->v[i + 1], (e->n - (size_t)i) * sizeof *e->v);
    e->n--;
    return 0;
}

const char *ts_env_get(const ts_env *e, const char *name)
{
    size_t nlen = strlen(name);
    long i = name_usable(name, nlen) ? find(e, name, nlen) : -1;
    return i >= 0 ? e->v[i] + nlen + 1 : NULL;
}

void ts_env_free(ts_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    memset(e, 0, sizeof *e);
}

/* ASCII only, whatever the locale root runs in. */
static bool is_name_char(int c, bool first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (!first && c >= '0' && c <= '9');
}

bool ts_env_name_valid(const char *name)
{
    size_t n = 0;
    if (!name)
        return false;
    for (; name[n]; n++)
        if (n >= TS_ENV_MAX_NAME || !is_name_char((unsigned char)name[n], n == 0))
            return false;
    return n > 0;
}

/* The output of ts_env_expand_capped: never more than max bytes + NUL, and
 * never allocated past that. */
typedef struct {
    char *p;
    size_t n, cap, max;
} sbuf;

static int put(sbuf *b, const char *s, size_t len)
{
    if (len > b->max - b->n)
        return fail_errno(E2BIG);
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = realloc(b->p, cap);
        if (!p)
            return fail_errno(ENOMEM);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

char *ts_env_expand_capped(const ts_env *e, const char *s, size_t cap, ts_err *err)
{
    sbuf b = { .max = cap < SIZE_MAX / 4 ? cap : SIZE_MAX / 4 };
    if (put(&b, "", 0) < 0)
        goto fail;
    while (*s) {
        const char *dollar = strchr(s, '$');
        if (!dollar)
            dollar = s + strlen(s);
        if (put(&b, s, (size_t)(dollar - s)) < 0)
            goto fail;
        s = dollar;
        if (!*s)
            break;
        const char *name = s + 1, *end;
        bool braced = *name == '{';
        if (*name == '$') {
            if (put(&b, "$", 1) < 0)
                goto fail;
            s += 2;
            continue;
        }
        if (braced)
            name++;
        for (end = name; *end && is_name_char((unsigned char)*end, end == name); end++)
            ;
        if (end == name || (braced && *end != '}')) {
            if (put(&b, "$", 1) < 0)   /* not a reference: keep it literally */
                goto fail;
            s++;
            continue;
        }
        long i = find(e, name, (size_t)(end - name));
        if (i >= 0) {
            const char *val = e->v[i] + (end - name) + 1;
            if (put(&b, val, strlen(val)) < 0)
                goto fail;
        }
        s = end + (braced ? 1 : 0);
    }
    return b.p;
fail:;
    int why = errno;
    free(b.p);
    if (why == E2BIG)
        ts_errf(err, "expands to more than %zu bytes", cap);
    else
        ts_errf(err, "out of memory");
    errno = why;
    return NULL;
}

char *ts_env_expand(const ts_env *e, const char *value)
{
    return ts_env_expand_capped(e, value, TS_ENV_MAX_VALUE, NULL);
}

static int apply_fail(ts_err *err, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int apply_fail(ts_err *err, const char *what, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_errf(err, "%s%senvs: %s", what ? what : "", what ? ": " : "", msg);
}

int ts_env_apply(ts_env *e, const ts_kvlist *envs, const char *what, ts_err *err)
{
    char shown[TS_ENV_MAX_NAME + 5];   /* a valid name, whole */
    ts_err why = { 0 };
    for (size_t i = 0; i < envs->n; i++) {
        const char *name = envs->v[i].key;
        ts_err_shown(name ? name : "", shown, sizeof shown);
        if (!ts_env_name_valid(name))
            return apply_fail(err, what, "\"%s\" is not a valid variable name (letters, "
                              "digits and \"_\", not starting with a digit, at most %d)",
                              shown, TS_ENV_MAX_NAME);
        char *v = ts_env_expand_capped(e, envs->v[i].value ? envs->v[i].value : "",
                                       TS_ENV_MAX_VALUE, &why);
        if (!v)
            return apply_fail(err, what, "%s: %s", shown, why.msg);
        int rc = ts_env_set(e, name, v);
        int saved = errno;
        free(v);
        if (rc < 0 && saved == E2BIG)
            return apply_fail(err, what, "%s: the environment would be larger than %u bytes",
                              shown, TS_ENV_MAX_BYTES);
        if (rc < 0)
            return apply_fail(err, what, "%s: out of memory", shown);
    }
    return 0;
}
