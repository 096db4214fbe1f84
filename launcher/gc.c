/* gc.c: `tasksuite gc --older-than DURATION [--dry-run]`: remove your
 * suites that finished (complete, cancelled, or open/closed with nothing
 * pending or running) and have not changed for DURATION (written as in a
 * suite file: 90s, 30m, 12h, 7d, 1-12:00:00). Active suites are never
 * touched (no --force here: `rm --force ID` names what it stops). Each
 * removal is `rm`'s (src/suite/remove.h); one line per suite, then a
 * summary.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "exitcodes.h"
#include "grow.h"
#include "journal.h"
#include "remove.h"
#include "report.h"
#include "units.h"

#define USAGE "usage: tasksuite gc --older-than DURATION [--dry-run]"

typedef struct old_suites {
    double before;
    char (*id)[TS_SUITE_ID_LEN + 1];
    size_t n, cap;
} old_suites;

/* Collected first, removed after: no deletion while the list is read. */
static int collect(const ts_suite_info *s, void *arg)
{
    old_suites *o = arg;
    if (s->updated_at > o->before)
        return 0;
    if (ts_grow((void **)&o->id, &o->cap, o->n, sizeof *o->id) < 0)
        return -1;
    memcpy(o->id[o->n++], s->id, sizeof *o->id);
    return 0;
}

int cmd_gc(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "older-than", required_argument, NULL, 'o' },
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ts_remove_opts ro = { 0 };
    const char *older = NULL;
    long secs = -1;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'o')
            older = optarg;
        else if (c == 'n')
            ro.dry_run = true;
        else
            return ts_cli_usage(USAGE, c == 'h');
    }
    if (optind != argc || !older)
        return ts_cli_usage(USAGE, 0);
    if (ts_parse_duration(older, &secs) < 0 || secs < 0)
        return ts_cli_fail("gc", TS_EXIT_USAGE,
                           "--older-than: \"%s\" is not a duration (90s, 30m, 12h, 7d, 1-12:00:00)",
                           older);

    ts_journal *j = NULL;
    ts_err err = { 0 };
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);   /* the journal's times have fractions */
    old_suites old = { .before = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - (double)secs };
    ts_suite_filter f = { .only_owner = true, .owner_uid = getuid() };
    if (ts_journal_open(NULL, &j, &err) < 0
        || ts_journal_suites_foreach(j, &f, collect, &old, &err) < 0) {
        ts_journal_close(j);
        free(old.id);
        return ts_report_fail("gc", &err);
    }
    int rc = TS_EXIT_OK;
    long removed = 0, active = 0;
    for (size_t i = 0; i < old.n; i++) {
        ts_suite_info si = { 0 };
        ts_remove_result r;
        bool busy = false;
        ts_err e = { 0 };
        int got = ts_journal_suite_get(j, old.id[i], &si, &e) < 0
                  || ts_suite_active(j, &si, &busy, &e) < 0 ? -1 : 0;
        ts_suite_info_clear(&si);
        if (got == 0 && busy) {
            active++;
            continue;
        }
        if (got < 0 || ts_suite_remove(j, old.id[i], &ro, &r, &e) < 0) {
            /* an events refresh can show it is still running after all */
            if (got == 0 && r.refused_active) {
                active++;
                continue;
            }
            int code = ts_report_fail("gc", &e);
            if (rc == TS_EXIT_OK)
                rc = code;
            continue;
        }
        ts_cli_removed(old.id[i], &ro, &r);
        removed++;
    }
    printf("gc: %s %ld suite%s unchanged for %s%s", ro.dry_run ? "would remove" : "removed",
           removed, removed == 1 ? "" : "s", older, active ? "" : "\n");
    if (active)
        printf(" (%ld still active, kept)\n", active);
    ts_journal_close(j);
    free(old.id);
    return rc;
}
