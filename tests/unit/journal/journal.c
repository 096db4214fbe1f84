/* journal.c: the SQLite journal on real files in a temporary directory. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "expand.h"
#include "journal.h"
#include "jsonw.h"
#include "spec.h"
#include "tap.h"

static char root[256];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    chmod(path, 0700);
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under root. */
static const char *subdir(const char *name)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", root, name);
    mkdir(buf, 0755);
    return buf;
}

/* Run one SQL statement on a journal file with plain SQLite; returns the
 * first column of the first row as an integer (or -1). */
static long long sql_int(const char *dbpath, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;

    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        else if (rc == SQLITE_DONE)
            v = 0;
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static char *sql_text(const char *dbpath, const char *sql, char *buf, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *s;

    buf[0] = '\0';
    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return buf;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return buf;
}

static ts_journal *open_ok(const char *home)
{
    ts_err err = { .msg = "" };
    ts_journal *j = NULL;
    if (ts_journal_open(home, &j, &err) < 0) {
        diag("open %s: %s", home, err.msg);
        return NULL;
    }
    return j;
}

static const ts_task_new three[] = {
    { .name = "a", .args_json = "{\"lr\":\"0.1\"}", .priority = 1 },
    { .name = "b", .args_json = "{\"lr\":\"0.01\"}" },
    { .name = "c" },
};

static int create3(ts_journal *j, const char *name, char id[9], int64_t *sub)
{
    static const char *const labels[] = { "project:x", "phase:test" };
    ts_suite_new sn = {
        .name = name, .owner_uid = 1234, .spec_path = "/x/sweep.yaml",
        .submit_record = "{\"name\":\"x\"}", .labels = labels, .nlabels = 2,
        .close_after_s = 180, .max_retries = 3, .retry_on = 1, .num_nodes = 1,
    };
    ts_err err = { .msg = "" };
    int rc = ts_journal_suite_create(j, &sn, three, 3, id, sub, &err);
    if (rc < 0)
        diag("create: %s", err.msg);
    return rc;
}

/* ------------------------------------------------------------ schema */

static void test_schema(void)
{
    const char *home = subdir("schema");
    char db[PATH_MAX], buf[64];
    ts_journal *j;

    j = open_ok(home);
    ok(j != NULL, "open creates a fresh journal");
    if (!j)
        return;
    snprintf(db, sizeof db, "%s/journal.db", home);
    is_str(ts_journal_path(j), db, "journal path is HOME/journal.db");
    ok(ts_journal_is_wal(j), "WAL on a local filesystem");
    ts_journal_close(j);
    is_int(sql_int(db, "PRAGMA user_version"), ts_journal_schema_version(),
           "user_version is the schema version");
    is_str(sql_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal",
           "journal_mode is wal on disk");
    ok(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND"
               " name IN ('suites','tasks','submissions','submission_tasks',"
               "'slurm_jobs','attempts','attempt_ranks','checkpoints','events',"
               "'ingest_offsets','suite_labels')") == 11, "all tables exist");
    ok(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
               " AND name = 'tasks_state'") == 1, "status index exists");
    j = open_ok(home);
    ok(j != NULL, "reopen works");
    ts_journal_close(j);

    struct stat sb;
    snprintf(db, sizeof db, "%s/journal.db.lock", home);
    ok(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0600, "lock file is 0600");
}

static void test_migrate_from_0(void)
{
    const char *home = subdir("v0");
    char db[PATH_MAX], buf[64];
    sqlite3 *raw;
    ts_journal *j;

    /* A version-0 file: a valid SQLite database with nothing in it. */
    snprintf(db, sizeof db, "%s/journal.db", home);
    ok(sqlite3_open(db, &raw) == SQLITE_OK
       && sqlite3_exec(raw, "PRAGMA user_version = 0; VACUUM", NULL, NULL,
                       NULL) == SQLITE_OK, "version 0 file made");
    sqlite3_close(raw);
    setenv("TASKSUITE_JOURNAL_MODE", "delete", 1);
    j = open_ok(home);
    unsetenv("TASKSUITE_JOURNAL_MODE");
    ok(j != NULL && !ts_journal_is_wal(j), "opened in rollback-journal mode");
    ts_journal_close(j);
    is_int(sql_int(db, "PRAGMA user_version"), ts_journal_schema_version(),
           "migrated from version 0");
    is_str(sql_text(db, "PRAGMA journal_mode", buf, sizeof buf), "delete",
           "journal_mode=delete when asked (network filesystems)");
    j = open_ok(home);
    ok(j != NULL && ts_journal_is_wal(j), "reopen on local disk switches to WAL");
    ts_journal_close(j);
    is_str(sql_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal",
           "journal_mode is wal again");
}

static void test_newer_refused(void)
{
    const char *home = subdir("newer");
    char db[PATH_MAX], want[PATH_MAX + 200], sql[64];
    ts_err err = { .msg = "" };
    ts_journal *j = open_ok(home);
    int newer = ts_journal_schema_version() + 5;

    ts_journal_close(j);
    snprintf(db, sizeof db, "%s/journal.db", home);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
    sql_int(db, sql);
    j = NULL;
    ok(ts_journal_open(home, &j, &err) < 0 && j == NULL,
       "a journal from a newer tasksuite is refused");
    snprintf(want, sizeof want, "journal: %s has schema version %d, newer than "
             "this tasksuite understands (%d); use a newer tasksuite", db, newer,
             ts_journal_schema_version());
    is_str(err.msg, want, "with the exact message");
    is_int(err.code, TS_EXIT_JOURNAL, "and the journal exit code");
    is_int(sql_int(db, "PRAGMA user_version"), newer, "the file is untouched");
}

static void test_corrupt(void)
{
    const char *home = subdir("corrupt");
    char db[PATH_MAX], want[PATH_MAX + 64];
    ts_err err = { .msg = "" };
    ts_journal *j = NULL;
    FILE *f;

    snprintf(db, sizeof db, "%s/journal.db", home);
    f = fopen(db, "w");
    for (int i = 0; f && i < 200; i++)
        fputs("this is not an SQLite database, just text\n", f);
    if (f)
        fclose(f);
    ok(ts_journal_open(home, &j, &err) < 0, "a corrupt journal is refused");
    snprintf(want, sizeof want, "journal: %s: quick_check: file is not a database",
             db);
    is_str(err.msg, want, "naming the file and what quick_check said");
    is_int(err.code, TS_EXIT_JOURNAL, "journal exit code");
}

/* ------------------------------------------------------------ home dir */

