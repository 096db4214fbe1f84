/* home.c: where the journal lives: the home directory (TASKSUITE_HOME,
 * XDG_STATE_HOME, HOME), that it and the journal's files are the user's
 * alone, and whether it is on a network filesystem (NFS, Lustre, ...:
 * no WAL there). No SQLite query; apart from db.c because these are rules
 * about the filesystem. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "layout.h"

int ts_fs_is_network(const char *path)
{
    /* f_type values from linux/magic.h and the vendors' sources. */
    static const unsigned long shared[] = {
        0x6969UL,       /* NFS */
        0x0BD00BD0UL,   /* Lustre */
        0x47504653UL,   /* GPFS ("GPFS") */
        0xFF534D42UL,   /* CIFS */
        0xFE534D42UL,   /* SMB2 */
        0x517BUL,       /* SMB (old) */
        0x19830326UL,   /* BeeGFS */
        0x00C36400UL,   /* CephFS */
        0x01021997UL,   /* 9p (v9fs) */
        0x65735546UL,   /* FUSE (sshfs, gcsfuse, ... and local ones too) */
        0x5346414FUL,   /* AFS (OpenAFS, kAFS) */
        0x6B414653UL,   /* kAFS ("kAFS") */
        0x01161970UL,   /* GFS2 */
        0x7461636FUL,   /* OCFS2 */
        0xAAD7AAEAUL,   /* PanFS */
    };
    struct statfs sf;

    if (statfs(path, &sf) < 0)
        return -1;
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        if ((unsigned long)(unsigned int)sf.f_type == shared[i])
            return 1;
    return 0;
}

/* mkdir -p, 0700 for what it creates; then require a directory that is
 * ours alone and writable (ts_secure_dir, layout.h): whoever can change the
 * journal can change what resubmissions run. */
int jn_ensure_dir(const char *dir, ts_err *err)
{
    if (strlen(dir) >= PATH_MAX)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal directory %.64s...: %s",
                       dir, strerror(ENAMETOOLONG));
    if (ts_secure_dir(dir, 0700, "journal directory", err) < 0) {
        if (err)
            err->code = TS_EXIT_JOURNAL;
        return -1;
    }
    return 0;
}

/* journal.db and its -wal, -shm and -journal companions are the user's
 * alone: the database is created 0600 before SQLite opens it (SQLite gives
 * the companions the database's mode), and files an older tasksuite left
 * looser are tightened, silently. One that is a link or someone else's is
 * refused. */
int jn_private_files(const ts_journal *j, ts_err *err)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };

    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char path[PATH_MAX + 16];
        struct stat sb;
        int fd;

        snprintf(path, sizeof path, "%s%s", j->path, suffix[i]);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | (i ? 0 : O_CREAT),
                  0600);
        if (fd < 0 && i && errno == ENOENT)
            continue;
        if (fd < 0)
            return ts_errc(err, TS_EXIT_JOURNAL, "journal: open %s: %s", path,
                           errno == ELOOP ? "a symbolic link, refused" : strerror(errno));
        int rc = 0;
        if (fstat(fd, &sb) < 0)
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: %s", path, strerror(errno));
        else if (!S_ISREG(sb.st_mode))
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s is not a regular file", path);
        else if (sb.st_uid != geteuid())
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: %s is owned by uid %ld, not by "
                         "you (uid %ld)", path, (long)sb.st_uid, (long)geteuid());
        else if ((sb.st_mode & 077) && fchmod(fd, sb.st_mode & 0700) < 0)
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: chmod %s: %s", path,
                         strerror(errno));
        close(fd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int ts_home_dir(char *buf, size_t len, ts_err *err)
{
    const char *home = getenv("TASKSUITE_HOME");
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *uhome = getenv("HOME");
    int n;

    if (home && *home) {
        if (home[0] != '/')
            return ts_errc(err, TS_EXIT_JOURNAL,
                           "TASKSUITE_HOME must be an absolute path, not \"%s\"",
                           home);
        n = snprintf(buf, len, "%s", home);
    } else if (xdg && xdg[0] == '/') {
        n = snprintf(buf, len, "%s/tasksuite", xdg);
    } else if (uhome && uhome[0] == '/') {
        n = snprintf(buf, len, "%s/.local/state/tasksuite", uhome);
    } else {
        return ts_errc(err, TS_EXIT_JOURNAL, "cannot find the journal directory: "
                       "neither TASKSUITE_HOME, XDG_STATE_HOME nor HOME is set "
                       "to an absolute path");
    }
    if (!jn_fits(n, len))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal directory path too long");
    /* Trailing slashes make for ugly messages and paths. */
    for (size_t l = strlen(buf); l > 1 && buf[l - 1] == '/'; l--)
        buf[l - 1] = '\0';
    return jn_ensure_dir(buf, err);
}

bool jn_want_wal(const char *home)
{
    const char *mode = getenv("TASKSUITE_JOURNAL_MODE");

    if (mode && strcasecmp(mode, "wal") == 0)
        return true;
    if (mode && strcasecmp(mode, "delete") == 0)
        return false;
    /* Unknown filesystem (statfs failed): the safe choice. */
    return ts_fs_is_network(home) == 0;
}
