/* rundir.c: what the compute side runs cannot be changed by anyone but the
 * user: the run directory (output_dir) and its manifests/ are refused when
 * others could write them, the atomic writer never follows a planted link,
 * and `tasksuite exec` refuses a manifest or runspec someone else could
 * have written. The foreign-owner cases need root (as in CI): they chown to
 * nobody (65534), or run a child that drops to nobody. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expand.h"
#include "journal.h"
#include "layout.h"
#include "manifest.h"
#include "submission.h"
#include "tap.h"

#define NOBODY 65534

static char root[256];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

/* root/name, made with mode (chmod: the umask does not apply). */
static const char *dir_at(const char *name, unsigned mode)
{
    static char buf[8][PATH_MAX];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", root, name);
    mkdir(p, 0700);
    chmod(p, mode);
    return p;
}

static unsigned mode_of(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 01000000;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void put(const char *path, const char *text, unsigned mode)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

static char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void chown_nobody(const char *path)
{
    if (lchown(path, NOBODY, NOBODY) < 0)
        diag("chown %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------ directories */

static void test_secure_dir(void)
{
    char path[PATH_MAX], want[3 * PATH_MAX];
    ts_err err = { .msg = "" };

    /* Created: parents and all, 0750 less the umask, never group-writable. */
    snprintf(path, sizeof path, "%s/fresh/a/run", root);
    if (!ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) == 0,
            "a missing run directory is created"))
        diag("%s", err.msg);
    is_int(mode_of(path), 0750, "0750 (umask 022)");
    snprintf(path, sizeof path, "%s/fresh/a", root);
    is_int(mode_of(path), 0750, "and so are its missing parents");
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) == 0,
       "an existing directory of mine is reused");
    const char *old = dir_at("old0755", 0755);
    ok(ts_secure_dir(old, TS_RUN_DIR_MODE, "output_dir", &err) == 0,
       "a 0755 run directory (older tasksuite) is reused");

    /* Group or others may write it: refused, with what and how to fix. */
    const char *gw = dir_at("groupw", 0770);
    ok(ts_secure_dir(gw, TS_RUN_DIR_MODE, "output_dir", &err) < 0,
       "a group-writable output_dir is refused");
    snprintf(want, sizeof want, "output_dir %s is writable by its group (mode 0770): they "
             "could change what your jobs run; chmod go-w %s", gw, gw);
    is_str(err.msg, want, "naming it, the mode and the fix");
    const char *ww = dir_at("worldw", 0777);
    ok(ts_secure_dir_check(ww, "output_dir", &err) < 0, "a world-writable output_dir is refused");
    snprintf(want, sizeof want, "output_dir %s is writable by its group and others (mode 0777): "
             "they could change what your jobs run; chmod go-w %s", ww, ww);
    is_str(err.msg, want, "with its message");
    const char *ow = dir_at("otherw", 0703);
    ok(ts_secure_dir(ow, TS_RUN_DIR_MODE, "run directory", &err) < 0
       && strstr(err.msg, "is writable by others (mode 0703)"), "writable by others only: refused");

    /* A sticky world-writable directory: fine above, never as the run dir. */
    const char *sticky = dir_at("sticky", 01777);
    snprintf(path, sizeof path, "%s/mine", sticky);
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) == 0 && is_dir(path),
       "a run directory under a sticky world-writable parent (/tmp) is fine");
    ok(ts_secure_dir(sticky, TS_RUN_DIR_MODE, "output_dir", &err) < 0
       && strstr(err.msg, "(mode 1777)"), "the sticky directory itself is refused");

    /* Others may write a parent and there is no sticky bit: refused, and
     * nothing created under it. */
    snprintf(path, sizeof path, "%s/below/run", ww);
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) < 0,
       "a run directory under a world-writable, non-sticky parent is refused");
    snprintf(want, sizeof want, "output_dir %s: %s above it is writable by others without the "
             "sticky bit (mode 0777): they could replace it; use another place", path, ww);
    is_str(err.msg, want, "naming the parent");
    snprintf(path, sizeof path, "%s/below", ww);
    ok(access(path, F_OK) < 0, "nothing was created under it");
    snprintf(path, sizeof path, "%s/proj/run", gw);
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) == 0,
       "a group-writable parent (shared project directory) is trusted");

    /* A symbolic link where the directory is expected. */
    snprintf(path, sizeof path, "%s/link", root);
    if (symlink(old, path) < 0)
        diag("symlink: %s", strerror(errno));
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) < 0,
       "a symbolic link as the run directory is refused (even to a good one)");
    snprintf(want, sizeof want, "output_dir %s is a symbolic link, not a directory: whoever "
             "can change the link could change what your jobs run; name the directory itself",
             path);
    is_str(err.msg, want, "with its message");
    snprintf(path, sizeof path, "%s/link/sub", root);
    ok(ts_secure_dir(path, TS_RUN_DIR_MODE, "output_dir", &err) == 0,
       "a symbolic link above it is followed (/scratch -> /lustre/...)");

    /* Check only: creates nothing, a missing directory passes. */
    snprintf(path, sizeof path, "%s/notyet/run", root);
    ok(ts_secure_dir_check(path, "output_dir", &err) == 0 && access(path, F_OK) < 0,
       "check only: a missing output_dir passes and is not created");
    snprintf(path, sizeof path, "%s/notyet", root);
    ok(access(path, F_OK) < 0, "nor its parents");

    if (geteuid() != 0) {
        for (int i = 0; i < 4; i++)
            ok(1, "# SKIP another user's directory needs root");
        return;
    }
    /* Another user's directory, even one closed to everyone else. */
    const char *foreign = dir_at("foreign", 0755);
    chown_nobody(foreign);
    ok(ts_secure_dir(foreign, TS_RUN_DIR_MODE, "output_dir", &err) < 0,
       "an output_dir owned by another user is refused");
    snprintf(want, sizeof want, "output_dir %s is owned by uid %d, not by you (uid 0): its owner "
             "could change what your jobs run; use a directory of your own", foreign, NOBODY);
    is_str(err.msg, want, "naming the owner");

    /* The same seen from an ordinary user: root's directory is not nobody's. */
    const char *rootdir = dir_at("rootdir", 0755);
    int fds[2];
    if (pipe(fds) < 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ts_err cerr = { .msg = "" };
        close(fds[0]);
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(2);
        int rc = ts_secure_dir_check(rootdir, "output_dir", &cerr);
        if (write(fds[1], cerr.msg, strlen(cerr.msg)) < 0)
            _exit(3);
        _exit(rc < 0 ? 0 : 1);
    }
    close(fds[1]);
    char got[1100] = "";
    ssize_t n = read(fds[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "as nobody, an output_dir owned by root is refused");
    snprintf(want, sizeof want, "output_dir %s is owned by uid 0, not by you (uid %d): its owner "
             "could change what your jobs run; use a directory of your own", rootdir, NOBODY);
    is_str(got, want, "with its message");
}

