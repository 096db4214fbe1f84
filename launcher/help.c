/* help.c: the option lines `tasksuite CMD --help` prints under its usage
 * line, one per option with a short description.
 *
 * Separate from the commands so every help text sits in one table that is
 * easy to keep in step with tasksuite(1) (tests/cli/t0400-help-vs-man.t
 * checks that every option the man page names appears in --help), and so a
 * command's file only keeps its one-line usage (error messages quote it).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct help {
    const char *cmd;
    const char *lines;
} helps[] = {
    { "validate",
      "  FILE                 the suite file (options may come before or after it)\n"
      "  --json               one JSON document instead of the text listing\n"
      "  --all                list every task (default: the first ones when more than 50)\n"
      "  --local              also refuse what submit --local cannot run (num_nodes > 1)\n" },
    { "submit",
      "  FILE                 the suite file (options may come before or after it)\n"
      "  --detach             print the suite ID and return once queued\n"
      "  --local              run the tasks on this machine, not through Slurm\n"
      "  --dry-run            validate and print the sbatch arrays; submit nothing\n"
      "  --throttle N         at most N elements of each array run at once\n"
      "  --new                a new suite even when this file is already one\n"
      "  --env K[=V]          give envs:/secrets: K this value (K alone: from the environment)\n"
      "  --env-file F         KEY=VALUE lines, as many --env (later options win)\n" },
    { "status",
      "  ID                   suite ID, unique ID prefix or suite name (default: your latest)\n"
      "  --json               one JSON document, every task and attempt\n"
      "  --watch [SECONDS]    redraw in place every SECONDS (default 2) until the suite\n"
      "                       ends (a line per change when not a terminal)\n"
      "  --all                every task, completed ones included\n"
      "  --color=WHEN         colour task states: auto (on a terminal, unless NO_COLOR),\n"
      "                       always or never\n" },
    { "report",
      "  ID                   suite ID, unique ID prefix or suite name (default: your latest)\n"
      "  -o, --output FILE    where to write the page (default: report-ID.html; - for stdout)\n" },
    { "rm",
      "  ID...                suite IDs, unique prefixes or names\n"
      "  --force              cancel an active suite first, then remove it\n"
      "  --dry-run            say what would be removed; remove nothing\n" },
    { "gc",
      "  --older-than DURATION  finished suites unchanged this long (90s, 5m, 2h, 7-00:00:00)\n"
      "  --dry-run            say what would be removed; remove nothing\n" },
    { "list",
      "  --label L            only suites carrying label L (repeatable: all of them)\n"
      "  --state S[,S...]     only suites in these states (open, closed, complete, cancelled)\n"
      "  --all-users          every user's suites in this journal, with an OWNER column\n"
      "  --json               one JSON array of suite summaries\n" },
    { "logs",
      "  ID                   suite ID, prefix or name (default: your latest suite)\n"
      "  TASK                 task name (default: the suite's only task)\n"
      "  --attempt N          attempt N (1, 2, ...) instead of the latest\n"
      "  --follow             keep printing as the output grows, until the attempt ends\n"
      "  --stderr             the attempt's standard error instead of its output\n" },
    { "cancel",
      "  ID                   suite ID, unique ID prefix or suite name\n"
      "  --task NAME          cancel only this task\n"
      "  --keep-running       cancel pending elements only; running ones finish\n"
      "  --grace DURATION     send running tasks the warning signal, wait up to DURATION\n"
      "                       for them to checkpoint and exit, then kill (default: the\n"
      "                       suite's resume.cancel_grace, else 0)\n" },
    { "add",
      "  ID                   suite ID, unique ID prefix or suite name\n"
      "  --name NAME          the task's name (default: K=V,K=V)\n"
      "  --priority N         the task's priority\n"
      "  --args K=V ...       the task's arguments (%(K) in setup and run)\n" },
    { "retry",
      "  ID                   suite ID, unique ID prefix or suite name\n"
      "  --failed             every task that did not complete (the default)\n"
      "  --task NAME          this task (repeatable); refused while it is pending\n"
      "                       or running (cancel it first)\n" },
    { "sync",
      "  ID                   suite ID, prefix or name (default: every open suite)\n"
      "  --quiet              print nothing unless something fails\n" },
    { "reconcile",
      "  ID                   the suite to refresh (what its reconcile job runs)\n"
      "  --quiet              print nothing unless something fails\n"
      "  --watch SECONDS      queue the next watchdog job this far ahead\n" },
    { "remaining",
      "  --format s|hms       seconds (default) or HH:MM:SS\n" },
    { "checkpoint",
      "  PATH                 the checkpoint file or directory just written\n"
      "  --step N             the training step (or any counter) it holds\n" },
    { "pool-plan",
      "  FILE                 a suite with worker_schedule (default: one Exclusive\n"
      "                       worker per core)\n" },
    { "pool-agent",
      "  RUNDIR               the suite's run directory (its pool/ is the queue)\n" },
    { "exec",
      "  --dir SUITEDIR       the suite's run directory\n"
      "  --manifest FILE      the manifest of this submission\n"
      "  --offset K           the array's first task position\n"
      "  --position P         run the task at this position\n"
      "  --attempt N          as attempt N\n"
      "  --rank               one rank of a multi-node attempt\n" },
};

const char *ts_cli_help_lines(const char *cmd)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (!strcmp(helps[i].cmd, cmd))
            return helps[i].lines;
    return NULL;
}

void ts_cli_help(FILE *f, const char *usage)
{
    const char *p = usage, *lines;
    char cmd[32];
    size_t n;

    fprintf(f, "%s\n", usage);
    /* "usage: tasksuite CMD ...": the command is the third word */
    if (strncmp(p, "usage: tasksuite ", 17) != 0)
        return;
    p += 17;
    n = strcspn(p, " \n");
    if (n == 0 || n >= sizeof cmd)
        return;
    memcpy(cmd, p, n);
    cmd[n] = '\0';
    if ((lines = ts_cli_help_lines(cmd)) != NULL)
        fprintf(f, "\n%s", lines);
    fprintf(f, "  -h, --help           this text\n\nSee tasksuite(1).\n");
}
