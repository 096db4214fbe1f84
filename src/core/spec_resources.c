/* spec_resources.c: the resources: section of a suite file.
 *
 * CPUs, memory and accelerators in SkyPilot's notations, rounded to what
 * Slurm allocates, and the SkyPilot keys that have no Slurm meaning (warned
 * or refused, never dropped silently).
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "units.h"

/* ------------------------------------------------------------- resources */

#define RES(obj) ((ts_resources *)(obj))


/* "4", "4.5", "500m" (Kubernetes millicores), with an optional "+"
 * (SkyPilot's "at least"). Rounds up to a whole number; *inexact says it had
 * to. */
static int parse_amount(const char *s, bool milli_ok, long *out,
                        bool *inexact, bool *plus)
{
    long whole = 0;
    bool frac = false, dot = false;

    *inexact = *plus = false;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > 100000000)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        dot = true;
        if (!isdigit((unsigned char)*++s))
            return -1;
        for (; isdigit((unsigned char)*s); s++)
            frac |= *s != '0';
    }
    if (milli_ok && *s == 'm' && !dot) {
        s++;
        *inexact = whole % 1000 != 0;
        whole = whole / 1000 + *inexact;
    } else if (frac) {
        whole++;
        *inexact = true;
    }
    if (*s == '+') {
        *plus = true;
        s++;
    }
    if (*s)
        return -1;
    *out = whole;
    return 0;
}

static int r_cpus(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s;
    long n;
    bool inexact, plus;

    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    if (parse_amount(s, true, &n, &inexact, &plus) < 0)
        return spec_fail(c, v, path, "%s is not a CPU count (e.g. 4, or \"500m\")",
                         spec_qv(c, s));
    if (n < 1 || n > 100000)
        return spec_fail(c, v, path, "must be from 1 to 100000, found %s",
                         spec_qv(c, s));
    if (inexact && spec_warn(c, v, path, "%s rounded up to %ld (Slurm allocates "
                             "whole CPUs)", spec_qv(c, s), n) < 0)
        return -1;
    if (plus && spec_warn(c, v, path, "%s taken as exactly %ld", spec_qv(c, s), n) < 0)
        return -1;
    RES(obj)->cpus = (int)n;
    return 0;
}

static int r_memory(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    const char *s;
    char size[64];
    size_t len;
    uint64_t mb;
    bool plus;

    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    len = strlen(s);
    plus = len > 0 && s[len - 1] == '+';       /* SkyPilot's "at least" */
    if (plus)
        len--;
    if (len >= sizeof size)
        return spec_fail(c, v, path, "%s is not a size (e.g. 512Mi, 16Gi)",
                         spec_qv(c, s));
    memcpy(size, s, len);
    size[len] = '\0';
    if (ts_parse_size_mb(size, &mb) < 0)
        return spec_fail(c, v, path, "%s is not a size (e.g. 512Mi, 16Gi)",
                         spec_qv(c, s));
    if (mb == 0)
        return spec_fail(c, v, path, "must be more than 0 (for all of a node's "
                         "memory use slurm: {mem: 0})");
    if (isdigit((unsigned char)size[strlen(size) - 1])
        && spec_warn(c, v, path, "%s has no unit: taken as MiB, as Slurm's --mem "
                     "does (SkyPilot means GiB: write %sGi for that)", spec_qv(c, s),
                     size) < 0)
        return -1;
    if (plus && spec_warn(c, v, path, "%s taken as exactly %s", spec_qv(c, s),
                          size) < 0)
        return -1;
    RES(obj)->memory_mb = mb;
    return 0;
}

static bool valid_gpu_type(const char *t, size_t len)
{
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!spec_name_char(t[i]))
            return false;
    return true;
}

