/* jobdesc.c: a suite's sbatch long options applied to a job_desc_msg_t.
 *
 * Option handling mirrors what sbatch does between its command line and
 * slurm_submit_batch_job() (src/common/slurm_opt.c:
 * slurm_opt_create_job_desc, src/sbatch/opt.c: _opt_verify,
 * src/sbatch/sbatch.c: _fill_job_desc_from_opts), because a suite's
 * `slurm:` map is documented as "sbatch long options". It follows the sbatch
 * of the release tasksuite is built for: 22.05's rules, and where later
 * releases changed them, theirs (TS_SBATCH_*_RULES in slurm_compat.h;
 * plain `if`s, so every branch compiles against every release).
 * tests/slurm/t0150 compares the result with the real sbatch's. Where sbatch silently
 * ignores or adjusts a contradiction (ntasks below the node count, --hint
 * with --threads-per-core, an unknown --mail-type word), this layer reports
 * an error instead: a suite is checked once and then runs unattended.
 *
 * This file holds one handler per option, found through the table built
 * from slurmopts.def (the list the validator, optnames.c, accepts too);
 * values are read by optvalue.c, the rules between options are in
 * jobdesc_verify.c, and string ownership in jobdesc_mem.c.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "slurm_int.h"
#include "units.h"

static void ctx_init(opt_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->min_nodes = 1;
    c->ntasks = 1;
    c->ntasks_per_node = NO_VAL;
    c->sockets = c->cores = c->threads = NO_VAL;
    c->ntasks_per_core = NO_VAL;
    c->mem_per_gpu = NO_VAL64;
}

typedef int (*opt_fn)(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                      ts_err *err);

/* ---------------------------------------------------------- plain strings */

/* Options that are a string field of the job_desc, as sbatch copies them. */
static char **string_field(job_desc_msg_t *d, const char *key)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        { "account",     offsetof(job_desc_msg_t, account) },
        { "constraint",  offsetof(job_desc_msg_t, features) },
        { "job-name",    offsetof(job_desc_msg_t, name) },
        { "licenses",    offsetof(job_desc_msg_t, licenses) },
        { "mail-user",   offsetof(job_desc_msg_t, mail_user) },
        { "partition",   offsetof(job_desc_msg_t, partition) },
        { "qos",         offsetof(job_desc_msg_t, qos) },
        { "reservation", offsetof(job_desc_msg_t, reservation) },
        { "wckey",       offsetof(job_desc_msg_t, wckey) },
    };
    for (size_t i = 0; i < COUNT(fields); i++)
        if (strcmp(fields[i].key, key) == 0)
            return (char **)((char *)d + fields[i].off);
    return NULL;
}

static int opt_string(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                      ts_err *err)
{
    (void)c;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    return ts_jobdesc_set_string(string_field(d, kv->key), kv->value, err);
}

/* The launcher keeps its recovery key in the comment: a user comment goes
 * after it, one space apart. */
static int opt_comment(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                       ts_err *err)
{
    (void)c;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (d->comment && d->comment[0])
        return ts_jobdesc_set_stringf(&d->comment, err, "%s %s", d->comment, kv->value);
    return ts_jobdesc_set_string(&d->comment, kv->value, err);
}

static int opt_nodelist(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    char *ranged = NULL;
    if (ts_optval_hostlist(kv, NULL, &ranged, err) < 0)
        return -1;
    free(d->req_nodes);
    d->req_nodes = ranged;
    c->nodelist = kv;
    return 0;
}

static int opt_exclude(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                       ts_err *err)
{
    (void)c;
    if (ts_optval_hostlist(kv, NULL, NULL, err) < 0)
        return -1;
    return ts_jobdesc_set_string(&d->exc_nodes, kv->value, err);
}

/* ---------------------------------------------------------- counts */

/* "N" or "N-M", as sbatch --nodes. */
static int opt_nodes(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                     ts_err *err)
{
    (void)d;
    unsigned long lo, hi;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *dash = strchr(kv->value, '-');
    if (dash) {
        char first[32];
        size_t len = (size_t)(dash - kv->value);
        if (len == 0 || len >= sizeof first)
            return ts_optval_bad(err, kv, "not a node count (N or MIN-MAX)");
        memcpy(first, kv->value, len);
        first[len] = '\0';
        if (!ts_optval_ulong(first, 1, NO_VAL - 1, &lo)
            || !ts_optval_ulong(dash + 1, 1, NO_VAL - 1, &hi))
            return ts_optval_bad(err, kv, "not a node count (N or MIN-MAX)");
        if (hi < lo)
            return ts_optval_bad(err, kv, "the maximum is below the minimum");
    } else {
        if (!ts_optval_ulong(kv->value, 1, NO_VAL - 1, &lo))
            return ts_optval_bad(err, kv, "not a node count (N or MIN-MAX)");
        hi = lo;
    }
    c->nodes_set = true;
    c->min_nodes = (uint32_t)lo;
    c->max_nodes = (uint32_t)hi;
    return 0;
}

