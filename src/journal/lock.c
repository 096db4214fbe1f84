/* lock.c: the journal's lock (a flock on journal.db.lock, waited for with
 * a timeout, naming the pid that holds it) and the write transactions
 * built on it (jn_tx_begin/commit/fail). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

void ts_journal_set_lock_timeout(ts_journal *j, int ms)
{
    j->lock_timeout_ms = ms < 0 ? 0 : ms;
}

static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int ts_journal_lock(ts_journal *j, ts_err *err)
{
    struct timespec start, t;
    long waited_ms, nap_ms = 5;
    char pid[32];
    int n;

    if (j->lock_depth > 0) {
        j->lock_depth++;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: lock %s: %s",
                           j->lockpath, strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t);
        waited_ms = (t.tv_sec - start.tv_sec) * 1000
                  + (t.tv_nsec - start.tv_nsec) / 1000000;
        if (waited_ms >= j->lock_timeout_ms) {
            long holder = lock_holder(j->lockfd);
            if (holder > 0)
                return ts_errc(err, TS_EXIT_JOURNAL, "journal is locked by "
                               "another tasksuite process (pid %ld)", holder);
            return ts_errc(err, TS_EXIT_JOURNAL, "journal is locked by another "
                           "tasksuite process (pid unknown, see %s)",
                           j->lockpath);
        }
        if (nap_ms > j->lock_timeout_ms - waited_ms)
            nap_ms = j->lock_timeout_ms - waited_ms;
        struct timespec nap = { nap_ms / 1000, (nap_ms % 1000) * 1000000L };
        nanosleep(&nap, NULL);
        if (nap_ms < 100)
            nap_ms *= 2;
    }
    /* Who holds it, for the message of the next one waiting. */
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(j->lockfd, 0) < 0 || pwrite(j->lockfd, pid, (size_t)n, 0) != n) {
        int e = errno;
        flock(j->lockfd, LOCK_UN);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: write %s: %s",
                       j->lockpath, strerror(e));
    }
    j->lock_depth = 1;
    return 0;
}

void ts_journal_unlock(ts_journal *j)
{
    if (j->lock_depth <= 0)
        return;
    if (--j->lock_depth > 0)
        return;
    if (ftruncate(j->lockfd, 0) < 0) {
        /* Only the pid hint is stale; the lock itself is released below. */
    }
    flock(j->lockfd, LOCK_UN);
}

/* Write transactions: the flock, then BEGIN IMMEDIATE. */
int jn_tx_begin(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;

    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (!(s = jn_st(j, S_BEGIN, err)) || jn_run(j, s, S_BEGIN, err) < 0) {
        ts_journal_unlock(j);
        return -1;
    }
    return 0;
}

int jn_tx_commit(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;
    int rc = 0;

    if (!(s = jn_st(j, S_COMMIT, err)) || jn_run(j, s, S_COMMIT, err) < 0) {
        if (!sqlite3_get_autocommit(j->db))
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        rc = -1;
    }
    ts_journal_unlock(j);
    return rc;
}

/* Always returns -1, so `return jn_tx_fail(j);` ends a failed write. */
int jn_tx_fail(ts_journal *j)
{
    /* SQLite may have rolled back already (e.g. on SQLITE_FULL). */
    if (!sqlite3_get_autocommit(j->db)) {
        sqlite3_stmt *s = jn_st(j, S_ROLLBACK, NULL);
        if (!s || jn_run(j, s, S_ROLLBACK, NULL) < 0)
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    }
    ts_journal_unlock(j);
    return -1;
}
