/* layout.h: where a suite's files live (SPEC.md section 6).
 *
 *   SUITEDIR/                      $TASKSUITE_HOME/suites/ID, or the suite's
 *                                  output_dir: (then one suite per directory)
 *     suite.json                   runtime spec for compute nodes (read-only)
 *     manifests/sub-N.jsonl        one line per array element of submission N
 *     tasks/NAME/                  TASK_SUITE_TASK_DIR, kept across attempts
 *     tasks/NAME/attempt-K/stdout  per-attempt output (node-R.stdout when
 *                          stderr   the task spans several nodes)
 *     events/IDX/...               append-only records (events.h)
 *     slurm/                       Slurm's own output of the batch scripts
 *
 * All functions return 0, or -1 with err when the path does not fit.
 */
#ifndef TS_LAYOUT_H
#define TS_LAYOUT_H

#include <stddef.h>

#include "err.h"

int ts_layout_suite_dir(const char *home, const char *output_dir, const char *id,
                        char *buf, size_t len, ts_err *err);
int ts_layout_task_dir(const char *suite_dir, const char *task, char *buf,
                       size_t len, ts_err *err);
int ts_layout_attempt_dir(const char *suite_dir, const char *task, int attempt,
                          char *buf, size_t len, ts_err *err);
/* stdout/stderr of one node of an attempt; which = "stdout" | "stderr". */
int ts_layout_output(const char *suite_dir, const char *task, int attempt,
                     int node_rank, int num_nodes, const char *which, char *buf,
                     size_t len, ts_err *err);
int ts_layout_manifest(const char *suite_dir, long sub_id, char *buf, size_t len,
                       ts_err *err);
int ts_layout_runspec(const char *suite_dir, char *buf, size_t len, ts_err *err);

/* Undo a run directory that submit just created and no task ever used:
 * removes suite.json, manifests/sub-N.jsonl and the empty directories,
 * nothing else (a directory holding anything more stays). */
void ts_layout_remove_unused(const char *suite_dir);

/* mkdir -p with mode for every created component. */
int ts_mkdirs(const char *path, unsigned mode, ts_err *err);

/* Trusted directories: the run directory and what tasksuite makes in it
 * (compute nodes read their manifests there, then run what they say) and
 * the journal's directory (resubmissions are rebuilt from the journal).
 * Anyone who can change one could run code as its owner, so:
 *
 *   - the directory itself must be a directory, not a symbolic link, owned
 *     by the effective uid, not writable by group or others, and writable
 *     (with search) by us;
 *   - no existing directory above it may be writable by others without the
 *     sticky bit (/tmp is fine above it, never as the directory itself); a
 *     group-writable or foreign-owned parent (a shared project directory)
 *     is trusted, and so are symbolic links above it (/scratch -> ...).
 *
 * Refusals are one line naming the path and what is wrong, prefixed by
 * `what` ("output_dir", "run directory", "journal directory").
 *
 * ts_secure_dir creates what is missing (parents too) with mode, less the
 * umask; nothing is created under a refused parent. ts_secure_dir_check
 * creates nothing, and a missing directory passes when its existing
 * parents do (submit checks output_dir before writing anything). */
#define TS_RUN_DIR_MODE 0750     /* group may read: shared project dirs */
int ts_secure_dir(const char *path, unsigned mode, const char *what, ts_err *err);
int ts_secure_dir_check(const char *path, const char *what, ts_err *err);

#endif
