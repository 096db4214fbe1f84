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
    { "validate", cmd_validate, "FILE [--json] [--all] [--local]\n"
      "parse, check, print the expanded tasks" },
    { "submit", cmd_submit, "FILE [--detach] [--local] [--dry-run] [--throttle N] [--new] "
      "[--env K[=V]]... [--env-file F]...\n"
      "run a suite (through Slurm, or here with --local)" },
    { "status", cmd_status, "[ID] [--json] [--watch [SECONDS]] [--all] [--color=WHEN]\n"
      "state, counters, tasks (default: your latest suite)" },
    { "report", cmd_report, "[ID] [-o FILE|-]\n"
      "one self-contained HTML page: timeline, retries, walltime, hooks" },
    { "list", cmd_list, "[--label L]... [--state S[,S...]] [--all-users] [--json]\n"
      "your suites" },
    { "logs", cmd_logs, "[ID] [TASK] [--attempt N] [--follow] [--stderr]\n"
      "a task's output (default: your latest suite)" },
    { "cancel", cmd_cancel, "ID [--task NAME] [--keep-running] [--grace DURATION]\n"
      "stop a suite or a task" },
    { "add", cmd_add, "ID [--name NAME] [--priority N] [--args K=V]...\n"
      "one more task" },
    { "retry", cmd_retry, "ID [--failed | --task NAME]...\n"
      "give tasks another attempt" },
    { "sync", cmd_sync, "[ID] [--quiet]\n"
      "ingest events, classify from Slurm, resubmit retries" },
    { "remaining", cmd_remaining, "[--format s|hms]\n"
      "walltime left in this job (inside a task)" },
    { "checkpoint", cmd_checkpoint, "PATH [--step N]\n"
      "record a checkpoint (inside a task)" },
    { "rm", cmd_rm, "ID... [--force] [--dry-run]\n"
      "remove finished suites: journal rows and run directories" },
    { "gc", cmd_gc, "--older-than DURATION [--dry-run]\n"
      "remove suites finished (unchanged) longer ago than DURATION" },
    { "reconcile", cmd_reconcile, "ID [--quiet] [--watch SECONDS]\n"
      "(internal) what the safety-net job runs" },
    { "exec", cmd_exec, "--dir SUITEDIR --manifest FILE [--offset K]\n"
      "(internal) run one array element's task" },
    { "local-runner", cmd_local_runner, "ID\n"
      "(internal) run a --local suite's tasks here" },
    { "pool-plan", cmd_pool_plan, "[FILE]\n"
      "(internal) where FILE's pool workers would run here (cpus, GPUs)" },
    { "pool-agent", cmd_pool_agent, "RUNDIR\n"
      "(internal) run a pool suite's tasks on this node (one per node of an allocation)" },
};

/* Edit distance (swapping two neighbours counts once: "stauts"), for
 * "did you mean" on a mistyped command; names are short. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[17][17];
    if (la > 16 || lb > 16)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        for (size_t k = 0; k <= lb; k++) {
            if (i == 0 || k == 0) {
                d[i][k] = i + k;
                continue;
            }
            size_t best = d[i - 1][k - 1] + (a[i - 1] != b[k - 1]);
            if (d[i - 1][k] + 1 < best)
                best = d[i - 1][k] + 1;
            if (d[i][k - 1] + 1 < best)
                best = d[i][k - 1] + 1;
            if (i > 1 && k > 1 && a[i - 1] == b[k - 2] && a[i - 2] == b[k - 1]
                && d[i - 2][k - 2] + 1 < best)
                best = d[i - 2][k - 2] + 1;
            d[i][k] = best;
        }
    return d[la][lb];
}

static const char *nearest_command(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;          /* only close slips */
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        size_t d = distance(name, commands[i].name);
        if (d < best_d && d < strlen(commands[i].name) / 2 + 1) {
            best_d = d;
            best = commands[i].name;
        }
    }
    return best;
}

/* Each summary is "ARGS\ndescription": the synopsis on the command's line,
 * the description indented below it (both fit 80 columns). */
static void usage(FILE *f)
{
    fprintf(f, "usage: tasksuite COMMAND [ARGS]\n"
               "       tasksuite --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const char *nl = strchr(commands[i].summary, '\n');
        fprintf(f, "  %s %.*s\n      %s\n", commands[i].name,
                (int)(nl - commands[i].summary), commands[i].summary, nl + 1);
    }
    fprintf(f, "\nID is a suite ID, a unique prefix of one, or a suite name (its latest suite).\n"
               "tasksuite COMMAND --help lists a command's options; see tasksuite(1).\n");
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
    const char *near = nearest_command(argv[1]);
    if (near)
        fprintf(stderr, "tasksuite: unknown command \"%s\" (did you mean \"%s\"? "
                "see tasksuite --help)\n", argv[1], near);
    else
        fprintf(stderr, "tasksuite: unknown command \"%s\" (try tasksuite --help)\n",
                argv[1]);
    return TS_EXIT_USAGE;
}
