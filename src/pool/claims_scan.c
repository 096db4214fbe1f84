/* claims_scan.c: the login side of the claim protocol (claims.h): list
 * every claim and its fate, decide what a dead agent's claims become, and
 * give unstarted ones back to the queue. Run by sync with the journal
 * lock held; it reads every claim file, so it is O(claims) and meant for
 * the login side, never for an agent's claim path. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "claims_int.h"

static void note_bad(ts_pool_scan_stats *st, const char *file, const char *why)
{
    st->bad++;
    if (st->first_bad[0] == '\0')
        snprintf(st->first_bad, sizeof st->first_bad, "%s: %s", file, why);
}

struct list {
    ts_pool_claimrec *v;
    size_t n, cap;
};

static ts_pool_claimrec *grow(struct list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        ts_pool_claimrec *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return NULL;
        l->v = p;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    return &l->v[l->n++];
}

/* "<t>.<a>.<g>" or "<t>.<a>.<g>.f": 1 claim, 2 fate, 0 not ours. */
static int parse_name(const char *name, ts_pool_entry *e)
{
    char tail[4] = "";
    int used = 0;

    if (name[0] == '.')
        return 0;       /* temporaries */
    if (sscanf(name, "%ld.%d.%d%n", &e->task, &e->attempt, &e->gen, &used) != 3
        || e->task < 0 || e->attempt < 1 || e->gen < 0)
        return -1;
    snprintf(tail, sizeof tail, "%s", name + used);
    if (tail[0] == '\0')
        return 1;
    return strcmp(name + used, ".f") == 0 ? 2 : -1;
}

/* Fill c from its claim file; a torn one keeps the mtime and no agent. */
static void read_claim(const char *path, const char *name, ts_pool_claimrec *c,
                       ts_pool_scan_stats *st)
{
    char buf[512], agent[TS_POOL_IDLEN], job[64];
    ts_pool_entry f;
    double t;
    struct stat sb;

    if (pc_read_small(path, buf, sizeof buf) > 0
        && sscanf(buf, "TSC1 %ld %d %d %ld %lf %199s %63s", &f.task, &f.attempt,
                  &f.gen, &f.priority, &t, agent, job) == 7
        && f.task == c->e.task && f.attempt == c->e.attempt && f.gen == c->e.gen) {
        c->e.priority = f.priority;
        c->time = t;
        snprintf(c->agent, sizeof c->agent, "%s", agent);
        snprintf(c->jobid, sizeof c->jobid, "%s", job);
        return;
    }
    c->torn = true;
    c->time = stat(path, &sb) == 0 ? (double)sb.st_mtim.tv_sec : 0;
    note_bad(st, name, "torn or garbage claim (agent unknown)");
}

static enum ts_pool_fate read_fate(const char *path, const char *name,
                                   ts_pool_scan_stats *st)
{
    char buf[512];

    if (pc_read_small(path, buf, sizeof buf) >= 6 && strncmp(buf, "TSF1 ", 5) == 0) {
        if (buf[5] == 'S')
            return TS_POOL_STARTED;
        if (buf[5] == 'R')
            return TS_POOL_RETURNED;
    }
    /* A fate is published whole by link(); garbage means someone else wrote
     * it. Counting it as started is the safe side: never run twice. */
    note_bad(st, name, "garbage fate, taken as started");
    return TS_POOL_STARTED;
}

static int claim_cmp(const void *a, const void *b)
{
    const ts_pool_entry *x = &((const ts_pool_claimrec *)a)->e;
    const ts_pool_entry *y = &((const ts_pool_claimrec *)b)->e;

    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    if (x->attempt != y->attempt)
        return x->attempt < y->attempt ? -1 : 1;
    return (x->gen > y->gen) - (x->gen < y->gen);
}

static ts_pool_claimrec *find(struct list *l, const ts_pool_entry *e)
{
    ts_pool_claimrec key = {.e = *e};

    if (l->n == 0)
        return NULL;
    return bsearch(&key, l->v, l->n, sizeof *l->v, claim_cmp);
}

/* One pass over a shard: claims first (collected), fates in a second pass
 * once the claims are sorted. */
