/* ingest.c: event ingestion: the events/<task>/N.ev files of a suite read
 * from where the last ingest stopped (ingest_offsets), each record applied
 * once (events), rank rows updated and the attempt recomputed (attempts.c);
 * which task directories are still worth reading (live tasks). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "events.h"
#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

struct ingest {
    ts_journal *j;
    const char *suite_id;
    char file[PATH_MAX];        /* the one being read, relative to events/ */
    ts_ingest_stats *stats;
    ts_err *err;
    double now;
};

static void note_bad(struct ingest *in, const char *why)
{
    in->stats->bad++;
    /* A long reason is cut; the file name comes first. */
    if (in->stats->first_bad[0] == '\0'
        && !jn_fits(snprintf(in->stats->first_bad, sizeof in->stats->first_bad,
                             "%s: %s", in->file, why), sizeof in->stats->first_bad))
        memcpy(in->stats->first_bad + sizeof in->stats->first_bad - 4, "...", 4);
}

/* Record ev's key, once ever: 1 new, 0 seen already, -1 error. */
static int event_once(ts_journal *j, const ts_event *ev, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_EVENT_INSERT, err);

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->key);
    jn_bind_text(s, 2, ev->suite_id);
    sqlite3_bind_int64(s, 3, ev->task_idx);
    sqlite3_bind_int(s, 4, ev->attempt);
    jn_bind_text(s, 5, ts_event_type_name(ev->type));
    sqlite3_bind_double(s, 6, ev->time);
    if (jn_run(j, s, S_EVENT_INSERT, err) < 0)
        return -1;
    return sqlite3_changes(j->db) != 0;
}

/* The attempt's row, `running` if it has none yet. */
static int attempt_ensure(ts_journal *j, const ts_event *ev, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_ATT_ENSURE, err);

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    jn_bind_text(s, 4, ev->jobid);
    jn_bind_text(s, 5, ev->node);
    sqlite3_bind_int(s, 6, ev->num_nodes);
    return jn_run(j, s, S_ATT_ENSURE, err);
}

/* The task forwarded the warning signal to the attempt. */
static int record_warning(ts_journal *j, const ts_event *ev, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_ATT_WARNED, err);

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    sqlite3_bind_int(s, 4, ev->signal);
    return jn_run(j, s, S_ATT_WARNED, err);
}

/* A checkpoint, then the task's last one. */
static int record_checkpoint(struct ingest *in, const ts_event *ev)
{
    ts_journal *j = in->j;
    ts_err *err = in->err;
    sqlite3_stmt *s = jn_st(j, S_CP_INSERT, err);

    if (!s)
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    jn_bind_text(s, 4, ev->path);
    if (ev->step >= 0)
        sqlite3_bind_int64(s, 5, ev->step);
    sqlite3_bind_double(s, 6, ev->time);
    jn_bind_text(s, 7, ev->node);
    if (jn_run(j, s, S_CP_INSERT, err) < 0 || !(s = jn_st(j, S_TASK_LASTCP, err)))
        return -1;
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_double(s, 3, in->now);
    return jn_run(j, s, S_TASK_LASTCP, err);
}

/* A rank's start, exit or graceful timeout: its attempt_ranks row, then
 * the attempt re-aggregated. */
static int record_rank(struct ingest *in, const ts_event *ev, enum stmt_id id)
{
    ts_journal *j = in->j;
    ts_err *err = in->err;
    sqlite3_stmt *s = jn_st(j, id, err);

    if (!s)
        return -1;
    if (id == S_RANK_STARTED) {
        sqlite3_bind_double(s, 6, ev->time);
    } else if (id == S_RANK_EXITED) {
        sqlite3_bind_double(s, 6, ev->time);
        if (ev->signal > 0)
            sqlite3_bind_int(s, 8, ev->signal);
        else
            sqlite3_bind_int(s, 7, ev->exit_code);
    }
    /* The rank row's identity. */
    jn_bind_text(s, 1, ev->suite_id);
    sqlite3_bind_int64(s, 2, ev->task_idx);
    sqlite3_bind_int(s, 3, ev->attempt);
    sqlite3_bind_int(s, 4, ev->node_rank);
    jn_bind_text(s, 5, ev->node);
    if (jn_run(j, s, id, err) < 0)
        return -1;
    return jn_reaggregate(j, ev, in->now, err);
}

