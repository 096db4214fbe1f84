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

/* One NAME=VALUE of --args into kv; a usage message when it is not one. */
static int take_arg(ts_kv *kv, size_t *n, char *word)
{
    char *eq = strchr(word, '=');
    if (!eq || eq == word)
        return ts_cli_fail("add", TS_EXIT_USAGE, "--args: \"%s\" is not NAME=VALUE",
                           word), -1;
    if (*n == MAX_ARGS)
        return ts_cli_fail("add", TS_EXIT_USAGE, "--args: more than %d arguments",
                           MAX_ARGS), -1;
    *eq = '\0';
    kv[(*n)++] = (ts_kv){ .key = word, .value = eq + 1 };
    return 0;
}

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
    int priority = 0, c, rc = TS_EXIT_FAIL, saw_args = 0;
    char *end, added[96], id[TS_SUITE_ID_LEN + 1];
    ts_journal *j = NULL;
    ts_err err = { 0 };
    ts_suite_info si = { 0 };

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
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
            if (take_arg(kv, &args.n, optarg) < 0)
                return TS_EXIT_USAGE;
            saw_args = 1;
            break;
        default:
            return ts_cli_usage(USAGE, c == 'h');
        }
    }
    /* "--args lr=0.5 bs=16", as the usage reads: the words after the first
     * are operands to getopt (which moves them after the options); an ID
     * never holds "=", so each NAME=VALUE operand is one more argument. */
    const char *suite = NULL;
    for (int i = optind; i < argc; i++) {
        if (saw_args && strchr(argv[i], '=')) {
            if (take_arg(kv, &args.n, argv[i]) < 0)
                return TS_EXIT_USAGE;
        } else if (suite) {
            return ts_cli_usage(USAGE, 0);
        } else {
            suite = argv[i];
        }
    }
    if (!suite)
        return ts_cli_usage(USAGE, 0);
    long idx;
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0
        || ts_journal_suite_resolve(j, suite, id, &err) < 0
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
