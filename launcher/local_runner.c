/* local_runner.c: `tasksuite local-runner ID` (internal): the process that
 * runs a --local suite's tasks on this machine (src/suite/localrun.h).
 * submit, retry and add start it detached; nobody types it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "localrun.h"
#include "report.h"

#define USAGE "usage: tasksuite local-runner ID"

int cmd_local_runner(int argc, char **argv)
{
    ts_journal *j = NULL;
    ts_err err = { 0 };

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return ts_cli_usage(USAGE, 1);
    if (argc != 2 || argv[1][0] == '-')
        return ts_cli_usage(USAGE, 0);
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("local-runner", &err);
    int rc = ts_localrun_serve(j, argv[1], &err) < 0 ? ts_report_fail("local-runner", &err)
                                                      : TS_EXIT_OK;
    ts_journal_close(j);
    return rc;
}
