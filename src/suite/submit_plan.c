/* submit_plan.c: the steps of `tasksuite submit` (see submit_plan.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "after.h"
#include "carry.h"
#include "dag.h"
#include "fault.h"
#include "layout.h"
#include "manifest.h"
#include "paths.h"
#include "poolsubmit.h"
#include "record.h"
#include "slurm.h"
#include "spec_json.h"
#include "submit_plan.h"

/* FNV-1a over path, content and where it runs: the identity of "the same
 * submit" (a --local run of a file never attaches to its cluster run). */
static void submit_key(const char *path, const char *text, size_t len, int local,
                       char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (unsigned char)(local ? 'l' : 's')) * 1099511628211ULL;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static char *slurp(const char *path, size_t *len, ts_err *err)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        ts_errf(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *b = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!b)
                break;
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    if (!buf) {
        ts_errf(err, "%s: out of memory", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* resources.any_of and the like: the first alternative the cluster's
 * nodes can hold, else the first; one line says which (p->notice). */
static void choose_candidate(ts_submit_plan *p)
{
    ts_suite *s = p->s;
    const ts_candidates *k = &s->candidates;
    char what[160];
    size_t pick = 0;
    bool found = false;
    ts_err why = { 0 };

    if (k->n == 0)
        return;
    for (size_t i = 0; !p->local && i < k->n && !found; i++) {
        bool fits = false;
        ts_spec_use_candidate(s, i);
        if (ts_slurm_resources_fit(&s->resources, s->num_nodes,
                                   ts_kv_get(&s->slurm, "partition"), &fits, &why) < 0)
            break;
        if (fits) {
            pick = i;
            found = true;
        }
    }
    ts_spec_use_candidate(s, pick);
    ts_spec_describe_resources(&s->resources, what, sizeof what);
    snprintf(p->notice, sizeof p->notice, "resources.%s: using alternative %zu of %zu (%s)%s",
             k->key, pick + 1, k->n, what,
             found ? ": the first this cluster's nodes can hold"
             : p->local ? ": --local runs on this machine"
             : why.msg[0] ? ": the cluster's nodes could not be read"
             : ": no alternative fits this cluster's nodes");
}

/* A graph inside the suite is queued as dependent arrays (submit_graph.h);
 * the --local runner and pool mode do not follow it yet (doc/dags.md), and
 * running its tasks in any order would be wrong, so they refuse it. */
static int refuse_graph(const ts_submit_plan *p, ts_err *err)
{
    const ts_suite *s = p->s;
    ts_dag g;

    if (ts_dag_build(s, &g, err) < 0)
        return -1;
    size_t n = g.n;
    ts_dag_free(&g);
    if (n && (p->local || ts_pool_mode(s, p->local)))
        return ts_errf(err, "%s: depends_on between %s is not followed %s yet "
                       "(see doc/dags.md); submit it to Slurm without it",
                       s->path, s->nstages ? "stages" : "tasks",
                       p->local ? "by --local" : "in pool mode (worker_schedule)");
    return 0;
}

int ts_submit_validate(ts_submit_plan *p, ts_err *err)
{
    extern char **environ;
    if (ts_spec_load(p->arg_file, &p->s, err) < 0
        || ts_spec_apply_launch_env(p->s, p->launch_env, environ, err) < 0
        || refuse_graph(p, err) < 0)
        return -1;
    choose_candidate(p);
    if (ts_expand_lazy(p->s, &p->tl, err) < 0 || ts_slurm_options(p->s, &p->opts, err) < 0)
        return -1;
    return 0;
}

/* output_dir is the run directory itself: one suite per directory. */
static int check_output_dir(ts_submit_plan *p, const char *outdir, ts_err *err)
{
    free(p->s->output_dir);
    if (!(p->s->output_dir = strdup(outdir)))
        return ts_errf(err, "out of memory");
    char stamp[PATH_MAX + 16];
    snprintf(stamp, sizeof stamp, "%s/suite.json", outdir);
    /* Compute nodes run what this directory holds: refuse one that
     * others could change, before anything is written (layout.h). */
    if (!p->dry_run && ts_secure_dir_check(outdir, "output_dir", err) < 0)
        return -1;
    if (!p->dry_run && access(stamp, F_OK) == 0) {
        ts_runspec held;
        ts_err e2 = { 0 };
        if (ts_runspec_read(stamp, &held, &e2) == 0) {
            ts_errf(&p->dir_err,
                    "%s: output_dir %s already holds suite %s (choose another output_dir)",
                    p->arg_file, outdir, held.id);
            ts_runspec_free(&held);
            p->dir_taken = true;
        }
    }
    return 0;
}

int ts_submit_prepare(ts_submit_plan *p, ts_err *err)
{
    char outdir[PATH_MAX];
    const ts_suite *s = p->s;
    ssize_t n = readlink("/proc/self/exe", p->self, sizeof p->self - 1);
    if (n < 0)
        return ts_errf(err, "cannot find my own executable: %s", strerror(errno));
    p->self[n] = '\0';
    if (ts_path_absolute(p->arg_file, p->file, sizeof p->file, err) < 0
        || ts_path_absolute(s->workdir ? s->workdir : ".", p->workdir, sizeof p->workdir, err) < 0
        || (s->output_dir && ts_path_absolute(s->output_dir, outdir, sizeof outdir, err) < 0)
        || !(p->text = slurp(p->file, &p->len, err)))
        return -1;
    /* The journal keeps the file to resubmit from, never a secret's value:
     * the compute side reads those from the run directory (manifest.h). */
    if (!(p->journal_text = ts_spec_redact_secrets(p->s, p->text, p->len)))
        return ts_errf(err, "out of memory");
    if (s->output_dir && check_output_dir(p, outdir, err) < 0)
        return -1;
    submit_key(p->file, p->text, p->len, p->local, p->key);
    /* The plugin carries the hooks in the job's SPANK environment: refuse
     * here what it would refuse under sbatch. */
    char *hooks = ts_hooks_serialize(p->s, "xxxxxxxx", p->workdir);
    size_t hlen = hooks ? strlen(hooks) : 0;
    free(hooks);
    if (hlen > TS_HOOKSPEC_MAX)
        return ts_errf(err, "%s: the hooks are larger than %d bytes; move long scripts into a file and call it with args:",
                       p->arg_file, TS_HOOKSPEC_MAX);
    p->ctx = (ts_submit_ctx){ .s = p->s, .tl = &p->tl, .spec_file = p->file,
                              .workdir = p->workdir, .self = p->self, .throttle = p->throttle };
    return 0;
}

typedef struct find_same {
    ts_journal *j;
    const char *key;
    char id[TS_SUITE_ID_LEN + 1];
} find_same;

static int match_key(const ts_suite_info *s, void *arg)
{
    find_same *f = arg;
    ts_suite_info full = { 0 };
    ts_submit_record rec;
    ts_err err = { 0 };
    int found = 0;
    if (ts_journal_suite_get(f->j, s->id, &full, &err) == 0 && full.submit_record
        && ts_submit_record_from_json(full.submit_record, &rec, &err) == 0) {
        found = rec.submit_key && strcmp(rec.submit_key, f->key) == 0;
        ts_submit_record_free(&rec);
    }
    ts_suite_info_clear(&full);
    /* Suites come oldest first: the last match is the newest (after --new). */
    if (found)
        memcpy(f->id, s->id, sizeof f->id);
    return 0;
}

static int create_suite(ts_submit_plan *p, ts_err *err)
{
    ts_submit_record rec = { .submit_key = p->key, .file = p->file, .workdir = p->workdir,
                             .self = p->self, .local = p->local, .yaml = p->journal_text,
                             .candidate = (long)p->s->candidates.chosen };
    /* depends_on: other suites, resolved now (after.h) */
    if (ts_after_resolve(p->j, p->s, getuid(), &rec.after, &rec.nafter, err) < 0)
        return -1;
    if (rec.nafter && p->local) {
        ts_after_ids_free(rec.after, rec.nafter);
        return ts_errf(err, "%s: depends_on (other suites) is not followed by --local; "
                       "submit it to Slurm", p->s->path);
    }
    char *json = ts_submit_record_to_json(&rec);
    ts_after_ids_free(rec.after, rec.nafter);
    if (!json)
        return ts_errf(err, "out of memory");
    int rc = ts_journal_suite_create_from_spec(p->j, p->s, &p->tl, json, p->id, &p->sub_id,
                                               err);
    free(json);
    return rc;
}

int ts_submit_open(ts_submit_plan *p, ts_err *err)
{
    /* Slurm unreachable: say so before anything is written. A suite larger
     * than MaxJobCount (every element counts) is queued in waves. */
    uint32_t max_array;
    if (!p->local && ts_slurm_limits(&max_array, &p->max_jobs, err) < 0)
        return -1;
    if (ts_journal_open(NULL, &p->j, err) < 0 || ts_journal_lock(p->j, err) < 0)
        return -1;
    p->locked = true;
    p->ctx.j = p->j;

    find_same same = { .j = p->j, .key = p->key };
    /* A complete suite too: submitting its file again retries what did not
     * complete (ts_submit_rerun). A cancelled one is left alone. */
    ts_suite_filter f = { .state_mask = TS_BIT(TS_SUITE_OPEN) | TS_BIT(TS_SUITE_CLOSED)
                                        | TS_BIT(TS_SUITE_COMPLETE),
                          .only_owner = true, .owner_uid = getuid() };
    if (!p->fresh && ts_journal_suites_foreach(p->j, &f, match_key, &same, err) < 0)
        return -1;
    if (!same.id[0] && p->dir_taken) {
        *err = p->dir_err;
        return -1;
    }
    if (same.id[0]) {
        memcpy(p->id, same.id, sizeof p->id);
        if (ts_submission_first_intent(p->j, p->id, &p->sub_id, err) < 0)
            return -1;
        p->attached = true;
        p->ctx.recover = true;
    } else {
        if (create_suite(p, err) < 0)
            return -1;
        ts_fault_point("after-journal");
    }
    p->ctx.suite_id = p->id;
    return 0;
}

/* Slurm refused before any array was queued: leave nothing behind. Once
 * one array is queued, keep everything: running the same command again
 * finishes the submission. */
static void undo_or_keep(ts_submit_plan *p)
{
    ts_err e2 = { 0 };
    char gone[TS_SUITE_ID_LEN + 1];
    if (!p->ctx.recover && ts_journal_suite_discard(p->j, p->id, &e2) == 0
        && ts_journal_suite_resolve(p->j, p->id, gone, &e2) < 0) {
        ts_pool_remove_unused(p->dir);   /* pool mode's files, if any */
        ts_layout_remove_unused(p->dir);
    }
    else
        p->partly_submitted = true;
}

int ts_submit_queue(ts_submit_plan *p, ts_err *err)
{
    char path[PATH_MAX];
    const ts_suite *s = p->s;
    if (ts_layout_suite_dir(ts_journal_home(p->j), s->output_dir, p->id, p->dir, sizeof p->dir,
                            err) < 0
        || ts_secure_dir(p->dir, TS_RUN_DIR_MODE, s->output_dir ? "output_dir" : "run directory",
                         err) < 0
        || ts_layout_runspec(p->dir, path, sizeof path, err) < 0)
        return -1;
    p->ctx.suite_dir = p->dir;
    if (p->sub_id) {
        if (access(path, F_OK) < 0
            && ts_runspec_write(path, s, p->id, p->dir, p->workdir, err) < 0)
            return -1;
        /* --local: marked here, run by the caller once the journal is unlocked. */
        ts_carry_opts how = { .local = p->local, .watch_cmd = "submit",
                              .watch_look = p->ctx.recover, .first = true };
        enum ts_carry_step failed_at;
        if (ts_submission_carry_out(&p->ctx, p->sub_id, &how, &failed_at, err) < 0) {
            if (failed_at == TS_CARRY_QUEUE)
                undo_or_keep(p);
            return -1;
        }
    }
    ts_fault_point("after-submit");
    return 0;
}

long ts_submit_waiting(const ts_submit_plan *p)
{
    long waiting = 0;
    ts_err we = { 0 };
    if (p->local || ts_journal_waiting(p->j, p->id, &waiting, &we) < 0)
        return 0;
    return waiting;
}

void ts_submit_unlock(ts_submit_plan *p)
{
    if (p->locked)
        ts_journal_unlock(p->j);
    p->locked = false;
}

void ts_submit_plan_free(ts_submit_plan *p)
{
    ts_submit_unlock(p);
    ts_journal_close(p->j);
    p->j = NULL;
    free(p->text);
    free(p->journal_text);
    p->text = p->journal_text = NULL;
    ts_kvlist_free(&p->opts);
    ts_tasklist_free(&p->tl);
    ts_spec_free(p->s);
    p->s = NULL;
}
