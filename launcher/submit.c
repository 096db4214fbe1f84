/* submit.c: `tasksuite submit FILE [--detach] [--local] [--dry-run]
 *                                  [--throttle N] [--new]`
 *
 * Validates, writes the suite + tasks + a submission intent to the journal
 * in one transaction, writes the run directory (runspec, manifest), submits
 * the arrays through libslurm and prints the 8-character suite ID. Submit is
 * idempotent: while a suite made from the same file (same path and content)
 * is still active, submitting it again attaches to that suite and finishes
 * whatever an interrupted run left undone, instead of queueing it twice
 * (--new forces a fresh suite). Without --detach it follows progress until
 * no task is pending or running; Ctrl-C detaches, never cancels.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "ctrlc.h"
#include "exitcodes.h"
#include "expand.h"
#include "fault.h"
#include "journal.h"
#include "layout.h"
#include "localrun.h"
#include "manifest.h"
#include "paths.h"
#include "progress.h"
#include "slurm.h"
#include "slurmopt.h"
#include "spec.h"
#include "spec_json.h"
#include "submission.h"
#include "sync.h"

typedef struct submit_opts {
    int detach, local, dry_run, fresh;
    uint32_t throttle;
    const char *file;
} submit_opts;

static int usage(void)
{
    fprintf(stderr, "usage: tasksuite submit FILE [--detach] [--local] [--dry-run] [--throttle N] [--new]\n");
    return TS_EXIT_USAGE;
}

static int fail(const ts_err *err)
{
    fprintf(stderr, "tasksuite submit: %s\n", err->msg);
    return err->code ? err->code : TS_EXIT_FAIL;
}

static int parse(int argc, char **argv, submit_opts *o)
{
    static const struct option longopts[] = {
        { "detach", no_argument, NULL, 'd' },
        { "local", no_argument, NULL, 'l' },
        { "dry-run", no_argument, NULL, 'n' },
        { "throttle", required_argument, NULL, 't' },
        { "new", no_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->detach = 1; break;
        case 'l': o->local = 1; break;
        case 'n': o->dry_run = 1; break;
        case 'N': o->fresh = 1; break;
        case 't': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 1000000) {
                fprintf(stderr, "tasksuite submit: --throttle: \"%s\" is not a positive count\n", optarg);
                return -1;
            }
            o->throttle = (uint32_t)v;
            break;
        }
        case 'h':
            printf("usage: tasksuite submit FILE [--detach] [--local] [--dry-run] [--throttle N] [--new]\n");
            exit(0);
        default:
            return -1;
        }
    }
    if (optind != argc - 1)
        return -1;
    o->file = argv[optind];
    return 0;
}

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

/* What the journal keeps of the suite so later resubmissions can rebuild
 * the commands: the file as submitted, not as it may have changed since. */
static char *journal_spec(const char *text, const char *key, const char *file,
                          const char *workdir, const char *self, int local)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "submit_key", key);
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddStringToObject(o, "workdir", workdir);
    cJSON_AddStringToObject(o, "tasksuite", self);
    cJSON_AddBoolToObject(o, "local", local);
    cJSON_AddStringToObject(o, "yaml", text);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
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
    ts_err err = { 0 };
    int found = 0;
    if (ts_journal_suite_get(f->j, s->id, &full, &err) == 0 && full.spec_json) {
        cJSON *o = cJSON_Parse(full.spec_json);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "submit_key");
        found = cJSON_IsString(k) && strcmp(k->valuestring, f->key) == 0;
        cJSON_Delete(o);
    }
    ts_suite_info_clear(&full);
    if (found)
        memcpy(f->id, s->id, sizeof f->id);
    return found;
}

static int has_intent(const ts_intent_info *in, void *arg)
{
    *(int64_t *)arg = in->id;
    return 1;
}