/* ------------------------------------------------------------ submission */

/* ts_submission_write_manifest (submit, add, retry, resubmission) writes
 * nothing into a run directory others could change. */
static void test_write_manifest(void)
{
    static const ts_task_new rows[] = { { .name = "a" }, { .name = "b" } };
    ts_task tasks[] = { { .index = 0, .name = "a", .run = "echo a" },
                        { .index = 1, .name = "b", .run = "echo b" } };
    ts_tasklist tl = { .v = tasks, .n = 2 };
    ts_suite_new sn = { .name = "modes", .owner_uid = getuid(), .max_retries = 1,
                        .num_nodes = 1, .close_after_s = 60 };
    ts_err err = { .msg = "" };
    ts_journal *j = NULL;
    char id[TS_SUITE_ID_LEN + 1], path[PATH_MAX], want[3 * PATH_MAX];
    int64_t sub = 0;

    if (ts_journal_open(dir_at("home", 0700), &j, &err) < 0
        || ts_journal_suite_create(j, &sn, rows, 2, id, &sub, &err) < 0) {
        diag("journal: %s", err.msg);
        ok(0, "journal for the submission tests");
        ts_journal_close(j);
        return;
    }
    ts_submit_ctx c = { .j = j, .suite_id = id, .tl = &tl };

    c.suite_dir = dir_at("run-groupw", 0775);
    ok(ts_submission_write_manifest(&c, sub, &err) < 0,
       "a manifest is not written into a group-writable run directory");
    snprintf(want, sizeof want, "run directory %s is writable by its group (mode 0775): they "
             "could change what your jobs run; chmod go-w %s", c.suite_dir, c.suite_dir);
    is_str(err.msg, want, "with its message");
    snprintf(path, sizeof path, "%s/manifests", c.suite_dir);
    ok(access(path, F_OK) < 0, "nothing half-written: no manifests/");

    c.suite_dir = dir_at("run-mine", 0755);
    snprintf(path, sizeof path, "%s/manifests", c.suite_dir);
    mkdir(path, 0777);
    chmod(path, 0777);
    ok(ts_submission_write_manifest(&c, sub, &err) < 0
       && strstr(err.msg, "/manifests is writable by its group and others (mode 0777)"),
       "nor into a manifests/ others can write: %s", err.msg);

    chmod(path, 0750);
    if (!ok(ts_submission_write_manifest(&c, sub, &err) == 0,
            "into the user's own run directory it is written"))
        diag("%s", err.msg);
    snprintf(path, sizeof path, "%s/manifests/sub-%lld.jsonl", c.suite_dir, (long long)sub);
    is_int(mode_of(path), 0444, "the manifest is 0444");

    if (geteuid() == 0) {
        c.suite_dir = dir_at("run-foreign", 0700);
        chown_nobody(c.suite_dir);
        ok(ts_submission_write_manifest(&c, sub, &err) < 0
           && strstr(err.msg, "is owned by uid 65534, not by you (uid 0)"),
           "nor into another user's run directory: %s", err.msg);
    } else {
        ok(1, "# SKIP another user's directory needs root");
    }
    ts_journal_close(j);
}

