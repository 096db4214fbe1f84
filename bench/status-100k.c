/* status-100k.c: what `tasksuite status` costs on a suite of N tasks.
 *
 * Builds HOME/journal.db with one suite of N tasks through the journal API
 * (one transaction, as `submit` does), then times: opening the journal
 * (quick_check included), the per-state counters, a walk over every task,
 * ingesting a started + exited record per task from N event files, and
 * second ingests that find nothing new (live-task scan, full scan).
 * Usage: status-100k HOME [N [PENDING [RUNNING]]]: the last PENDING tasks
 * get no event file (not started), the RUNNING before them only a started
 * record (a suite still running).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "journal.h"

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3
         + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void die(const char *what, const ts_err *err)
{
    fprintf(stderr, "status-100k: %s: %s\n", what, err->msg);
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct walk { long rows; size_t bytes; };

static int walk_cb(const ts_task_info *t, void *arg)
{
    struct walk *w = arg;
    w->rows++;
    w->bytes += strlen(t->name) + strlen(t->args_json);
    return 0;
}

/* Event files as exec would leave them (without its fsyncs: not timed):
 * started + exited for tasks below `ended`, started only up to n. */
static void write_events(const char *sdir, const char *id, long n, long ended)
{
    char path[2 * PATH_MAX], line[TS_EVENT_MAX + 1];
    ts_err err = { .msg = "" };

    snprintf(path, sizeof path, "%s/events", sdir);
    mkdir(sdir, 0755);
    mkdir(path, 0755);
    for (long i = 0; i < n; i++) {
        ts_event ev;
        int fd, len;

        snprintf(path, sizeof path, "%s/events/%ld", sdir, i);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/events/%ld/1-%ld-node%03ld.ev", sdir, i,
                 1000 + i, i % 500);
        if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0) {
            perror(path);
            exit(1);
        }
        for (int k = 0; k < (i < ended ? 2 : 1); k++) {
            memset(&ev, 0, sizeof ev);
            ev.type = k == 0 ? TS_EV_STARTED : TS_EV_EXITED;
            ts_event_key_new(ev.key, &err);
            /* microseconds, as exec records them */
            ev.time = 1700000000.0 + (double)i + k * 60.0
                      + (double)((i * 7919 + k * 104729) % 1000000) / 1e6;
            snprintf(ev.suite_id, sizeof ev.suite_id, "%s", id);
            ev.task_idx = i;
            ev.attempt = 1;
            snprintf(ev.jobid, sizeof ev.jobid, "%ld", 1000 + i);
            snprintf(ev.node, sizeof ev.node, "node%03ld", i % 500);
            ev.num_nodes = 1;
            ev.exit_code = i % 10 == 9 ? 1 : 0;
            if ((len = ts_event_format(&ev, line, sizeof line, &err)) < 0)
                die("format", &err);
            if (write(fd, line, (size_t)len) != len) {
                perror(path);
                exit(1);
            }
        }
        close(fd);
    }
}