static int opt_ntasks(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                      ts_err *err)
{
    (void)d;
    unsigned long v = 0;
    if (ts_optval_count(kv, NO_VAL - 1, &v, err) < 0)
        return -1;
    c->ntasks_set = true;
    c->ntasks = (uint32_t)v;
    return 0;
}

static int opt_cpus_per_task(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                             ts_err *err)
{
    (void)d;
    unsigned long v = 0;
    if (ts_optval_count(kv, NO_VAL16 - 1, &v, err) < 0)
        return -1;
    c->cpus_set = true;
    c->cpus_per_task = (uint32_t)v;
    return 0;
}

static int opt_ntasks_per_node(job_desc_msg_t *d, opt_ctx *c,
                               const ts_kv *kv, ts_err *err)
{
    (void)d;
    unsigned long v = 0;
    if (ts_optval_count(kv, NO_VAL16 - 1, &v, err) < 0)
        return -1;
    c->ntasks_per_node = (uint32_t)v;
    return 0;
}

static int opt_topology(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    (void)d;
    unsigned long v = 0;
    if (ts_optval_count(kv, NO_VAL16 - 1, &v, err) < 0)
        return -1;
    if (strcmp(kv->key, "sockets-per-node") == 0)
        c->sockets = (uint32_t)v;
    else if (strcmp(kv->key, "cores-per-socket") == 0)
        c->cores = (uint32_t)v;
    else {
        c->threads = (uint32_t)v;
        c->threads_kv = kv;
    }
    return 0;
}

/* --hint: applied in ts_jobdesc_finish(), once --threads-per-core is known. */
static int opt_hint(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    static const char *const words[] = {
        "compute_bound", "memory_bound", "multithread", "nomultithread",
    };
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *p = kv->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < COUNT(words); i++)
            if (len == strlen(words[i]) && strncasecmp(p, words[i], len) == 0)
                found = true;
        if (!found)
            return ts_optval_bad(err, kv, "not a hint (compute_bound, memory_bound, "
                       "multithread, nomultithread, comma-separated)");
        p += len;
        if (*p == ',')
            p++;
    }
    c->hint = kv;
    return 0;
}

/* ---------------------------------------------------------- sizes, times */

static int opt_mem(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                   ts_err *err)
{
    uint64_t mb = 0;
    if (c->mem_kv && strcmp(c->mem_kv->key, kv->key) != 0)
        return ts_optval_bad(err, kv, "conflicts with slurm.%s (Slurm takes only one "
                   "of them)", c->mem_kv->key);
    if (ts_optval_size(kv, &mb, err) < 0)
        return -1;
    if (mb >= MEM_PER_CPU || mb >= NO_VAL64)
        return ts_optval_bad(err, kv, "too large");
    c->mem_kv = kv;
    if (strcmp(kv->key, "mem") == 0)
        d->pn_min_memory = mb;
    else if (strcmp(kv->key, "mem-per-cpu") == 0)
        d->pn_min_memory = mb | MEM_PER_CPU;
    else
        c->mem_per_gpu = mb;
    return 0;
}

static int opt_tmp(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                   ts_err *err)
{
    (void)c;
    uint64_t mb = 0;
    if (ts_optval_size(kv, &mb, err) < 0)
        return -1;
    if (mb >= NO_VAL)
        return ts_optval_bad(err, kv, "too large");
    d->pn_min_tmp_disk = (uint32_t)mb;
    return 0;
}

static int opt_time(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)c;
    uint32_t mins = 0;
    if (ts_optval_minutes(kv, &mins, err) < 0)
        return -1;
    if (strcmp(kv->key, "time") == 0)
        d->time_limit = mins;
    else
        d->time_min = mins;
    return 0;
}

static int opt_when(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    time_t t = 0;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (ts_optval_when(kv->value, time(NULL), &t) < 0)
        return ts_optval_bad(err, kv, "not a time (now, now+N[s|m|h|d|w], YYYY-MM-DD, "
                   "YYYY-MM-DDTHH:MM[:SS])");
    if (strcmp(kv->key, "begin") == 0)
        c->begin = d->begin_time = t;
    else
        c->deadline = d->deadline = t;
    return 0;
}