static void test_home_dir(void)
{
    char buf[PATH_MAX], want[PATH_MAX + 64], file[PATH_MAX];
    ts_err err = { .msg = "" };
    struct stat sb;
    const char *base = subdir("homes");

    snprintf(want, sizeof want, "%s/explicit", base);
    setenv("TASKSUITE_HOME", want, 1);
    ok(ts_home_dir(buf, sizeof buf, &err) == 0, "TASKSUITE_HOME used");
    is_str(buf, want, "as given");
    ok(stat(want, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
       "created 0700");

    setenv("TASKSUITE_HOME", "relative/dir", 1);
    ok(ts_home_dir(buf, sizeof buf, &err) < 0 && err.code == TS_EXIT_JOURNAL,
       "a relative TASKSUITE_HOME is refused: %s", err.msg);

    unsetenv("TASKSUITE_HOME");
    snprintf(want, sizeof want, "%s/xdg", base);
    setenv("XDG_STATE_HOME", want, 1);
    ok(ts_home_dir(buf, sizeof buf, &err) == 0, "XDG_STATE_HOME used");
    strcat(want, "/tasksuite");
    is_str(buf, want, "XDG_STATE_HOME/tasksuite");

    setenv("XDG_STATE_HOME", "not/absolute", 1);
    snprintf(want, sizeof want, "%s/h", base);
    setenv("HOME", want, 1);
    ok(ts_home_dir(buf, sizeof buf, &err) == 0, "HOME fallback");
    strcat(want, "/.local/state/tasksuite");
    is_str(buf, want, "HOME/.local/state/tasksuite (relative XDG ignored)");
    ok(stat(want, &sb) == 0 && S_ISDIR(sb.st_mode), "parents created");
    unsetenv("XDG_STATE_HOME");

    /* Under a regular file: ENOTDIR whoever we are. */
    snprintf(file, sizeof file, "%s/plainfile", base);
    FILE *pf = fopen(file, "w");
    if (pf)
        fclose(pf);
    snprintf(buf, sizeof buf, "%s/plainfile/sub", base);
    setenv("TASKSUITE_HOME", buf, 1);
    ok(ts_home_dir(buf, sizeof buf, &err) < 0, "a path under a file fails");
    snprintf(want, sizeof want, "journal directory %s/plainfile/sub: Not a directory",
             base);
    is_str(err.msg, want, "one line naming the directory and errno text");
    is_int(err.code, TS_EXIT_JOURNAL, "journal exit code");
    unsetenv("TASKSUITE_HOME");

    /* Unwritable: root ignores modes, so check as nobody in a child. */
    char ro[PATH_MAX];
    snprintf(ro, sizeof ro, "%s/readonly", base);
    mkdir(ro, 0555);
    chmod(ro, 0555);
    if (geteuid() == 0 && chown(ro, 65534, 65534) < 0)   /* nobody's own, unwritable */
        diag("chown %s: %s", ro, strerror(errno));
    chmod(base, 0755);
    chmod(root, 0755);
    int fds[2];
    if (pipe(fds) < 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ts_err cerr = { .msg = "" };
        ts_journal *cj = NULL;
        char cbuf[PATH_MAX];
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            _exit(2);
        setenv("TASKSUITE_HOME", ro, 1);
        int rc = ts_home_dir(cbuf, sizeof cbuf, &cerr);
        int rc2 = ts_journal_open(ro, &cj, &cerr);
        if (write(fds[1], cerr.msg, strlen(cerr.msg)) < 0)
            _exit(3);
        _exit(rc < 0 && rc2 < 0 && cerr.code == TS_EXIT_JOURNAL ? 0 : 1);
    }
    close(fds[1]);
    char got[1100] = "";
    ssize_t n = read(fds[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "an unwritable directory fails (home and open)");
    snprintf(want, sizeof want, "journal directory %s: Permission denied", ro);
    is_str(got, want, "naming the directory and the errno text");
}

/* ------------------------------------------------------------ file modes */

static unsigned mode_of(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 01000000;
}

/* journal.db and its companions are 0600 whatever the umask, and an older
 * journal left 0644 is tightened when its owner opens it. */
static void test_private_files(void)
{
    const char *home = subdir("private");
    char db[PATH_MAX], wal[PATH_MAX + 8], shm[PATH_MAX + 8], id[9];
    int64_t sub;
    mode_t old = umask(022);

    snprintf(db, sizeof db, "%s/journal.db", home);
    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(shm, sizeof shm, "%s-shm", db);
    setenv("TASKSUITE_JOURNAL_MODE", "wal", 1);
    ts_journal *j = open_ok(home);
    ok(j && create3(j, "private", id, &sub) == 0, "a journal is created and written");
    is_int(mode_of(db), 0600, "journal.db is created 0600 (umask 022)");
    is_int(mode_of(wal), 0600, "its -wal is 0600");
    is_int(mode_of(shm), 0600, "its -shm is 0600");
    ts_journal_close(j);

    chmod(db, 0644);
    j = open_ok(home);
    ok(j != NULL, "a journal left 0644 opens");
    is_int(mode_of(db), 0600, "and is tightened to 0600");
    ts_journal_close(j);
    unsetenv("TASKSUITE_JOURNAL_MODE");
    umask(old);
}

/* A journal directory that others could change is refused, and nothing is
 * created in it. */
static void test_dir_refused(void)
{
    char home[PATH_MAX], db[PATH_MAX + 16], want[3 * PATH_MAX];
    ts_err err = { .msg = "" };
    ts_journal *j = NULL;

    snprintf(home, sizeof home, "%s", subdir("groupw"));
    chmod(home, 0770);
    snprintf(db, sizeof db, "%s/journal.db", home);
    ok(ts_journal_open(home, &j, &err) < 0 && j == NULL,
       "a group-writable journal directory is refused");
    snprintf(want, sizeof want, "journal directory %s is writable by its group (mode 0770): "
             "they could change what your jobs run; chmod go-w %s", home, home);
    is_str(err.msg, want, "naming it, the mode and the fix");
    is_int(err.code, TS_EXIT_JOURNAL, "journal exit code");
    ok(access(db, F_OK) < 0, "no journal.db was created in it");

    snprintf(home, sizeof home, "%s", subdir("worldw"));
    chmod(home, 01777);
    setenv("TASKSUITE_HOME", home, 1);
    char buf[PATH_MAX];
    ok(ts_home_dir(buf, sizeof buf, &err) < 0, "a sticky world-writable TASKSUITE_HOME is refused");
    snprintf(want, sizeof want, "journal directory %s is writable by its group and others "
             "(mode 1777): they could change what your jobs run; chmod go-w %s", home, home);
    is_str(err.msg, want, "with its message");
    unsetenv("TASKSUITE_HOME");

    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/linked", root);
    if (symlink(subdir("target"), link) < 0)
        diag("symlink: %s", strerror(errno));
    ok(ts_journal_open(link, &j, &err) < 0, "a symbolic link as the journal directory is refused");
    snprintf(want, sizeof want, "journal directory %s is a symbolic link, not a directory: "
             "whoever can change the link could change what your jobs run; name the "
             "directory itself", link);
    is_str(err.msg, want, "with its message");

    if (geteuid() != 0) {
        ok(1, "# SKIP a foreign journal directory needs root");
        ok(1, "# SKIP a foreign journal directory needs root");
        return;
    }
    snprintf(home, sizeof home, "%s", subdir("foreign"));
    if (chown(home, 65534, 65534) < 0)
        diag("chown %s: %s", home, strerror(errno));
    ok(ts_journal_open(home, &j, &err) < 0, "a journal directory of another user is refused");
    snprintf(want, sizeof want, "journal directory %s is owned by uid 65534, not by you "
             "(uid 0): its owner could change what your jobs run; use a directory of your own",
             home);
    is_str(err.msg, want, "with its message");
}

/* ------------------------------------------------------------ suites */

static int count_suite_cb(const ts_suite_info *s, void *arg)
{
    (void)s;
    (*(int *)arg)++;
    return 0;
}

static int count_intent_cb(const ts_intent_info *in, void *arg)
{
    (void)in;
    (*(int *)arg)++;
    return 0;
}

struct ptask { long pos[8], idx[8]; int att[8]; int n; };

static int intent_task_cb(long position, long task_idx, int attempt, void *arg)
{
    struct ptask *p = arg;
    if (p->n < 8) {
        p->pos[p->n] = position;
        p->idx[p->n] = task_idx;
        p->att[p->n] = attempt;
        p->n++;
    }
    return 0;
}

static int last_intent_cb(const ts_intent_info *in, void *arg)
{
    *(int64_t *)arg = in->id;
    return 0;
}

static void test_suite_create(ts_journal *j)
{
    char id[9], db[PATH_MAX], want[PATH_MAX];
    ts_suite_info si;
    ts_err err = { .msg = "" };
    ts_counts c;
    int64_t sub = 0;
    int n = 0;
    struct ptask pt = { .n = 0 };

    ok(create3(j, "sweep", id, &sub) == 0, "create suite + 3 tasks + intent");
    ok(ts_suite_id_valid(id), "suite ID %s is [a-z0-9]{8}", id);
    ok(sub > 0, "intent id returned");
    ok(ts_journal_suite_get(j, id, &si, &err) == 0, "suite readable");
    is_str(si.name, "sweep", "name");
    is_str(si.spec_path, "/x/sweep.yaml", "spec path");
    is_str(si.submit_record, "{\"name\":\"x\"}", "spec json");
    is_str(si.labels_json, "[\"project:x\",\"phase:test\"]", "labels as JSON");
    snprintf(want, sizeof want, "%s/suites/%s", ts_journal_home(j), id);
    is_str(si.output_dir, want, "default output dir HOME/suites/ID");
    is_int(si.state, TS_SUITE_OPEN, "state open");
    is_int(si.total_tasks, 3, "total_tasks 3");
    is_int(si.owner_uid, 1234, "owner");
    ts_suite_info_clear(&si);

    ok(ts_journal_counts(j, id, &c, &err) == 0, "counters");
    is_int(c.total, 3, "3 tasks");
    is_int(c.n[TS_TASK_PENDING], 3, "3 pending");
    is_int(c.done, 0, "0 done");

    ok(ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), count_intent_cb,
                                  &n, &err) == 0 && n == 1, "one open intent");
    ts_journal_intent_tasks_foreach(j, sub, intent_task_cb, &pt, &err);
    ok(pt.n == 3 && pt.pos[2] == 2 && pt.idx[2] == 2 && pt.att[0] == 1,
       "intent lists the tasks in order as attempt 1");

    /* A failure half-way (duplicate name) leaves nothing behind. */
    snprintf(db, sizeof db, "%s", ts_journal_path(j));
    long long suites = sql_int(db, "SELECT COUNT(*) FROM suites");
    long long tasks = sql_int(db, "SELECT COUNT(*) FROM tasks");
    long long subs = sql_int(db, "SELECT COUNT(*) FROM submissions");
    ts_task_new dup[] = { { .name = "x" }, { .name = "y" }, { .name = "x" } };
    ts_suite_new sn = { .name = "dup", .close_after_s = -1 };
    char id2[9] = "";
    ok(ts_journal_suite_create(j, &sn, dup, 3, id2, NULL, &err) < 0,
       "a duplicate task name fails the create");
    ok(strncmp(err.msg, "journal: insert task: ", 22) == 0
       && strstr(err.msg, "duplicate task name \"x\" in suite ") != NULL,
       "message names the task: %s", err.msg);
    is_int(err.code, TS_EXIT_FAIL, "generic failure code");
    is_int(sql_int(db, "SELECT COUNT(*) FROM suites"), suites, "no suite written");
    is_int(sql_int(db, "SELECT COUNT(*) FROM tasks"), tasks, "no task written");
    is_int(sql_int(db, "SELECT COUNT(*) FROM submissions"), subs,
           "no intent written");
    is_str(id2, "", "no ID handed out");
    ok(sql_int(db, "SELECT COUNT(*) FROM suites WHERE name = 'dup'") == 0,
       "not even the suite row");
}