/* ------------------------------------------------------------ tmp file */

static void test_atomic_no_follow(void)
{
    const char *d = dir_at("atomic", 0700);
    char path[PATH_MAX], tmp[PATH_MAX + 32], target[PATH_MAX], buf[256];
    ts_manifest_entry e = { .task_idx = 0, .name = "t", .attempt = 1, .run = "echo hi" };
    ts_manifest_entry back;
    ts_err err = { .msg = "" };
    struct stat sb;

    snprintf(path, sizeof path, "%s/sub-1.jsonl", d);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    snprintf(target, sizeof target, "%s/precious", d);
    put(target, "precious\n", 0644);
    if (symlink(target, tmp) < 0)
        diag("symlink: %s", strerror(errno));
    if (!ok(ts_manifest_write(path, &e, 1, &err) == 0,
            "a manifest is written past a link planted at its tmp name"))
        diag("%s", err.msg);
    is_str(slurp(target, buf, sizeof buf), "precious\n", "the link's target is untouched");
    is_int(mode_of(target), 0644, "and keeps its mode");
    ok(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode), "the manifest is a regular file, not the link");
    ok(access(tmp, F_OK) < 0 && errno == ENOENT, "no tmp file is left");
    ok(ts_manifest_read(path, 0, &back, &err) == 0 && back.name && !strcmp(back.name, "t"),
       "and reads back");
    ts_manifest_entry_free(&back);

    /* A stale tmp file of a crashed run with the same pid: replaced. */
    put(tmp, "stale half-written", 0600);
    if (!ok(ts_write_file_atomic(path, "x\n", 2, 0444, &err) == 0
            && !strcmp(slurp(path, buf, sizeof buf), "x\n") && access(tmp, F_OK) < 0,
            "a stale tmp file is replaced"))
        diag("%s", err.msg);
}

/* The manifest is written without cJSON: every byte a name, command or
 * value may hold comes back as it was (read with cJSON). */
