/* submission_int.h: pieces of submission.c that pool mode (poolsubmit.c)
 * shares: the job environment, shell quoting and safety-net jobs. Not for
 * other callers. */
#ifndef TS_SUBMISSION_INT_H
#define TS_SUBMISSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "submission.h"

typedef struct ts_strv {
    char **v;
    size_t n, cap;
} ts_strv;

void ts_strv_free(ts_strv *s);

/* The job environment (env) and the SPANK environment (spank) every job of
 * the suite carries (--task-suite as sbatch would pass it). */
int ts_submission_envs(const ts_submit_ctx *c, ts_strv *env, ts_strv *spank, ts_err *err);

/* 'text' as one shell word; -1 when it does not fit len. */
int ts_sub_shell_quote(char *buf, size_t len, const char *text);

/* A reconcile job (`tasksuite reconcile ID`) of the suite with recovery key
 * `key`, after dep (NULL: none, e.g. "afterany:12:13"). */
int ts_submission_safety_job(const ts_submit_ctx *c, const char *key, const char *dep,
                             uint32_t *job_id, ts_err *err);

#endif
