/* slurm.c: the only file that talks to libslurm (see slurm.h).
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
 * with --threads-per-core, an unknown --mail-type word), this file reports
 * an error instead: a suite is checked once and then runs unattended.
 *
 * Every string put into a job_desc_msg_t here is malloc'd (never xmalloc'd:
 * slurm_free_job_desc_msg must not see it) and released by
 * ts_slurm_job_desc_free().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "slurm.h"
#include "slurm_compat.h"
#include "units.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* Temporary refusals sbatch retries (sbatch.c: MAX_RETRIES loop). */
#define SUBMIT_RETRIES 3
/* Cancel of a job in a transitional state (scancel retries 10 times). */
#define CANCEL_RETRIES 5

/* ================================================================ init */

/* libslurm's API version, which is its soname (libslurm.so.38 ...), of each
 * release: slurm_api_version() returns SLURM_VERSION_NUM(api, age, rev)
 * (Slurm's META: API_CURRENT). Releases after the last row are assumed to
 * keep the pattern (one API per release, two releases a year). */
static const struct {
    int major, minor, api;
} releases[] = {
    { 22, 5, 38 }, { 23, 2, 39 }, { 23, 11, 40 }, { 24, 5, 41 },
    { 24, 11, 42 }, { 25, 5, 43 }, { 25, 11, 44 }, { 26, 5, 45 },
};

static int api_of_release(int major, int minor)
{
    for (size_t i = 0; i < COUNT(releases); i++)
        if (releases[i].major == major && releases[i].minor == minor)
            return releases[i].api;
    const int last = (int)COUNT(releases) - 1;
    int later = (major - releases[last].major) * 2
                + (minor > 6) - (releases[last].minor > 6);
    return later > 0 ? releases[last].api + later : -1;
}

/* "22.05" for API 38; "" when unknown. */
static const char *release_of_api(int api, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < COUNT(releases); i++)
        if (releases[i].api == api)
            snprintf(buf, len, "%d.%02d", releases[i].major,
                     releases[i].minor);
    return buf;
}

#define BUILT_MAJOR ((int)SLURM_VERSION_MAJOR(TS_SLURM_BUILT))
#define BUILT_MINOR ((int)SLURM_VERSION_MINOR(TS_SLURM_BUILT))

const char *ts_slurm_built_for(void)
{
    static char buf[64];
    if (!buf[0])
        snprintf(buf, sizeof buf, "Slurm " TS_SLURM_RELEASE_FMT
                 " (libslurm.so.%d)", TS_SLURM_RELEASE_ARGS(TS_SLURM_BUILT),
                 api_of_release(BUILT_MAJOR, BUILT_MINOR));
    return buf;
}

int ts_slurm_check_library(ts_err *err)
{
    int want = api_of_release(BUILT_MAJOR, BUILT_MINOR);
    int have = (int)SLURM_VERSION_MAJOR(slurm_api_version());
    char rel[16];
    if (want < 0 || have == want)
        return 0;
    release_of_api(have, rel, sizeof rel);
    return ts_errc(err, TS_EXIT_SLURM, "built for Slurm %d.%02d "
                   "(libslurm.so.%d), but libslurm.so.%d%s%s%s is loaded: "
                   "rebuild tasksuite against the installed Slurm "
                   "(configure --with-slurm=PREFIX)", BUILT_MAJOR,
                   BUILT_MINOR, want, have, rel[0] ? " (Slurm " : "", rel,
                   rel[0] ? ")" : "");
}

static bool initialized;

int ts_slurm_init(ts_err *err)
{
    if (initialized)
        return 0;
    /* Before any other call: structures differ between releases. */
    if (ts_slurm_check_library(err) < 0)
        return -1;
    /* libslurm's fatal() ends the process when the configuration cannot
     * be read; say so as an ordinary error while we still can. Without
     * SLURM_CONF, libslurm may find a configless setup we cannot check. */
    const char *conf = getenv("SLURM_CONF");
    if (conf && conf[0] && access(conf, R_OK) != 0)
        return ts_errc(err, TS_EXIT_SLURM, "cannot read the Slurm "
                       "configuration %s (SLURM_CONF): %s", conf,
                       strerror(errno));
    /* Array task lists come from the controller as a bitmap that libslurm
     * prints into array_task_str, cut at 64 characters unless this says
     * "no limit"; a cut list would lose pending elements. Read once, at the
     * first job load, so set it before any. */
    setenv("SLURM_BITSTR_LEN", "0", 1);
    slurm_init(NULL);
    initialized = true;
    return 0;
}

/* errno values that mean "no answer from slurmctld", not "it said no". */
static bool unreachable(int e)
{
    return (e >= SLURM_COMMUNICATIONS_CONNECTION_ERROR
            && e <= SLURM_COMMUNICATIONS_SHUTDOWN_ERROR)
        || (e >= SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR
            && e <= SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR)
        || (e >= TS_SLURM_SOCKET_ERRNO_FIRST
            && e <= SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT)
        || e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH
        || e == ENETUNREACH || e == ECONNRESET;
}

/* "<what>: <reason>" for a failed RPC, reason from errno e. */
static int rpc_error(ts_err *err, int e, const char *what)
{
    if (unreachable(e))
        return ts_errc(err, TS_EXIT_SLURM, "%s%scannot reach the Slurm "
                       "controller: %s", what ? what : "", what ? ": " : "",
                       slurm_strerror(e));
    return ts_errc(err, TS_EXIT_SLURM, "%s%s%s", what ? what : "",
                   what ? ": " : "", slurm_strerror(e));
}

int ts_slurm_limits(uint32_t *max_array, uint32_t *max_jobs, ts_err *err)
{
    slurm_conf_t *conf = NULL;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS) {
        int e = errno;
        return rpc_error(err, e, unreachable(e) ? NULL
                         : "read the Slurm configuration");
    }
    if (max_array)
        *max_array = conf->max_array_sz;
    if (max_jobs)
        *max_jobs = conf->max_job_cnt;
    ts_compat_free_conf(conf);
    return 0;
}

/* Indices in a pending array's task list ("0-3,7,9-15:2%4"); 1 when it
 * cannot be read (the record counts once at least). */
static long task_str_count(const char *p)
{
    long n = 0;
    while (p && *p && *p != '%') {
        char *q;
        unsigned long a = strtoul(p, &q, 10), b = a, step = 1;
        if (q == p)
            return n ? n : 1;
        if (*q == '-') {
            b = strtoul(q + 1, &q, 10);
            if (*q == ':')
                step = strtoul(q + 1, &q, 10);
        }
        if (b >= a && step > 0)
            n += (long)((b - a) / step + 1);
        p = *q == ',' ? q + 1 : q;
        if (*q != ',')
            break;
    }
    return n ? n : 1;
}

