/* remaining.c: `tasksuite remaining [--format s|hms]`
 *
 * Seconds of walltime left for the job this runs in, or "unlimited". Meant
 * for task scripts: `[ "$(tasksuite remaining)" -lt 600 ] && save_and_exit`.
 * Sees `scontrol update TimeLimit=` at once (one RPC per call).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"
#include "slurm.h"
#include "units.h"
#include "walltime.h"

/* Does the environment hold a copy of the end time (walltime.h)? */
static int has_copy(void)
{
    const char *a = getenv("SLURM_JOB_END_TIME"), *b = getenv("TASK_SUITE_END_TIME");
    return (a && *a) || (b && *b);
}

int cmd_remaining(int argc, char **argv)
{
    /* Called from a task's process group, which gets the warning signal
     * exec forwards: finish (a checkpoint half-registered is worse than a
     * late one) instead of dying of it with 128+N. */
    ts_block_warning_signals();
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = "s";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            return ts_cli_usage("usage: tasksuite remaining [--format s|hms]", 1);
        default:
            return ts_cli_usage("usage: tasksuite remaining [--format s|hms]", 0);
        }
    }
    if (optind != argc || (strcmp(format, "s") != 0 && strcmp(format, "hms") != 0)) {
        fprintf(stderr, "tasksuite remaining: --format must be s or hms\n");
        return TS_EXIT_USAGE;
    }
    /* A new process per call: the environment's end time is a copy from
     * when the task or step started, so ask Slurm (one RPC) and fall back
     * on the copy only when it cannot answer (src/run/walltime.h). A libslurm
     * of another release cannot be asked: say so, and use the copy. */
    ts_err err = { 0 };
    if (getenv("SLURM_JOB_ID")
        && (ts_slurm_check_library(&err) < 0 || ts_slurm_have_config(&err) < 0))
        fprintf(stderr, "tasksuite remaining: %s; %s\n", err.msg,
                has_copy() ? "answering from the environment's end time"
                           : "the walltime left is unknown (answering "
                             "\"unlimited\")");
    long left = ts_walltime_left(ts_walltime_end_time_fresh());
    if (left < 0) {
        printf("unlimited\n");
    } else if (strcmp(format, "hms") == 0) {
        char buf[32];
        ts_format_duration(left, buf, sizeof buf);
        printf("%s\n", buf);
    } else {
        printf("%ld\n", left);
    }
    return TS_EXIT_OK;
}
