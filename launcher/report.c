/* report.c: `tasksuite report [ID] [-o FILE]`: one self-contained HTML page
 * about a suite (htmlreport.h). Brings the journal up to date first, as
 * status does. The page is written next to its destination and renamed into
 * place, so a failure leaves no half-written file; "-o -" writes to stdout.
 * Default destination: ./report-ID.html.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "exitcodes.h"
#include "htmlreport.h"
#include "journal.h"
#include "report.h"
#include "sync.h"

#define REPORT_USAGE "usage: tasksuite report [ID] [-o FILE|-]"

static int parse(int argc, char **argv, const char **out, int *code)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg) {
                *code = ts_cli_fail("report", TS_EXIT_USAGE, "-o: empty file name (%s)",
                                    REPORT_USAGE);
                return 1;
            }
            *out = optarg;
            break;
        case 'h':
            *code = ts_cli_usage(REPORT_USAGE, 1);
            return 1;
        default:
            *code = ts_report_usage_error("report", c, argv, REPORT_USAGE);
            return 1;
        }
    }
    if (argc - optind > 1) {
        *code = ts_cli_fail("report", TS_EXIT_USAGE, "too many arguments (%s)", REPORT_USAGE);
        return 1;
    }
    return 0;
}

/* Write the page into a temporary file beside path, then rename it. */
static int write_file(const char *path, ts_journal *j, const ts_html_input *in, ts_err *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return ts_errc(err, TS_EXIT_USAGE, "%s: file name too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ts_errc(err, TS_EXIT_FAIL, "cannot create %s: %s", tmp, strerror(errno));
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return ts_errc(err, TS_EXIT_FAIL, "cannot write %s: %s", tmp, strerror(e));
    }
    int rc = ts_html_report_write(f, j, in, err);
    if (fflush(f) == EOF && rc == 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
    if (fclose(f) == EOF && rc == 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
    if (rc == 0 && rename(tmp, path) < 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    char id[TS_SUITE_ID_LEN + 1], dir[4096], defpath[64];
    ts_journal *j = NULL;
    ts_err err = { .code = 0 }, se = { .code = 0 }, de = { .code = 0 };
    ts_suite_info s = { 0 };
    ts_counts c;
    int rc;

    if (parse(argc, argv, &out, &rc))
        return rc;
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("report", &err);
    if (optind < argc)
        rc = ts_journal_suite_resolve(j, argv[optind], id, &err);
    else
        rc = ts_report_latest_suite(j, getuid(), id, &err);
    if (rc < 0)
        goto fail;
    ts_sync_opts so = { .quiet = true };
    bool synced = ts_sync(j, id, &so, NULL, &se) == 0;
    if (!synced)
        ts_cli_say("report", "warning: suite %s not refreshed, reporting the journal as it "
                   "is: %s", id, se.msg[0] ? se.msg : "failed");
    if (ts_journal_suite_get(j, id, &s, &err) < 0 || ts_journal_counts(j, id, &c, &err) < 0)
        goto fail;
    bool have_dir = ts_sync_suite_dir(j, &s, dir, sizeof dir, &de) == 0;
    ts_html_input in = {
        .suite = &s, .counts = &c, .dir = have_dir ? dir : NULL,
        .walltime_s = ts_html_walltime(s.submit_record), .generated_at = (double)time(NULL),
        .sync_error = synced ? NULL : (se.msg[0] ? se.msg : "failed"),
    };
    if (!out) {
        snprintf(defpath, sizeof defpath, "report-%s.html", id);
        out = defpath;
    }
    if (strcmp(out, "-") == 0) {
        rc = ts_html_report_write(stdout, j, &in, &err);
        if (rc == 0 && fflush(stdout) == EOF)
            rc = ts_errc(&err, TS_EXIT_FAIL, "write error: %s", strerror(errno));
    } else {
        rc = write_file(out, j, &in, &err);
        if (rc == 0)
            printf("%s\n", out);
    }
    if (rc < 0)
        goto fail;
    ts_suite_info_clear(&s);
    ts_journal_close(j);
    return synced ? TS_EXIT_OK : (se.code ? se.code : TS_EXIT_FAIL);
fail:
    rc = ts_report_fail("report", &err);
    ts_suite_info_clear(&s);
    ts_journal_close(j);
    return rc;
}