static void test_ids(void)
{
    char id[9];
    bool all = true;
    for (int i = 0; i < 2000 && all; i++)
        all = ts_suite_id_new(id, NULL) == 0 && ts_suite_id_valid(id);
    ok(all, "2000 fresh IDs are all valid");
    ok(!ts_suite_id_valid("ABCDEFGH") && !ts_suite_id_valid("abc")
       && !ts_suite_id_valid("abcdefghi") && !ts_suite_id_valid("abcd-fgh")
       && !ts_suite_id_valid(NULL) && ts_suite_id_valid("a1b2c3d4"),
       "ts_suite_id_valid");
}

static void test_lookup(ts_journal *j)
{
    const char *db = ts_journal_path(j);
    char id[9], want[PATH_MAX + 64];
    ts_err err = { .msg = "" };
    ts_suite_info si;

    /* Two rows with a shared prefix, written as plain SQL. */
    sql_int(db, "INSERT INTO suites(id, name, owner_uid, output_dir, created_at,"
            " updated_at, last_added_at) VALUES"
            " ('abc00001', 'p1', 7, '/o1', 1, 1, 1),"
            " ('abc00002', 'p2', 7, '/o2', 2, 2, 2),"
            " ('abd00001', 'p3', 7, '/o3', 3, 3, 3)");
    ok(ts_journal_suite_resolve(j, "abc00001", id, &err) == 0
       && strcmp(id, "abc00001") == 0, "full ID resolves");
    ok(ts_journal_suite_resolve(j, "abd", id, &err) == 0
       && strcmp(id, "abd00001") == 0, "unique prefix resolves");
    ok(ts_journal_suite_get(j, "abc00002", &si, &err) == 0
       && strcmp(si.name, "p2") == 0, "get by full ID");
    ts_suite_info_clear(&si);
    ok(ts_journal_suite_resolve(j, "abc", id, &err) < 0, "ambiguous prefix fails");
    is_str(err.msg, "suite ID \"abc\" is ambiguous: abc00001, abc00002",
           "listing the candidates");
    is_int(err.code, TS_EXIT_USAGE, "as a usage error");
    ok(ts_journal_suite_get(j, "zzz", &si, &err) < 0, "unknown ID fails");
    snprintf(want, sizeof want, "no suite \"zzz\" in %s", db);
    is_str(err.msg, want, "not-found message names the journal");
    is_int(err.code, TS_EXIT_NOTFOUND, "not-found code");
    ok(ts_journal_suite_resolve(j, "ABC", id, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "upper case is not found");
    ok(ts_journal_suite_resolve(j, "abc000011", id, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "too long is not found");
    ok(ts_journal_suite_resolve(j, "", id, &err) < 0
       && err.code == TS_EXIT_USAGE, "empty is a usage error");
}

static int names_cb(const ts_suite_info *s, void *arg)
{
    strcat(arg, s->name);
    strcat(arg, ",");
    return 0;
}

static void test_list(ts_journal *j)
{
    char names[512] = "";
    ts_err err = { .msg = "" };
    ts_suite_filter f = { .label = "project:x" };
    int n = 0;

    int rc = ts_journal_suites_foreach(j, NULL, count_suite_cb, &n, &err);
    ok(rc == 0 && n == 4, "list all (%d)", n);
    ts_journal_suites_foreach(j, &f, names_cb, names, &err);
    is_str(names, "sweep,", "filter by label");
    names[0] = '\0';
    f = (ts_suite_filter){ .only_owner = true, .owner_uid = 7 };
    ts_journal_suites_foreach(j, &f, names_cb, names, &err);
    is_str(names, "p1,p2,p3,", "filter by owner, oldest first");
    names[0] = '\0';
    f = (ts_suite_filter){ .state_mask = TS_BIT(TS_SUITE_CANCELLED) };
    ts_journal_suites_foreach(j, &f, names_cb, names, &err);
    is_str(names, "", "filter by state");
    names[0] = '\0';
    f = (ts_suite_filter){ .label = "nope" };
    ts_journal_suites_foreach(j, &f, names_cb, names, &err);
    is_str(names, "", "unknown label lists nothing");
}

/* ------------------------------------------------------------ lifecycle */

static int set_all(ts_journal *j, const char *id, enum ts_task_state st, long n)
{
    ts_err err = { .msg = "" };
    for (long i = 0; i < n; i++)
        if (ts_journal_task_set_state(j, id, i, st, &err) < 0) {
            diag("%s", err.msg);
            return -1;
        }
    return 0;
}

static void test_lifecycle(ts_journal *j)
{
    char id[9], want[256];
    ts_err err = { .msg = "" };
    ts_suite_info si;
    ts_counts c;
    enum ts_suite_state st;
    bool became;
    long first = -1, idx = -1;
    double t0;

    create3(j, "life", id, NULL);
    ts_journal_suite_get(j, id, &si, &err);
    t0 = si.last_added_at;
    ts_suite_info_clear(&si);

    ok(ts_journal_task_set_state(j, id, 0, TS_TASK_COMPLETED, &err) == 0
       && ts_journal_task_set_state(j, id, 1, TS_TASK_RUNNING, &err) == 0
       && ts_journal_task_set_state(j, id, 2, TS_TASK_FAILED, &err) == 0,
       "set task states");
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.n[TS_TASK_COMPLETED] == 1
       && c.n[TS_TASK_RUNNING] == 1 && c.n[TS_TASK_FAILED] == 1 && c.done == 2
       && c.total == 3, "counters follow (1 completed, 1 running, 1 failed)");
    ok(ts_journal_task_set_state(j, id, 99, TS_TASK_FAILED, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "unknown task index: %s", err.msg);
    ok(ts_journal_task_find(j, id, "b", &idx, &err) == 0 && idx == 1,
       "find task by name");
    ok(ts_journal_task_find(j, id, "zz", &idx, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "unknown name: %s", err.msg);

    ts_journal_suite_tick(j, id, t0 + 10, &st, &became, &err);
    is_int(st, TS_SUITE_OPEN, "open while tasks were added recently");
    ts_journal_suite_tick(j, id, t0 + 200, &st, &became, &err);
    ok(st == TS_SUITE_CLOSED && !became, "closed after close_after_s idle");
    set_all(j, id, TS_TASK_COMPLETED, 3);
    ok(ts_journal_suite_tick(j, id, t0 + 201, &st, &became, &err) == 0
       && st == TS_SUITE_COMPLETE && became, "complete when nothing is active");
    ts_journal_suite_tick(j, id, t0 + 202, &st, &became, &err);
    ok(st == TS_SUITE_COMPLETE && !became, "becomes complete only once");

    ts_task_new more[] = { { .name = "d" }, { .name = "e" } };
    ok(ts_journal_tasks_add(j, id, more, 2, &first, NULL, &err) == 0,
       "add 2 tasks");
    is_int(first, 3, "indexes continue");
    ts_journal_suite_get(j, id, &si, &err);
    ok(si.state == TS_SUITE_OPEN && si.total_tasks == 5, "re-opened, total 5");
    t0 = si.last_added_at;
    ts_suite_info_clear(&si);
    ts_task_new again[] = { { .name = "f" }, { .name = "a" } };
    ok(ts_journal_tasks_add(j, id, again, 2, &first, NULL, &err) < 0,
       "adding an existing name fails");
    snprintf(want, sizeof want, "journal: insert task: duplicate task name "
             "\"a\" in suite %s", id);
    is_str(err.msg, want, "naming it");
    ts_journal_counts(j, id, &c, &err);
    is_int(c.total, 5, "and adds nothing (not even \"f\")");

    ts_journal_suite_tick(j, id, t0 + 500, &st, &became, &err);
    ok(st == TS_SUITE_CLOSED, "closed again, tasks pending");
    set_all(j, id, TS_TASK_COMPLETED, 5);
    ts_journal_suite_tick(j, id, t0 + 501, &st, &became, &err);
    ts_journal_suite_get(j, id, &si, &err);
    ok(st == TS_SUITE_COMPLETE && became && si.completions == 2,
       "complete a second time (on_complete runs again)");
    ts_suite_info_clear(&si);

    /* A retry: attempt 2, pending, complete -> closed. */
    long retry[] = { 1 };
    int64_t sub = 0;
    struct ptask pt = { .n = 0 };
    ok(ts_journal_intent_create(j, id, retry, 1, &sub, &err) == 0, "retry intent");
    ts_journal_intent_tasks_foreach(j, sub, intent_task_cb, &pt, &err);
    ok(pt.n == 1 && pt.idx[0] == 1 && pt.att[0] == 2, "as attempt 2");
    ts_journal_suite_get(j, id, &si, &err);
    ok(si.state == TS_SUITE_CLOSED, "a complete suite with a retry is closed");
    ts_suite_info_clear(&si);
    long bad[] = { 42 };
    ok(ts_journal_intent_create(j, id, bad, 1, &sub, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "retry of an unknown task fails");

    ok(ts_journal_suite_cancel(j, id, &err) == 0, "cancel");
    ts_journal_counts(j, id, &c, &err);
    ok(c.n[TS_TASK_CANCELLED] == 1 && c.n[TS_TASK_COMPLETED] == 4,
       "pending/running tasks cancelled, finished ones kept");
    ts_journal_suite_tick(j, id, t0 + 10000, &st, &became, &err);
    ok(st == TS_SUITE_CANCELLED && !became, "cancelled is terminal");
    ok(ts_journal_tasks_add(j, id, more, 1, NULL, NULL, &err) < 0
       && err.code == TS_EXIT_FAIL, "a cancelled suite takes no task: %s",
       err.msg);
    ok(ts_journal_intent_create(j, id, retry, 1, NULL, &err) < 0,
       "nor retries");
    ok(ts_journal_suite_cancel(j, id, &err) == 0, "cancel again is a no-op");
}

static int job_cb(const ts_slurm_job *job, void *arg)
{
    char *out = arg;
    char one[96];
    snprintf(one, sizeof one, "%u:%ld:%ld-%ld:%u;", job->array_job_id,
             job->index_offset, job->first_index, job->last_index,
             job->reconcile_job_id);
    strcat(out, one);
    return 0;
}

static void test_submissions(ts_journal *j)
{
    char id[9], jobs[256] = "";
    ts_err err = { .msg = "" };
    int64_t sub = 0, last = 0;
    int n = 0;

    create3(j, "subs", id, &sub);
    ok(ts_journal_intent_set_manifest(j, sub, "/o/manifest.1", &err) == 0,
       "set manifest");
    ts_slurm_job a = { .array_job_id = 100, .index_offset = 0, .first_index = 0,
                       .last_index = 1 };
    ts_slurm_job b = { .array_job_id = 101, .index_offset = 2, .first_index = 0,
                       .last_index = 0 };
    ok(ts_journal_intent_add_job(j, sub, &a, &err) == 0
       && ts_journal_intent_add_job(j, sub, &b, &err) == 0
       && ts_journal_intent_add_job(j, sub, &a, &err) == 0,
       "record arrays (one twice)");
    ok(ts_journal_intent_set_reconcile_job(j, sub, 100, 200, &err) == 0,
       "record the reconcile job");
    ts_journal_intent_jobs_foreach(j, sub, job_cb, jobs, &err);
    is_str(jobs, "100:0:0-1:200;101:2:0-0:0;", "arrays listed once each");
    ok(ts_journal_intent_set_reconcile_job(j, sub, 999, 1, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "unknown array: %s", err.msg);
    ok(ts_journal_intent_add_job(j, 987654, &a, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "unknown submission: %s", err.msg);

    ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), count_intent_cb, &n,
                               &err);
    is_int(n, 1, "open intent before submit");
    ok(ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0,
       "mark submitted");
    n = 0;
    ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), count_intent_cb, &n,
                               &err);
    is_int(n, 0, "no open intent after");
    ts_journal_intents_foreach(j, NULL, TS_BIT(TS_SUB_SUBMITTED), last_intent_cb,
                               &last, &err);
    is_int(last, sub, "found among submitted (all suites)");
    ok(ts_journal_intent_set_state(j, 987654, TS_SUB_DONE, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "unknown submission id");
}

/* Tasks are inserted TASK_BATCH (64) rows per statement and a fresh intent
 * is a range: more than a batch, a duplicate past the first batches, the
 * positions read back, and the waves' bookkeeping. */
static int count_pos_cb(long position, long task_idx, int attempt, void *arg)
{
    long *n = arg;
    if (position != *n || task_idx != *n || attempt != 1)
        return -1;
    (*n)++;
    return 0;
}

static int intent_of_cb(const ts_intent_info *in, void *arg)
{
    *(ts_intent_info *)arg = *in;
    return 1;
}

/* A fresh suite's tasks have no row until something changes them (see
 * task_chunks in src/journal/chunks.c): every reader sees them all the same. */
struct seen {
    long n, bad;
    const char *want_args;
};

static int seen_cb(const ts_task_info *t, void *arg)
{
    struct seen *s = arg;
    char name[16];
    snprintf(name, sizeof name, "t%ld", t->idx);
    if (t->idx != s->n || strcmp(t->name, name) != 0 || t->attempts != 1
        || t->priority != (int)(t->idx % 3) || t->num_nodes != 1 || t->has_exit
        || t->last_checkpoint || t->last_step != -1
        || (t->idx == 7 && strcmp(t->args_json, s->want_args) != 0)
        || (t->idx != 7 && strcmp(t->args_json, "{}") != 0))
        s->bad++;
    s->n++;
    return 0;
}

static int state_of_cb(const ts_task_info *t, void *arg)
{
    if (t->idx == 7)
        *(int *)arg = (int)t->state;
    return 0;
}

static void test_packed(ts_journal *j, const char *id, long n)
{
    struct seen s = { .want_args = "{\"k\":\"a \\\"b\\\"\"}" };
    ts_err err = { .msg = "" };
    ts_counts c;
    long idx = -1, first = -1, live = 0;
    int st = -1;
    char db[PATH_MAX], q[256];

    snprintf(db, sizeof db, "%s", ts_journal_path(j));
    ok(ts_journal_tasks_foreach(j, id, 0, seen_cb, &s, &err) == 0 && s.n == n
       && s.bad == 0, "all %ld packed tasks listed, in order, pending attempt 1 (%ld bad)",
       s.n, s.bad);
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.total == n
       && c.n[TS_TASK_PENDING] == n, "counted as pending");
    ok(ts_journal_count_states(j, id, TS_BIT(TS_TASK_PENDING), &live, &err) == 0
       && live == n, "and by state");
    ok(ts_journal_task_find(j, id, "t202", &idx, &err) == 0 && idx == 202,
       "found by name (%ld)", idx);
    ok(ts_journal_task_find(j, id, "t999", &idx, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "an unknown name is not");

    ok(ts_journal_task_set_state(j, id, 7, TS_TASK_FAILED, &err) == 0,
       "a packed task changes state");
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM tasks WHERE suite_id = '%s' AND idx = 7"
             " AND name = 't7' AND priority = 1 AND attempts = 1 AND state = 'failed'"
             " AND args_json = '{\"k\":\"a \\\"b\\\"\"}'", id);
    is_int(sql_int(db, q), 1, "it got its row, with its columns");
    snprintf(q, sizeof q, "SELECT SUM(untouched) FROM task_chunks WHERE suite_id = '%s'",
             id);
    is_int(sql_int(db, q), n - 1, "one task less in the chunk");
    s.n = s.bad = 0;
    ts_journal_tasks_foreach(j, id, 0, seen_cb, &s, &err);
    ts_journal_tasks_foreach(j, id, 0, state_of_cb, &st, &err);
    ok(s.n == n && s.bad == 0 && st == TS_TASK_FAILED, "still listed once, in order");
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.total == n
       && c.n[TS_TASK_FAILED] == 1 && c.n[TS_TASK_PENDING] == n - 1, "and counted once");
    s.n = 7;
    s.bad = 0;
    ok(ts_journal_tasks_foreach(j, id, TS_BIT(TS_TASK_FAILED), seen_cb, &s, &err) == 0
       && s.n == 8 && s.bad == 0, "a filter sees the row only");

    ts_task_new dup[] = { { .name = "t5" } }, more[] = { { .name = "extra" } };
    ok(ts_journal_tasks_add(j, id, dup, 1, &first, NULL, &err) < 0
       && strstr(err.msg, "duplicate task name \"t5\" in suite ") != NULL,
       "adding a packed task's name fails: %s", err.msg);
    ok(ts_journal_tasks_add(j, id, more, 1, &first, NULL, &err) == 0 && first == n,
       "an added task comes after the packed ones (%ld)", first);

    ok(ts_journal_suite_cancel(j, id, &err) == 0
       && ts_journal_counts(j, id, &c, &err) == 0
       && c.n[TS_TASK_CANCELLED] == n && c.n[TS_TASK_FAILED] == 1 && c.done == n + 1,
       "cancel: packed tasks cancelled too (%ld)", c.n[TS_TASK_CANCELLED]);
    ok(ts_journal_task_set_state(j, id, 8, TS_TASK_CANCELLED, &err) == 0, "touch one");
    ok(ts_journal_task_set_state(j, id, 9, TS_TASK_PENDING, &err) == 0, "and another");
    ok(ts_journal_counts(j, id, &c, &err) == 0 && c.n[TS_TASK_CANCELLED] == n - 1
       && c.n[TS_TASK_PENDING] == 1, "a cancelled packed task keeps its state in its row");
}

/* More tasks than one chunk (512): rows given in any order (0..511 and
 * 512, 513, 700, 1024, 1099: 517), a chunk whose
 * every task has its row goes away, the walk still sees each task once. */
struct order {
    long n, bad, failed;
};

static int order_cb(const ts_task_info *t, void *arg)
{
    struct order *o = arg;
    char name[16];
    snprintf(name, sizeof name, "u%ld", t->idx);
    if (t->idx != o->n || strcmp(t->name, name) != 0)
        o->bad++;
    o->failed += t->state == TS_TASK_FAILED;
    o->n++;
    return 0;
}

static void test_chunks(ts_journal *j)
{
    enum { N = 1100 };
    static char names[N][16];
    static ts_task_new t[N];
    static const long touch[] = { 700, 1099, 513, 0, 512, 1024 };
    ts_suite_new sn = { .name = "chunks", .close_after_s = -1 };
    ts_err err = { .msg = "" };
    char id[9] = "", db[PATH_MAX], q[256];
    struct order o = { 0 };
    ts_counts c;
    long idx = -1;
    bool all = true;

    snprintf(db, sizeof db, "%s", ts_journal_path(j));
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "u%d", i);
        t[i].name = names[i];
    }
    ok(ts_journal_suite_create(j, &sn, t, N, id, NULL, &err) == 0, "%d tasks", N);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM task_chunks WHERE suite_id = '%s'", id);
    is_int(sql_int(db, q), 3, "in 3 chunks");
    for (size_t k = 0; k < sizeof touch / sizeof touch[0]; k++)
        all &= ts_journal_task_set_state(j, id, touch[k], TS_TASK_FAILED, &err) == 0;
    for (long i = 1; i < 512; i++)
        all &= ts_journal_task_set_state(j, id, i, TS_TASK_FAILED, &err) == 0;
    ok(all, "tasks of every chunk changed, in no order: %s", err.msg);
    is_int(sql_int(db, q), 2, "the first chunk, all rows now, is gone");
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM tasks WHERE suite_id = '%s' AND"
             " name = 'u' || idx", id);
    is_int(sql_int(db, q), 517, "each row has its own name");
    int frc = ts_journal_tasks_foreach(j, id, 0, order_cb, &o, &err);
    ok(frc == 0 && o.n == N && o.bad == 0 && o.failed == 517,
       "walk: %ld tasks, %ld out of place, %ld failed", o.n, o.bad, o.failed);
    int crc = ts_journal_counts(j, id, &c, &err);
    ok(crc == 0 && c.total == N && c.n[TS_TASK_FAILED] == 517
       && c.n[TS_TASK_PENDING] == N - 517, "counts");
    ok(ts_journal_task_find(j, id, "u1098", &idx, &err) == 0 && idx == 1098,
       "a name in the last chunk");
    ok(ts_journal_task_set_state(j, id, N, TS_TASK_FAILED, &err) < 0
       && err.code == TS_EXIT_NOTFOUND, "past the last chunk: no task");
}

