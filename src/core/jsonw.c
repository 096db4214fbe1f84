#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static bool room(ts_strbuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void ts_strbuf_put(ts_strbuf *b, const char *s, size_t n)
{
    if (!room(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ts_strbuf_puts(ts_strbuf *b, const char *s)
{
    ts_strbuf_put(b, s, strlen(s));
}

void ts_strbuf_putc(ts_strbuf *b, char c)
{
    if (!room(b, 1))
        return;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void ts_strbuf_long(ts_strbuf *b, long v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    ts_strbuf_put(b, p, (size_t)(e - p));
}

void ts_strbuf_json_str(ts_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        ts_strbuf_put(b, "null", 4);
        return;
    }
    size_t n = strlen(s);
    /* Worst case 6 bytes per input byte, plus the quotes. */
    if (!room(b, n * 6 + 2))
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}

void ts_strbuf_json_kv(ts_strbuf *b, const ts_kvlist *l)
{
    ts_strbuf_putc(b, '{');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            ts_strbuf_putc(b, ',');
        ts_strbuf_json_str(b, l->v[i].key);
        ts_strbuf_putc(b, ':');
        ts_strbuf_json_str(b, l->v[i].value ? l->v[i].value : "");
    }
    ts_strbuf_putc(b, '}');
}