/* Store type (may be NULL/empty: a bare count) lowercased, and count. */
static int set_accel(pctx *c, yaml_node_t *v, const char *path,
                     ts_resources *r, const char *type, size_t tlen,
                     const char *count, const char *shown)
{
    long n = 1;
    bool inexact = false, plus = false;

    if (tlen && !valid_gpu_type(type, tlen))
        return spec_fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                         "count: 2)", spec_qv(c, shown));
    if (count && (parse_amount(count, false, &n, &inexact, &plus) < 0 || plus))
        return spec_fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                         "count: 2)", spec_qv(c, shown));
    if (n < 1 || n > 1024)
        return spec_fail(c, v, path, "the count must be from 1 to 1024, found %s",
                         spec_qv(c, shown));
    if (inexact && spec_warn(c, v, path, "%s rounded up to %ld (Slurm allocates "
                             "whole GPUs)", spec_qv(c, shown), n) < 0)
        return -1;
    if (tlen) {
        free(r->gpu_type);
        r->gpu_type = strndup(type, tlen);
        if (!r->gpu_type)
            return spec_oom(c);
        for (char *p = r->gpu_type; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    r->gpu_count = (int)n;
    return 0;
}

/* "V100:2", "V100", "2", or SkyPilot's map form {V100: 2}. */
static int r_accelerators(pctx *c, void *obj, yaml_node_t *v,
                          const char *path)
{
    const char *s, *colon;

    if (v->type == YAML_SEQUENCE_NODE)
        return spec_fail(c, v, path, "a list of alternatives: name one type "
                         "(e.g. V100:2), or list them under resources.any_of");
    if (v->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        yaml_node_t *k, *cnt;

        if (spec_check_keys(c, v, path) < 0)
            return -1;
        if (spec_npairs(v) != 1)
            return spec_fail(c, v, path, "name one accelerator type, e.g. "
                             "{V100: 2}");
        p = v->data.mapping.pairs.start;
        k = spec_node(c, p->key);
        cnt = spec_node(c, p->value);
        if (spec_is_null(cnt))
            return set_accel(c, k, path, RES(obj), spec_sval(k), strlen(spec_sval(k)),
                             NULL, spec_sval(k));
        if (spec_get_str(c, cnt, path, &s) < 0)
            return -1;
        return set_accel(c, k, path, RES(obj), spec_sval(k), strlen(spec_sval(k)), s,
                         s);
    }
    if (spec_get_str(c, v, path, &s) < 0)
        return -1;
    colon = strrchr(s, ':');
    if (colon == s)
        return spec_fail(c, v, path, "%s is not an accelerator (e.g. V100:2, or a "
                         "count: 2)", spec_qv(c, s));
    if (colon)
        return set_accel(c, v, path, RES(obj), s, (size_t)(colon - s),
                         colon + 1, s);
    if (isdigit((unsigned char)s[0])) {
        long n;
        bool inexact, plus;

        if (parse_amount(s, false, &n, &inexact, &plus) == 0)
            return set_accel(c, v, path, RES(obj), NULL, 0, s, s);
    }
    return set_accel(c, v, path, RES(obj), s, strlen(s), NULL, s);
}

static int r_image_id(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (spec_take_str(c, v, path, NULL, &RES(obj)->image_id) < 0)
        return -1;
    return spec_warn(c, v, path, "%s is not used: tasks run on the nodes' own "
                     "software, not in a container", spec_qv(c, RES(obj)->image_id));
}

#define NO_DISK "ignored: Slurm allocates no per-task disk; use the " \
                "node's scratch space"
#define NO_CLOUD "ignored: tasks run on the cluster sbatch submits to"

static const field resources_fields[] = {
    { "cpus", r_cpus, false, NULL },
    { "memory", r_memory, false, NULL },
    { "accelerators", r_accelerators, false, NULL },
    { "image_id", r_image_id, false, NULL },
    /* SkyPilot keys that have no Slurm meaning: warned, never dropped
     * silently. */
    { "use_spot", NULL, false, "ignored: a Slurm cluster has no spot "
      "instances (resume: handles preemption)" },
    { "disk_size", NULL, false, NO_DISK },
    { "disk_tier", NULL, false, NO_DISK },
    { "ports", NULL, false, "ignored: Slurm opens no ports for a job" },
    { "instance_type", NULL, false, "ignored: choose nodes with tags: or "
      "slurm: {partition: ...}" },
    { "cloud", NULL, false, NO_CLOUD },
    { "region", NULL, false, NO_CLOUD },
    { "zone", NULL, false, NO_CLOUD },
    { "infra", NULL, false, NO_CLOUD },
    { "network_tier", NULL, false, NO_CLOUD },
    { "job_recovery", spec_read_job_recovery, false, NULL },
    { "autostop", NULL, false, "ignored: an allocation ends with its job" },
    { "accelerator_args", NULL, false, "ignored: no Slurm equivalent" },
    { "labels", NULL, false, "ignored: these are Kubernetes pod labels; "
      "use the top-level labels:" },
    /* Alternatives (spec_skypilot.c); not inside an alternative. */
    { "any_of", spec_read_candidates, false, NULL },
    { "ordered", spec_read_candidates, false, NULL },
    { "candidates", spec_read_candidates, false, NULL },
    { NULL, NULL, false, NULL },
};

/* An alternative holds resource fields, not more alternatives or suite
 * settings. */
static const char *const not_in_candidate[] = {
    "any_of", "ordered", "candidates", "job_recovery", NULL,
};

int spec_read_resource_fields(pctx *c, yaml_node_t *v, const char *path,
                              ts_resources *r, bool nested)
{
    if (nested && v->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
             p < v->data.mapping.pairs.top; p++) {
            yaml_node_t *k = spec_node(c, p->key);
            for (size_t i = 0; not_in_candidate[i]; i++)
                if (k && k->type == YAML_SCALAR_NODE
                    && strcmp(spec_sval(k), not_in_candidate[i]) == 0) {
                    char kp[PATH_LEN];
                    spec_path_key(kp, path, not_in_candidate[i]);
                    return spec_fail(c, k, kp, "belongs in resources:, not in one "
                                     "of its alternatives");
                }
        }
    return spec_walk_map(c, v, path, resources_fields, r);
}

int spec_read_resources(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    /* SUITE(obj) is passed through the resources struct's owner: the
     * alternatives and job_recovery need the suite (c->s). */
    (void)obj;
    return spec_read_resource_fields(c, v, path, &c->s->resources, false);
}