/* Follow until nothing is pending or running; Ctrl-C detaches. */
static int follow(ts_journal *j, const char *id, int local)
{
    ts_sync_opts so = { .no_slurm = local };
    ts_counts c = { 0 };
    ts_err err = { 0 };
    long last_done = -1;
    int tty = isatty(STDERR_FILENO);
    ts_ctrlc_catch();

    while (!ts_ctrlc()) {
        if (ts_sync(j, id, &so, NULL, &err) < 0 || ts_journal_counts(j, id, &c, &err) < 0)
            return fail(&err);
        if (c.done != last_done || tty) {
            char text[96], bar[64], counts[256];
            ts_progress_text(text, sizeof text, c.done, c.total);
            ts_progress_counts(counts, sizeof counts, &c, true);
            if (tty) {
                ts_progress_bar(bar, sizeof bar, c.done, c.total, 30);
                fprintf(stderr, "\r\033[K%s %s  %s", bar, text, counts);
            } else {
                fprintf(stderr, "%s: %s\n", text, counts);
            }
            last_done = c.done;
        }
        if (c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 0)
            break;
        ts_nap_ms(2000);
    }
    if (tty)
        fputc('\n', stderr);
    if (ts_ctrlc()) {
        fprintf(stderr, "detached; suite %s keeps running (tasksuite status %s)\n", id, id);
        return TS_EXIT_OK;
    }
    return c.n[TS_TASK_COMPLETED] == c.total ? TS_EXIT_OK : TS_EXIT_FAIL;
}