static void test_big_insert(ts_journal *j)
{
    enum { N = 203 };
    static char names[N][16];
    ts_task_new t[N];
    ts_suite_new sn = { .name = "big", .close_after_s = -1 };
    ts_err err = { .msg = "" };
    char id[9] = "", db[PATH_MAX];
    int64_t sub = 0;
    long n = 0, waiting = -1;

    snprintf(db, sizeof db, "%s", ts_journal_path(j));
    memset(t, 0, sizeof t);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        t[i].name = names[i];
        t[i].args_json = i == 7 ? "{\"k\":\"a \\\"b\\\"\"}" : NULL;
        t[i].priority = i % 3;
    }
    long long tasks = sql_int(db, "SELECT COUNT(*) FROM tasks");
    t[150].name = "t3";     /* a duplicate in the third batch */
    ok(ts_journal_suite_create(j, &sn, t, N, id, NULL, &err) < 0
       && strstr(err.msg, "duplicate task name \"t3\" in suite ") != NULL,
       "a duplicate past the first batches is named: %s", err.msg);
    is_int(sql_int(db, "SELECT COUNT(*) FROM tasks"), tasks, "and nothing is written");
    t[150].name = names[150];
    ok(ts_journal_suite_create(j, &sn, t, N, id, &sub, &err) == 0, "%d tasks in one create", N);
    char q[256];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM tasks WHERE suite_id = '%s'", id);
    is_int(sql_int(db, q), 0, "a fresh suite's tasks get no row at submit");
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM task_chunks WHERE suite_id = '%s'"
             " AND untouched = %d", id, N);
    is_int(sql_int(db, q), 1, "they are packed in one chunk");
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM submission_tasks WHERE submission_id = %lld",
             (long long)sub);
    is_int(sql_int(db, q), 0, "a fresh intent has no per-task rows (a range)");
    ok(ts_journal_intent_tasks_foreach(j, sub, count_pos_cb, &n, &err) == 0 && n == N,
       "the range lists position i = task i, attempt 1 (%ld)", n);
    ts_intent_info in = { 0 };
    ts_journal_intents_foreach(j, id, 0, intent_of_cb, &in, &err);
    ok(in.ntasks == N && in.queued == 0 && !in.waves, "intent: %ld tasks, none queued",
       in.ntasks);

    /* Waves: 120 queued, the rest waits until the submission is marked. */
    ts_slurm_job a = { .array_job_id = 300, .index_offset = 0, .first_index = 0,
                       .last_index = 99 };
    ts_slurm_job b = { .array_job_id = 301, .index_offset = 100, .first_index = 0,
                       .last_index = 19 };
    ok(ts_journal_intent_add_job(j, sub, &a, &err) == 0
       && ts_journal_intent_add_job(j, sub, &b, &err) == 0
       && ts_journal_intent_set_state(j, sub, TS_SUB_SUBMITTED, &err) == 0,
       "two arrays recorded");
    ok(ts_journal_waiting(j, id, &waiting, &err) == 0 && waiting == 0,
       "nothing waits while the submission is not in waves");
    ok(ts_journal_intent_set_waves(j, sub, 1001, &err) == 0, "mark it queued in waves");
    ok(ts_journal_waiting(j, id, &waiting, &err) == 0 && waiting == N - 120,
       "%ld tasks wait for room", waiting);
    ts_journal_intents_foreach(j, id, 0, intent_of_cb, &in, &err);
    ok(in.queued == 120 && in.waves && in.njobs == 2, "intent: 120 queued in waves");
    ts_slurm_job c = { .array_job_id = 302, .index_offset = 120, .first_index = 0,
                       .last_index = N - 121 };
    ok(ts_journal_intent_add_job(j, sub, &c, &err) == 0
       && ts_journal_waiting(j, id, &waiting, &err) == 0 && waiting == 0,
       "none once the last wave is recorded");
    test_packed(j, id, N);
}

