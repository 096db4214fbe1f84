/* checkpoint.c: `tasksuite checkpoint PATH [--step N]`, inside a task.
 *
 * Appends a checkpoint record to the task's own event file (no SQLite on
 * the compute node); the next attempt starts with TASK_SUITE_CHECKPOINT=PATH
 * and the journal shows it in `status`. Register a checkpoint only after it
 * is completely written (write to a temporary name, then rename).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "exitcodes.h"
#include "taskctx.h"

int cmd_checkpoint(int argc, char **argv)
{
    /* Called from a task's process group, which gets the warning signal
     * exec forwards: finish (a checkpoint half-registered is worse than a
     * late one) instead of dying of it with 128+N. */
    ts_block_warning_signals();
    static const struct option longopts[] = {
        { "step", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long step = -1;
    char *end;
    int c;
    ts_err err = { 0 };

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            step = strtol(optarg, &end, 10);
            if (*end || step < 0) {
                fprintf(stderr, "tasksuite checkpoint: --step: \"%s\" is not a non-negative integer\n", optarg);
                return TS_EXIT_USAGE;
            }
            break;
        case 'h':
            return ts_cli_usage("usage: tasksuite checkpoint PATH [--step N]", 1);
        default:
            fprintf(stderr, "usage: tasksuite checkpoint PATH [--step N]\n");
            return TS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: tasksuite checkpoint PATH [--step N]\n");
        return TS_EXIT_USAGE;
    }
    if (ts_taskctx_checkpoint(argv[optind], step, &err) < 0) {
        fprintf(stderr, "tasksuite checkpoint: %s\n", err.msg);
        return TS_EXIT_FAIL;
    }
    return TS_EXIT_OK;
}
