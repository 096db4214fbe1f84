/* triggers.h: the journal's record of on_checkpoint (issue 16): which
 * checkpoint of which task became which triggered task.
 *
 * Exactly once per (task, checkpoint). A checkpoint is identified by its
 * source task and its key: the step ("s<step>") when it has one, else its
 * path ("p<path>"), so a resumed attempt that records the same step again
 * names the same checkpoint. The edge (source, key) -> triggered task is a
 * row with that primary key, written in ONE transaction with the
 * triggered task and its submission intent: after a crash either all of
 * them exist (the intent is carried out by the next sync, as any intent a
 * crash left) or none (the checkpoint is still past the suite's mark and
 * is looked at again).
 *
 * The mark: the highest checkpoints.id already looked at, per suite, so a
 * sync reads only checkpoints recorded since. Moved in the same
 * transaction as the edges it creates.
 *
 * Tables (and an index checkpoints(suite_id, id) for the read past the
 * mark) are created on first use (IF NOT EXISTS), not by a migration step:
 * the feature's rows live only in them, a journal without them simply has
 * no triggered tasks, and branches adding migrations do not collide. Rows
 * go with their suite (ON DELETE CASCADE).
 */
#ifndef TS_JOURNAL_TRIGGERS_H
#define TS_JOURNAL_TRIGGERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"

/* A checkpoint recorded after the mark. */
typedef struct ts_ckpt_new {
    int64_t id;
    long task_idx;
    int attempt;
    const char *path;
    long step;                    /* -1: none */
} ts_ckpt_new;

typedef int (*ts_ckpt_new_cb)(const ts_ckpt_new *c, void *arg);

/* Create the tables if missing (under the writer lock). */
int ts_journal_triggers_ensure(ts_journal *j, ts_err *err);

/* The suite's mark (0: none yet). */
int ts_journal_trigger_mark(ts_journal *j, const char *suite_id, int64_t *mark,
                            ts_err *err);

/* Checkpoints of the suite with id > after, in id order. */
int ts_journal_checkpoints_after(ts_journal *j, const char *suite_id, int64_t after,
                                 ts_ckpt_new_cb cb, void *arg, ts_err *err);

/* Whether the edge (source_idx, key) exists; key as above. */
int ts_journal_trigger_exists(ts_journal *j, const char *suite_id, long source_idx,
                              const char *key, bool *exists, ts_err *err);

/* Whether task idx is a triggered task (the target of an edge). */
int ts_journal_trigger_is_target(ts_journal *j, const char *suite_id, long idx,
                                 bool *is, ts_err *err);

/* The name of task idx, which has a row (it recorded a checkpoint). */
int ts_journal_trigger_source_name(ts_journal *j, const char *suite_id, long idx, char *buf,
                                   size_t len, ts_err *err);

/* One new edge and its triggered task. */
typedef struct ts_trigger_new {
    long source_idx;
    const char *key;
    long step;                    /* -1: none */
    const char *path;
    ts_task_new task;             /* name, args_json */
} ts_trigger_new;

/* In one transaction: the triggered tasks (appended as `add` appends, with
 * one intent for them), their edges, and the mark moved to new_mark. n may
 * be 0 (only the mark moves). *sub_id (may be NULL): the intent, 0 when n
 * is 0. */
int ts_journal_triggers_add(ts_journal *j, const char *suite_id, const ts_trigger_new *v,
                            size_t n, int64_t new_mark, int64_t *sub_id, ts_err *err);

/* The edges of a suite in (source, step) order, with the triggered task's
 * name and state. A journal without the tables has none. */
typedef struct ts_trigger_info {
    long source_idx;
    const char *source_name;
    long step;                    /* -1: none */
    const char *path;
    long target_idx;
    const char *target_name;
    enum ts_task_state target_state;
} ts_trigger_info;

typedef int (*ts_trigger_cb)(const ts_trigger_info *t, void *arg);
int ts_journal_triggers_foreach(ts_journal *j, const char *suite_id, ts_trigger_cb cb,
                                void *arg, ts_err *err);

#endif
