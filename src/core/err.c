#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static void vfill(ts_err *err, const char *fmt, va_list ap)
{
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    /* A truncated message still starts with what and where; mark the cut. */
    if (n >= (int)sizeof err->msg)
        memcpy(err->msg + sizeof err->msg - 4, "...", 4);
}

int ts_errf(ts_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfill(err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int ts_errc(ts_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfill(err, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return -1;
}

void ts_err_clear(ts_err *err)
{
    if (err) {
        err->msg[0] = '\0';
        err->code = 0;
    }
}

const char *ts_err_shown(const char *text, char *buf, size_t len)
{
    size_t o = 0;
    for (; *text; text++) {
        if (o + 4 >= len) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)*text;
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[o] = '\0';
    return buf;
}
