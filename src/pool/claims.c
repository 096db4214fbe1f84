/* claims.c: the agent side of the claim protocol (claims.h): take entries
 * from the queue's epochs by link()ing claim files, mark them started,
 * give unstarted ones back, keep a heartbeat. Kept apart from the queue
 * writer (claims_queue.c) and the login side's scan (claims_scan.c).
 *
 * Cost per claim: the agent keeps every epoch in memory with a cursor, so
 * it never lists claims/. Entries behind the cursor are known claimed (a
 * claim is never removed), so the cursor only moves forward; each agent
 * publishes its cursor as queue/<epoch>.hint (a lower bound, rename, last
 * writer wins) and a new agent starts from there, not from position 0.
 * An entry someone else took costs one failed access(), usually from the
 * client's attribute cache. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims_int.h"

#define HINT_EVERY 256          /* rewrite a hint after this many positions */
#define RESCAN_SECONDS 1.0      /* list queue/ again at most this often when idle */

struct epoch {
    long num;
    ts_pool_entry *v;
    size_t n, cursor, hinted;
};

struct ts_pool_agent {
    char pooldir[PATH_MAX];
    char id[TS_POOL_IDLEN];
    char jobid[64];
    long pid;
    struct epoch *ep;
    size_t nep, cap;
    struct timespec qmtime;
    double last_list;
};

const char *ts_pool_agent_id(const ts_pool_agent *ag)
{
    return ag->id;
}

int ts_pool_heartbeat(ts_pool_agent *ag, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX], text[128];
    int n;

    if (!pc_fits(snprintf(dir, sizeof dir, "%s/agents", ag->pooldir), sizeof dir)
        || !pc_fits(snprintf(path, sizeof path, "%s/%s.hb", dir, ag->id), sizeof path))
        return ts_errf(err, "pool: path too long under %s", ag->pooldir);
    n = snprintf(text, sizeof text, "TSH1 %.3f %ld\n", pc_now(), ag->pid);
    return pc_replace(dir, path, text, (size_t)n, err);
}

ts_pool_agent *ts_pool_agent_open(const char *pooldir, const char *host,
                                  const char *jobid, long pid, long start,
                                  ts_err *err)
{
    ts_pool_agent *ag;
    char shost[80], sjob[64];

    if (pooldir && strlen(pooldir) > PATH_MAX - 128) {
        ts_errf(err, "pool: directory name too long (%zu bytes)", strlen(pooldir));
        return NULL;
    }
    if (ts_pool_init(pooldir, err) < 0)
        return NULL;
    if (!(ag = calloc(1, sizeof *ag))) {
        ts_errf(err, "pool: out of memory");
        return NULL;
    }
    pc_sanitize(host, "unknown", shost, sizeof shost);
    pc_sanitize(jobid, "none", sjob, sizeof sjob);
    snprintf(ag->pooldir, sizeof ag->pooldir, "%s", pooldir);
    snprintf(ag->jobid, sizeof ag->jobid, "%s", sjob);
    snprintf(ag->id, sizeof ag->id, "%s.%s.%ld.%ld", shost, sjob, pid, start);
    ag->pid = pid;
    if (ts_pool_heartbeat(ag, err) < 0) {
        free(ag);
        return NULL;
    }
    return ag;
}

static void write_hint(ts_pool_agent *ag, struct epoch *e)
{
    char dir[PATH_MAX + 16], path[PATH_MAX + 64], text[32];
    int n;

    if (e->cursor <= e->hinted)
        return;
    snprintf(dir, sizeof dir, "%s/queue", ag->pooldir);
    if (!pc_fits(snprintf(path, sizeof path, "%s/%08ld.hint", dir, e->num), sizeof path))
        return;
    n = snprintf(text, sizeof text, "%zu\n", e->cursor);
    /* Only an optimisation: a failure costs the next agent some lookups. */
    if (pc_replace(dir, path, text, (size_t)n, NULL) == 0)
        e->hinted = e->cursor;
}

void ts_pool_agent_close(ts_pool_agent *ag)
{
    if (!ag)
        return;
    for (size_t i = 0; i < ag->nep; i++) {
        write_hint(ag, &ag->ep[i]);
        free(ag->ep[i].v);
    }
    free(ag->ep);
    free(ag);
}

static bool have_epoch(const ts_pool_agent *ag, long num)
{
    for (size_t i = 0; i < ag->nep; i++)
        if (ag->ep[i].num == num)
            return true;
    return false;
}