static void test_manifest_escapes(void)
{
    const char *d = dir_at("escapes", 0700);
    char path[PATH_MAX];
    ts_kv env[] = { { .key = "TASK_SUITE_ARG_X", .value = "tab\there \"q\" \\ nl\n\x01\x1f \xc3\xa9" },
                    { .key = "TASK_SUITE_ARG_E", .value = "" } };
    ts_manifest_entry v[] = {
        { .task_idx = 0, .name = "a/b \"c\"", .attempt = 1, .run = "echo '$X' \\\n\r\b\f",
          .env = { env, 2 } },
        { .task_idx = 123456789, .name = "second", .attempt = 7, .setup = "s", .run = "" },
    };
    ts_manifest_entry back;
    ts_err err = { .msg = "" };

    snprintf(path, sizeof path, "%s/sub-2.jsonl", d);
    if (!ok(ts_manifest_write(path, v, 2, &err) == 0, "a manifest with control characters and quotes"))
        diag("%s", err.msg);
    ok(ts_manifest_read(path, 0, &back, &err) == 0, "line 0 reads back");
    is_str(back.name, v[0].name, "name");
    is_str(back.run, v[0].run, "run");
    ok(back.setup == NULL, "no setup");
    ok(back.env.n == 2 && !strcmp(back.env.v[0].value, env[0].value)
       && !strcmp(back.env.v[1].value, ""), "env values byte for byte");
    ts_manifest_entry_free(&back);
    ok(ts_manifest_read(path, 1, &back, &err) == 0 && back.task_idx == 123456789
       && back.attempt == 7 && !strcmp(back.setup, "s") && !strcmp(back.run, "")
       && back.env.n == 0, "line 1: numbers, setup, empty run and env");
    ts_manifest_entry_free(&back);
}

/* ------------------------------------------------------------ readers */

static int read_manifest(const char *path, ts_err *err)
{
    ts_manifest_entry e;
    int rc = ts_manifest_read(path, 0, &e, err);
    if (rc == 0)
        ts_manifest_entry_free(&e);
    return rc;
}

