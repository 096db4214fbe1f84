/* db.c: the journal's engine: open (files, pragmas, quick_check,
 * migrations when due), close, the statement cache and the error helpers
 * every file of src/journal/ uses. What the schema is lives in
 * migrations.c, the SQL of the cached statements in statements.c, the
 * lock and transactions in lock.c, where the journal lives in home.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

#define BUSY_TIMEOUT_MS 10000

double jn_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long ms = (long)tv.tv_usec / 1000;         /* millisecond resolution */
    return (double)tv.tv_sec + (double)ms / 1000.0;
}

int jn_dberr(ts_journal *j, const char *op, ts_err *err)
{
    int ec = sqlite3_extended_errcode(j->db);
    int code = (ec & 0xff) == SQLITE_CONSTRAINT ? TS_EXIT_FAIL : TS_EXIT_JOURNAL;
    return ts_errc(err, code, "journal: %s: %s", op, sqlite3_errmsg(j->db));
}

sqlite3_stmt *jn_st(ts_journal *j, enum stmt_id id, ts_err *err)
{
    sqlite3_stmt *s = j->st[id];

    if (!s) {
        if (sqlite3_prepare_v3(j->db, jn_stmts[id].sql, -1,
                               SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
            jn_dberr(j, jn_stmts[id].op, err);
            return NULL;
        }
        j->st[id] = s;
    } else {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return s;
}

int jn_run(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        jn_dberr(j, jn_stmts[id].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    return 0;
}

int jn_row(ts_journal *j, sqlite3_stmt *s, enum stmt_id id, ts_err *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        jn_dberr(j, jn_stmts[id].op, err);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int jn_exec(ts_journal *j, const char *op, const char *sql, ts_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: %s", op,
                msg ? msg : sqlite3_errmsg(j->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int quick_check(ts_journal *j, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s",
                       j->path, sqlite3_errmsg(j->db));
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s", j->path,
                sqlite3_errmsg(j->db));
        sqlite3_finalize(s);
        return -1;
    }
    if (strcmp(jn_col_text(s, 0) ? jn_col_text(s, 0) : "", "ok") != 0) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: quick_check: %s", j->path,
                jn_col_text(s, 0) ? jn_col_text(s, 0) : "failed");
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

/* quick_check reads the whole file (0.2 s at 20 MB, more on NFS), so it
 * runs at most once per TS_QUICK_CHECK_EVERY_S per journal, recorded by the
 * mtime of a stamp file next to it; TASKSUITE_JOURNAL_CHECK=always|never
 * overrides. A corrupt journal is still caught within the hour, and by
 * SQLite itself (SQLITE_CORRUPT) on the pages any command touches. */
#define TS_QUICK_CHECK_EVERY_S 3600

static void stamp_path(const ts_journal *j, char *buf, size_t len)
{
    snprintf(buf, len, "%s.checked", j->path);
}

static int quick_check_due(const ts_journal *j)
{
    const char *mode = getenv("TASKSUITE_JOURNAL_CHECK");
    char stamp[PATH_MAX + 16];
    struct stat st;
    if (mode && !strcmp(mode, "always"))
        return 1;
    if (mode && !strcmp(mode, "never"))
        return 0;
    stamp_path(j, stamp, sizeof stamp);
    return stat(stamp, &st) < 0 || time(NULL) - st.st_mtime >= TS_QUICK_CHECK_EVERY_S;
}

static int quick_check_done(const ts_journal *j)
{
    char stamp[PATH_MAX + 16];
    stamp_path(j, stamp, sizeof stamp);
    int fd = open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    return 0;   /* no stamp only means the next open checks again */
}

static int journal_mode(ts_journal *j, char *buf, size_t len, ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(j->db, "PRAGMA journal_mode", -1, &s, NULL) != SQLITE_OK)
        return jn_dberr(j, "read journal mode", err);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", jn_col_text(s, 0) ? jn_col_text(s, 0) : "");
    else
        jn_dberr(j, "read journal mode", err);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The home directory, the lock file, journal.db (private_files) opened
 * by SQLite. */
static int open_files(ts_journal *j, const char *home, ts_err *err)
{
    if (home) {
        if (!jn_fits(snprintf(j->home, sizeof j->home, "%s", home), sizeof j->home)) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
            return -1;
        }
        if (jn_ensure_dir(j->home, err) < 0)
            return -1;
    } else if (ts_home_dir(j->home, sizeof j->home, err) < 0) {
        return -1;
    }
    if (!jn_fits(snprintf(j->path, sizeof j->path, "%s/" TS_JOURNAL_FILE, j->home),
                 sizeof j->path)
        || !jn_fits(snprintf(j->lockpath, sizeof j->lockpath, "%s.lock", j->path),
                    sizeof j->lockpath)) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
        return -1;
    }
    if ((j->lockfd = open(j->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", j->lockpath,
                strerror(errno));
        return -1;
    }
    if (jn_private_files(j, err) < 0)
        return -1;
    if (sqlite3_open_v2(j->path, &j->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", j->path,
                j->db ? sqlite3_errmsg(j->db) : "out of memory");
        return -1;
    }
    sqlite3_extended_result_codes(j->db, 1);
    sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
    return 0;
}

/* quick_check when due, and the pragmas of every connection. */
static int set_pragmas(ts_journal *j, ts_err *err)
{
    if (quick_check_due(j) && (quick_check(j, err) < 0 || quick_check_done(j) < 0))
        return -1;
    if (jn_exec(j, "enable foreign keys", "PRAGMA foreign_keys = ON", err) < 0)
        return -1;
    /* Room for a big suite's working set: ingesting 100k tasks touches tens
     * of MB, and a small cache spills to the WAL in mid-transaction. The
     * cache grows only as pages are used. */
    if (jn_exec(j, "set cache size", "PRAGMA cache_size = -" CACHE_KIB, err) < 0)
        return -1;
    /* Statement journals in memory: a multi-row INSERT keeps one (to undo
     * itself alone on a constraint failure), which otherwise spills into a
     * temporary file, 686 writes for a 10,000-task submit. */
    if (jn_exec(j, "set temp store", "PRAGMA temp_store = MEMORY", err) < 0)
        return -1;
    return 0;
}

/* Refuse a newer schema; migrate an older one and set the journal mode
 * (WAL or not, see home.c) under the lock; then the sync level. */
static int schema_and_mode(ts_journal *j, ts_err *err)
{
    char mode[32];
    int v;

    if (jn_user_version(j, &v, err) < 0)
        return -1;
    if (v > ts_journal_schema_version()) {
        ts_errc(err, TS_EXIT_JOURNAL, "journal: %s has schema version %d, newer "
                "than this tasksuite understands (%d); use a newer tasksuite",
                j->path, v, ts_journal_schema_version());
        return -1;
    }
    j->wal = jn_want_wal(j->home);
    if (journal_mode(j, mode, sizeof mode, err) < 0)
        return -1;
    bool set_mode = strcasecmp(mode, j->wal ? "wal" : "delete") != 0;
    if (v < ts_journal_schema_version() || set_mode) {
        if (ts_journal_lock(j, err) < 0)
            return -1;
        int rc = jn_upgrade(j, set_mode, err);
        ts_journal_unlock(j);
        if (rc < 0)
            return -1;
    }
    if (jn_exec(j, "set synchronous", j->wal ? "PRAGMA synchronous = NORMAL"
                                              : "PRAGMA synchronous = FULL",
                 err) < 0)
        return -1;
    return 0;
}

int ts_journal_open(const char *home, ts_journal **out, ts_err *err)
{
    ts_journal *j;

    if (!(j = calloc(1, sizeof *j)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: out of memory");
    j->lockfd = -1;
    j->lock_timeout_ms = TS_LOCK_TIMEOUT_DEFAULT_MS;
    if (open_files(j, home, err) < 0 || set_pragmas(j, err) < 0
        || schema_and_mode(j, err) < 0) {
        ts_journal_close(j);
        return -1;
    }
    *out = j;
    return 0;
}

void ts_journal_close(ts_journal *j)
{
    if (!j)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    free(j->chunk.data);
    free(j->chunk.off);
    jn_matrix_forget(j);
    if (j->db)
        sqlite3_close(j->db);
    if (j->lockfd >= 0) {
        if (j->lock_depth > 0) {
            j->lock_depth = 1;
            ts_journal_unlock(j);
        }
        close(j->lockfd);
    }
    free(j);
}

const char *ts_journal_path(const ts_journal *j)
{
    return j->path;
}

const char *ts_journal_home(const ts_journal *j)
{
    return j->home;
}

bool ts_journal_is_wal(const ts_journal *j)
{
    return j->wal;
}