static int epoch_cmp(const void *a, const void *b)
{
    const struct epoch *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

/* Load one new epoch; a broken file is kept as an empty epoch (it is
 * immutable, re-reading it would not help) and reported once in *warn. */
static int load_epoch(ts_pool_agent *ag, long num, ts_err *warn, ts_err *err)
{
    char path[PATH_MAX + 64], buf[32];
    struct epoch e = {.num = num};

    if (ag->nep == ag->cap) {
        size_t cap = ag->cap ? ag->cap * 2 : 8;
        struct epoch *p = realloc(ag->ep, cap * sizeof *p);
        if (!p)
            return ts_errf(err, "pool: out of memory");
        ag->ep = p;
        ag->cap = cap;
    }
    snprintf(path, sizeof path, "%s/queue/%08ld.q", ag->pooldir, num);
    if (ts_pool_queue_read(path, &e.v, &e.n, warn) < 0) {
        e.v = NULL;
        e.n = 0;
    }
    snprintf(path, sizeof path, "%s/queue/%08ld.hint", ag->pooldir, num);
    if (pc_read_small(path, buf, sizeof buf) > 0) {
        char *end;
        unsigned long long h = strtoull(buf, &end, 10);
        if (end != buf && (*end == '\n' || *end == '\0'))
            e.cursor = e.hinted = h < e.n ? (size_t)h : e.n;
    }
    ag->ep[ag->nep++] = e;
    return 0;
}

/* Pick up epochs written since the last look. */
static int refresh(ts_pool_agent *ag, bool force, ts_err *warn, ts_err *err)
{
    char qdir[PATH_MAX + 16];
    struct stat st;
    struct dirent *de;
    DIR *d;
    size_t before = ag->nep;

    snprintf(qdir, sizeof qdir, "%s/queue", ag->pooldir);
    if (stat(qdir, &st) < 0)
        return ts_errf(err, "pool: stat %s: %s", qdir, strerror(errno));
    if (!force && st.st_mtim.tv_sec == ag->qmtime.tv_sec
        && st.st_mtim.tv_nsec == ag->qmtime.tv_nsec)
        return 0;
    if (!(d = opendir(qdir)))
        return ts_errf(err, "pool: open %s: %s", qdir, strerror(errno));
    ag->qmtime = st.st_mtim;
    ag->last_list = pc_now();
    while ((de = readdir(d))) {
        char *end;
        long num = strtol(de->d_name, &end, 10);
        if (end == de->d_name || strcmp(end, ".q") != 0 || num <= 0
            || have_epoch(ag, num))
            continue;
        if (load_epoch(ag, num, warn, err) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    if (ag->nep != before)
        qsort(ag->ep, ag->nep, sizeof *ag->ep, epoch_cmp);
    return 0;
}

/* The epoch whose next entry has the highest priority; NULL when none. */
static struct epoch *next_epoch(ts_pool_agent *ag)
{
    struct epoch *best = NULL;

    for (size_t i = 0; i < ag->nep; i++) {
        struct epoch *e = &ag->ep[i];
        if (e->cursor < e->n
            && (!best || e->v[e->cursor].priority > best->v[best->cursor].priority))
            best = e;
    }
    return best;
}

/* 1 claimed, 0 taken by someone, -1 error. */
static int try_claim(ts_pool_agent *ag, const ts_pool_entry *e, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], text[512];
    int n;

    if (pc_claim_path(ag->pooldir, e, false, path, sizeof path, err) < 0)
        return -1;
    if (access(path, F_OK) == 0)
        return 0;
    if (pc_shard_dir(ag->pooldir, e->task, dir, sizeof dir, err) < 0)
        return -1;
    n = snprintf(text, sizeof text, "TSC1 %ld %d %d %ld %.3f %s %s\n", e->task,
                 e->attempt, e->gen, e->priority, pc_now(), ag->id, ag->jobid);
    /* The shard directory is made by its first claimer: no mkdir per claim. */
    if (pc_tmpfile(dir, text, (size_t)n, tmp, sizeof tmp, err) < 0) {
        if (errno != ENOENT)
            return -1;
        ts_err_clear(err);
        if (pc_mkdir(dir, err) < 0
            || pc_tmpfile(dir, text, (size_t)n, tmp, sizeof tmp, err) < 0)
            return -1;
    }
    return pc_link_publish(tmp, path, err);
}

int ts_pool_claim(ts_pool_agent *ag, ts_pool_entry *out, int max,
                  ts_err *warn, ts_err *err)
{
    int got = 0;
    bool forced = false;

    if (refresh(ag, false, warn, err) < 0)
        return -1;
    while (got < max) {
        struct epoch *e = next_epoch(ag);
        int rc;

        if (!e) {
            /* Same-tick epochs can hide behind an unchanged mtime. */
            if (forced || pc_now() - ag->last_list < RESCAN_SECONDS)
                break;
            forced = true;
            if (refresh(ag, true, warn, err) < 0)
                return -1;
            continue;
        }
        if ((rc = try_claim(ag, &e->v[e->cursor], err)) < 0)
            return -1;
        if (rc == 1)
            out[got++] = e->v[e->cursor];
        e->cursor++;
        if (e->cursor - e->hinted >= HINT_EVERY)
            write_hint(ag, e);
    }
    return got;
}

int ts_pool_start(ts_pool_agent *ag, const ts_pool_entry *e, ts_err *err)
{
    char got;

    /* Losing means the login side returned it: never run it then. */
    return pc_fate(ag->pooldir, e, 'S', ag->id, &got, err);
}

int ts_pool_release(ts_pool_agent *ag, const ts_pool_entry *e, size_t n,
                    ts_err *err)
{
    ts_pool_entry *back;
    size_t nb = 0;
    int rc = -1;

    if (n == 0)
        return 0;
    if (!(back = malloc(n * sizeof *back)))
        return ts_errf(err, "pool: out of memory");
    for (size_t i = 0; i < n; i++) {
        char got;
        int won = pc_fate(ag->pooldir, &e[i], 'R', ag->id, &got, err);
        if (won < 0)
            goto out;
        if (won) {
            back[nb] = e[i];
            back[nb++].gen++;
        }
    }
    /* Fates won but the epoch not written (crash): the login side's scan
     * sees "returned, no next generation" and queues it (REQUEUE). */
    if (ts_pool_queue_append(ag->pooldir, back, nb, NULL, err) < 0)
        goto out;
    rc = (int)nb;
out:
    free(back);
    return rc;
}
