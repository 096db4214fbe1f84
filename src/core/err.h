/* err.h: the error idiom used across libtasksuite.
 *
 * Functions that can fail take a `ts_err *` and return -1 after filling it,
 * so a failure is one line: `return ts_errf(err, "%s: ...", path);`.
 * The message is a single line meant for the user, without a trailing newline.
 */
#ifndef TS_ERR_H
#define TS_ERR_H

#include <stddef.h>

typedef struct ts_err {
    char msg[1024];
    int code;           /* a TS_EXIT_* value, 0 = unset (callers pick) */
} ts_err;

/* Fill err (may be NULL) and return -1. */
int ts_errf(ts_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, also recording an exit code class for the CLI. */
int ts_errc(ts_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void ts_err_clear(ts_err *err);

/* User text fit for a one-line message: control characters as '?', cut
 * with "..." to fit len (>= 4). Returns buf. */
const char *ts_err_shown(const char *text, char *buf, size_t len);

#endif
