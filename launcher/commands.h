/* commands.h: one entry point per sub-command, each in its own file. */
#ifndef TS_COMMANDS_H
#define TS_COMMANDS_H

int cmd_validate(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_remaining(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);

/* Block SIGUSR1/SIGUSR2 (the usual warning signals) for a command a task
 * runs from inside its process group. */
void ts_block_warning_signals(void);

#endif
