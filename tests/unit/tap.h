/* tap.h: a minimal TAP producer for unit tests (automake's tap-driver.sh).
 *
 *   plan(N) or plan_no_plan(); ok(cond, fmt, ...); is_str(a, b, name);
 *   is_int(a, b, name); skip(n, why); diag(fmt, ...); return done_testing();
 *
 * ok(), is_str() and is_int() are macros around tap_*_at(): a failed check
 * says where it stands ("#   at tests/unit/spec.c:123"), as Test::More does.
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

/* The source path from "tests/" on: the same in every build directory. */
static inline const char *tap_where(const char *file)
{
    const char *p = file, *from = file;
    while ((p = strstr(p, "tests/")) != NULL)
        from = p++;
    return from;
}

static inline int tap_ok_at(const char *file, int line, int cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tap_ok_at(const char *file, int line, int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond) {
        tap_failed++;
        diag("  at %s:%d", tap_where(file), line);
    }
    return cond;
}

static inline int tap_is_str_at(const char *file, int line, const char *got, const char *want,
                                const char *name)
{
    int same = (got == NULL && want == NULL)
            || (got && want && strcmp(got, want) == 0);
    tap_ok_at(file, line, same, "%s", name);
    if (!same) {
        diag("     got: %s", got ? got : "(null)");
        diag("expected: %s", want ? want : "(null)");
    }
    return same;
}

static inline int tap_is_int_at(const char *file, int line, long long got, long long want,
                                const char *name)
{
    tap_ok_at(file, line, got == want, "%s", name);
    if (got != want)
        diag("got %lld, expected %lld", got, want);
    return got == want;
}

#define ok(...) tap_ok_at(__FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, name) tap_is_str_at(__FILE__, __LINE__, (got), (want), (name))
#define is_int(got, want, name) tap_is_int_at(__FILE__, __LINE__, (got), (want), (name))

/* n checks that do not apply here (not root, under valgrind, ...). */
static inline void skip(int n, const char *why)
{
    for (int i = 0; i < n; i++)
        printf("ok %d - # SKIP %s\n", ++tap_n, why);
}

static inline int done_testing(void)
{
    if (tap_planned < 0)
        printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
