/* claims_queue.c: the pool queue: immutable epoch files under
 * POOLDIR/queue, one per batch of runnable entries (claims.h). Separate
 * from claiming: the launcher writes these, agents only read them.
 *
 * Format (text, so a human can read a stuck queue with cat):
 *
 *   TSQ1 <count>\n
 *   <task> <attempt> <generation> <priority>\n      (count lines)
 *   end\n
 *
 * sorted by priority (high first), then task, attempt. The file is written
 * whole to a temporary name and link()ed to queue/<epoch>.q, the lowest
 * free 8-digit number: link() never replaces, so two writers (the launcher
 * and an agent giving tasks back) can never overwrite each other's epoch;
 * the loser of a number takes the next one. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "claims_int.h"

int ts_pool_init(const char *pooldir, ts_err *err)
{
    static const char *const subs[] = {"queue", "claims", "agents"};
    char path[PATH_MAX];

    if (!pooldir || !*pooldir)
        return ts_errf(err, "pool: no pool directory");
    if (pc_mkdir(pooldir, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (!pc_fits(snprintf(path, sizeof path, "%s/%s", pooldir, subs[i]),
                     sizeof path))
            return ts_errf(err, "pool: path too long under %s", pooldir);
        if (pc_mkdir(path, err) < 0)
            return -1;
    }
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const ts_pool_entry *x = a, *y = b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    if (x->attempt != y->attempt)
        return x->attempt < y->attempt ? -1 : 1;
    return (x->gen > y->gen) - (x->gen < y->gen);
}

/* Largest epoch number present (0 when none). */
static long last_epoch(const char *qdir)
{
    DIR *d = opendir(qdir);
    struct dirent *de;
    long max = 0;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (end != de->d_name && strcmp(end, ".q") == 0 && v > max)
            max = v;
    }
    closedir(d);
    return max;
}

int ts_pool_queue_append(const char *pooldir, const ts_pool_entry *entries,
                         size_t n, long *epoch, ts_err *err)
{
    char qdir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX + 32];
    ts_pool_entry *sorted = NULL;
    char *text = NULL;
    size_t cap, used = 0;
    long num;
    int rc = -1;

    if (epoch)
        *epoch = 0;
    if (n == 0)
        return 0;
    if (ts_pool_init(pooldir, err) < 0)
        return -1;
    if (!pc_fits(snprintf(qdir, sizeof qdir, "%s/queue", pooldir), sizeof qdir))
        return ts_errf(err, "pool: path too long under %s", pooldir);
    for (size_t i = 0; i < n; i++)
        if (entries[i].task < 0 || entries[i].attempt < 1 || entries[i].gen < 0)
            return ts_errf(err, "pool: bad queue entry %zu (task %ld, attempt %d, generation %d)",
                           i, entries[i].task, entries[i].attempt, entries[i].gen);
    cap = 64 + n * 80;
    if (!(sorted = malloc(n * sizeof *sorted)) || !(text = malloc(cap))) {
        ts_errf(err, "pool: out of memory for a queue of %zu entries", n);
        goto out;
    }
    memcpy(sorted, entries, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, entry_cmp);
    used += (size_t)snprintf(text, cap, "TSQ1 %zu\n", n);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, "%ld %d %d %ld\n",
                                 sorted[i].task, sorted[i].attempt,
                                 sorted[i].gen, sorted[i].priority);
    used += (size_t)snprintf(text + used, cap - used, "end\n");

    for (num = last_epoch(qdir) + 1;; num++) {
        int won;
        if (num > 99999999) {
            ts_errf(err, "pool: %s: no free epoch number left", qdir);
            goto out;
        }
        snprintf(path, sizeof path, "%s/%08ld.q", qdir, num);
        if (pc_tmpfile(qdir, text, used, tmp, sizeof tmp, err) < 0)
            goto out;
        if ((won = pc_link_publish(tmp, path, err)) < 0)
            goto out;
        if (won)
            break;
    }
    if (epoch)
        *epoch = num;
    rc = 0;
out:
    free(sorted);
    free(text);
    return rc;
}

int ts_pool_queue_read(const char *path, ts_pool_entry **out, size_t *n,
                       ts_err *err)
{
    FILE *f = fopen(path, "re");
    ts_pool_entry *v = NULL;
    size_t count = 0, i;
    char end[8];

    *out = NULL;
    *n = 0;
    if (!f)
        return ts_errf(err, "pool: open %s: %s", path, strerror(errno));
    if (fscanf(f, "TSQ1 %zu\n", &count) != 1 || count > 100000000) {
        fclose(f);
        return ts_errf(err, "pool: %s: not a queue segment (bad header)", path);
    }
    if (count && !(v = malloc(count * sizeof *v))) {
        fclose(f);
        return ts_errf(err, "pool: %s: out of memory for %zu entries", path, count);
    }
    for (i = 0; i < count; i++) {
        ts_pool_entry *e = &v[i];
        if (fscanf(f, "%ld %d %d %ld\n", &e->task, &e->attempt, &e->gen,
                   &e->priority) != 4 || e->task < 0 || e->attempt < 1
            || e->gen < 0)
            break;
    }
    if (i < count || fscanf(f, "%7s", end) != 1 || strcmp(end, "end") != 0) {
        fclose(f);
        free(v);
        if (i < count)
            return ts_errf(err, "pool: %s: entry %zu of %zu is torn or not an entry",
                           path, i + 1, count);
        return ts_errf(err, "pool: %s: no end marker after %zu entries", path, count);
    }
    fclose(f);
    *out = v;
    *n = count;
    return 0;
}