static int scan_shard(const char *dir, bool fates, struct list *l,
                      ts_pool_scan_stats *st, ts_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];

    if (!d)
        return ts_errf(err, "pool: open %s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        ts_pool_entry e = {0};
        int kind = parse_name(de->d_name, &e);
        if (kind == 0)
            continue;
        if (kind < 0) {
            if (!fates)
                note_bad(st, de->d_name, "not a claim name");
            continue;
        }
        if (!pc_fits(snprintf(path, sizeof path, "%s/%s", dir, de->d_name), sizeof path))
            continue;
        if (!fates && kind == 1) {
            ts_pool_claimrec *c = grow(l);
            if (!c) {
                closedir(d);
                return ts_errf(err, "pool: out of memory");
            }
            c->e = e;
            read_claim(path, de->d_name, c, st);
        } else if (fates && kind == 2) {
            ts_pool_claimrec *c = find(l, &e);
            if (c)
                c->fate = read_fate(path, de->d_name, st);
            else
                note_bad(st, de->d_name, "fate without a claim");
        }
    }
    closedir(d);
    return 0;
}

int ts_pool_scan(const char *pooldir, ts_pool_claimrec **out, size_t *n,
                 ts_pool_scan_stats *stats, ts_err *err)
{
    char cdir[PATH_MAX], sdir[PATH_MAX];
    struct list l = {0};
    DIR *d;
    struct dirent *de;

    *out = NULL;
    *n = 0;
    memset(stats, 0, sizeof *stats);
    if (!pc_fits(snprintf(cdir, sizeof cdir, "%s/claims", pooldir), sizeof cdir))
        return ts_errf(err, "pool: path too long under %s", pooldir);
    for (int pass = 0; pass < 2; pass++) {
        if (!(d = opendir(cdir))) {
            free(l.v);
            return ts_errf(err, "pool: open %s: %s", cdir, strerror(errno));
        }
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            int rc = pc_fits(snprintf(sdir, sizeof sdir, "%s/%s", cdir, de->d_name),
                             sizeof sdir)
                     ? scan_shard(sdir, pass == 1, &l, stats, err)
                     : ts_errf(err, "pool: path too long under %s", cdir);
            if (rc < 0) {
                closedir(d);
                free(l.v);
                return -1;
            }
        }
        closedir(d);
        if (pass == 0 && l.n > 0)
            qsort(l.v, l.n, sizeof *l.v, claim_cmp);
    }
    for (size_t i = 0; i + 1 < l.n; i++) {
        const ts_pool_entry *a = &l.v[i].e, *b = &l.v[i + 1].e;
        l.v[i].has_next = a->task == b->task && a->attempt == b->attempt
                          && b->gen == a->gen + 1;
    }
    stats->claims = l.n;
    *out = l.v;
    *n = l.n;
    return 0;
}

double ts_pool_heartbeat_time(const char *pooldir, const char *agent)
{
    char path[PATH_MAX], buf[128];
    double t;

    if (!agent || !*agent
        || !pc_fits(snprintf(path, sizeof path, "%s/agents/%s.hb", pooldir, agent),
                    sizeof path)
        || pc_read_small(path, buf, sizeof buf) <= 0
        || sscanf(buf, "TSH1 %lf", &t) != 1 || t < 0)
        return 0;
    return t;
}

bool ts_pool_agent_dead(double now, double heartbeat, double claimed,
                        double lease, bool job_ended)
{
    double last = heartbeat > claimed ? heartbeat : claimed;

    return job_ended || now - last > lease;
}

enum ts_pool_verdict ts_pool_decide(const ts_pool_claimrec *c, bool agent_dead,
                                    bool attempt_ended)
{
    switch (c->fate) {
    case TS_POOL_RETURNED:
        return c->has_next ? TS_POOL_KEEP : TS_POOL_REQUEUE;
    case TS_POOL_STARTED:
        return agent_dead && !attempt_ended ? TS_POOL_LOST : TS_POOL_KEEP;
    case TS_POOL_UNSTARTED:
    default:
        return agent_dead ? TS_POOL_RETURN : TS_POOL_KEEP;
    }
}

int ts_pool_return(const char *pooldir, const ts_pool_claimrec *c,
                   const enum ts_pool_verdict *v, size_t n, const char *who,
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
        if (v[i] == TS_POOL_RETURN) {
            char got;
            int won = pc_fate(pooldir, &c[i].e, 'R', who, &got, err);
            if (won < 0)
                goto out;
            /* Lost to 'S': the agent was alive after all; lost to 'R': an
             * earlier return whose g + 1 REQUEUE will handle if missing. */
            if (!won)
                continue;
        } else if (v[i] != TS_POOL_REQUEUE) {
            continue;
        }
        back[nb] = c[i].e;
        back[nb++].gen++;
    }
    if (ts_pool_queue_append(pooldir, back, nb, NULL, err) < 0)
        goto out;
    rc = (int)nb;
out:
    free(back);
    return rc;
}
