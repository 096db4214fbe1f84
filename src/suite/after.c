/* after.c: suites waiting for other suites (after.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "after.h"
#include "exitcodes.h"
#include "record.h"
#include "slurm.h"

void ts_after_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
}

typedef struct by_name {
    const char *name;
    char id[TS_SUITE_ID_LEN + 1];
} by_name;

static int match_name(const ts_suite_info *s, void *arg)
{
    by_name *b = arg;
    if (strcmp(s->name, b->name) == 0)
        memcpy(b->id, s->id, sizeof b->id);   /* oldest first: keep the newest */
    return 0;
}

int ts_after_resolve(ts_journal *j, const ts_suite *s, uid_t uid, char ***ids, size_t *n,
                     ts_err *err)
{
    ts_suite_filter f = { .only_owner = true, .owner_uid = uid };

    *ids = NULL;
    *n = 0;
    if (!s->depends_on.n)
        return 0;
    if (!(*ids = calloc(s->depends_on.n, sizeof **ids)))
        return ts_errf(err, "out of memory");
    for (size_t i = 0; i < s->depends_on.n; i++) {
        const char *want = s->depends_on.v[i];
        ts_suite_info si = { 0 };
        ts_err e = { 0 };
        by_name b = { .name = want };

        if (ts_journal_suite_get(j, want, &si, &e) == 0 && si.owner_uid == uid)
            memcpy(b.id, si.id, sizeof b.id);
        ts_suite_info_clear(&si);
        if (!b.id[0] && ts_journal_suites_foreach(j, &f, match_name, &b, err) < 0)
            goto fail;
        if (!b.id[0]) {
            ts_errc(err, TS_EXIT_FAIL, "%s: depends_on[%zu]: no suite \"%s\" of yours in the "
                    "journal (an ID or the name of a suite you submitted)", s->path, i, want);
            goto fail;
        }
        if (!((*ids)[(*n)++] = strdup(b.id))) {
            ts_errf(err, "out of memory");
            goto fail;
        }
    }
    return 0;
fail:
    ts_after_ids_free(*ids, *n);
    *ids = NULL;
    *n = 0;
    return -1;
}

int ts_after_waiting(ts_journal *j, const char *submit_record, bool *waiting,
                     char which[TS_SUITE_ID_LEN + 1], ts_err *err)
{
    ts_submit_record rec;
    ts_err e = { 0 };

    *waiting = false;
    if (which)
        which[0] = '\0';
    if (!submit_record || ts_submit_record_from_json(submit_record, &rec, &e) < 0)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < rec.nafter && !*waiting; i++) {
        ts_suite_info si = { 0 };
        ts_err ge = { 0 };
        /* gone (removed with `rm`): nothing left to wait for */
        if (ts_journal_suite_get(j, rec.after[i], &si, &ge) < 0) {
            if (ge.code != TS_EXIT_NOTFOUND) {
                *err = ge;
                rc = -1;
                break;
            }
            continue;
        }
        if (si.state != TS_SUITE_COMPLETE) {
            *waiting = true;
            if (which)
                memcpy(which, si.id, TS_SUITE_ID_LEN + 1);
        }
        ts_suite_info_clear(&si);
    }
    ts_submit_record_free(&rec);
    return rc;
}

static int note_intent(const ts_intent_info *in, void *arg)
{
    ts_err err = { 0 };
    (void)err;
    int64_t **v = arg;
    size_t n = 0;
    while ((*v)[n])
        n++;
    int64_t *nv = realloc(*v, (n + 2) * sizeof *nv);
    if (!nv)
        return -1;
    nv[n] = in->id;
    nv[n + 1] = 0;
    *v = nv;
    return 0;
}

static int release_job(const ts_slurm_job *job, void *arg)
{
    ts_err e = { 0 };
    (void)arg;
    /* not held (any more), or ended: nothing to do */
    (void)ts_slurm_release(job->array_job_id, &e);
    return 0;
}

int ts_after_release(ts_journal *j, const ts_suite_info *si, ts_err *err)
{
    int64_t *subs = calloc(1, sizeof *subs);
    int rc = -1;

    if (!subs)
        return ts_errf(err, "out of memory");
    if (ts_journal_intents_foreach(j, si->id, TS_BIT(TS_SUB_SUBMITTED), note_intent, &subs,
                                   err) < 0)
        goto out;
    for (size_t i = 0; subs[i]; i++)
        if (ts_journal_intent_jobs_foreach(j, subs[i], release_job, NULL, err) < 0)
            goto out;
    rc = 0;
out:
    free(subs);
    return rc;
}

typedef struct dependents {
    ts_journal *j;
    const char *done_id;
    char **v;
    size_t n;
    int failed;
} dependents;

static int note_dependent(const ts_suite_info *s, void *arg)
{
    dependents *d = arg;
    ts_suite_info full = { 0 };
    ts_submit_record rec;
    ts_err e = { 0 };

    if (ts_journal_suite_get(d->j, s->id, &full, &e) < 0)
        return 0;
    if (full.submit_record && ts_submit_record_from_json(full.submit_record, &rec, &e) == 0) {
        for (size_t i = 0; i < rec.nafter; i++)
            if (strcmp(rec.after[i], d->done_id) == 0) {
                char **nv = realloc(d->v, (d->n + 1) * sizeof *nv);
                if (!nv || !(nv[d->n] = strdup(s->id))) {
                    d->failed = 1;
                    if (nv)
                        d->v = nv;
                    break;
                }
                d->v = nv;
                d->n++;
                break;
            }
        ts_submit_record_free(&rec);
    }
    ts_suite_info_clear(&full);
    return 0;
}

int ts_after_dependents(ts_journal *j, const char *done_id, uid_t uid, char ***out,
                        size_t *n, ts_err *err)
{
    ts_suite_filter f = { .state_mask = TS_BIT(TS_SUITE_OPEN) | TS_BIT(TS_SUITE_CLOSED),
                          .only_owner = true, .owner_uid = uid };
    dependents d = { .j = j, .done_id = done_id };

    *out = NULL;
    *n = 0;
    if (ts_journal_suites_foreach(j, &f, note_dependent, &d, err) < 0 || d.failed) {
        ts_after_ids_free(d.v, d.n);
        return d.failed ? ts_errf(err, "out of memory") : -1;
    }
    *out = d.v;
    *n = d.n;
    return 0;
}
