/* gpus.c: the allocation's GPUs from its environment (precedence in
 * gpus.h), and their split between workers. No hwloc here: GPUs are taken
 * from what Slurm listed, never from the hardware.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gpus.h"

/* Precedence: the runtime variables first (their numbering is the one the
 * CUDA/ROCm runtimes see inside the job, which is what a worker's narrowed
 * copy must use), then Slurm's own lists (node indices; right when devices
 * are not constrained, which is when Slurm sets no runtime variable). A step
 * may hold fewer GPUs than its job: the step's list before the job's. */
static const char *const runtime_vars[TS_GPUS_NRUNTIME] = {
    "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
};
static const char *const slurm_vars[] = { "SLURM_STEP_GPUS", "SLURM_JOB_GPUS" };

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i]);
    free(ids);
}

static int id_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || c == '-' || c == '_' || c == ':' || c == '.' || c == '/';
}

/* Split "0,1,GPU-ab12" into ids. "NoDevFiles" (what some Slurm releases set
 * when the job has no GPU on a GPU node) and "" are an empty list. */
static int split(const char *var, const char *value, char ***out, size_t *n,
                 ts_err *err)
{
    char shown[64];
    char **ids;
    size_t cap = 1;

    *out = NULL;
    *n = 0;
    if (!*value || !strcmp(value, "NoDevFiles"))
        return 0;
    for (const char *p = value; *p; p++)
        cap += *p == ',';
    if (cap > TS_GPUS_MAX)
        return ts_errf(err, "%s lists %zu GPUs: at most %d", var, cap, TS_GPUS_MAX);
    ids = calloc(cap, sizeof *ids);
    if (!ids)
        return ts_errf(err, "out of memory");
    for (const char *p = value;; p++) {
        size_t len = strcspn(p, ",");
        size_t k = *n;

        for (size_t i = 0; i < len; i++)
            if (!id_char(p[i])) {
                free_ids(ids, k);
                return ts_errf(err, "%s=\"%s\": entry %zu is not a GPU index or "
                               "UUID (character '%c')", var,
                               ts_err_shown(value, shown, sizeof shown), k + 1,
                               p[i] >= ' ' && p[i] < 127 ? p[i] : '?');
            }
        if (len == 0) {
            free_ids(ids, k);
            return ts_errf(err, "%s=\"%s\": entry %zu is empty (a comma-separated "
                           "list of GPU indices or UUIDs)", var,
                           ts_err_shown(value, shown, sizeof shown), k + 1);
        }
        for (size_t j = 0; j < k; j++)
            if (strlen(ids[j]) == len && !strncmp(ids[j], p, len)) {
                ts_errf(err, "%s=\"%s\": GPU %s is listed twice", var,
                        ts_err_shown(value, shown, sizeof shown), ids[j]);
                free_ids(ids, k);
                return -1;
            }
        if (!(ids[k] = strndup(p, len))) {
            free_ids(ids, k);
            return ts_errf(err, "out of memory");
        }
        *n = k + 1;
        p += len;
        if (!*p)
            break;
    }
    *out = ids;
    return 0;
}

int ts_gpus_read(ts_gpus_lookup get, void *ctx, ts_gpus *out, ts_err *err)
{
    ts_gpus g = { 0 };

    for (size_t i = 0; i < TS_GPUS_NRUNTIME; i++) {
        const char *v = get(runtime_vars[i], ctx);
        char **ids;
        size_t n;

        if (!v)
            continue;
        if (split(runtime_vars[i], v, &ids, &n, err) < 0) {
            ts_gpus_free(&g);
            return -1;
        }
        if (!g.source) {
            g.source = runtime_vars[i];
            g.ids = ids;
            g.n = n;
        } else if (n != g.n) {
            free_ids(ids, n);
            ts_errf(err, "%s lists %zu GPUs but %s lists %zu: which GPUs the "
                    "allocation has is unclear", g.source, g.n, runtime_vars[i], n);
            ts_gpus_free(&g);
            return -1;
        }
        /* the source's entries are both the list and its own narrowing */
        g.runtime[g.nruntime].name = runtime_vars[i];
        g.runtime[g.nruntime++].ids = ids;
    }
    for (size_t i = 0; !g.source && i < sizeof slurm_vars / sizeof slurm_vars[0]; i++) {
        const char *v = get(slurm_vars[i], ctx);

        if (!v)
            continue;
        if (split(slurm_vars[i], v, &g.ids, &g.n, err) < 0)
            return -1;
        g.source = slurm_vars[i];
    }
    *out = g;
    return 0;
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int ts_gpus_from_env(ts_gpus *out, ts_err *err)
{
    return ts_gpus_read(env_lookup, NULL, out, err);
}

void ts_gpus_free(ts_gpus *g)
{
    for (size_t i = 0; i < g->nruntime; i++)
        if (g->runtime[i].ids != g->ids)
            free_ids(g->runtime[i].ids, g->n);
    free_ids(g->ids, g->n);
    memset(g, 0, sizeof *g);
}

void ts_gpus_share(size_t ngpus, size_t nworkers, size_t w, size_t *first,
                   size_t *count)
{
    if (nworkers == 0 || ngpus < nworkers) {
        *first = 0;
        *count = ngpus;
        return;
    }
    size_t base = ngpus / nworkers, extra = ngpus % nworkers;
    *first = w * base + (w < extra ? w : extra);
    *count = base + (w < extra);
}

char *ts_gpus_join(char *const *ids, size_t first, size_t count)
{
    size_t len = 1;
    char *s, *p;

    for (size_t i = first; i < first + count; i++)
        len += strlen(ids[i]) + 1;
    if (!(s = malloc(len)))
        return NULL;
    p = s;
    *p = '\0';
    for (size_t i = first; i < first + count; i++) {
        size_t l = strlen(ids[i]);
        if (i > first)
            *p++ = ',';
        memcpy(p, ids[i], l);
        p += l;
        *p = '\0';
    }
    return s;
}
