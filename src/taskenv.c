#include "config.h"

#include <ctype.h>
#include <stdarg.h>
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

int ts_env_init(ts_env *e, char *const *envp)
{
    memset(e, 0, sizeof *e);
    if (grow(e) < 0)
        return -1;
    e->v[0] = NULL;
    for (size_t i = 0; envp && envp[i]; i++) {
        if (grow(e) < 0 || !(e->v[e->n] = strdup(envp[i])))
            return -1;
        e->v[++e->n] = NULL;
    }
    return 0;
}

int ts_env_set(ts_env *e, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    char *kv = malloc(nlen + strlen(value) + 2);
    if (!kv)
        return -1;
    sprintf(kv, "%s=%s", name, value);
    long i = find(e, name, nlen);
    if (i >= 0) {
        free(e->v[i]);
        e->v[i] = kv;
        return 0;
    }
    if (grow(e) < 0) {
        free(kv);
        return -1;
    }
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
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
        return -1;
    int rc = ts_env_set(e, name, value);
    free(value);
    return rc;
}

int ts_env_unset(ts_env *e, const char *name)
{
    long i = find(e, name, strlen(name));
    if (i < 0)
        return 0;
    free(e->v[i]);
    memmove(&e->v[i], &e->v[i + 1], (e->n - (size_t)i) * sizeof *e->v);
    e->n--;
    return 0;
}

const char *ts_env_get(const ts_env *e, const char *name)
{
    size_t nlen = strlen(name);
    long i = find(e, name, nlen);
    return i >= 0 ? e->v[i] + nlen + 1 : NULL;
}

void ts_env_free(ts_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    memset(e, 0, sizeof *e);
}

/* A growing output buffer for ts_env_expand. */
typedef struct { char *p; size_t n, cap; } sbuf;

static int put(sbuf *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->n + len + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static int is_name_char(int c, int first)
{
    return c == '_' || isalpha(c) || (!first && isdigit(c));
}

char *ts_env_expand(const ts_env *e, const char *s)
{
    sbuf b = { 0 };
    if (put(&b, "", 0) < 0)
        return NULL;
    while (*s) {
        const char *dollar = strchr(s, '$');
        if (!dollar)
            dollar = s + strlen(s);
        if (put(&b, s, (size_t)(dollar - s)) < 0)
            goto oom;
        s = dollar;
        if (!*s)
            break;
        const char *name = s + 1, *end;
        int braced = *name == '{';
        if (*name == '$') {
            if (put(&b, "$", 1) < 0)
                goto oom;
            s += 2;
            continue;
        }
        if (braced)
            name++;
        for (end = name; *end && is_name_char((unsigned char)*end, end == name); end++)
            ;
        if (end == name || (braced && *end != '}')) {
            if (put(&b, "$", 1) < 0)   /* not a reference: keep it literally */
                goto oom;
            s++;
            continue;
        }
        char key[256];
        size_t klen = (size_t)(end - name);
        const char *val = NULL;
        if (klen < sizeof key) {
            memcpy(key, name, klen);
            key[klen] = '\0';
            val = ts_env_get(e, key);
        }
        if (val && put(&b, val, strlen(val)) < 0)
            goto oom;
        s = end + (braced ? 1 : 0);
    }
    return b.p;
oom:
    free(b.p);
    return NULL;
}