int ts_slurm_job_room(uint32_t *max_jobs, uint32_t *min_job_age, long *in_table,
                      ts_err *err)
{
    slurm_conf_t *conf = NULL;
    job_info_msg_t *msg = NULL;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS) {
        int e = errno;
        return rpc_error(err, e, unreachable(e) ? NULL : "read the Slurm configuration");
    }
    *max_jobs = conf->max_job_cnt;
    *min_job_age = conf->min_job_age;
    ts_compat_free_conf(conf);
    if (slurm_load_jobs((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return rpc_error(err, errno, "list the cluster's jobs");
    /* A pending array's record stands for each of its pending indices;
     * every other record (running or ended elements too) for one. */
    long n = 0;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        n += j->array_job_id && j->array_task_id == NO_VAL && j->array_task_str
                     && j->array_task_str[0]
                 ? task_str_count(j->array_task_str)
                 : 1;
    }
    slurm_free_job_info_msg(msg);
    *in_table = n;
    return 0;
}

int ts_slurm_max_array_size(uint32_t *max, ts_err *err)
{
    return ts_slurm_limits(max, NULL, err);
}

/* ================================================================ helpers */

/* User text in a message: one line, bounded. */
static const char *shown(const char *text, char *buf, size_t len)
{
    return text[0] ? ts_err_shown(text, buf, len) : "(empty)";
}

/* "slurm.<key>: <value>: <reason>" */
static int bad(ts_err *err, const ts_kv *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(ts_err *err, const ts_kv *kv, const char *fmt, ...)
{
    char reason[512], show[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return ts_errf(err, "slurm.%s: %s: %s", kv->key,
                   shown(kv->value ? kv->value : "", show, sizeof show),
                   reason);
}

static int oom(ts_err *err)
{
    return ts_errf(err, "out of memory while building the Slurm job request");
}

static bool has_control(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return true;
    return false;
}

/* Whole string, decimal, no sign, within [lo, hi]. */
static bool parse_ulong(const char *s, unsigned long lo, unsigned long hi,
                        unsigned long *out)
{
    unsigned long v = 0;
    if (!s || !isdigit((unsigned char)*s))
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (ULONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Replace *field with a malloc'd copy of value. */
static int set_string(char **field, const char *value, ts_err *err)
{
    char *copy = strdup(value);
    if (!copy)
        return oom(err);
    free(*field);
    *field = copy;
    return 0;
}

static int set_stringf(char **field, ts_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_stringf(char **field, ts_err *err, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return oom(err);
    free(*field);
    *field = s;
    return 0;
}

/* ================================================================ options */

/* What sbatch keeps in its opt_t between parsing and building the job_desc,
 * for the options whose effect depends on others. */
typedef struct opt_ctx {
    bool nodes_set;
    uint32_t min_nodes, max_nodes;      /* max 0 = not given */
    bool ntasks_set;
    uint32_t ntasks;
    bool cpus_set;
    uint32_t cpus_per_task;
    uint32_t ntasks_per_node;           /* NO_VAL = not given */
    uint32_t sockets, cores, threads;   /* NO_VAL = not given */
    uint32_t ntasks_per_core;           /* NO_VAL = not given */
    const ts_kv *hint, *threads_kv;
    const ts_kv *mem_kv;                /* first of mem / mem-per-cpu / -gpu */
    const ts_kv *requeue_kv;
    const char *gres, *gpus, *gpus_per_node, *gpus_per_task;
    uint64_t mem_per_gpu;               /* NO_VAL64 = not given */
    const ts_kv *nodelist;
    time_t begin, deadline;
} opt_ctx;

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

/* A non-empty one-line value. */
static int need_value(const ts_kv *kv, ts_err *err)
{
    if (!kv->value || !kv->value[0])
        return bad(err, kv, "needs a value");
    if (has_control(kv->value))
        return bad(err, kv, "holds a control character");
    return 0;
}

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
    if (need_value(kv, err) < 0)
        return -1;
    return set_string(string_field(d, kv->key), kv->value, err);
}

/* The launcher keeps its recovery key in the comment: a user comment goes
 * after it, one space apart. */
static int opt_comment(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                       ts_err *err)
{
    (void)c;
    if (need_value(kv, err) < 0)
        return -1;
    if (d->comment && d->comment[0])
        return set_stringf(&d->comment, err, "%s %s", d->comment, kv->value);
    return set_string(&d->comment, kv->value, err);
}

/* A node list, not a node file (sbatch reads a file when there is a '/'). */
static int check_hostlist(const ts_kv *kv, int *count, char **ranged,
                          ts_err *err)
{
    if (need_value(kv, err) < 0)
        return -1;
    if (strchr(kv->value, '/'))
        return bad(err, kv, "node files are not supported: list the nodes "
                   "(e.g. n[1-4],gpu7)");
    ts_hostlist hl = slurm_hostlist_create(kv->value);
    if (!hl)
        return bad(err, kv, "not a node list (e.g. n[1-4],gpu7)");
    slurm_hostlist_uniq(hl);
    if (count)
        *count = slurm_hostlist_count(hl);
    /* The ranged form ("n[1-3]"), as sbatch sends it; the _malloc variant
     * is gone in 23.11, so into a buffer that grows until it fits. */
    for (size_t len = 256; ranged; len *= 2) {
        char *buf = malloc(len);
        if (!buf || len > (1u << 24)) {
            free(buf);
            slurm_hostlist_destroy(hl);
            return oom(err);
        }
        if (slurm_hostlist_ranged_string(hl, len, buf) >= 0) {
            *ranged = buf;
            break;
        }
        free(buf);
    }
    slurm_hostlist_destroy(hl);
    return 0;
}

static int opt_nodelist(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    char *ranged = NULL;
    if (check_hostlist(kv, NULL, &ranged, err) < 0)
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
    if (check_hostlist(kv, NULL, NULL, err) < 0)
        return -1;
    return set_string(&d->exc_nodes, kv->value, err);
}

/* ---------------------------------------------------------- counts */

static int count_value(const ts_kv *kv, unsigned long max, unsigned long *v,
                       ts_err *err)
{
    if (need_value(kv, err) < 0)
        return -1;
    if (!parse_ulong(kv->value, 1, max, v))
        return bad(err, kv, "not a count from 1 to %lu", max);
    return 0;
}

/* "N" or "N-M", as sbatch --nodes. */
static int opt_nodes(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                     ts_err *err)
{
    (void)d;
    unsigned long lo, hi;
    if (need_value(kv, err) < 0)
        return -1;
    const char *dash = strchr(kv->value, '-');
    if (dash) {
        char first[32];
        size_t len = (size_t)(dash - kv->value);
        if (len == 0 || len >= sizeof first)
            return bad(err, kv, "not a node count (N or MIN-MAX)");
        memcpy(first, kv->value, len);
        first[len] = '\0';
        if (!parse_ulong(first, 1, NO_VAL - 1, &lo)
            || !parse_ulong(dash + 1, 1, NO_VAL - 1, &hi))
            return bad(err, kv, "not a node count (N or MIN-MAX)");
        if (hi < lo)
            return bad(err, kv, "the maximum is below the minimum");
    } else {
        if (!parse_ulong(kv->value, 1, NO_VAL - 1, &lo))
            return bad(err, kv, "not a node count (N or MIN-MAX)");
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
    if (count_value(kv, NO_VAL - 1, &v, err) < 0)
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
    if (count_value(kv, NO_VAL16 - 1, &v, err) < 0)
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
    if (count_value(kv, NO_VAL16 - 1, &v, err) < 0)
        return -1;
    c->ntasks_per_node = (uint32_t)v;
    return 0;
}

static int opt_topology(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                        ts_err *err)
{
    (void)d;
    unsigned long v = 0;
    if (count_value(kv, NO_VAL16 - 1, &v, err) < 0)
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

/* --hint: applied in finish(), once --threads-per-core is known. */
static int opt_hint(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    static const char *const words[] = {
        "compute_bound", "memory_bound", "multithread", "nomultithread",
    };
    if (need_value(kv, err) < 0)
        return -1;
    const char *p = kv->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < COUNT(words); i++)
            if (len == strlen(words[i]) && strncasecmp(p, words[i], len) == 0)
                found = true;
        if (!found)
            return bad(err, kv, "not a hint (compute_bound, memory_bound, "
                       "multithread, nomultithread, comma-separated)");
        p += len;
        if (*p == ',')
            p++;
    }
    c->hint = kv;
    return 0;
}

/* verify_hint() of src/common/proc_args.c, for sbatch (no cpu_bind). */
static void apply_hint(opt_ctx *c)
{
    const char *p = c->hint->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (strncasecmp(p, "compute_bound", len) == 0 && len == 13) {
            c->sockets = NO_VAL;
            c->cores = NO_VAL;
            c->threads = 1;
        } else if (strncasecmp(p, "memory_bound", len) == 0 && len == 12) {
            c->cores = 1;
            c->threads = 1;
        } else if (strncasecmp(p, "multithread", len) == 0 && len == 11) {
            c->threads = NO_VAL;
            c->ntasks_per_core = INFINITE16;
        } else {                                     /* nomultithread */
            c->threads = 1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

/* ---------------------------------------------------------- sizes, times */

static int size_value(const ts_kv *kv, uint64_t *mb, ts_err *err)
{
    if (need_value(kv, err) < 0)
        return -1;
    if (ts_parse_size_mb(kv->value, mb) < 0)
        return bad(err, kv, "not a size (e.g. 512M, 16G, 16Gi; a bare "
                   "number is MiB)");
    return 0;
}

static int opt_mem(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                   ts_err *err)
{
    uint64_t mb = 0;
    if (c->mem_kv && strcmp(c->mem_kv->key, kv->key) != 0)
        return bad(err, kv, "conflicts with slurm.%s (Slurm takes only one "
                   "of them)", c->mem_kv->key);
    if (size_value(kv, &mb, err) < 0)
        return -1;
    if (mb >= MEM_PER_CPU || mb >= NO_VAL64)
        return bad(err, kv, "too large");
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
    if (size_value(kv, &mb, err) < 0)
        return -1;
    if (mb >= NO_VAL)
        return bad(err, kv, "too large");
    d->pn_min_tmp_disk = (uint32_t)mb;
    return 0;
}

/* --time, --time-min: whole minutes rounded up (Slurm's time_str2mins);
 * 0 and UNLIMITED/INFINITE mean no limit, as in sbatch. */
static int minutes_value(const ts_kv *kv, uint32_t *mins, ts_err *err)
{
    long secs;
    if (need_value(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "UNLIMITED") == 0
        || strcasecmp(kv->value, "INFINITE") == 0) {
        *mins = INFINITE;
        return 0;
    }
    if (ts_parse_duration(kv->value, &secs) < 0)
        return bad(err, kv, "not a duration (e.g. 90s, 5m, 2h, 1-12:00:00, "
                   "HH:MM:SS, UNLIMITED)");
    long m = (secs + 59) / 60;
    *mins = m == 0 ? INFINITE : (uint32_t)m;
    return 0;
}

static int opt_time(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)c;
    uint32_t mins = 0;
    if (minutes_value(kv, &mins, err) < 0)
        return -1;
    if (strcmp(kv->key, "time") == 0)
        d->time_limit = mins;
    else
        d->time_min = mins;
    return 0;
}

/* A point in time for --begin/--deadline. Of Slurm's parse_time() forms
 * this takes the unambiguous ones: "now", "now+N[unit]" (unit s, m, h, d,
 * w or Slurm's seconds/minutes/hours/days/weeks; none = seconds) and
 * "YYYY-MM-DD[THH:MM[:SS]]" (local time). */
static int parse_when(const char *v, time_t now, time_t *out)
{
    static const struct {
        const char *name;
        long secs;
    } units[] = {
        { "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 },
        { "seconds", 1 }, { "m", 60 }, { "min", 60 }, { "mins", 60 },
        { "minute", 60 }, { "minutes", 60 }, { "h", 3600 },
        { "hour", 3600 }, { "hours", 3600 }, { "d", 86400 },
        { "day", 86400 }, { "days", 86400 }, { "w", 604800 },
        { "week", 604800 }, { "weeks", 604800 },
    };
    if (strncasecmp(v, "now", 3) == 0) {
        v += 3;
        if (!*v) {
            *out = now;
            return 0;
        }
        if (*v != '+')
            return -1;
        v++;
        long n = 0;
        int digits = 0;
        for (; isdigit((unsigned char)*v); v++, digits++) {
            if (n > 100L * 366 * 86400)
                return -1;
            n = n * 10 + (*v - '0');
        }
        if (!digits)
            return -1;
        long mult = *v ? 0 : 1;
        for (size_t i = 0; *v && i < COUNT(units); i++)
            if (strcasecmp(v, units[i].name) == 0)
                mult = units[i].secs;
        if (!mult || n > 100L * 366 * 86400 / mult)
            return -1;
        *out = now + (time_t)(n * mult);
        return 0;
    }
    int y, mo, dd, h = 0, mi = 0, s = 0, used = 0;
    struct tm tm;
    size_t len = strlen(v);
    if (len == 10) {
        if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &dd, &used) != 3)
            return -1;
    } else if (len == 16) {
        if (sscanf(v, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &dd, &h, &mi,
                   &used) != 5)
            return -1;
    } else if (len == 19) {
        if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &dd, &h, &mi, &s,
                   &used) != 6)
            return -1;
    } else {
        return -1;
    }
    if ((size_t)used != len)
        return -1;
    for (size_t i = 0; i < len; i++)      /* no signs or spaces sscanf took */
        if (!isdigit((unsigned char)v[i]) && v[i] != '-' && v[i] != 'T'
            && v[i] != ':')
            return -1;
    if (y < 1970 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23
        || mi > 59 || s > 59)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = dd;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != dd)   /* 2024-02-30 normalised */
        return -1;
    *out = t;
    return 0;
}

static int opt_when(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    time_t t = 0;
    if (need_value(kv, err) < 0)
        return -1;
    if (parse_when(kv->value, time(NULL), &t) < 0)
        return bad(err, kv, "not a time (now, now+N[s|m|h|d|w], YYYY-MM-DD, "
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
    if (need_value(kv, err) < 0)
        return -1;
    const char *at = strchr(kv->value, '@');
    size_t len = at ? (size_t)(at - kv->value) : strlen(kv->value);
    if (len == 0 || len >= sizeof count)
        return bad(err, kv, "not N[@max-wait] (e.g. 1@2h)");
    memcpy(count, kv->value, len);
    count[len] = '\0';
    if (!parse_ulong(count, 1, NO_VAL - 1, &n))
        return bad(err, kv, "not N[@max-wait] (e.g. 1@2h)");
    if (at && (ts_parse_duration(at + 1, &secs) < 0 || secs >= (long)NO_VAL))
        return bad(err, kv, "\"%s\" is not a duration", at + 1);
    d->req_switch = (uint32_t)n;
    if (at)
        d->wait4switch = (uint32_t)secs;
    return 0;
}

/* ---------------------------------------------------------- flags */

/* A flag's value: "" or yes/true/1 (set), no/false/0 (leave unset). */
static int flag_value(const ts_kv *kv, bool *on, ts_err *err)
{
    const char *v = kv->value ? kv->value : "";
    if (!v[0] || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0
        || strcmp(v, "1") == 0)
        *on = true;
    else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0
             || strcmp(v, "0") == 0)
        *on = false;
    else
        return bad(err, kv, "a flag: leave it empty (or yes/no)");
    return 0;
}

static int opt_requeue(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                       ts_err *err)
{
    bool on = false;
    if (c->requeue_kv && strcmp(c->requeue_kv->key, kv->key) != 0)
        return bad(err, kv, "conflicts with slurm.%s (Slurm takes only one "
                   "of them)", c->requeue_kv->key);
    if (flag_value(kv, &on, err) < 0)
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
    else if (flag_value(kv, &on, NULL) == 0) {
        if (on)
            d->shared = JOB_SHARED_NONE;
    } else
        return bad(err, kv, "not empty, user, mcs or oversubscribe");
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
    if (need_value(kv, err) < 0)
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
            return bad(err, kv, "\"%.*s\" is not a mail type (NONE, BEGIN, "
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
    if (need_value(kv, err) < 0)
        return -1;
    const char *digits = kv->value;
    bool neg = false;
    if (*digits == '-' || *digits == '+') {
        neg = *digits == '-';
        digits++;
    }
    if (!parse_ulong(digits, 0, (unsigned long)limit, &v))
        return bad(err, kv, "not a nice value from -%ld to %ld", limit,
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
    if (need_value(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "TOP") == 0) {
        d->priority = NO_VAL - 1;
        return 0;
    }
    if (!parse_ulong(kv->value, 0, NO_VAL - 1, &v))
        return bad(err, kv, "not a priority (0 to %u, or TOP)", NO_VAL - 1);
    if (v)
        d->priority = (uint32_t)v;
    return 0;
}

/* ---------------------------------------------------------- GPUs, GRES */

/* "[type:]count" items, comma-separated, as --gpus* take them. */
static int check_tres_items(const ts_kv *kv, ts_err *err)
{
    if (need_value(kv, err) < 0)
        return -1;
    const char *v = kv->value;
    bool item_empty = true;
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch == ',') {
            if (item_empty)
                break;
            item_empty = true;
            continue;
        }
        if (!isalnum(ch) && !strchr(":_-.", ch))
            return bad(err, kv, "not a GPU count ([type:]N, "
                       "comma-separated)");
        item_empty = false;
    }
    if (item_empty)
        return bad(err, kv, "not a GPU count ([type:]N, comma-separated)");
    return 0;
}

static int opt_gpus(job_desc_msg_t *d, opt_ctx *c, const ts_kv *kv,
                    ts_err *err)
{
    (void)d;
    if (check_tres_items(kv, err) < 0)
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
    if (check_tres_items(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "help") == 0 || strcasecmp(kv->value, "list") == 0)
        return bad(err, kv, "not a GRES request (name[:type]:count)");
    c->gres = strcasecmp(kv->value, "none") == 0 ? NULL : kv->value;
    return 0;
}

/* How sbatch names TRES in the job request: "gres:gpu:2" up to 23.02,
 * "gres/gpu:2" from 23.11. */
#define TRES_GPU (TS_SBATCH_2311_RULES ? "gres/gpu:" : "gres:gpu:")
#define TRES_GRES (TS_SBATCH_2311_RULES ? "gres/" : "gres:")

/* xfmt_tres() of src/common/proc_args.c: prefix (TRES_GPU or TRES_GRES)
 * before every comma item. */
static int append_tres(char **dest, const char *prefix, const char *items,
                       ts_err *err)
{
    const char *p = items;
    while (*p) {
        size_t len = strcspn(p, ",");
        /* gres_prepend_tres_type(): "gres:" once, never "gres:gres:". */
        if (strcmp(prefix, TRES_GRES) == 0
            && (strncmp(p, "gres:", 5) == 0 || strncmp(p, "gres/", 5) == 0)) {
            p += 5;
            len -= 5;
        }
        if (*dest) {
            if (set_stringf(dest, err, "%s,%s%.*s", *dest, prefix, (int)len, p)
                < 0)
                return -1;
        } else if (set_stringf(dest, err, "%s%.*s", prefix, (int)len, p) < 0) {
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
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
    if (need_value(kv, err) < 0)
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
                return bad(err, kv, "not [B:|R:]SIGNAL[@seconds]");
        }
        v = colon + 1;
    }
    const char *at = strchr(v, '@');
    size_t len = at ? (size_t)(at - v) : strlen(v);
    if (len == 0 || len >= sizeof name)
        return bad(err, kv, "not [B:|R:]SIGNAL[@seconds]");
    memcpy(name, v, len);
    name[len] = '\0';
    int sig = ts_parse_signal(name);
    if (sig < 1)
        return bad(err, kv, "\"%s\" is not a signal", name);
    if (at && !parse_ulong(at + 1, 0, 0xffff, &lead))
        return bad(err, kv, "\"%s\" is not a lead time in seconds (0 to "
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

static const struct {
    const char *key;
    opt_fn fn;
} handlers[] = {
    /* derived by slurmopt.c */
    { "job-name",         opt_string },
    { "nodes",            opt_nodes },
    { "signal",           opt_signal },
    /* slurmopt.c known[] */
    { "account",          opt_string },
    { "array-throttle",   opt_skip },      /* ts_array_req.throttle */
    { "begin",            opt_when },
    { "comment",          opt_comment },
    { "constraint",       opt_string },
    { "cores-per-socket", opt_topology },
    { "cpus-per-task",    opt_cpus_per_task },
    { "deadline",         opt_when },
    { "exclude",          opt_exclude },
    { "exclusive",        opt_exclusive },
    { "gpus",             opt_gpus },
    { "gpus-per-node",    opt_gpus },
    { "gpus-per-task",    opt_gpus },
    { "gres",             opt_gres },
    { "hint",             opt_hint },
    { "licenses",         opt_string },
    { "mail-type",        opt_mail_type },
    { "mail-user",        opt_string },
    { "mem",              opt_mem },
    { "mem-per-cpu",      opt_mem },
    { "mem-per-gpu",      opt_mem },
    { "nice",             opt_nice },
    { "no-requeue",       opt_requeue },
    { "nodelist",         opt_nodelist },
    { "ntasks",           opt_ntasks },
    { "ntasks-per-node",  opt_ntasks_per_node },
    { "partition",        opt_string },
    { "priority",         opt_priority },
    { "qos",              opt_string },
    { "requeue",          opt_requeue },
    { "reservation",      opt_string },
    { "sockets-per-node", opt_topology },
    { "switches",         opt_switches },
    { "threads-per-core", opt_topology },
    { "time",             opt_time },
    { "time-min",         opt_time },
    { "tmp",              opt_tmp },
    { "wckey",            opt_string },
};

/* 23.11: tres_per_task carries --cpus-per-task and --gpus-per-task,
 * "cpu=N,gres/gpu[:type]=M" (slurm_opt.c: _validate_tres_per_task). sbatch
 * reads one "[type:]count" of --gpus-per-task and drops the rest of a
 * list silently: a suite is told instead. */
static int tres_per_task(job_desc_msg_t *d, const opt_ctx *c, ts_err *err)
{
    char *s = NULL;
    if (c->gpus_per_task) {
        const char *v = c->gpus_per_task, *colon = strrchr(v, ':');
        unsigned long n = 0;
        ts_kv kv = { .key = "gpus-per-task", .value = (char *)v };
        if (strchr(v, ',') || !parse_ulong(colon ? colon + 1 : v, 1,
                                           NO_VAL16 - 1, &n))
            return bad(err, &kv, "not [type:]count: Slurm 23.11 and newer "
                       "take one GPU type per task");
        if (colon ? set_stringf(&s, err, "gres/gpu:%.*s=%lu",
                                (int)(colon - v), v, n) < 0
                  : set_stringf(&s, err, "gres/gpu=%lu", n) < 0)
            return -1;
    }
    if (c->cpus_set) {
        int rc = s ? set_stringf(&s, err, "cpu=%" PRIu32 ",%s",
                                 c->cpus_per_task, s)
                   : set_stringf(&s, err, "cpu=%" PRIu32, c->cpus_per_task);
        if (rc < 0) {
            free(s);
            return -1;
        }
    }
    free(d->tres_per_task);
    d->tres_per_task = s;
    return 0;
}

/* What sbatch does after reading every option (_opt_verify) and while
 * building the job_desc (slurm_opt_create_job_desc). */
static int finish(job_desc_msg_t *d, opt_ctx *c, ts_err *err)
{
    char *tres = NULL;

    if (c->hint) {
        /* sbatch drops --hint silently when --threads-per-core is given. */
        if (c->threads_kv)
            return bad(err, c->hint, "conflicts with slurm.threads-per-core "
                       "(sbatch would ignore the hint)");
        apply_hint(c);
    }
    if (c->nodelist) {
        int count = 0;
        if (check_hostlist(c->nodelist, &count, NULL, err) < 0)
            return -1;
        uint32_t n = (uint32_t)count;
        if (TS_SBATCH_2302_RULES) {
            /* 23.02: the list may name more nodes than --nodes asks for;
             * it gives the node count only without --nodes. */
            if (!c->nodes_set)
                c->min_nodes = n;
        } else {
            if (c->nodes_set && c->max_nodes && n > c->max_nodes)
                return bad(err, c->nodelist, "names %u nodes, more than the "
                           "%u the job asks for", n, c->max_nodes);
            if (!c->nodes_set || n > c->min_nodes)
                c->min_nodes = n;
        }
        c->nodes_set = true;
    }
    /* --ntasks-per-node on a fixed node count: 22.05 derives the task count
     * from it; 23.02 only sizes min_cpus with it (below). */
    bool per_node = c->ntasks_per_node != NO_VAL && !c->ntasks_set
                    && (c->max_nodes == 0 || c->min_nodes == c->max_nodes);
    if (per_node && (uint64_t)c->min_nodes * c->ntasks_per_node >= NO_VAL)
        return ts_errf(err, "slurm.ntasks-per-node: %" PRIu32 " tasks on each "
                       "of %" PRIu32 " nodes is too many", c->ntasks_per_node,
                       c->min_nodes);
    if (per_node && !TS_SBATCH_2302_RULES) {
        c->ntasks = c->min_nodes * c->ntasks_per_node;
        c->ntasks_set = true;
    }
    if (c->nodes_set && (c->min_nodes == c->max_nodes || c->max_nodes == 0)
        && !c->ntasks_set
        && (!TS_SBATCH_2302_RULES || c->ntasks_per_node == NO_VAL)) {
        /* One task per node, times sockets x cores x threads if given. */
        c->ntasks = c->min_nodes > 1 ? c->min_nodes : 1;
        if (c->sockets != NO_VAL) {
            c->ntasks *= c->sockets;
            c->ntasks_set = true;
        }
        if (c->cores != NO_VAL) {
            c->ntasks *= c->cores;
            c->ntasks_set = true;
        }
        if (c->threads != NO_VAL) {
            c->ntasks *= c->threads;
            c->ntasks_set = true;
        }
    } else if (c->nodes_set && c->ntasks_set) {
        /* sbatch lowers the node count with a warning; a suite says what
         * it means instead. */
        if (c->ntasks < c->min_nodes) {
            char msg[64];
            snprintf(msg, sizeof msg, "%" PRIu32, c->ntasks);
            ts_kv kv = { .key = "ntasks", .value = msg };
            return bad(err, &kv, "fewer tasks than nodes (%" PRIu32 "); "
                       "ask for at least one task per node", c->min_nodes);
        }
        if (c->max_nodes && c->ntasks < c->max_nodes)
            c->max_nodes = c->ntasks;
    }
    /* The task count min_cpus is sized for (estimated_ntasks). */
    uint32_t est_ntasks = c->ntasks;
    if (per_node && TS_SBATCH_2302_RULES)
        est_ntasks = c->min_nodes * c->ntasks_per_node;
    if (c->begin && c->deadline && c->deadline < c->begin)
        return ts_errf(err, "slurm.deadline: is before slurm.begin");

    /* min_cpus, pn_min_cpus (slurm_opt_create_job_desc, no overcommit). */
    if (c->cpus_set) {
        d->pn_min_cpus = (uint16_t)c->cpus_per_task;
        uint64_t total = (uint64_t)est_ntasks * c->cpus_per_task;
        if (total >= NO_VAL)
            return ts_errf(err, "slurm.cpus-per-task: %" PRIu32 " CPUs for "
                           "each of %" PRIu32 " tasks is too many",
                           c->cpus_per_task, est_ntasks);
        d->min_cpus = (uint32_t)total;
        d->cpus_per_task = (uint16_t)c->cpus_per_task;
        d->bitflags |= JOB_CPUS_SET;
    } else if (c->nodes_set && c->min_nodes == 0) {
        d->min_cpus = 0;
    } else {
        d->min_cpus = est_ntasks;
    }
    if (c->nodes_set) {
        d->min_nodes = c->min_nodes;
        if (c->max_nodes)
            d->max_nodes = c->max_nodes;
    } else if (TS_SBATCH_2302_RULES && c->ntasks_set
               && c->ntasks_per_node != NO_VAL) {
        /* 23.02: enough nodes for the tasks at --ntasks-per-node each. */
        d->min_nodes = (c->ntasks + c->ntasks_per_node - 1)
                       / c->ntasks_per_node;
    }
    if (c->ntasks_set) {
        d->num_tasks = c->ntasks;
        d->bitflags |= JOB_NTASKS_SET;
    }
    if (c->sockets != NO_VAL)
        d->sockets_per_node = (uint16_t)c->sockets;
    if (c->cores != NO_VAL)
        d->cores_per_socket = (uint16_t)c->cores;
    if (c->threads != NO_VAL)
        d->threads_per_core = (uint16_t)c->threads;
    if (c->ntasks_per_node != NO_VAL)
        d->ntasks_per_node = (uint16_t)c->ntasks_per_node;
    if (c->ntasks_per_core != NO_VAL)
        d->ntasks_per_core = (uint16_t)c->ntasks_per_core;

    /* TRES: --gpus, then --gpus-per-node with --gres appended, as sbatch. */
    if (c->gpus && append_tres(&d->tres_per_job, TRES_GPU, c->gpus, err) < 0)
        return -1;
    if (c->gpus_per_node
        && append_tres(&tres, TRES_GPU, c->gpus_per_node, err) < 0)
        goto fail;
    if (c->gres && append_tres(&tres, TRES_GRES, c->gres, err) < 0)
        goto fail;
    if (tres) {
        free(d->tres_per_node);
        d->tres_per_node = tres;
        tres = NULL;
    }
    if (TS_SBATCH_2311_RULES) {
        if (tres_per_task(d, c, err) < 0)
            return -1;
    } else if (c->gpus_per_task
               && append_tres(&d->tres_per_task, TRES_GPU, c->gpus_per_task,
                              err) < 0) {
        return -1;
    }
    if (c->mem_per_gpu != NO_VAL64
        && set_stringf(&d->mem_per_tres, err, "%s%" PRIu64, TRES_GPU,
                       c->mem_per_gpu) < 0)
        return -1;
    return 0;
fail:
    free(tres);
    return -1;
}

static int apply(job_desc_msg_t *d, const ts_kvlist *opts, opt_ctx *c,
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
            return bad(err, kv, "not an sbatch option tasksuite passes to "
                       "Slurm");
        if (handlers[h].fn(d, c, kv, err) < 0)
            return -1;
    }
    return finish(d, c, err);
}

int ts_slurm_apply_options(void *job_desc, const ts_kvlist *opts, ts_err *err)
{
    opt_ctx c;
    return apply(job_desc, opts, &c, err);
}

static void free_strv(char **v, uint32_t n)
{
    if (!v)
        return;
    for (uint32_t i = 0; i < n && v[i]; i++)
        free(v[i]);
    free(v);
}

void ts_slurm_job_desc_free(void *job_desc)
{
    job_desc_msg_t *d = job_desc;
    if (!d)
        return;
    char **fields[] = {
        &d->account, &d->array_inx, &d->comment, &d->dependency,
        &d->exc_nodes, &d->features, &d->licenses, &d->mail_user,
        &d->mem_per_tres, &d->name, &d->partition, &d->qos, &d->req_nodes,
        &d->reservation, &d->script, &d->std_err, &d->std_in, &d->std_out,
        &d->tres_per_job, &d->tres_per_node, &d->tres_per_task, &d->wckey,
        &d->work_dir,
    };
    for (size_t i = 0; i < COUNT(fields); i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    free_strv(d->environment, d->env_size);
    d->environment = NULL;
    d->env_size = 0;
    free_strv(d->spank_job_env, d->spank_job_env_size);
    d->spank_job_env = NULL;
    d->spank_job_env_size = 0;
}

/* ================================================================ submit */

/* A growing NULL-terminated array of malloc'd "NAME=VALUE" strings. */
typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int strv_add(strv *s, char *owned, ts_err *err)
{
    if (!owned)
        return oom(err);
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(owned);
            return oom(err);
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
    return 0;
}

static ssize_t strv_find(const strv *s, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i], name, len) == 0 && s->v[i][len] == '=')
            return (ssize_t)i;
    return -1;
}

/* NAME=VALUE, replacing an existing NAME if `overwrite`. */
static int strv_set(strv *s, const char *name, const char *value,
                    bool overwrite, ts_err *err)
{
    ssize_t at = strv_find(s, name);
    if (at >= 0 && !overwrite)
        return 0;
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", name, value) < 0)
        return oom(err);
    if (at >= 0) {
        free(s->v[at]);
        s->v[at] = entry;
        return 0;
    }
    return strv_add(s, entry, err);
}

static int strv_setu(strv *s, const char *name, uint64_t value, ts_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    return strv_set(s, name, buf, true, err);
}

static int strv_copy(strv *s, char *const *from, ts_err *err)
{
    for (size_t i = 0; from && from[i]; i++)
        if (strv_add(s, strdup(from[i]), err) < 0)
            return -1;
    return 0;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* The variables sbatch puts into the job environment for its options
 * (sbatch/opt.c: set_envs, common/env.c: set_env_from_opts, and
 * verify_hint's SLURM_HINT), overriding inherited ones. */
static int option_env(strv *env, const opt_ctx *c, const job_desc_msg_t *d,
                      ts_err *err)
{
    /* 23.11: "Requesting --cpus-per-task will now set SLURM_TRES_PER_TASK". */
    if (TS_SBATCH_2311_RULES && d->tres_per_task
        && strv_set(env, "SLURM_TRES_PER_TASK", d->tres_per_task, true, err) < 0)
        return -1;
    if (c->cpus_set && strv_setu(env, "SLURM_CPUS_PER_TASK",
                                 c->cpus_per_task, err) < 0)
        return -1;
    if (c->ntasks_set && (strv_setu(env, "SLURM_NTASKS", c->ntasks, err) < 0
                          || strv_setu(env, "SLURM_NPROCS", c->ntasks, err) < 0))
        return -1;
    if (c->ntasks_per_node != NO_VAL
        && strv_setu(env, "SLURM_NTASKS_PER_NODE", c->ntasks_per_node, err) < 0)
        return -1;
    if (c->ntasks_per_core != NO_VAL
        && strv_setu(env, "SLURM_NTASKS_PER_CORE", c->ntasks_per_core, err) < 0)
        return -1;
    if (c->threads != NO_VAL
        && strv_setu(env, "SLURM_THREADS_PER_CORE", c->threads, err) < 0)
        return -1;
    if (c->hint && strv_set(env, "SLURM_HINT", c->hint->value, true, err) < 0)
        return -1;
    if (c->gpus && strv_set(env, "SLURM_GPUS", c->gpus, true, err) < 0)
        return -1;
    if (c->gpus_per_node
        && strv_set(env, "SLURM_GPUS_PER_NODE", c->gpus_per_node, true, err) < 0)
        return -1;
    if (c->gpus_per_task
        && strv_set(env, "SLURM_GPUS_PER_TASK", c->gpus_per_task, true, err) < 0)
        return -1;
    if (c->mem_per_gpu != NO_VAL64
        && strv_setu(env, "SLURM_MEM_PER_GPU", c->mem_per_gpu, err) < 0)
        return -1;
    return 0;
}

/* What sbatch sets about where the job came from (sbatch.c:
 * _set_submit_dir_env, _set_umask_env), unless the caller did. */
static int submit_env(strv *env, ts_err *err)
{
    char buf[4096];
    if (strv_find(env, "SLURM_SUBMIT_DIR") < 0 && getcwd(buf, sizeof buf)
        && strv_set(env, "SLURM_SUBMIT_DIR", buf, false, err) < 0)
        return -1;
    if (strv_find(env, "SLURM_SUBMIT_HOST") < 0
        && gethostname(buf, sizeof buf) == 0) {
        buf[sizeof buf - 1] = '\0';
        if (strv_set(env, "SLURM_SUBMIT_HOST", buf, false, err) < 0)
            return -1;
    }
    if (strv_find(env, "SLURM_UMASK") < 0) {
        mode_t mask = umask(0);
        umask(mask);
        snprintf(buf, sizeof buf, "0%o%o%o", (mask >> 6) & 07, (mask >> 3) & 07,
                 mask & 07);
        if (strv_set(env, "SLURM_UMASK", buf, false, err) < 0)
            return -1;
    }
    return 0;
}

static bool temporary_refusal(int e)
{
    /* MaxJobCount reached: "Slurm job queue full, sleeping and retrying". */
    return e == TS_ESLURM_QUEUE_FULL || e == EAGAIN || e == ESLURM_NODES_BUSY;
}

/* No room now: the controller's job table (MaxJobCount) or the user's
 * submit limits (MaxSubmitJobs, QOS limits: an accounting policy refusal). */
static bool no_room(int e)
{
    return e == TS_ESLURM_QUEUE_FULL || e == EAGAIN || e == ESLURM_ACCOUNTING_POLICY;
}

int ts_slurm_submit(const ts_array_req *req, uint32_t *job_id, ts_err *err)
{
    job_desc_msg_t d;
    opt_ctx c;
    strv env = {0}, spank = {0};
    char what[256];
    int rc = -1;

    if (ts_slurm_init(err) < 0)
        return -1;
    snprintf(what, sizeof what, "submit array %" PRIu32 "-%" PRIu32 " of %s",
             req->first, req->last, req->job_name ? req->job_name : "(unnamed)");
    if (!req->script || !req->script[0])
        return ts_errf(err, "%s: no batch script", what);
    if (!req->work_dir || req->work_dir[0] != '/')
        return ts_errf(err, "%s: the working directory must be absolute",
                       what);
    if (req->first > req->last)
        return ts_errf(err, "%s: the first index is above the last", what);

    ts_compat_init_job_desc(&d);
    if (req->comment && set_string(&d.comment, req->comment, err) < 0)
        goto out;
    if (apply(&d, req->options, &c, err) < 0)
        goto out;
    if (req->job_name && set_string(&d.name, req->job_name, err) < 0)
        goto out;
    if (set_string(&d.script, req->script, err) < 0
        || set_string(&d.work_dir, req->work_dir, err) < 0
        || set_string(&d.std_in, "/dev/null", err) < 0
        || (req->std_out && set_string(&d.std_out, req->std_out, err) < 0)
        || (req->std_err && set_string(&d.std_err, req->std_err, err) < 0)
        || (req->dependency
            && set_string(&d.dependency, req->dependency, err) < 0))
        goto out;
    if (req->single)
        ;   /* a plain job, not an array */
    else if (req->throttle
        ? set_stringf(&d.array_inx, err, "%" PRIu32 "-%" PRIu32 "%%%" PRIu32,
                      req->first, req->last, req->throttle) < 0
        : set_stringf(&d.array_inx, err, "%" PRIu32 "-%" PRIu32, req->first,
                      req->last) < 0)
        goto out;

    /* sbatch exports the job name; slurmstepd expands %x from it. */
    if (strv_copy(&env, req->env, err) < 0
        || (d.name && strv_set(&env, "SLURM_JOB_NAME", d.name, true, err) < 0)
        || option_env(&env, &c, &d, err) < 0
        || submit_env(&env, err) < 0 || strv_copy(&spank, req->spank_env, err) < 0)
        goto out;
    d.environment = env.v;
    d.env_size = (uint32_t)env.n;
    d.spank_job_env = spank.v;
    d.spank_job_env_size = (uint32_t)spank.n;
    env = (strv){0};            /* owned by d now */
    spank = (strv){0};

    d.user_id = getuid();
    d.group_id = getgid();
    if (req->hold)
        d.priority = 0;

    submit_response_msg_t *resp = NULL;
    for (int attempt = 0;; attempt++) {
        if (slurm_submit_batch_job(&d, &resp) == SLURM_SUCCESS)
            break;
        int e = errno;
        if (req->full && no_room(e)) {
            *req->full = 1;     /* the caller queues it later (waves) */
            rpc_error(err, e, what);
            goto out;
        }
        if (!temporary_refusal(e) || attempt >= SUBMIT_RETRIES) {
            rpc_error(err, e, what);
            goto out;
        }
        sleep((unsigned)attempt + 1);
    }
    if (!resp) {
        ts_errc(err, TS_EXIT_SLURM, "%s: no answer from slurmctld", what);
        goto out;
    }
    *job_id = TS_SUBMIT_RESPONSE_JOB_ID(resp);
    slurm_free_submit_response_response_msg(resp);
    rc = 0;
out:
    strv_free(&env);
    strv_free(&spank);
    ts_slurm_job_desc_free(&d);
    return rc;
}

/* ================================================================ job state */

static ts_job_state map_state(uint32_t job_state, int *completing)
{
    *completing = (job_state & JOB_COMPLETING) ? 1 : 0;
    /* Requeued (or requeue-held) but not yet pending again: it will run
     * again, so it is pending for anyone deciding what to do next. */
    if (job_state & (JOB_REQUEUE | JOB_REQUEUE_HOLD | JOB_SPECIAL_EXIT
                     | JOB_REQUEUE_FED))
        return TS_JOB_PENDING;
    switch (job_state & JOB_STATE_BASE) {
    case JOB_PENDING:   return TS_JOB_PENDING;
    case JOB_RUNNING:
    case JOB_SUSPENDED: return TS_JOB_RUNNING;
    case JOB_COMPLETE:  return TS_JOB_COMPLETED;
    case JOB_CANCELLED: return TS_JOB_CANCELLED;
    case JOB_FAILED:    return TS_JOB_FAILED;
    case JOB_TIMEOUT:   return TS_JOB_TIMEOUT;
    case JOB_NODE_FAIL: return TS_JOB_NODE_FAIL;
    case JOB_PREEMPTED: return TS_JOB_PREEMPTED;
    case JOB_BOOT_FAIL: return TS_JOB_BOOT_FAIL;
    case JOB_DEADLINE:  return TS_JOB_DEADLINE;
    case JOB_OOM:       return TS_JOB_OOM;
    default:            return TS_JOB_UNKNOWN;
    }
}

const char *ts_job_state_name(ts_job_state s)
{
    static const char *const names[] = {
        [TS_JOB_UNKNOWN] = "UNKNOWN",     [TS_JOB_PENDING] = "PENDING",
        [TS_JOB_RUNNING] = "RUNNING",     [TS_JOB_COMPLETED] = "COMPLETED",
        [TS_JOB_FAILED] = "FAILED",       [TS_JOB_TIMEOUT] = "TIMEOUT",
        [TS_JOB_CANCELLED] = "CANCELLED", [TS_JOB_NODE_FAIL] = "NODE_FAIL",
        [TS_JOB_PREEMPTED] = "PREEMPTED", [TS_JOB_OOM] = "OUT_OF_MEMORY",
        [TS_JOB_BOOT_FAIL] = "BOOT_FAIL", [TS_JOB_DEADLINE] = "DEADLINE",
    };
    if ((unsigned)s < COUNT(names) && names[s])
        return names[s];
    return "UNKNOWN";
}

static void copy_field(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void fill_info(ts_job_info *ji, const slurm_job_info_t *j)
{
    memset(ji, 0, sizeof *ji);
    ji->job_id = j->job_id;
    ji->array_job_id = j->array_job_id;
    ji->array_task_id = j->array_job_id ? j->array_task_id : 0;
    ji->state = map_state(j->job_state, &ji->completing);
    ji->exit_code = -1;
    ji->term_signal = 0;
    bool ended = ji->state != TS_JOB_PENDING && ji->state != TS_JOB_RUNNING
                 && ji->state != TS_JOB_UNKNOWN;
    if (ended && j->exit_code != NO_VAL) {
        int status = (int)j->exit_code;
        if (WIFSIGNALED(status))
            ji->term_signal = WTERMSIG(status);
        else if (WIFEXITED(status))
            ji->exit_code = WEXITSTATUS(status);
    }
    ji->held = ji->state == TS_JOB_PENDING
               && (j->priority == 0 || j->state_reason == WAIT_HELD
                   || j->state_reason == WAIT_HELD_USER
                   || (j->job_state & (JOB_REQUEUE_HOLD | JOB_SPECIAL_EXIT)));
    ji->restart_cnt = j->restart_cnt;
    copy_field(ji->name, sizeof ji->name, j->name);
    copy_field(ji->comment, sizeof ji->comment, j->comment);
    copy_field(ji->nodes, sizeof ji->nodes, j->nodes);
    ji->start_time = j->start_time;
    ji->end_time = j->end_time;
}

typedef struct infov {
    ts_job_info *v;
    size_t n, cap;
} infov;

static ts_job_info *infov_next(infov *iv, ts_err *err)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 16;
        ts_job_info *v = realloc(iv->v, cap * sizeof *v);
        if (!v) {
            oom(err);
            return NULL;
        }
        iv->v = v;
        iv->cap = cap;
    }
    return &iv->v[iv->n++];
}

/* One pending-range record ("0-3,7,9-15:2%4") as one entry per index. */
static int expand_range(infov *iv, const slurm_job_info_t *j, ts_err *err)
{
    const char *p = j->array_task_str;
    size_t len = strcspn(p, "%");
    if (len >= 3 && strncmp(p + len - 3, "...", 3) == 0)
        return ts_errc(err, TS_EXIT_SLURM, "job %" PRIu32 ": the pending "
                       "array task list was cut short (SLURM_BITSTR_LEN)",
                       j->array_job_id);
    const char *end = p + len;
    while (p < end) {
        unsigned long a, b, step = 1;
        char *q;
        if (!isdigit((unsigned char)*p))
            goto bad_list;
        a = b = strtoul(p, &q, 10);
        if (*q == '-') {
            if (!isdigit((unsigned char)q[1]))
                goto bad_list;
            b = strtoul(q + 1, &q, 10);
            if (*q == ':') {
                if (!isdigit((unsigned char)q[1]))
                    goto bad_list;
                step = strtoul(q + 1, &q, 10);
            }
        }
        if (b < a || step == 0 || b >= NO_VAL || (q != end && *q != ','))
            goto bad_list;
        for (unsigned long t = a; t <= b; t += step) {
            ts_job_info *ji = infov_next(iv, err);
            if (!ji)
                return -1;
            fill_info(ji, j);
            ji->job_id = 0;                 /* no id of its own yet */
            ji->array_task_id = (uint32_t)t;
        }
        p = q;
        if (p < end && *p == ',')
            p++;
    }
    return 0;
bad_list:
    return ts_errc(err, TS_EXIT_SLURM, "job %" PRIu32 ": cannot read the "
                   "array task list \"%s\"", j->array_job_id,
                   j->array_task_str);
}

static int cmp_info(const void *a, const void *b)
{
    const ts_job_info *x = a, *y = b;
    uint32_t ax = x->array_job_id ? x->array_job_id : x->job_id;
    uint32_t ay = y->array_job_id ? y->array_job_id : y->job_id;
    if (ax != ay)
        return ax < ay ? -1 : 1;
    if (x->array_task_id != y->array_task_id)
        return x->array_task_id < y->array_task_id ? -1 : 1;
    return 0;
}

int ts_slurm_job_infos(const void *job_info_msg, uint32_t array_job_id,
                       const char *name_prefix, ts_job_info **out, size_t *n,
                       ts_err *err)
{
    const job_info_msg_t *msg = job_info_msg;
    infov iv = {0};
    size_t plen = name_prefix ? strlen(name_prefix) : 0;

    *out = NULL;
    *n = 0;
    for (uint32_t i = 0; msg && i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        uint32_t key = j->array_job_id ? j->array_job_id : j->job_id;
        if (array_job_id && key != array_job_id)
            continue;
        if (name_prefix && (!j->name || strncmp(j->name, name_prefix, plen) != 0))
            continue;
        if (j->array_job_id && j->array_task_id == NO_VAL
            && j->array_task_str && j->array_task_str[0]) {
            if (expand_range(&iv, j, err) < 0)
                goto fail;
            continue;
        }
        ts_job_info *ji = infov_next(&iv, err);
        if (!ji)
            goto fail;
        fill_info(ji, j);
    }
    if (iv.n > 1)
        qsort(iv.v, iv.n, sizeof *iv.v, cmp_info);
    *out = iv.v;
    *n = iv.n;
    return 0;
fail:
    free(iv.v);
    return -1;
}

int ts_slurm_array_elements(uint32_t array_job_id, ts_job_info **out,
                            size_t *n, ts_err *err)
{
    job_info_msg_t *msg = NULL;
    char what[64];

    *out = NULL;
    *n = 0;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (ts_compat_load_job(&msg, array_job_id, SHOW_ALL) != SLURM_SUCCESS) {
        int e = errno;
        if (e == ESLURM_INVALID_JOB_ID)
            return 0;                       /* purged: nothing known */
        snprintf(what, sizeof what, "look up job %" PRIu32, array_job_id);
        return rpc_error(err, e, what);
    }
    int rc = ts_slurm_job_infos(msg, array_job_id, NULL, out, n, err);
    slurm_free_job_info_msg(msg);
    return rc;
}

int ts_slurm_find_jobs(uid_t uid, const char *name_prefix, ts_job_info **out,
                       size_t *n, ts_err *err)
{
    job_info_msg_t *msg = NULL;
    char what[64];

    *out = NULL;
    *n = 0;
    if (ts_slurm_init(err) < 0)
        return -1;
    if (slurm_load_job_user(&msg, (uint32_t)uid, SHOW_ALL) != SLURM_SUCCESS) {
        int e = errno;
        snprintf(what, sizeof what, "list the jobs of uid %lu",
                 (unsigned long)uid);
        return rpc_error(err, e, what);
    }
    int rc = ts_slurm_job_infos(msg, 0, name_prefix ? name_prefix : "", out,
                                n, err);
    slurm_free_job_info_msg(msg);
    return rc;
}

int ts_slurm_cancel(const char *job_spec, ts_err *err)
{
    char what[96];
    if (ts_slurm_init(err) < 0)
        return -1;
    snprintf(what, sizeof what, "cancel job %s", job_spec);
    for (int attempt = 0;; attempt++) {
        if (slurm_kill_job2(job_spec, SIGKILL, 0, NULL) == SLURM_SUCCESS)
            return 0;
        int e = errno;
        if (e == ESLURM_ALREADY_DONE || e == ESLURM_INVALID_JOB_ID)
            return 0;
        if (e != ESLURM_TRANSITION_STATE_NO_UPDATE || attempt >= CANCEL_RETRIES)
            return rpc_error(err, e, what);
        sleep(1);
    }
}

long ts_slurm_remaining(uint32_t job_id)
{
    if (ts_slurm_init(NULL) < 0)
        return -1;
    return ts_compat_get_rem_time(job_id);
}

time_t ts_slurm_end_time(uint32_t job_id)
{
    time_t end = 0;
    ts_err err = { 0 };
    if (ts_slurm_init(&err) < 0
        || ts_compat_get_end_time(job_id, &end) != SLURM_SUCCESS)
        return -1;
    /* An unlimited job reports an end at or past INFINITE. */
    return end > 0 && (uint64_t)end < (uint64_t)INFINITE ? end : 0;
}

int ts_slurm_release(uint32_t job_id, ts_err *err)
{
    job_desc_msg_t d;
    job_array_resp_msg_t *resp = NULL;
    char id[16];
    int rc;

    if (ts_slurm_init(err) < 0)
        return -1;
    ts_compat_init_job_desc(&d);
    /* job_id_str (job_desc has no job_id since 25.11), with update_job2
     * as libslurm asks for it */
    snprintf(id, sizeof id, "%u", job_id);
    d.job_id_str = id;
    d.priority = INFINITE;          /* what `scontrol release` sends */
    rc = slurm_update_job2(&d, &resp);
    if (resp)
        slurm_free_job_array_resp(resp);
    if (rc != SLURM_SUCCESS)
        return ts_errc(err, TS_EXIT_SLURM, "release job %u: %s", job_id,
                       slurm_strerror(errno));
    return 0;
}

int ts_slurm_requeue(uint32_t job_id, ts_err *err)
{
    if (ts_slurm_init(err) < 0)
        return -1;
    if (ts_compat_requeue(job_id, 0) != SLURM_SUCCESS)
        return ts_errc(err, TS_EXIT_SLURM, "requeue job %u: %s", job_id,
                       slurm_strerror(errno));
    return 0;
}