/* ------------------------------------------------------------ lock */

static void test_lock(const char *home)
{
    ts_err err = { .msg = "" };
    ts_journal *j;
    int up[2], down[2];
    char want[128], c;
    pid_t pid;

    /* The child first: a forked child must not inherit an open journal. */
    if (pipe(up) < 0 || pipe(down) < 0)
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ts_journal *cj = NULL;
        ts_err cerr = { .msg = "" };
        close(up[0]);
        close(down[1]);
        if (ts_journal_open(home, &cj, &cerr) < 0 || ts_journal_lock(cj, &cerr) < 0)
            _exit(1);
        if (write(up[1], "L", 1) != 1)
            _exit(1);
        if (read(down[0], &c, 1) < 0)
            _exit(1);
        ts_journal_unlock(cj);
        ts_journal_close(cj);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    ok(read(up[0], &c, 1) == 1, "child holds the lock");
    if (!(j = open_ok(home))) {
        close(down[1]);
        waitpid(pid, NULL, 0);
        return;
    }
    ts_journal_set_lock_timeout(j, 300);
    ok(ts_journal_lock(j, &err) < 0, "second locker times out");
    snprintf(want, sizeof want,
             "journal is locked by another tasksuite process (pid %ld)",
             (long)pid);
    is_str(err.msg, want, "naming the holder's pid");
    is_int(err.code, TS_EXIT_JOURNAL, "journal exit code");
    ok(ts_journal_task_set_state(j, "nosuite0", 0, TS_TASK_FAILED, &err) < 0
       && strcmp(err.msg, want) == 0, "a write waits for the lock too");
    close(down[1]);         /* let the child go */
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited cleanly");
    ts_journal_set_lock_timeout(j, 5000);
    ok(ts_journal_lock(j, &err) == 0 && ts_journal_lock(j, &err) == 0,
       "lock free again, and it nests");
    ts_journal_unlock(j);
    ts_journal_unlock(j);
    close(up[0]);
    ts_journal_close(j);
}

