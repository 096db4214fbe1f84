/* main.c: `tasksuite COMMAND ...` dispatch. Each command is its own file. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"
#include "slurm.h"

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "validate", cmd_validate, "FILE [--json]   parse, check, print the expanded tasks" },
    { "submit", cmd_submit, "FILE [--detach] [--local] [--dry-run]   run a suite" },
    { "remaining", cmd_remaining, "[--format s|hms]   walltime left in this job" },
    { "checkpoint", cmd_checkpoint, "PATH [--step N]   record a checkpoint (inside a task)" },
    { "add", cmd_add, "ID [--name N] [--priority P] [--args k=v ...]   one more task" },
    { "retry", cmd_retry, "ID [--failed | --task NAME ...]   give tasks another attempt" },
    { "sync", cmd_sync, "[ID]   ingest events, classify from Slurm, resubmit retries" },
    { "reconcile", cmd_reconcile, "(internal) ID   what the safety-net job runs" },
    { "exec", cmd_exec, "(internal) run one array element's task" },
    { "local-runner", cmd_local_runner, "(internal) ID   run a --local suite's tasks here" },
    { "status", cmd_status, "[ID] [--json] [--watch] [--all]   state, counters, tasks" },
    { "list", cmd_list, "[--label L] [--state S] [--all-users] [--json]   your suites" },
    { "logs", cmd_logs, "ID [TASK] [--attempt N] [--follow] [--stderr]   a task's output" },
    { "cancel", cmd_cancel, "ID [--task NAME] [--keep-running]   stop a suite or a task" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tasksuite COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nSee tasksuite(1).\n");
}

void ts_block_warning_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

/* As early as a process can: the warning reaches the task's process group
 * while `checkpoint` or `remaining` may still be starting (glibc passes
 * argc/argv to constructors). cmd_* block it again, harmlessly. */
__attribute__((constructor)) static void block_early(int argc, char **argv)
{
    if (argc > 1 && argv && argv[1]
        && (!strcmp(argv[1], "checkpoint") || !strcmp(argv[1], "remaining")))
        ts_block_warning_signals();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return TS_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        ts_err err = { 0 };
        printf("tasksuite %s, built for %s\n", PACKAGE_VERSION, ts_slurm_built_for());
        if (ts_slurm_check_library(&err) < 0) {
            fflush(stdout);
            fprintf(stderr, "tasksuite: %s\n", err.msg);
            return err.code;
        }
        return TS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tasksuite: unknown command \"%s\" (try tasksuite --help)\n", argv[1]);
    return TS_EXIT_USAGE;
}