/* "N[@duration]": switch count, and how long to wait for it. */
static int opt_switches(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    (void)c;
    char count[32];
    unsigned long n;
    long secs = -1;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *at = strchr(kv->value, '@');
    size_t len = at ? (size_t)(at - kv->value) : strlen(kv->value);
    if (len == 0 || len >= sizeof count)
        return ts_optval_bad(err, kv, "not N[@max-wait] (e.g. 1@2h)");
    memcpy(count, kv->value, len);
    count[len] = '\0';
    if (!ts_optval_ulong(count, 1, NO_VAL - 1, &n))
        return ts_optval_bad(err, kv, "not N[@max-wait] (e.g. 1@2h)");
    if (at && (ts_parse_duration(at + 1, &secs) < 0 || secs >= (long)NO_VAL))
        return ts_optval_bad(err, kv, "\"%s\" is not a duration", at + 1);
    d->req_switch = (uint32_t)n;
    if (at)
        d->wait4switch = (uint32_t)secs;
    return 0;
}

/* ---------------------------------------------------------- flags */

static int opt_requeue(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                       ts_err *err)
{
    bool on = false;
    if (c->requeue_kv && strcmp(c->requeue_kv->key, kv->key) != 0)
        return ts_optval_bad(err, kv, "conflicts with slurm.%s (Slurm takes only one "
                   "of them)", c->requeue_kv->key);
    if (ts_optval_flag(kv, &on, err) < 0)
        return -1;
    c->requeue_kv = kv;
    if (on)
        d->requeue = strcmp(kv->key, "requeue") == 0 ? 1 : 0;
    return 0;
}

/* --exclusive[=user|mcs|oversubscribe]. */
static int opt_exclusive(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                         ts_err *err)
{
    (void)c;
    const char *v = kv->value ? kv->value : "";
    bool on = false;
    if (strcasecmp(v, "exclusive") == 0)
        d->shared = JOB_SHARED_NONE;
    else if (strcasecmp(v, "user") == 0)
        d->shared = JOB_SHARED_USER;
    else if (strcasecmp(v, "mcs") == 0)
        d->shared = JOB_SHARED_MCS;
    else if (strcasecmp(v, "oversubscribe") == 0)
        d->shared = JOB_SHARED_OK;
    else if (ts_optval_flag(kv, &on, NULL) == 0) {
        if (on)
            d->shared = JOB_SHARED_NONE;
    } else
        return ts_optval_bad(err, kv, "not empty, user, mcs or oversubscribe");
    return 0;
}

/* ---------------------------------------------------------- mail, priority */

static int opt_mail_type(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                         ts_err *err)
{
    (void)c;
    static const struct {
        const char *name;
        uint16_t bits;
    } types[] = {
        { "NONE", 0 },
        { "BEGIN", MAIL_JOB_BEGIN },
        { "END", MAIL_JOB_END },
        { "FAIL", MAIL_JOB_FAIL },
        { "REQUEUE", MAIL_JOB_REQUEUE },
        { "ALL", MAIL_INVALID_DEPEND | MAIL_JOB_BEGIN | MAIL_JOB_END
                 | MAIL_JOB_FAIL | MAIL_JOB_REQUEUE | MAIL_JOB_STAGE_OUT },
        { "INVALID_DEPEND", MAIL_INVALID_DEPEND },
        { "STAGE_OUT", MAIL_JOB_STAGE_OUT },
        { "TIME_LIMIT", MAIL_JOB_TIME100 },
        { "TIME_LIMIT_90", MAIL_JOB_TIME90 },
        { "TIME_LIMIT_80", MAIL_JOB_TIME80 },
        { "TIME_LIMIT_50", MAIL_JOB_TIME50 },
        { "ARRAY_TASKS", MAIL_ARRAY_TASKS },
    };
    uint16_t bits = 0;
    bool none = false;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *p = kv->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t i;
        for (i = 0; i < COUNT(types); i++)
            if (len == strlen(types[i].name)
                && strncasecmp(p, types[i].name, len) == 0)
                break;
        if (i == COUNT(types))
            return ts_optval_bad(err, kv, "\"%.*s\" is not a mail type (NONE, BEGIN, "
                       "END, FAIL, REQUEUE, ALL, INVALID_DEPEND, STAGE_OUT, "
                       "TIME_LIMIT[_90|_80|_50], ARRAY_TASKS)", (int)len, p);
        if (types[i].bits == 0)
            none = true;
        bits |= types[i].bits;
        p += len;
        if (*p == ',')
            p++;
    }
    d->mail_type = none ? 0 : bits;  /* NONE wins, as in parse_mail_type() */
    return 0;
}

static int opt_nice(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)c;
    unsigned long v = 0;
    const long limit = (long)NICE_OFFSET - 3;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *digits = kv->value;
    bool neg = false;
    if (*digits == '-' || *digits == '+') {
        neg = *digits == '-';
        digits++;
    }
    if (!ts_optval_ulong(digits, 0, (unsigned long)limit, &v))
        return ts_optval_bad(err, kv, "not a nice value from -%ld to %ld", limit,
                   limit);
    long n = neg ? -(long)v : (long)v;
    d->nice = (uint32_t)((int64_t)NICE_OFFSET + n);
    return 0;
}