static void test_fs(void)
{
    int r = ts_fs_is_network(root);
    ok(r == 0 || r == 1, "ts_fs_is_network runs (%d for %s)", r, root);
    ok(ts_fs_is_network("/nonexistent/really") == -1 && errno == ENOENT,
       "and fails on a missing path");
}

static void test_names(void)
{
    ok(ts_task_state_parse("node_fail") == TS_TASK_NODE_FAIL
       && ts_task_state_parse("nope") == -1
       && strcmp(ts_task_state_name(TS_TASK_PREEMPTED), "preempted") == 0
       && ts_task_state_name(TS_TASK_NSTATES) == NULL
       && ts_attempt_state_parse("ended_by_signal") == TS_ATT_ENDED_BY_SIGNAL
       && strcmp(ts_suite_state_name(TS_SUITE_COMPLETE), "complete") == 0
       && ts_suite_state_parse("closed") == TS_SUITE_CLOSED
       && strcmp(ts_sub_state_name(TS_SUB_SUBMITTED), "submitted") == 0,
       "state names round-trip");
}

/* A Slurm requeue (node failure) of an element: the attempts it consumed
 * that never ended are closed as node_fail, a number consumed before the
 * task started gets a row, ended attempts keep their state; a later
 * attempt queued by another submission means the chain moved on. */
static int att_cb(const ts_attempt_info *a, void *arg)
{
    char *out = arg;
    char one[64];
    snprintf(one, sizeof one, "%d:%s;", a->attempt, ts_attempt_state_name(a->state));
    strcat(out, one);
    return 0;
}

static void test_lost_attempts(void)
{
    const char *home = subdir("lost");
    char id[9], db[PATH_MAX], sql[512], got[256] = "";
    ts_err err = { .msg = "" };
    int64_t sub = 0;
    bool moved = true;
    ts_journal *j = open_ok(home);

    if (!j || create3(j, "lost", id, &sub) < 0) {
        ok(0, "lost attempts: setup");
        if (j)
            ts_journal_close(j);
        return;
    }
    snprintf(db, sizeof db, "%s/journal.db", home);
    snprintf(sql, sizeof sql, "INSERT INTO attempts(suite_id, task_idx, attempt, state)"
             " VALUES ('%s', 0, 1, 'running'), ('%s', 1, 1, 'completed'),"
             " ('%s', 1, 2, 'ended_by_signal')", id, id, id);
    sql_int(db, sql);
    ok(ts_journal_attempts_lost(j, id, 0, 1, 3, &err) == 0
       && ts_journal_attempts_lost(j, id, 1, 1, 3, &err) == 0
       && ts_journal_attempts_lost(j, id, 2, 1, 1, &err) == 0,
       "record lost attempts: %s", err.msg);
    ts_journal_attempts_foreach(j, id, 0, 0, att_cb, got, &err);
    is_str(got, "1:node_fail;2:node_fail;",
           "a running attempt is closed, the skipped number gets a row");
    got[0] = '\0';
    ts_journal_attempts_foreach(j, id, 1, 0, att_cb, got, &err);
    is_str(got, "1:completed;2:node_fail;",
           "an ended attempt keeps its state, one killed by a signal is node_fail");
    got[0] = '\0';
    ts_journal_attempts_foreach(j, id, 2, 0, att_cb, got, &err);
    is_str(got, "", "no requeue, nothing recorded");
    ok(ts_journal_attempts_lost(j, id, 0, 1, 3, &err) == 0, "again: a no-op");
    ok(ts_journal_attempts_lost(j, id, 99, 1, 3, &err) == 0,
       "unknown task: nothing recorded");

    ok(ts_journal_task_moved_on(j, id, 1, 1, 2, sub, &moved, &err) == 0 && !moved,
       "no later attempt: not moved on");
    bool adopted = false;
    ok(ts_journal_adopt_job(j, id, 1, 2, 4242, &adopted, &err) == 0 && adopted,
       "attempt 2 queued by attempt 1's job: %s", err.msg);
    ok(ts_journal_task_moved_on(j, id, 1, 1, 2, sub, &moved, &err) == 0 && moved,
       "then Slurm's rerun of attempt 1's element as attempt 2 is a duplicate");
    ok(ts_journal_task_moved_on(j, id, 1, 1, 3, sub, &moved, &err) == 0 && moved,
       "and as attempt 3 too");
    ok(ts_journal_task_moved_on(j, id, 1, 2, 3, sub, &moved, &err) == 0 && !moved,
       "but not a rerun of attempt 2's element");
    ok(ts_journal_task_moved_on(j, id, 1, 0, 1, sub, &moved, &err) == 0 && !moved,
       "nor a chain that moved on only after the rerun (attempt 2 > 1)");

    /* A held element is released at most 3 times per task, each logged. */
    bool allowed[4] = { false, false, false, true };
    int okc = 0;
    for (int i = 0; i < 4; i++)
        okc += ts_journal_held_release(j, id, 2, 1, "77_2", 3, &allowed[i], &err) == 0;
    ok(okc == 4 && allowed[0] && allowed[1] && allowed[2] && !allowed[3],
       "a held element is released 3 times, not a 4th: %s", err.msg);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM events WHERE suite_id = '%s'"
             " AND task_idx = 2 AND type = 'held_released'", id);
    is_int(sql_int(db, sql), 3, "each release is logged in the journal");
    ok(ts_journal_held_release(j, id, 0, 1, "77_0", 3, &allowed[0], &err) == 0
       && allowed[0], "another task has releases of its own");
    ts_journal_close(j);
}