int main(int argc, char **argv)
{
    const char *home = argc > 1 ? argv[1] : NULL;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    long pending = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    long running = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
    ts_err err = { .msg = "" };
    ts_journal *j;
    ts_task_new *tasks;
    char (*names)[32], (*args)[64], id[9], sdir[PATH_MAX + 32];
    struct timespec t0;
    double t[20];
    ts_counts c;
    struct stat sb;

    if (!home || n <= 0 || pending < 0 || running < 0 || pending + running > n) {
        fprintf(stderr, "usage: status-100k HOME [N [PENDING [RUNNING]]]\n");
        return 2;
    }
    tasks = calloc((size_t)n, sizeof *tasks);
    names = calloc((size_t)n, sizeof *names);
    args = calloc((size_t)n, sizeof *args);
    if (!tasks || !names || !args)
        return 1;
    for (long i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "lr=0.%ld,depth=%ld", i / 100, i % 100);
        snprintf(args[i], sizeof args[i], "{\"lr\":\"0.%ld\",\"depth\":\"%ld\"}",
                 i / 100, i % 100);
        tasks[i].name = names[i];
        tasks[i].args_json = args[i];
        tasks[i].priority = (int)(i % 3);
    }

    if (ts_journal_open(home, &j, &err) < 0)
        die("open", &err);
    ts_suite_new sn = { .name = "bench", .owner_uid = getuid(),
                        .spec_path = "/bench/sweep.yaml", .close_after_s = -1,
                        .max_retries = 3, .retry_on = 1, .num_nodes = 1 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_suite_create(j, &sn, tasks, (size_t)n, id, NULL, &err) < 0)
        die("create", &err);
    double create_ms = ms_since(&t0);
    ts_journal_close(j);

    snprintf(sdir, sizeof sdir, "%s/journal.db", home);
    stat(sdir, &sb);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_open(home, &j, &err) < 0)
        die("open", &err);
    double open_ms = ms_since(&t0);

    printf("tasksuite bench: one suite (%s) of %ld tasks, journal %s (%s, %.1f MB)\n",
           id, n, home, ts_journal_is_wal(j) ? "WAL" : "rollback journal",
           (double)sb.st_size / 1e6);
    printf("  create suite + tasks + intent (1 transaction) %9.1f ms\n", create_ms);
    printf("  open journal (incl. quick_check)              %9.1f ms\n", open_ms);

    for (int k = 0; k < 20; k++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (ts_journal_counts(j, id, &c, &err) < 0)
            die("counts", &err);
        t[k] = ms_since(&t0);
    }
    double first = t[0];
    qsort(t, 20, sizeof t[0], cmp_double);
    printf("  counters (GROUP BY state)  first / median/20  %9.2f / %.2f ms"
           "  (total %ld, pending %ld)\n", first, t[10], c.total,
           c.n[TS_TASK_PENDING]);

    struct walk w = { 0, 0 };
    for (int k = 0; k < 5; k++) {
        w.rows = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (ts_journal_tasks_foreach(j, id, 0, walk_cb, &w, &err) < 0)
            die("walk", &err);
        t[k] = ms_since(&t0);
    }
    first = t[0];
    qsort(t, 5, sizeof t[0], cmp_double);
    printf("  per-task walk (%ld rows)   first / median/5   %9.2f / %.2f ms\n",
           w.rows, first, t[2]);

    /* Ingestion: what reconcile / status pay after the array has run. */
    snprintf(sdir, sizeof sdir, "%s/suites/%s", home, id);
    {
        char parent[PATH_MAX + 32];
        snprintf(parent, sizeof parent, "%s/suites", home);
        mkdir(parent, 0755);
    }
    write_events(sdir, id, n - pending, n - pending - running);
    ts_ingest_stats st;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_ingest(j, id, sdir, &st, &err) < 0)
        die("ingest", &err);
    double ingest_ms = ms_since(&t0);
    printf("  ingest %ld records from %ld files (1 transaction) %9.1f ms\n",
           st.records, st.files, ingest_ms);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_ingest(j, id, sdir, &st, &err) < 0)
        die("ingest", &err);
    printf("  re-ingest, all finished (live-task scan)      %9.1f ms  (%ld files read)\n",
           ms_since(&t0), st.files);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_ingest_all(j, id, sdir, &st, &err) < 0)
        die("ingest", &err);
    printf("  re-ingest all, nothing new (readdir + stat)   %9.1f ms  (%ld files read)\n",
           ms_since(&t0), st.files);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts_journal_counts(j, id, &c, &err);
    printf("  counters after ingest                         %9.2f ms"
           "  (completed %ld, failed %ld)\n", ms_since(&t0),
           c.n[TS_TASK_COMPLETED], c.n[TS_TASK_FAILED]);
    ts_journal_close(j);

    snprintf(sdir, sizeof sdir, "%s/journal.db", home);
    stat(sdir, &sb);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ts_journal_open(home, &j, &err) < 0)
        die("open", &err);
    printf("  open journal after ingest (%.1f MB)           %9.1f ms\n",
           (double)sb.st_size / 1e6, ms_since(&t0));
    ts_journal_close(j);
    free(tasks);
    free(names);
    free(args);
    return 0;
}
