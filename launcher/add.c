/* add.c: `tasksuite add ID [--name NAME] [--priority N] [--args k=v ...]`
 *
 * One more task for an existing suite, expanded against the suite's
 * setup/run exactly like an entry of its `tasks:` list (a %(name) without a
 * value is an error, nothing is written). The suite re-opens; the task is
 * submitted at once (or run here for a --local suite).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addtask.h"
#include "commands.h"
#include "exitcodes.h"
#include "report.h"

#define USAGE "usage: tasksuite add ID [--name NAME] [--priority N] [--args k=v ...]"
#define MAX_ARGS 64

int cmd_add(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "name", required_argument, NULL, 'n' },
        { "priority", required_argument, NULL, 'p' },
        { "args", required_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ts_kv kv[MAX_ARGS] = { 0 };
    ts_kvlist args = { .v = kv, .n = 0 };
    const char *name = NULL;
    int priority = 0, c, rc = TS_EXIT_FAIL;
    char *end, added[96], id[TS_SUITE_ID_LEN + 1];
    ts_journal *j = NULL;
    ts_err err = { 0 };
    ts_suite_info si = { 0 };

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *eq;
        switch (c) {
        case 'n':
            name = optarg;
            break;
        case 'p':
            priority = (int)strtol(optarg, &end, 10);
            if (*end)
                return ts_cli_fail("add", TS_EXIT_USAGE, "--priority: \"%s\" is not an integer",
                                   optarg);
            break;
        case 'a':
            eq = strchr(optarg, '=');
            if (!eq || eq == optarg || args.n == MAX_ARGS)
                return ts_cli_fail("add", TS_EXIT_USAGE, "--args: \"%s\" is not NAME=VALUE",
                                   optarg);
            *eq = '\0';
            kv[args.n++] = (ts_kv){ .key = optarg, .value = eq + 1 };
            break;
        default:
            return ts_cli_usage(USAGE, c == 'h');
        }
    }
    if (optind != argc - 1)
        return ts_cli_usage(USAGE, 0);
    long idx;
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0
        || ts_journal_suite_resolve(j, argv[optind], id, &err) < 0
        || ts_journal_suite_get(j, id, &si, &err) < 0
        || ts_suite_add_task(j, &si, name, &args, priority, added, sizeof added, &idx, &err) < 0)
        goto fail;
    printf("suite %s: added task %s (index %ld)\n", id, name ? name : added, idx);
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("add", &err);
out:
    ts_suite_info_clear(&si);
    if (j)
        ts_journal_unlock(j);
    ts_journal_close(j);
    return rc;
}