/* Apply one record (inside the ingest transaction). */
static int apply_event(struct ingest *in, const ts_event *ev)
{
    ts_journal *j = in->j;
    ts_err *err = in->err;
    int rc;

    /* The task must exist: a record of another suite is not ours. */
    if (strcmp(ev->suite_id, in->suite_id) != 0) {
        note_bad(in, "record of another suite");
        return 0;
    }
    /* its first record gives a packed task its row */
    if ((rc = jn_task_row(j, in->suite_id, ev->task_idx, err)) < 0)
        return -1;
    if (rc == 0) {
        note_bad(in, "record of a task not in the suite");
        return 0;
    }
    /* Once per key, ever. */
    if ((rc = event_once(j, ev, err)) <= 0)
        return rc;
    in->stats->applied++;
    if (attempt_ensure(j, ev, err) < 0)
        return -1;

    switch (ev->type) {
    case TS_EV_STARTED:
        return record_rank(in, ev, S_RANK_STARTED);
    case TS_EV_EXITED:
        return record_rank(in, ev, S_RANK_EXITED);
    case TS_EV_GRACEFUL_TIMEOUT:
        return record_rank(in, ev, S_RANK_GRACEFUL);
    case TS_EV_RESUBMITTED: {
        bool adopted;
        return jn_adopt_job(j, ev->suite_id, ev->task_idx, ev->attempt + 1,
                            (uint32_t)ev->next_job, &adopted, err);
    }
    case TS_EV_SIGNAL_RECEIVED:
        return record_warning(j, ev, err);
    case TS_EV_CHECKPOINT:
        return record_checkpoint(in, ev);
    default:
        return 0;
    }
}

static int ingest_cb(const ts_event *ev, const char *bad, void *arg)
{
    struct ingest *in = arg;

    in->stats->records++;
    if (!ev) {
        note_bad(in, bad);
        return 0;
    }
    return apply_event(in, ev) < 0 ? -1 : 0;
}

static int ingest_file(struct ingest *in, const char *path, long long size)
{
    ts_journal *j = in->j;
    sqlite3_stmt *s;
    long long pos = 0, end = 0;
    int rc;

    if (!(s = jn_st(j, S_OFFSET_GET, in->err)))
        return -1;
    jn_bind_text(s, 1, in->suite_id);
    jn_bind_text(s, 2, in->file);
    if ((rc = jn_row(j, s, S_OFFSET_GET, in->err)) < 0)
        return -1;
    if (rc == 1) {
        pos = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    if (pos == size)
        return 0;                       /* nothing new */
    in->stats->files++;
    ts_err ioerr = { .msg = "" };
    rc = ts_events_read(path, pos, ingest_cb, in, &end, &ioerr);
    if (rc < 0 && ioerr.msg[0] != '\0') {
        /* The file, not the journal: skip it, try again next time. */
        note_bad(in, ioerr.msg);
        return 0;
    }
    if (rc != 0) {
        if (in->err && ioerr.msg[0] != '\0')
            *in->err = ioerr;
        return -1;
    }
    if (end == pos)
        return 0;
    if (!(s = jn_st(j, S_OFFSET_SET, in->err)))
        return -1;
    jn_bind_text(s, 1, in->suite_id);
    jn_bind_text(s, 2, in->file);
    sqlite3_bind_int64(s, 3, end);
    return jn_run(j, s, S_OFFSET_SET, in->err);
}

static bool ev_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".ev") == 0;
}