/* ------------------------------------------------------------ lazy matrix */

/* Every task of a suite as the walk gives it: "idx name args prio nodes
 * state attempts\n", one text to compare. */
static int text_cb(const ts_task_info *t, void *arg)
{
    ts_strbuf *b = arg;
    char line[64];
    snprintf(line, sizeof line, "%ld ", t->idx);
    ts_strbuf_puts(b, line);
    ts_strbuf_puts(b, t->name);
    ts_strbuf_putc(b, ' ');
    ts_strbuf_puts(b, t->args_json);
    snprintf(line, sizeof line, " %d %d %d %d\n", t->priority, t->num_nodes,
             (int)t->state, t->attempts);
    ts_strbuf_puts(b, line);
    return 0;
}

static char *suite_text(ts_journal *j, const char *id)
{
    ts_strbuf b = { 0 };
    ts_err err = { .msg = "" };
    if (ts_journal_tasks_foreach(j, id, 0, text_cb, &b, &err) < 0) {
        diag("walk: %s", err.msg);
        free(b.p);
        return NULL;
    }
    ts_strbuf_putc(&b, '\0');
    return b.p;
}

/* The same spec submitted eager (ts_expand) and lazy (ts_expand_lazy):
 * every task's name and args read back equal, before and after tasks are
 * touched, found by name, and added after. */
static void compare_lazy_suite(ts_journal *j, const char *what, const char *yaml)
{
    ts_suite *s = NULL;
    ts_tasklist eager = { 0 }, lazy = { 0 };
    ts_err err = { .msg = "" };
    char eid[9] = "", lid[9] = "", q[256];
    const char *db = ts_journal_path(j);
    long idx = -1, eidx = -1;

    if (!ok(ts_spec_parse(what, yaml, strlen(yaml), &s, &err) == 0, "%s: parsed: %s", what, err.msg))
        return;
    int xrc = ts_expand(s, &eager, &err) == 0 && ts_expand_lazy(s, &lazy, &err) == 0;
    ok(xrc && lazy.lazy && lazy.n == eager.n, "%s: %zu tasks, lazy", what, eager.n);
    ok(ts_journal_suite_create_from_spec(j, s, &eager, NULL, eid, NULL, &err) == 0
       && ts_journal_suite_create_from_spec(j, s, &lazy, NULL, lid, NULL, &err) == 0,
       "%s: both created: %s", what, err.msg);
    snprintf(q, sizeof q, "SELECT (SELECT COUNT(*) FROM task_chunk_data WHERE suite_id = '%s')"
             " + 1000 * (SELECT COUNT(*) FROM task_matrix WHERE suite_id = '%s')", lid, lid);
    ok(sql_int(db, q) == 1000, "%s: the lazy suite stores its axes once, no chunk data", what);

    char *e = suite_text(j, eid), *l = suite_text(j, lid);
    ok(e && l && strcmp(e, l) == 0, "%s: every task's name, args, priority, nodes read back equal", what);
    free(e);
    free(l);

    /* Touch tasks in several chunks (each gets its row from its chunk). */
    size_t touch[] = { eager.n - 1, 0, eager.n / 2, 1 };
    bool all = true;
    for (size_t k = 0; k < sizeof touch / sizeof touch[0]; k++) {
        all &= ts_journal_task_set_state(j, eid, (long)touch[k], TS_TASK_FAILED, &err) == 0;
        all &= ts_journal_task_set_state(j, lid, (long)touch[k], TS_TASK_FAILED, &err) == 0;
    }
    ok(all, "%s: tasks touched: %s", what, err.msg);
    e = suite_text(j, eid);
    l = suite_text(j, lid);
    ok(e && l && strcmp(e, l) == 0, "%s: equal again with rows and chunks mixed", what);
    free(e);
    free(l);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM tasks t JOIN tasks u ON u.idx = t.idx"
             " AND u.suite_id = '%s' AND u.name = t.name AND u.args_json = t.args_json"
             " WHERE t.suite_id = '%s'", lid, eid);
    ok(sql_int(db, q) == 4, "%s: the rows given from the axes are the eager rows", what);

    /* By name: every task (untouched and with a row), and one not there. */
    size_t bad = 0;
    for (size_t k = 0; k < eager.n; k++)
        if (ts_journal_task_find(j, lid, eager.v[k].name, &idx, &err) != 0 || idx != (long)k)
            bad++;
    ok(bad == 0, "%s: every task found by its name (%zu not)", what, bad);
    ts_err e1 = { .msg = "" }, e2 = { .msg = "" };
    ok(ts_journal_task_find(j, lid, "nope", &idx, &e1) < 0
       && ts_journal_task_find(j, eid, "nope", &eidx, &e2) < 0 && e1.code == e2.code,
       "%s: an unknown name is not found: %s", what, e1.msg);
    for (char *at = strstr(e2.msg, eid); at; at = strstr(at + 1, eid))
        memcpy(at, lid, strlen(lid));
    ok(strcmp(e1.msg, e2.msg) == 0, "%s: the same message, listing the same names", what);

    /* Added tasks get rows after the matrix; a clash is refused the same. */
    ts_task_new add[] = { { .name = "extra" } }, clash[] = { { .name = eager.v[1].name } };
    long first = -1;
    ok(ts_journal_tasks_add(j, lid, add, 1, &first, NULL, &err) == 0 && first == (long)eager.n,
       "%s: a task added after the matrix: %s", what, err.msg);
    ts_journal_tasks_add(j, eid, add, 1, &first, NULL, &err);
    e = suite_text(j, eid);
    l = suite_text(j, lid);
    ok(e && l && strcmp(e, l) == 0, "%s: equal with the added task", what);
    free(e);
    free(l);
    e1.msg[0] = e2.msg[0] = '\0';
    ok(ts_journal_tasks_add(j, lid, clash, 1, &first, NULL, &e1) < 0
       && ts_journal_tasks_add(j, eid, clash, 1, &first, NULL, &e2) < 0,
       "%s: a name of the matrix cannot be added", what);
    for (char *at = strstr(e2.msg, eid); at; at = strstr(at + 1, eid))
        memcpy(at, lid, strlen(lid));
    ok(strcmp(e1.msg, e2.msg) == 0, "%s: with the same message: %s", what, e1.msg);

    ok(ts_journal_suite_remove(j, lid, &err) == 0, "%s: removed: %s", what, err.msg);
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM task_matrix WHERE suite_id = '%s'", lid);
    ok(sql_int(db, q) == 0, "%s: its axes with it", what);
    ts_tasklist_free(&eager);
    ts_tasklist_free(&lazy);
    ts_spec_free(s);
}

