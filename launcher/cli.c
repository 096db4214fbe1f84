/* cli.c: how every command prints a message or its usage (commands.h).
 * Separate so the format ("tasksuite CMD: message", one line) is written
 * once; ts_report_fail (report.h) prints a ts_err in the same format. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "commands.h"
#include "exitcodes.h"

static void vsay(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "tasksuite %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void ts_cli_say(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, fmt, ap);
    va_end(ap);
}

int ts_cli_fail(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, fmt, ap);
    va_end(ap);
    return code;
}

int ts_cli_usage(const char *usage, int help)
{
    if (help)
        ts_cli_help(stdout, usage);
    else
        fprintf(stderr, "%s\n", usage);
    return help ? TS_EXIT_OK : TS_EXIT_USAGE;
}