/* Every *.ev file of one task directory, events/<name>/. */
static int scan_task_dir(struct ingest *in, int evfd, const char *evdir,
                         const char *name)
{
    char path[PATH_MAX];
    struct dirent *fe;
    DIR *td;
    int fd, rc = 0;

    if ((fd = openat(evfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
        || !(td = fdopendir(fd))) {
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(in->file, sizeof in->file, "%s", name);
            note_bad(in, strerror(errno));
        }
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while (rc == 0 && (fe = readdir(td))) {
        struct stat sb;

        if (!ev_name(fe->d_name))
            continue;
        if (!jn_fits(snprintf(path, sizeof path, "%s/%s/%s", evdir, name,
                              fe->d_name), sizeof path)
            || !jn_fits(snprintf(in->file, sizeof in->file, "%s/%s", name,
                                 fe->d_name), sizeof in->file))
            continue;
        if (fstatat(dirfd(td), fe->d_name, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
            continue;
        rc = ingest_file(in, path, (long long)sb.st_size);
    }
    closedir(td);
    return rc;
}

/* Live tasks from which on ingest lists events/ once (see jn_list_task_dirs). */
#define LIVE_LIST_MIN 4096

/* Every task directory under events/ (ts_journal_ingest_all). */
static int scan_all(struct ingest *in, int evfd, const char *evdir)
{
    int dfd = dup(evfd), rc = 0;
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;

    if (!d) {
        ts_errc(in->err, TS_EXIT_FAIL, "journal: ingest: open %s: %s", evdir,
                strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    while (rc == 0 && (de = readdir(d)))
        if (jn_all_digits(de->d_name))
            rc = scan_task_dir(in, evfd, evdir, de->d_name);
    closedir(d);
    return rc;
}

/* The directories of the live tasks only (ts_journal_ingest). */
static int scan_live(struct ingest *in, int evfd, const char *evdir)
{
    long *live = NULL, *dirs;
    size_t n = 0, nd = 0;
    int rc = 0;

    if (jn_live_tasks(in->j, in->suite_id, &live, &n, in->err) < 0)
        return -1;
    /* Many live tasks (a big suite still running): most have not
     * started and have no directory; one listing finds those that do. */
    dirs = n >= LIVE_LIST_MIN ? jn_list_task_dirs(evfd, &nd) : NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char name[32];
        if (dirs && !bsearch(&live[i], dirs, nd, sizeof *dirs, jn_cmp_long))
            continue;
        snprintf(name, sizeof name, "%ld", live[i]);
        rc = scan_task_dir(in, evfd, evdir, name);
    }
    in->stats->dirs = (long)n;
    free(dirs);
    free(live);
    return rc;
}

static int ingest(ts_journal *j, const char *suite_id, const char *suite_dir,
                  bool all, ts_ingest_stats *stats, ts_err *err)
{
    ts_ingest_stats local;
    struct ingest *in;
    char evdir[PATH_MAX];
    enum ts_suite_state state;
    int evfd, rc = 0;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!jn_fits(snprintf(evdir, sizeof evdir, "%s/events", suite_dir), sizeof evdir))
        return ts_errc(err, TS_EXIT_FAIL, "journal: ingest: path too long: %s",
                       suite_dir);
    if (!(in = calloc(1, sizeof *in)))
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: ingest: out of memory");
    *in = (struct ingest){ .j = j, .suite_id = suite_id, .stats = stats,
                           .err = err, .now = jn_now() };
    if (jn_tx_begin(j, err) < 0) {
        free(in);
        return -1;
    }
    if (jn_suite_state(j, suite_id, &state, NULL, err) < 0)
        goto fail;
    if ((evfd = open(evdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT) {          /* nothing ran yet */
            stats->dirs = -1;
            free(in);
            return jn_tx_commit(j, err);
        }
        ts_errc(err, TS_EXIT_FAIL, "journal: ingest: open %s: %s", evdir,
                strerror(errno));
        goto fail;
    }
    rc = all ? scan_all(in, evfd, evdir) : scan_live(in, evfd, evdir);
    close(evfd);
    if (rc < 0)
        goto fail;
    free(in);
    return jn_tx_commit(j, err);
fail:
    free(in);
    return jn_tx_fail(j);
}

int ts_journal_ingest(ts_journal *j, const char *suite_id,
                      const char *suite_dir, ts_ingest_stats *stats,
                      ts_err *err)
{
    return ingest(j, suite_id, suite_dir, false, stats, err);
}

int ts_journal_ingest_all(ts_journal *j, const char *suite_id,
                          const char *suite_dir, ts_ingest_stats *stats,
                          ts_err *err)
{
    return ingest(j, suite_id, suite_dir, true, stats, err);
}
