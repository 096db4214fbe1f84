/* rerun.c: `submit FILE` again for a suite that exists (see rerun.h). */
#include "config.h"

#include <string.h>

#include "rerun.h"
#include "retry.h"
#include "sync.h"

int ts_submit_rerun(ts_journal *j, const char *suite_id, bool local, ts_rerun *r,
                    ts_err *err)
{
    ts_sync_opts so = { .no_slurm = local, .quiet = true };
    ts_suite_info si = { 0 };
    ts_counts c;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (ts_sync(j, suite_id, &so, NULL, err) < 0
        || ts_journal_suite_get(j, suite_id, &si, err) < 0
        || ts_journal_counts(j, suite_id, &c, err) < 0)
        goto out;
    r->total = c.total;
    r->not_completed = c.total - c.n[TS_TASK_COMPLETED] - c.n[TS_TASK_PENDING]
                       - c.n[TS_TASK_RUNNING];
    if (c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] > 0) {
        r->kind = TS_RERUN_ACTIVE;
    } else if (r->not_completed == 0) {
        r->kind = TS_RERUN_DONE;
    } else {
        r->kind = TS_RERUN_RETRY;
    }
    rc = 0;
out:
    ts_suite_info_clear(&si);
    return rc;
}

int ts_submit_rerun_retry(ts_journal *j, const char *suite_id, ts_rerun *r, ts_err *err)
{
    ts_suite_info si = { 0 };
    ts_retry_result res;
    int rc = ts_journal_suite_get(j, suite_id, &si, err) < 0
             || ts_suite_retry(j, &si, NULL, 0, &res, err) < 0 ? -1 : 0;
    if (rc == 0)
        r->resubmitted = res.resubmitted;
    ts_suite_info_clear(&si);
    return rc;
}