static void test_lazy_matrix(ts_journal *j)
{
    ts_strbuf y = { 0 };
    compare_lazy_suite(j, "3 axes",
                       "name: lz3\n"
                       "run: echo %(a) %(b) %(c)\n"
                       "matrix:\n"
                       "  a: [1, 2.5, x]\n"
                       "  b: [\"with space\", 'q\"uote', \"\\\\back\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n"
                       "  c: [t, f]\n");
    ts_strbuf_puts(&y, "name: lz100\nrun: echo %(lr) %(depth)\nmatrix:\n  lr: [");
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof v, "%s0.%d", i ? "," : "", i);
        ts_strbuf_puts(&y, v);
    }
    ts_strbuf_puts(&y, "]\n  depth: [");
    for (int i = 0; i < 37; i++) {
        char v[16];
        snprintf(v, sizeof v, "%sd%d", i ? "," : "", i);
        ts_strbuf_puts(&y, v);
    }
    ts_strbuf_puts(&y, "]\n");
    ts_strbuf_putc(&y, '\0');
    compare_lazy_suite(j, "100x37", y.p);
    /* Names past TS_TASK_NAME_MAX become matrix-<k>, k counted across
     * chunks (600 tasks: the second chunk starts at 512). */
    y.len = 0;
    ts_strbuf_puts(&y, "name: lzlong\nrun: echo %(a) %(b)\nmatrix:\n  a: [");
    for (int i = 0; i < 300; i++) {
        char v[16];
        snprintf(v, sizeof v, "%s%d", i ? "," : "", i);
        ts_strbuf_puts(&y, v);
    }
    ts_strbuf_puts(&y, "]\n  b: [short, "
                   "long_long_long_long_long_long_long_long_long_long_long_long_long]\n");
    ts_strbuf_putc(&y, '\0');
    compare_lazy_suite(j, "600 with long names", y.p);
    free(y.p);
}

/* A journal of the schema before task_matrix (5): migrated, and its
 * suites read back as they were. */
static void test_migrate_matrix(void)
{
    const char *home = subdir("v5");
    char db[PATH_MAX], id[9] = "", *before = NULL, *after = NULL;
    sqlite3 *raw;
    ts_journal *j = open_ok(home);

    if (!j)
        return;
    ok(create3(j, "old", id, NULL) == 0, "a suite in the old schema");
    before = suite_text(j, id);
    ts_journal_close(j);
    snprintf(db, sizeof db, "%s/journal.db", home);
    ok(sqlite3_open(db, &raw) == SQLITE_OK
       && sqlite3_exec(raw, "DROP TABLE task_matrix; PRAGMA user_version = 5",
                       NULL, NULL, NULL) == SQLITE_OK, "version 5 file made");
    sqlite3_close(raw);
    is_int(sql_int(db, "PRAGMA user_version"), 5, "at version 5");
    j = open_ok(home);
    ok(j != NULL, "opened");
    if (!j) {
        free(before);
        return;
    }
    is_int(sql_int(db, "PRAGMA user_version"), ts_journal_schema_version(),
           "migrated from version 5");
    is_int(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'task_matrix'"),
           1, "task_matrix exists");
    after = suite_text(j, id);
    ok(before && after && strcmp(before, after) == 0, "the old suite reads back the same");
    compare_lazy_suite(j, "after the migration",
                       "name: m\nrun: echo %(a) %(b)\nmatrix:\n  a: [1, 2]\n  b: [x, y]\n");
    free(before);
    free(after);
    ts_journal_close(j);
}

/* A journal of schema 6 (tasks without `skipped`): the migration rebuilds
 * tasks with foreign keys off, so no attempt, checkpoint or submission row
 * is lost with the old table, and a task may then be skipped. */
static void test_migrate_skipped(void)
{
    const char *home = subdir("v6");
    char db[PATH_MAX], id[9] = "";
    sqlite3 *raw;
    ts_journal *j = open_ok(home);
    ts_err err = { .msg = "" };

    if (!j)
        return;
    ok(create3(j, "old", id, NULL) == 0, "a suite in the old schema");
    ts_journal_close(j);
    snprintf(db, sizeof db, "%s/journal.db", home);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO tasks (suite_id, idx, name, state, attempts, updated_at)"
             "  VALUES ('%s', 0, 'a', 'failed', 1, 1);"
             "INSERT INTO attempts (suite_id, task_idx, attempt, state)"
             "  VALUES ('%s', 0, 1, 'failed');"
             "CREATE TABLE tasks_v6 ("
             "  suite_id TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
             "  idx INTEGER NOT NULL CHECK (idx >= 0), name TEXT NOT NULL,"
             "  args_json TEXT NOT NULL DEFAULT '{}', priority INTEGER NOT NULL DEFAULT 0,"
             "  num_nodes INTEGER NOT NULL DEFAULT 1,"
             "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','running',"
             "    'completed','failed','timeout','cancelled','node_fail','preempted')),"
             "  attempts INTEGER NOT NULL DEFAULT 0, last_exit INTEGER, last_signal INTEGER,"
             "  last_checkpoint TEXT, last_step INTEGER, updated_at REAL NOT NULL,"
             "  PRIMARY KEY (suite_id, idx), UNIQUE (suite_id, name)) WITHOUT ROWID;"
             "INSERT INTO tasks_v6 SELECT * FROM tasks; DROP TABLE tasks;"
             "ALTER TABLE tasks_v6 RENAME TO tasks;"
             "CREATE INDEX tasks_state ON tasks(suite_id, state);"
             "PRAGMA user_version = 6", id, id);
    ok(sqlite3_open(db, &raw) == SQLITE_OK
       && sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK, "version 6 file made");
    ok(sqlite3_exec(raw, "UPDATE tasks SET state = 'skipped'", NULL, NULL, NULL) != SQLITE_OK,
       "version 6 refuses skipped");
    sqlite3_close(raw);
    j = open_ok(home);
    ok(j != NULL, "opened");
    if (!j)
        return;
    is_int(sql_int(db, "PRAGMA user_version"), ts_journal_schema_version(),
           "migrated from version 6");
    is_int(sql_int(db, "SELECT COUNT(*) FROM attempts"), 1,
           "the attempt of the rebuilt table's task is kept");
    is_int(sql_int(db, "SELECT COUNT(*) FROM tasks"), 1, "and the task");
    ok(ts_journal_task_set_state(j, id, 0, TS_TASK_SKIPPED, &err) == 0,
       "a task may be skipped: %s", err.msg);
    is_int(sql_int(db, "SELECT COUNT(*) FROM tasks WHERE state = 'skipped'"), 1,
           "skipped is stored");
    is_int(sql_int(db, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0,
           "no dangling reference");
    ts_journal_close(j);
    is_int(sql_int(db, "SELECT COUNT(*) FROM attempts"), 1, "still 1 attempt");
}

int main(void)
{
    ts_journal *j;

    snprintf(root, sizeof root, "/tmp/ts-journal-XXXXXX");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    unsetenv("TASKSUITE_JOURNAL_MODE");
    test_schema();
    test_migrate_from_0();
    test_newer_refused();
    test_corrupt();
    test_home_dir();
    test_private_files();
    test_dir_refused();
    test_ids();
    test_names();
    j = open_ok(subdir("main"));
    if (j) {
        test_suite_create(j);
        test_lookup(j);
        test_list(j);
        test_lifecycle(j);
        test_submissions(j);
        test_big_insert(j);
        test_chunks(j);
        test_lazy_matrix(j);
        ts_journal_close(j);
    }
    test_lost_attempts();
    test_migrate_matrix();
    test_migrate_skipped();
    test_lock(subdir("lock"));
    test_fs();
    rm_rf(root);
    return done_testing();
}
