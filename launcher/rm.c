/* rm.c: `tasksuite rm ID... [--force] [--dry-run]`: forget finished suites,
 * their journal rows and the files tasksuite wrote for them (see
 * src/suite/remove.h for exactly what goes and what stays). An active suite
 * is refused unless --force, which cancels it first. Each ID is tried even
 * when an earlier one failed; the exit code is the first failure's.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "remove.h"
#include "report.h"

#define USAGE "usage: tasksuite rm ID... [--force] [--dry-run]"

/* One line per suite, shared with gc. */
void ts_cli_removed(const char *id, const ts_remove_opts *o, const ts_remove_result *r)
{
    printf("%s suite %s (%s, %s%s): %s%s\n", o->dry_run ? "would remove" : "removed", id,
           r->name, ts_suite_state_name(r->state),
           r->cancelled ? ", cancelled first" : o->dry_run && o->force ? ", would cancel first" : "",
           r->dir,
           r->user_dir && r->dir_kept ? " (your output_dir: only tasksuite's records, tasks/ stays)" : "");
}

int cmd_rm(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "force", no_argument, NULL, 'f' },
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ts_remove_opts o = { 0 };
    ts_journal *j = NULL;
    ts_err err = { 0 };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'f')
            o.force = true;
        else if (c == 'n')
            o.dry_run = true;
        else
            return ts_cli_usage(USAGE, c == 'h');
    }
    if (optind >= argc)
        return ts_cli_usage(USAGE, 0);
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("rm", &err);
    int rc = TS_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        ts_remove_result r;
        char id[TS_SUITE_ID_LEN + 1];
        ts_err e = { 0 };
        if (ts_journal_suite_resolve(j, argv[i], id, &e) < 0
            || ts_suite_remove(j, id, &o, &r, &e) < 0) {
            int code = ts_report_fail("rm", &e);
            if (rc == TS_EXIT_OK)
                rc = code;
            continue;
        }
        ts_cli_removed(id, &o, &r);
    }
    ts_journal_close(j);
    return rc;
}