static void test_readers(void)
{
    const char *d = dir_at("readers", 0700);
    char path[PATH_MAX], link[PATH_MAX], rs[PATH_MAX], want[3 * PATH_MAX];
    ts_manifest_entry e = { .task_idx = 0, .name = "t", .attempt = 1, .run = "echo hi" };
    ts_err err = { .msg = "" };
    ts_runspec r;

    snprintf(path, sizeof path, "%s/sub-1.jsonl", d);
    if (ts_manifest_write(path, &e, 1, &err) < 0)
        diag("write: %s", err.msg);
    ok(read_manifest(path, &err) == 0, "the user's 0444 manifest is read");

    chmod(path, 0666);
    ok(read_manifest(path, &err) < 0, "a manifest others can write is refused");
    snprintf(want, sizeof want, "manifest %s is writable by its group and others (mode 0666): "
             "refusing to run what it says", path);
    is_str(err.msg, want, "with its message");
    chmod(path, 0464);
    ok(read_manifest(path, &err) < 0 && strstr(err.msg, "writable by its group (mode 0464)"),
       "group-writable: refused");
    chmod(path, 0444);

    snprintf(link, sizeof link, "%s/linked.jsonl", d);
    if (symlink(path, link) < 0)
        diag("symlink: %s", strerror(errno));
    ok(read_manifest(link, &err) < 0, "a manifest that is a symbolic link is refused");
    snprintf(want, sizeof want, "manifest %s is a symbolic link: refusing to run what it says",
             link);
    is_str(err.msg, want, "with its message");

    snprintf(rs, sizeof rs, "%s/suite.json", d);
    put(rs, "{\"v\":1,\"id\":\"abcdefgh\",\"name\":\"n\",\"dir\":\"/x\"}", 0444);
    ok(ts_runspec_read(rs, &r, &err) == 0, "the user's runspec is read");
    ts_runspec_free(&r);
    chmod(rs, 0646);
    ok(ts_runspec_read(rs, &r, &err) < 0
       && strstr(err.msg, "runspec") && strstr(err.msg, "writable by others (mode 0646)"),
       "a runspec others can write is refused: %s", err.msg);
    chmod(rs, 0444);

    if (geteuid() != 0) {
        for (int i = 0; i < 4; i++)
            ok(1, "# SKIP another user's manifest needs root");
        return;
    }
    /* The job's user is nobody; the manifest is root's (as nobody can read). */
    chmod(d, 0755);
    pid_t pid = fork();
    if (pid == 0) {
        ts_err cerr = { .msg = "" };
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(2);
        char cwant[3 * PATH_MAX];
        snprintf(cwant, sizeof cwant, "manifest %s is owned by uid 0, not by the job's user "
                 "(uid %d): refusing to run what it says", path, NOBODY);
        _exit(read_manifest(path, &cerr) < 0 && !strcmp(cerr.msg, cwant) ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "as the job's user (nobody), a manifest owned by root is refused with its message");

    chown_nobody(path);
    ok(read_manifest(path, &err) < 0 && strstr(err.msg, "is owned by uid 65534, not by the "
                                                         "job's user (uid 0)"),
       "as root, a manifest owned by nobody is refused: %s", err.msg);
    chown_nobody(rs);
    ok(ts_runspec_read(rs, &r, &err) < 0 && strstr(err.msg, "is owned by uid 65534"),
       "and a runspec owned by nobody: %s", err.msg);
    pid = fork();
    if (pid == 0) {
        ts_err cerr = { .msg = "" };
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(2);
        _exit(read_manifest(path, &cerr) == 0 ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "as its owner (nobody), the same manifest is read");
}

/* The worker schedule goes into the runspec for the pool agent, and back. */
static void test_runspec_workers(void)
{
    const char *d = dir_at("workers", 0700);
    char yaml[PATH_MAX], rs[PATH_MAX];
    ts_suite *s = NULL;
    ts_runspec r;
    ts_err err = { .msg = "" };

    snprintf(yaml, sizeof yaml, "%s/s.yaml", d);
    put(yaml, "name: w\nrun: x\nworker_schedule:\n  worker_count: 3\n"
        "  cpu_binding: {cores: [2, 0, 1], strategy: Exclusive}\n"
        "  task_prefetch_count: 7\n  suspend_after: 0\n", 0644);
    snprintf(rs, sizeof rs, "%s/suite.json", d);
    if (ts_spec_load(yaml, &s, &err) < 0 || ts_runspec_write(rs, s, "abcdefgh", d, NULL, &err) < 0)
        diag("%s", err.msg);
    ok(ts_runspec_read(rs, &r, &err) == 0 && r.workers.present && r.workers.worker_count == 3
       && r.workers.strategy == TS_BIND_EXCLUSIVE && r.workers.ncores == 3
       && r.workers.cores[0] == 2 && r.workers.cores[2] == 1
       && r.workers.task_prefetch_count == 7 && r.workers.suspend_after == 0,
       "the worker schedule round-trips through the runspec");
    ts_runspec_free(&r);
    ts_spec_free(s);

    chmod(rs, 0644);
    put(rs, "{\"v\":1,\"id\":\"abcdefgh\",\"name\":\"n\",\"dir\":\"/x\"}", 0444);
    ok(ts_runspec_read(rs, &r, &err) == 0 && !r.workers.present,
       "a runspec without workers: not pool mode");
    ts_runspec_free(&r);
    chmod(rs, 0644);
    put(rs, "{\"v\":1,\"id\":\"abcdefgh\",\"name\":\"n\",\"dir\":\"/x\","
        "\"workers\":{\"count\":0}}", 0444);
    ok(ts_runspec_read(rs, &r, &err) < 0 && strstr(err.msg, "incomplete runspec"),
       "a runspec with a broken worker schedule is refused: %s", err.msg);
}

int main(void)
{
    /* forked children must not flush a copy of our pending output */
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    snprintf(root, sizeof root, "/tmp/ts-rundir-XXXXXX");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    chmod(root, 0755);   /* the children that drop to nobody look inside */
    test_secure_dir();
    test_write_manifest();
    test_atomic_no_follow();
    test_manifest_escapes();
    test_readers();
    test_runspec_workers();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