int cmd_submit(int argc, char **argv)
{
    submit_opts o;
    ts_suite *s = NULL;
    ts_tasklist tl = { 0 };
    ts_kvlist opts = { 0 };
    ts_journal *j = NULL;
    ts_err err = { 0 };
    char file[PATH_MAX], workdir[PATH_MAX], self[PATH_MAX], outdir[PATH_MAX];
    char dir[PATH_MAX], path[PATH_MAX], key[17], id[TS_SUITE_ID_LEN + 1];
    char *text = NULL, *spec = NULL;
    size_t len = 0;
    int64_t sub_id = 0;
    int rc = TS_EXIT_FAIL, locked = 0, same_dir_suite = 0;

    if (parse(argc, argv, &o) < 0)
        return usage();
    /* Validation: nothing is written anywhere before all of it passed. */
    if (ts_spec_load(o.file, &s, &err) < 0 || ts_expand(s, &tl, &err) < 0
        || ts_slurm_options(s, &opts, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < s->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", s->warnings.v[i]);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        ts_errf(&err, "cannot find my own executable: %s", strerror(errno));
        rc = fail(&err);
        goto out;
    }
    self[n] = '\0';
    if (ts_path_absolute(o.file, file, sizeof file, &err) < 0
        || ts_path_absolute(s->workdir ? s->workdir : ".", workdir, sizeof workdir, &err) < 0
        || (s->output_dir && ts_path_absolute(s->output_dir, outdir, sizeof outdir, &err) < 0)
        || !(text = slurp(file, &len, &err))) {
        rc = fail(&err);
        goto out;
    }
    if (s->output_dir) {
        free(s->output_dir);
        s->output_dir = strdup(outdir);
        /* output_dir is the run directory itself: one suite per directory. */
        char stamp[PATH_MAX + 16];
        snprintf(stamp, sizeof stamp, "%s/suite.json", outdir);
        /* Compute nodes run what this directory holds: refuse one that
         * others could change, before anything is written (layout.h). */
        if (!o.dry_run && ts_secure_dir_check(outdir, "output_dir", &err) < 0) {
            rc = fail(&err);
            goto out;
        }
        if (!o.dry_run && access(stamp, F_OK) == 0) {
            ts_runspec held;
            ts_err e2 = { 0 };
            if (ts_runspec_read(stamp, &held, &e2) == 0) {
                ts_errf(&err, "%s: output_dir %s already holds suite %s (choose another output_dir)",
                        o.file, outdir, held.id);
                ts_runspec_free(&held);
                same_dir_suite = 1;
            }
        }
    }
    submit_key(file, text, len, o.local, key);
    /* The plugin carries the hooks in the job's SPANK environment: refuse
     * here what it would refuse under sbatch. */
    char *hooks = ts_hooks_serialize(s, "xxxxxxxx", workdir);
    size_t hlen = hooks ? strlen(hooks) : 0;
    free(hooks);
    if (hlen > TS_HOOKSPEC_MAX) {
        ts_errf(&err, "%s: the hooks are larger than %d bytes; move long scripts into a file and call it with args:",
                o.file, TS_HOOKSPEC_MAX);
        rc = fail(&err);
        goto out;
    }

    ts_submit_ctx ctx = { .s = s, .tl = &tl, .spec_file = file, .workdir = workdir,
                          .self = self, .throttle = o.throttle };
    if (o.dry_run) {
        ctx.suite_id = "(new)";
        rc = ts_submission_describe(&ctx, (long)tl.n, stdout, &err) < 0 ? fail(&err)
                                                                         : TS_EXIT_OK;
        goto out;
    }
    /* Slurm unreachable: say so before anything is written. A suite larger
     * than MaxJobCount (every element counts) is queued in waves. */
    uint32_t max_array, max_jobs = 0;
    if (!o.local && ts_slurm_limits(&max_array, &max_jobs, &err) < 0) {
        rc = fail(&err);
        goto out;
    }
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0) {
        rc = fail(&err);
        goto out;
    }
    locked = 1;
    ctx.j = j;

    find_same same = { .j = j, .key = key };
    ts_suite_filter f = { .state_mask = TS_BIT(TS_SUITE_OPEN) | TS_BIT(TS_SUITE_CLOSED),
                          .only_owner = true, .owner_uid = getuid() };
    if (!o.fresh && ts_journal_suites_foreach(j, &f, match_key, &same, &err) < 0) {
        rc = fail(&err);
        goto out;
    }
    if (!same.id[0] && same_dir_suite) {
        rc = fail(&err);
        goto out;
    }
    if (same.id[0]) {
        memcpy(id, same.id, sizeof id);
        if (ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), has_intent, &sub_id,
                                       &err) < 0) {
            rc = fail(&err);
            goto out;
        }
        fprintf(stderr, "tasksuite submit: %s is already suite %s%s\n", o.file, id,
                sub_id ? "; finishing its interrupted submission" : " (use --new for another)");
        ctx.recover = true;
    } else {
        spec = journal_spec(text, key, file, workdir, self, o.local);
        if (!spec || ts_journal_suite_create_from_spec(j, s, &tl, spec, id, &sub_id, &err) < 0) {
            rc = fail(&err);
            goto out;
        }
        ts_fault_point("after-journal");
    }
    ctx.suite_id = id;
    if (ts_layout_suite_dir(ts_journal_home(j), s->output_dir, id, dir, sizeof dir, &err) < 0
        || ts_secure_dir(dir, TS_RUN_DIR_MODE, s->output_dir ? "output_dir" : "run directory",
                         &err) < 0
        || ts_layout_runspec(dir, path, sizeof path, &err) < 0) {
        rc = fail(&err);
        goto out;
    }
    ctx.suite_dir = dir;
    if (sub_id) {
        if ((access(path, F_OK) < 0
             && ts_runspec_write(path, s, id, dir, workdir, &err) < 0)
            || ts_submission_write_manifest(&ctx, sub_id, &err) < 0) {
            rc = fail(&err);
            goto out;
        }
        ts_fault_point("after-manifest");
        if (o.local ? ts_localrun_mark(j, sub_id, &err) < 0
                    : ts_submission_submit(&ctx, sub_id, NULL, &err) < 0) {
            rc = fail(&err);
            /* Slurm refused before any array was queued: leave nothing
             * behind. Once one array is queued, keep everything: running
             * the same command again finishes the submission. */
            ts_err e2 = { 0 };
            char gone[TS_SUITE_ID_LEN + 1];
            if (!ctx.recover && ts_journal_suite_discard(j, id, &e2) == 0
                && ts_journal_suite_resolve(j, id, gone, &e2) < 0)
                ts_layout_remove_unused(dir);
            else
                fprintf(stderr, "tasksuite submit: suite %s is partly submitted; run the same command again to finish it\n", id);
            goto out;
        }
        if (!o.local)
            ts_submission_watch_or_warn(&ctx, "submit", ctx.recover);
    }
    ts_fault_point("after-submit");
    long waiting = 0;
    ts_err we = { 0 };
    if (!o.local && ts_journal_waiting(j, id, &waiting, &we) == 0 && waiting > 0)
        fprintf(stderr, "tasksuite submit: %ld of %zu tasks wait for room in Slurm "
                "(MaxJobCount %u, or your job limits): they are queued in waves as "
                "earlier ones end\n", waiting, tl.n, max_jobs);
    ts_journal_unlock(j);
    locked = 0;
    printf("%s\n", id);
    fflush(stdout);
    if (o.local) {
        if (ts_localrun(j, id, dir, self, &err) < 0) {
            rc = fail(&err);
            goto out;
        }
        rc = follow(j, id, 1);
    } else {
        rc = o.detach ? TS_EXIT_OK : follow(j, id, 0);
    }
out:
    if (locked)
        ts_journal_unlock(j);
    ts_journal_close(j);
    free(spec);
    free(text);
    ts_kvlist_free(&opts);
    ts_tasklist_free(&tl);
    ts_spec_free(s);
    return rc;
}
