/* pool-fixture: builds a pool-mode run directory by hand, the way the
 * login side lays it out (doc/pool.md, "Agents"), for tests of
 * `tasksuite pool-agent` without Slurm and without the journal:
 *
 *   pool-fixture make SUITE.yaml RUNDIR WORKDIR
 *       RUNDIR/suite.json (the runspec, suite id "pooltest"),
 *       RUNDIR/pool/manifest.jsonl (position == task index, attempt 1),
 *       one queue epoch of every task (attempt 1, generation 0, its priority)
 *   pool-fixture cancel RUNDIR TASK
 *       sets the task's cancel mark (what `tasksuite cancel --task` sets)
 *   pool-fixture scan RUNDIR
 *       every claim, one line: TASK ATTEMPT GEN started|unstarted|returned
 *
 * Not installed: built by `make check`, used by tests/cli/t0490-pool-agent.t.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "events.h"
#include "expand.h"
#include "layout.h"
#include "manifest.h"
#include "spec.h"

static int make(const char *file, const char *rundir, const char *workdir)
{
    ts_err err = { 0 };
    ts_suite *s = NULL;
    ts_tasklist l = { 0 };
    char path[PATH_MAX], pool[PATH_MAX];
    int rc = 1;
    if (ts_spec_load(file, &s, &err) < 0 || ts_expand(s, &l, &err) < 0)
        goto out;
    if ((size_t)snprintf(pool, sizeof pool, "%s/pool", rundir) >= sizeof pool) {
        snprintf(err.msg, sizeof err.msg, "path too long");
        goto out;
    }
    if (ts_mkdirs(rundir, 0755, &err) < 0 || ts_layout_runspec(rundir, path, sizeof path, &err) < 0
        || ts_runspec_write(path, s, "pooltest", rundir, workdir, &err) < 0
        || ts_pool_init(pool, &err) < 0)
        goto out;
    ts_manifest_entry *m = calloc(l.n ? l.n : 1, sizeof *m);
    ts_pool_entry *q = calloc(l.n ? l.n : 1, sizeof *q);
    if (!m || !q) {
        free(m);
        free(q);
        snprintf(err.msg, sizeof err.msg, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        m[i] = (ts_manifest_entry){ .task_idx = (long)i, .name = l.v[i].name, .attempt = 1,
                                    .setup = l.v[i].setup, .run = l.v[i].run,
                                    .env = l.v[i].env };
        q[i] = (ts_pool_entry){ .task = (long)i, .attempt = 1, .gen = 0,
                                .priority = l.v[i].priority };
    }
    if ((size_t)snprintf(path, sizeof path, "%s/manifest.jsonl", pool) >= sizeof path)
        snprintf(err.msg, sizeof err.msg, "path too long");
    else if (ts_manifest_write(path, m, l.n, &err) == 0
        && ts_pool_queue_append(pool, q, l.n, NULL, &err) == 0) {
        printf("%zu tasks\n", l.n);
        rc = 0;
    }
    free(m);
    free(q);
out:
    if (rc)
        fprintf(stderr, "pool-fixture: %s\n", err.msg);
    ts_tasklist_free(&l);
    ts_spec_free(s);
    return rc;
}

static int scan(const char *rundir)
{
    static const char *const fates[] = { "unstarted", "started", "returned" };
    ts_err err = { 0 };
    ts_pool_claimrec *c = NULL;
    ts_pool_scan_stats st = { 0 };
    size_t n = 0;
    char pool[PATH_MAX];
    snprintf(pool, sizeof pool, "%s/pool", rundir);
    if (ts_pool_scan(pool, &c, &n, &st, &err) < 0) {
        fprintf(stderr, "pool-fixture: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%ld %d %d %s\n", c[i].e.task, c[i].e.attempt, c[i].e.gen, fates[c[i].fate]);
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "make"))
        return make(argv[2], argv[3], argv[4]);
    if (argc == 4 && !strcmp(argv[1], "cancel")) {
        ts_err err = { 0 };
        if (ts_events_cancel_mark(argv[2], strtol(argv[3], NULL, 10), true, &err) == 0)
            return 0;
        fprintf(stderr, "pool-fixture: %s\n", err.msg);
        return 1;
    }
    if (argc == 3 && !strcmp(argv[1], "scan"))
        return scan(argv[2]);
    fprintf(stderr, "usage: pool-fixture make SUITE.yaml RUNDIR WORKDIR | cancel RUNDIR TASK | scan RUNDIR\n");
    return 2;
}
