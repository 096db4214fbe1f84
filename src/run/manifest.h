/* manifest.h: what the compute side reads instead of the journal.
 *
 * runspec (SUITEDIR/suite.json): the suite-level facts every task needs,
 * written once at submit, read by every `tasksuite exec`.
 *
 * manifest (SUITEDIR/manifests/sub-N.jsonl): one JSON line per array element
 * of submission N; element i of a chunk submitted with index offset O reads
 * line O + i. The first submission of a pure matrix suite gets the lazy form
 * instead: one line holding the axes, from which element O + i decodes task
 * O + i (expand.h: ts_lazy_matrix), so its size does not grow with the
 * task count. Both are written to a temporary name, fsync'd and renamed, so
 * a reader never sees half a file, and made read-only.
 *
 * Readers run what these files say, so they refuse a file that is a
 * symbolic link, not owned by the effective uid (the job's user), or
 * writable by group or others, with one line naming it.
 */
#ifndef TS_MANIFEST_H
#define TS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "err.h"
#include "expand.h"
#include "spec.h"

typedef struct ts_runspec {
    char *id;
    char *name;
    char *dir;              /* absolute suite run directory */
    char *file;             /* the suite file as given to submit (may be NULL) */
    char *workdir;          /* absolute, NULL: the job's cwd */
    ts_kvlist envs;         /* the suite's envs */
    ts_kvlist secrets;      /* the suite's secrets (TS_SECRETS_FILE) */
    int num_nodes;
    int gpus_per_node;      /* resources.accelerators' count, 0: none */
    int warn_signal;        /* resume.signal */
    int warn_lead_s;
    int max_retries;
    unsigned retry_on;
    ts_kvlist sbatch;       /* the sbatch options the suite's arrays were
                               submitted with (slurmopt.h), for in-job resume */
    int has_sbatch;         /* 0: a runspec from before they were recorded */
    ts_worker_schedule workers; /* pool mode (.present); cores owned */
} ts_runspec;

/* secrets: go to SUITEDIR/secrets.json, mode 0400, beside the runspec
 * (which is world-readable): never into the journal or a log. */
#define TS_SECRETS_FILE "secrets.json"

int ts_runspec_write(const char *path, const ts_suite *s, const char *id,
                     const char *dir, const char *workdir, ts_err *err);
int ts_runspec_read(const char *path, ts_runspec *out, ts_err *err);
void ts_runspec_free(ts_runspec *r);

typedef struct ts_manifest_entry {
    long task_idx;
    char *name;
    int attempt;            /* attempt this submission starts */
    char *setup;            /* NULL: none */
    char *run;
    ts_kvlist env;          /* TASK_SUITE_ARG_* */
} ts_manifest_entry;

/* Write n entries atomically (tmp + fsync + rename, mode 0444). */
int ts_manifest_write(const char *path, const ts_manifest_entry *v, size_t n,
                      ts_err *err);
/* The lazy form, for a fresh submission of every task of a pure matrix
 * (expand.h: ts_lazy_matrix), position p = task p, attempt 1: one line
 * holding the axes and the command text, whatever the task count. */
int ts_manifest_write_lazy(const char *path, const ts_lazy_matrix *m, ts_err *err);
/* Read the entry on line `position` (0-based), or task `position` of a lazy
 * manifest: the same entry either way. */
int ts_manifest_read(const char *path, long position, ts_manifest_entry *out,
                     ts_err *err);
void ts_manifest_entry_free(ts_manifest_entry *e);

/* A manifest mapped once with the offset of every line, for a reader of
 * many entries (the pool agent: reading line p from the top for each task
 * made a task's cost grow with p). After a rename over the file (tasks
 * added) it is stale: open it again. */
typedef struct ts_manifest_index {
    const char *map;
    size_t size;
    size_t *off;            /* off[i]: line i's first byte */
    long n;                 /* lines (1 for the lazy form) */
    int lazy;
    dev_t dev;
    ino_t ino;
} ts_manifest_index;
int ts_manifest_index_open(const char *path, ts_manifest_index *ix, ts_err *err);
/* True when line `position` may not be what the file at path holds now. */
bool ts_manifest_index_stale(const ts_manifest_index *ix, const char *path, long position);
int ts_manifest_index_entry(const ts_manifest_index *ix, const char *path, long position,
                            ts_manifest_entry *e, ts_err *err);
void ts_manifest_index_close(ts_manifest_index *ix);

/* Write a whole small file atomically with mode: PATH.tmp.PID created with
 * O_EXCL|O_NOFOLLOW (mode 0600 until written; a stale file or link there
 * is removed, never written through), fsync, fchmod, rename. */
int ts_write_file_atomic(const char *path, const char *data, size_t len,
                         unsigned mode, ts_err *err);

#endif