/* sbatch ignores --priority=0 (0 would mean held); so does this. */
static int opt_priority(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    (void)c;
    unsigned long v = 0;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "TOP") == 0) {
        d->priority = NO_VAL - 1;
        return 0;
    }
    if (!ts_optval_ulong(kv->value, 0, NO_VAL - 1, &v))
        return ts_optval_bad(err, kv, "not a priority (0 to %u, or TOP)", NO_VAL - 1);
    if (v)
        d->priority = (uint32_t)v;
    return 0;
}

/* ---------------------------------------------------------- GPUs, GRES */

static int opt_gpus(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    if (ts_optval_tres_items(kv, err) < 0)
        return -1;
    if (strcmp(kv->key, "gpus") == 0)
        c->gpus = kv->value;
    else if (strcmp(kv->key, "gpus-per-node") == 0)
        c->gpus_per_node = kv->value;
    else
        c->gpus_per_task = kv->value;
    return 0;
}

static int opt_gres(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    if (ts_optval_tres_items(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "help") == 0 || strcasecmp(kv->value, "list") == 0)
        return ts_optval_bad(err, kv, "not a GRES request (name[:type]:count)");
    c->gres = strcasecmp(kv->value, "none") == 0 ? NULL : kv->value;
    return 0;
}

/* ---------------------------------------------------------- signal */

/* "[R|B|RB|BR:]SIG[@secs]" (sbatch --signal); without @ the lead is 60 s. */
static int opt_signal(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                      ts_err *err)
{
    (void)c;
    uint16_t flags = 0;
    char name[32];
    unsigned long lead = 60;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    const char *v = kv->value;
    const char *colon = strchr(v, ':');
    if (colon) {
        for (const char *f = v; f < colon; f++) {
            if (*f == 'B' || *f == 'b')
                flags |= KILL_JOB_BATCH;
            else if (*f == 'R' || *f == 'r')
                flags |= KILL_JOB_RESV;
            else
                return ts_optval_bad(err, kv, "not [B:|R:]SIGNAL[@seconds]");
        }
        v = colon + 1;
    }
    const char *at = strchr(v, '@');
    size_t len = at ? (size_t)(at - v) : strlen(v);
    if (len == 0 || len >= sizeof name)
        return ts_optval_bad(err, kv, "not [B:|R:]SIGNAL[@seconds]");
    memcpy(name, v, len);
    name[len] = '\0';
    int sig = ts_parse_signal(name);
    if (sig < 1)
        return ts_optval_bad(err, kv, "\"%s\" is not a signal", name);
    if (at && !ts_optval_ulong(at + 1, 0, 0xffff, &lead))
        return ts_optval_bad(err, kv, "\"%s\" is not a lead time in seconds (0 to "
                   "65535)", at + 1);
    d->warn_signal = (uint16_t)sig;
    d->warn_time = (uint16_t)lead;
    d->warn_flags = flags;
    return 0;
}

/* ---------------------------------------------------------- the table */

static int opt_skip(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    (void)c;
    (void)kv;
    (void)err;
    return 0;
}

/* One entry per option of slurmopts.def, the list optnames.c accepts too
 * (tests/unit/slurmctl/slurm_apply.c checks that they agree). */
static const struct {
    const char *key;
    opt_fn fn;
} handlers[] = {
#define TS_SLURM_OPT(name, kind, handler) { name, handler },
#include "slurmopts.def"
#undef TS_SLURM_OPT
};

const char *ts_jobdesc_handled(size_t i)
{
    return i < COUNT(handlers) ? handlers[i].key : NULL;
}

int ts_jobdesc_apply(job_desc_msg_t *d, const ts_kvlist *opts, opt_ctx *c,
                     ts_err *err)
{
    ctx_init(c);
    for (size_t i = 0; opts && i < opts->n; i++) {
        const ts_kv *kv = &opts->v[i];
        size_t h;
        for (h = 0; h < COUNT(handlers); h++)
            if (strcmp(handlers[h].key, kv->key) == 0)
                break;
        if (h == COUNT(handlers))
            return ts_optval_bad(err, kv, "not an sbatch option tasksuite passes to "
                       "Slurm");
        if (handlers[h].fn(d, c, kv, err) < 0)
            return -1;
    }
    return ts_jobdesc_finish(d, c, err);
}

int ts_slurm_apply_options(void *job_desc, const ts_kvlist *opts, ts_err *err)
{
    opt_ctx c;
    return ts_jobdesc_apply(job_desc, opts, &c, err);
}
