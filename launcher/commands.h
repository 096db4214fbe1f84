/* commands.h: one entry point per sub-command, each in its own file. */
#ifndef TS_COMMANDS_H
#define TS_COMMANDS_H

#include <stdio.h>

int cmd_validate(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_remaining(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_local_runner(int argc, char **argv);
int cmd_pool_plan(int argc, char **argv);
int cmd_pool_agent(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* rm.c: the one line per suite removed (or that would be), for rm and gc. */
struct ts_remove_opts;
struct ts_remove_result;
void ts_cli_removed(const char *id, const struct ts_remove_opts *o,
                    const struct ts_remove_result *r);

/* The CLI's one way to speak. Every message is one line on stderr,
 * "tasksuite CMD: message" (ts_report_fail prints a ts_err the same way);
 * a usage line goes to stdout for --help, to stderr otherwise. */
void ts_cli_say(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ts_cli_say, then return code (a TS_EXIT_* value). */
int ts_cli_fail(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* usage: "usage: tasksuite CMD ..." without newline. Returns TS_EXIT_OK for
 * --help, TS_EXIT_USAGE otherwise. */
int ts_cli_usage(const char *usage, int help);
/* --help: the usage line, then the command's options one per line with a
 * short description (help.c). */
void ts_cli_help(FILE *f, const char *usage);
/* The option lines of command cmd, NULL for none (help.c). */
const char *ts_cli_help_lines(const char *cmd);

/* Block SIGUSR1/SIGUSR2 (the usual warning signals) for a command a task
 * runs from inside its process group. */
void ts_block_warning_signals(void);

#endif
