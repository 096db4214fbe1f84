/* exec.c: `tasksuite exec`, the entrypoint of every array element.
 *
 *   tasksuite exec --dir SUITEDIR --manifest FILE [--offset K]
 *
 * Not for typing: the batch scripts `submit` writes call it. It finds its
 * task on line K + SLURM_ARRAY_TASK_ID of the manifest (or, in the lazy
 * manifest of a pure matrix, decodes that index into one value per axis
 * and expands only its own task: src/run/manifest.h) and runs one attempt
 * of it (src/run/attempt.h: task directory, environment, events, the
 * early-warning rule, the rank fan-out, the next attempt after a timeout).
 * Exit status: the task's, or 128+N when a signal ended it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attempt.h"
#include "commands.h"
#include "exitcodes.h"
#include "runner.h"

static int parse_args(int argc, char **argv, ts_attempt_args *a)
{
    static const struct option longopts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "manifest", required_argument, NULL, 'm' },
        { "offset", required_argument, NULL, 'o' },
        { "position", required_argument, NULL, 'p' },
        { "attempt", required_argument, NULL, 'a' },
        { "rank", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    memset(a, 0, sizeof *a);
    a->position = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': a->dir = optarg; break;
        case 'm': a->manifest = optarg; break;
        case 'o': a->offset = strtol(optarg, NULL, 10); break;
        case 'p': a->position = strtol(optarg, NULL, 10); break;
        case 'a': a->attempt = (int)strtol(optarg, NULL, 10); break;
        case 'r': a->rank_mode = 1; break;
        default: return -1;
        }
    }
    return (a->dir && a->manifest && optind == argc) ? 0 : -1;
}

int cmd_exec(int argc, char **argv)
{
    ts_attempt_args a;

    /* First thing: a warning that arrives now must be queued, not fatal. */
    ts_runner_block_signals(0);
    time_t started = time(NULL);
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "usage: tasksuite exec --dir SUITEDIR --manifest FILE [--offset K]\n");
        return TS_EXIT_USAGE;
    }
    a.started = started;
    return ts_attempt_run(&a);
}
