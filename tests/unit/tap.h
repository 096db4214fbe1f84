/* tap.h: a minimal TAP producer for unit tests (automake's tap-driver.sh).
 *
 *   plan(N) or plan_no_plan(); ok(cond, fmt, ...); is_str(a, b, name);
 *   is_int(a, b, name); diag(fmt, ...); return done_testing();
 */
#ifndef TS_TAP_H
#define TS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

static inline void plan_no_plan(void) { tap_planned = -1; }

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    va_end(ap);
}

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond)
        tap_failed++;
    return cond;
}

static inline int is_str(const char *got, const char *want, const char *name)
{
    int same = (got == NULL && want == NULL)
            || (got && want && strcmp(got, want) == 0);
    ok(same, "%s", name);
    if (!same) {
        diag("     got: %s", got ? got : "(null)");
        diag("expected: %s", want ? want : "(null)");
    }
    return same;
}

static inline int is_int(long long got, long long want, const char *name)
{
    ok(got == want, "%s", name);
    if (got != want)
        diag("got %lld, expected %lld", got, want);
    return got == want;
}

static inline int done_testing(void)
{
    if (tap_planned < 0)
        printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
