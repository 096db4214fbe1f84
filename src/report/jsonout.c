#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

void ts_jout_init(ts_jout *w, FILE *f)
{
    w->f = f;
    w->len = 0;
    w->depth = 0;
    w->failed = false;
}

static void flush_buf(ts_jout *w)
{
    if (w->len && !w->failed && fwrite(w->buf, 1, w->len, w->f) != w->len)
        w->failed = true;
    w->len = 0;
}

static void put(ts_jout *w, const char *s, size_t n)
{
    if (n > sizeof w->buf - w->len) {
        flush_buf(w);
        if (n > sizeof w->buf) {
            if (!w->failed && fwrite(s, 1, n, w->f) != n)
                w->failed = true;
            return;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc1(ts_jout *w, char c)
{
    if (w->len == sizeof w->buf)
        flush_buf(w);
    w->buf[w->len++] = c;
}

static void tabs(ts_jout *w, int n)
{
    while (n-- > 0)
        putc1(w, '\t');
}

/* A string as cJSON's print_string_ptr writes it: ", \ and the control
 * characters with a short escape, other bytes below 0x20 as \u00xx,
 * everything else (UTF-8 included) as is. */
static void put_string(ts_jout *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *run;

    putc1(w, '"');
    for (run = p; *p; p++) {
        char esc[6];
        size_t n = 2;

        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        put(w, (const char *)run, (size_t)(p - run));
        esc[0] = '\\';
        switch (*p) {
        case '"':  esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            n = 6;
        }
        put(w, esc, n);
        run = p + 1;
    }
    put(w, (const char *)run, (size_t)(p - run));
    putc1(w, '"');
}

/* "%1.<p>g" of v (p 15 or 17) without printf, for the numbers a status
 * document is made of (times: 2^26 <= |v| < 1e14, not integral): v is
 * exactly I + F / 2^s (s <= 26), so its decimal fraction F * 5^s / 10^s is
 * exact in 128 bits, and rounding it to p significant digits (to nearest,
 * ties to even, as glibc) gives printf's digits. 0 when v is outside that
 * range or rounding carries into the integer part: the caller asks printf. */
static int fixed_g(char *buf, double v, int p)
{
    typedef unsigned __int128 u128;
    uint64_t bits, mant, ip, fb, pw5 = 1;
    u128 frac, scale = 1;
    char digits[24];
    int e, s, ni = 0, d, len = 0;

    memcpy(&bits, &v, sizeof bits);
    e = (int)((bits >> 52) & 0x7ff) - 1023;
    if (e < 26 || e > 46)               /* 2^26 <= |v| < 2^47 (< 1e14) */
        return 0;
    s = 52 - e;
    mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    ip = mant >> s;
    fb = mant & ((1ULL << s) - 1);
    for (int k = 0; k < s; k++)
        pw5 *= 5;
    frac = (u128)fb * pw5;              /* the fraction's s decimal digits */
    for (uint64_t t = ip; t; t /= 10)
        digits[ni++] = (char)('0' + t % 10);
    d = p - ni;                         /* decimals printf keeps */
    if (d < 1)
        return 0;
    if (d < s) {
        for (int k = 0; k < s - d; k++)
            scale *= 10;
        u128 q = frac / scale, r = frac % scale, half = scale / 2;
        if (r > half || (r == half && (q & 1)))
            q++;
        frac = q;
    } else {
        for (int k = 0; k < d - s; k++)
            frac *= 10;
    }
    u128 lim = 1;
    for (int k = 0; k < d; k++)
        lim *= 10;
    if (frac >= lim)                    /* carried into the integer part */
        return 0;
    if (bits >> 63)
        buf[len++] = '-';
    while (ni)
        buf[len++] = digits[--ni];
    /* the decimals (fewer than 17: 64 bits), trailing zeros dropped (%g) */
    char dec[32] = "";
    int nd = d;
    uint64_t f64 = (uint64_t)frac;
    for (int k = d - 1; k >= 0; k--) {
        dec[k] = (char)('0' + (int)(f64 % 10));
        f64 /= 10;
    }
    while (nd > 0 && dec[nd - 1] == '0')
        nd--;
    if (nd) {
        buf[len++] = '.';
        memcpy(buf + len, dec, (size_t)nd);
        len += nd;
    }
    buf[len] = '\0';
    return len;
}

/* cJSON 1.7's print_number for a finite non-integral v: 15 significant
 * digits when they read back as v (within DBL_EPSILON relative), else 17. */
static int fast_g(char *buf, double v)
{
    int n = fixed_g(buf, v, 15);
    if (!n)
        return 0;
    double t = strtod(buf, NULL), a = fabs(t) > fabs(v) ? fabs(t) : fabs(v);
    if (fabs(t - v) <= a * DBL_EPSILON)
        return n;
    return fixed_g(buf, v, 17);
}

int ts_jout_number_text(char *buf, double v)
{
    /* Integral and below 1e15: cJSON's "%1.15g" has room for every digit
     * and reads back exactly, so it prints the digits (and "-0"). */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v
        && !(v == 0 && signbit(v))) {
        char tmp[24];
        long long n = (long long)v;
        unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
        int k = 0, len = 0;
        do
            tmp[k++] = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (n < 0)
            buf[len++] = '-';
        while (k)
            buf[len++] = tmp[--k];
        buf[len] = '\0';
        return len;
    }
    /* Times: the same digits without printf. */
    int len = fast_g(buf, v);
    if (len)
        return len;
    /* Anything else exactly as cJSON prints it. */
    cJSON n;
    memset(&n, 0, sizeof n);
    n.type = cJSON_Number;
    cJSON_SetNumberHelper(&n, v);
    if (!cJSON_PrintPreallocated(&n, buf, 32, 0))
        return snprintf(buf, 32, "null");
    return (int)strlen(buf);
}

/* Before a member: the separator, indentation and "key":\t. */
static bool member(ts_jout *w, const char *key)
{
    if (w->failed)
        return false;
    if (w->depth == 0) {
        if (key) {
            w->failed = true;
            return false;
        }
        return true;
    }
    int d = w->depth - 1;
    if (w->in_obj[d]) {
        if (!key) {
            w->failed = true;
            return false;
        }
        if (w->count[d]++)
            put(w, ",\n", 2);
        tabs(w, w->depth);
        put_string(w, key);
        put(w, ":\t", 2);
    } else {
        if (key) {
            w->failed = true;
            return false;
        }
        if (w->count[d]++)
            put(w, ", ", 2);
    }
    return true;
}

static void open_container(ts_jout *w, const char *key, bool obj)
{
    if (!member(w, key))
        return;
    if (w->depth == TS_JOUT_MAXDEPTH) {
        w->failed = true;
        return;
    }
    w->in_obj[w->depth] = obj;
    w->count[w->depth] = 0;
    w->depth++;
    put(w, obj ? "{\n" : "[", obj ? 2 : 1);
}

void ts_jout_obj(ts_jout *w, const char *key)
{
    open_container(w, key, true);
}

void ts_jout_arr(ts_jout *w, const char *key)
{
    open_container(w, key, false);
}

void ts_jout_end(ts_jout *w)
{
    if (w->failed)
        return;
    if (w->depth == 0) {
        w->failed = true;
        return;
    }
    int d = --w->depth;
    if (w->in_obj[d]) {
        if (w->count[d])
            putc1(w, '\n');
        tabs(w, d);
        putc1(w, '}');
    } else {
        putc1(w, ']');
    }
}

void ts_jout_str(ts_jout *w, const char *key, const char *v)
{
    if (!member(w, key))
        return;
    if (v)
        put_string(w, v);
    else
        put(w, "null", 4);
}

void ts_jout_num(ts_jout *w, const char *key, double v)
{
    char buf[32];
    int n;

    if (!member(w, key))
        return;
    n = ts_jout_number_text(buf, v);
    put(w, buf, n > 0 ? (size_t)n : 0);
}

void ts_jout_null(ts_jout *w, const char *key)
{
    if (member(w, key))
        put(w, "null", 4);
}

void ts_jout_opt(ts_jout *w, const char *key, bool known, double v)
{
    if (known)
        ts_jout_num(w, key, v);
    else
        ts_jout_null(w, key);
}

void ts_jout_item(ts_jout *w, const char *key, const cJSON *item)
{
    const cJSON *e;

    if (!item) {
        ts_jout_null(w, key);
        return;
    }
    switch (item->type & 0xff) {
    case cJSON_False:
        if (member(w, key))
            put(w, "false", 5);
        break;
    case cJSON_True:
        if (member(w, key))
            put(w, "true", 4);
        break;
    case cJSON_NULL:
        ts_jout_null(w, key);
        break;
    case cJSON_Number:
        ts_jout_num(w, key, item->valuedouble);
        break;
    case cJSON_String:
        ts_jout_str(w, key, item->valuestring ? item->valuestring : "");
        break;
    case cJSON_Raw:
        if (member(w, key) && item->valuestring)
            put(w, item->valuestring, strlen(item->valuestring));
        break;
    case cJSON_Array:
        ts_jout_arr(w, key);
        for (e = item->child; e; e = e->next)
            ts_jout_item(w, NULL, e);
        ts_jout_end(w);
        break;
    case cJSON_Object:
        ts_jout_obj(w, key);
        for (e = item->child; e; e = e->next)
            ts_jout_item(w, e->string ? e->string : "", e);
        ts_jout_end(w);
        break;
    default:
        w->failed = true;
    }
}

void ts_jout_raw(ts_jout *w, const char *s)
{
    if (!w->failed)
        put(w, s, strlen(s));
}

int ts_jout_finish(ts_jout *w)
{
    flush_buf(w);
    return w->failed ? -1 : 0;
}
