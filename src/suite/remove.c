/* remove.c: forget finished suites (see remove.h). Separate from cancel.c:
 * cancelling stops work and keeps every record; this deletes records and
 * files, and only of a suite nothing runs for any more. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cancel.h"
#include "exitcodes.h"
#include "layout.h"
#include "record.h"
#include "remove.h"
#include "submission.h"
#include "sync.h"

/* What tasksuite itself writes into a user's output_dir (layout.h); tasks/
 * is what the tasks wrote and stays. */
static const char *const own_entries[] = {
    "suite.json", "manifests", "events", "slurm", "hooks",
    /* the --local runner's record, lock, log and last error (localproc.c) */
    "local-runner", "local-runner.lock", "local-runner.log", "local-runner.error",
};

/* Set when a directory was found not empty right after it was emptied: the
 * jobs of a suite `rm --force` just cancelled may still be ending and
 * writing their last records. The caller empties it again. */
static bool refilled;

/* Remove `name` in the directory dfd: a file or symbolic link is
 * unlinked, a directory emptied depth first through file descriptors
 * (O_NOFOLLOW: a link swapped in is never entered), never crossing into
 * another filesystem (dev). */
static int remove_at(int dfd, const char *name, dev_t dev, const char *top, ts_err *err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : ts_errf(err, "%s/%s: %s", top, name, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
            return ts_errf(err, "cannot remove %s/%s: %s", top, name, strerror(errno));
        return 0;
    }
    if (st.st_dev != dev)
        return ts_errf(err, "%s/%s is another filesystem (a mount point): left alone", top, name);
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return ts_errf(err, "cannot open %s/%s: %s", top, name, strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = remove_at(dirfd(d), e->d_name, dev, top, err);
    closedir(d);
    if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
        refilled = errno == ENOTEMPTY;
        rc = ts_errf(err, "cannot remove %s/%s: %s", top, name, strerror(errno));
    }
    return rc;
}

/* The run directory's files (see remove.h for what goes). */
static int remove_dir(const char *dir, bool user_dir, bool *kept, ts_err *err)
{
    struct stat st;
    *kept = false;
    if (lstat(dir, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return ts_errf(err, "%s: %s", dir, strerror(errno));
    }
    *kept = true;
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
        return ts_errf(err, "%s is not a directory tasksuite made (%s): left alone", dir,
                       S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
    if (st.st_uid != geteuid())
        return ts_errf(err, "%s belongs to uid %u, not to you: left alone", dir,
                       (unsigned)st.st_uid);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return ts_errf(err, "cannot open %s: %s", dir, strerror(errno));
    int rc = 0;
    if (user_dir) {
        for (size_t i = 0; rc == 0 && i < sizeof own_entries / sizeof own_entries[0]; i++)
            rc = remove_at(dfd, own_entries[i], st.st_dev, dir, err);
    } else {
        DIR *d = fdopendir(dup(dfd));
        if (!d) {
            close(dfd);
            return ts_errf(err, "cannot read %s: %s", dir, strerror(errno));
        }
        struct dirent *e;
        while (rc == 0 && (e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                rc = remove_at(dfd, e->d_name, st.st_dev, dir, err);
        closedir(d);
    }
    close(dfd);
    /* A user's output_dir goes only when nothing of theirs is left in it. */
    if (rc == 0 && rmdir(dir) == 0)
        *kept = false;
    else if (rc == 0 && !user_dir) {
        refilled = errno == ENOTEMPTY;
        rc = ts_errf(err, "cannot remove %s: %s", dir, strerror(errno));
    }
    return rc;
}

int ts_suite_active(ts_journal *j, const ts_suite_info *si, bool *active, ts_err *err)
{
    ts_counts c;
    *active = false;
    if (si->state != TS_SUITE_OPEN && si->state != TS_SUITE_CLOSED)
        return 0;
    if (ts_journal_counts(j, si->id, &c, err) < 0)
        return -1;
    *active = c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] > 0;
    return 0;
}

/* Under the lock: refuse or cancel an active suite. */
static int settle_activity(ts_journal *j, ts_suite_info *si, const ts_remove_opts *o,
                           ts_remove_result *r, ts_err *err)
{
    char id[TS_SUITE_ID_LEN + 1];
    bool active;

    snprintf(id, sizeof id, "%s", si->id);
    /* Events only (as `list`): a task that ended is seen as ended. */
    ts_sync_opts so = { .no_slurm = true, .quiet = true };
    ts_err se = { 0 };
    (void)ts_sync(j, id, &so, NULL, &se);
    ts_suite_info_clear(si);
    if (ts_journal_suite_get(j, id, si, err) < 0)
        return -1;
    if (ts_suite_active(j, si, &active, err) < 0)
        return -1;
    if (!active)
        return 0;
    if (!o->force) {
        ts_counts c;
        if (ts_journal_counts(j, si->id, &c, err) < 0)
            return -1;
        r->refused_active = true;
        return ts_errf(err, "suite %s is still active (%ld pending, %ld running): cancel it "
                       "first, or use --force", si->id, c.n[TS_TASK_PENDING],
                       c.n[TS_TASK_RUNNING]);
    }
    if (o->dry_run)
        return 0;
    ts_cancel_opts co = { .warn = stderr, .warn_prefix = "tasksuite rm: warning: " };
    ts_cancel_result cr;
    if (ts_cancel_suite(j, si->id, &co, &cr, err) < 0)
        return -1;
    r->cancelled = true;
    return 0;
}

int ts_suite_remove(ts_journal *j, const char *suite_id, const ts_remove_opts *o,
                    ts_remove_result *r, ts_err *err)
{
    ts_suite_info si = { 0 };
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0)
        goto out;
    if (si.owner_uid != getuid()) {
        ts_errf(err, "suite %s belongs to uid %u, not to you", si.id, (unsigned)si.owner_uid);
        goto out;
    }
    if (settle_activity(j, &si, o, r, err) < 0)
        goto out;
    snprintf(r->name, sizeof r->name, "%s", si.name);
    r->state = si.state;   /* as read before any cancel */
    /* The journal stores every suite's directory; it is tasksuite's own
     * when it is the default one under $TASKSUITE_HOME. */
    char home_dir[PATH_MAX];
    if (ts_layout_suite_dir(ts_journal_home(j), NULL, si.id, home_dir, sizeof home_dir,
                            err) < 0
        || ts_sync_suite_dir(j, &si, r->dir, sizeof r->dir, err) < 0)
        goto out;
    r->user_dir = strcmp(r->dir, home_dir) != 0;
    if (o->dry_run) {
        r->dir_kept = true;
        rc = 0;
        goto out;
    }
    /* A watchdog still waiting would only find the suite gone. */
    if (!ts_submit_record_is_local(si.submit_record)) {
        ts_err ue = { 0 };
        (void)ts_submission_unwatch(si.id, &ue);
    }
    /* Bounded: ending jobs stop writing within seconds (10 s here). */
    for (int tries = 0;; tries++) {
        refilled = false;
        if (remove_dir(r->dir, r->user_dir, &r->dir_kept, err) == 0)
            break;
        if (!refilled || tries == 20)
            goto out;
        usleep(500000);
    }
    if (ts_journal_suite_remove(j, si.id, err) < 0)
        goto out;
    rc = 0;
out:
    ts_suite_info_clear(&si);
    ts_journal_unlock(j);
    return rc;
}
