/* optvalue.c: reading one sbatch option's value the way sbatch reads it.
 *
 * Counts, sizes, durations, points in time, flags, node lists and GPU
 * counts, and the "slurm.<key>: <value>: <reason>" error they all report.
 * Separate from jobdesc.c, which decides what each option does to the job
 * request, because how a value is spelled is a concern of its own (and the
 * largest part of the sbatch emulation).
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "slurm_int.h"
#include "units.h"

/* ================================================================ errors */

/* User text in a message: one line, bounded. */
static const char *shown(const char *text, char *buf, size_t len)
{
    return text[0] ? ts_err_shown(text, buf, len) : "(empty)";
}

/* "slurm.<key>: <value>: <reason>" */
int ts_optval_bad(ts_err *err, const ts_kv *kv, const char *fmt, ...)
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

/* ================================================================ values */

static bool has_control(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return true;
    return false;
}

/* Whole string, decimal, no sign, within [lo, hi]. */
bool ts_optval_ulong(const char *s, unsigned long lo, unsigned long hi,
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

/* A non-empty one-line value. */
int ts_optval_need(const ts_kv *kv, ts_err *err)
{
    if (!kv->value || !kv->value[0])
        return ts_optval_bad(err, kv, "needs a value");
    if (has_control(kv->value))
        return ts_optval_bad(err, kv, "holds a control character");
    return 0;
}

/* A node list, not a node file (sbatch reads a file when there is a '/'). */
int ts_optval_hostlist(const ts_kv *kv, int *count, char **ranged,
                          ts_err *err)
{
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (strchr(kv->value, '/'))
        return ts_optval_bad(err, kv, "node files are not supported: list the nodes "
                   "(e.g. n[1-4],gpu7)");
    ts_hostlist hl = slurm_hostlist_create(kv->value);
    if (!hl)
        return ts_optval_bad(err, kv, "not a node list (e.g. n[1-4],gpu7)");
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
            return ts_slurm_oom(err);
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

int ts_optval_count(const ts_kv *kv, unsigned long max, unsigned long *v,
                       ts_err *err)
{
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (!ts_optval_ulong(kv->value, 1, max, v))
        return ts_optval_bad(err, kv, "not a count from 1 to %lu", max);
    return 0;
}

int ts_optval_size(const ts_kv *kv, uint64_t *mb, ts_err *err)
{
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (ts_parse_size_mb(kv->value, mb) < 0)
        return ts_optval_bad(err, kv, "not a size (e.g. 512M, 16G, 16Gi; a bare "
                   "number is MiB)");
    return 0;
}

/* --time, --time-min: whole minutes rounded up (Slurm's time_str2mins);
 * 0 and UNLIMITED/INFINITE mean no limit, as in sbatch. */
int ts_optval_minutes(const ts_kv *kv, uint32_t *mins, ts_err *err)
{
    long secs;
    if (ts_optval_need(kv, err) < 0)
        return -1;
    if (strcasecmp(kv->value, "UNLIMITED") == 0
        || strcasecmp(kv->value, "INFINITE") == 0) {
        *mins = INFINITE;
        return 0;
    }
    if (ts_parse_duration(kv->value, &secs) < 0)
        return ts_optval_bad(err, kv, "not a duration (e.g. 90s, 5m, 2h, 1-12:00:00, "
                   "HH:MM:SS, UNLIMITED)");
    long m = (secs + 59) / 60;
    *mins = m == 0 ? INFINITE : (uint32_t)m;
    return 0;
}

/* A point in time for --begin/--deadline. Of Slurm's parse_time() forms
 * this takes the unambiguous ones: "now", "now+N[unit]" (unit s, m, h, d,
 * w or Slurm's seconds/minutes/hours/days/weeks; none = seconds) and
 * "YYYY-MM-DD[THH:MM[:SS]]" (local time). */
int ts_optval_when(const char *v, time_t now, time_t *out)
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

/* A flag's value: "" or yes/true/1 (set), no/false/0 (leave unset). */
int ts_optval_flag(const ts_kv *kv, bool *on, ts_err *err)
{
    const char *v = kv->value ? kv->value : "";
    if (!v[0] || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0
        || strcmp(v, "1") == 0)
        *on = true;
    else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0
             || strcmp(v, "0") == 0)
        *on = false;
    else
        return ts_optval_bad(err, kv, "a flag: leave it empty (or yes/no)");
    return 0;
}

/* "[type:]count" items, comma-separated, as --gpus* take them. */
int ts_optval_tres_items(const ts_kv *kv, ts_err *err)
{
    if (ts_optval_need(kv, err) < 0)
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
            return ts_optval_bad(err, kv, "not a GPU count ([type:]N, "
                       "comma-separated)");
        item_empty = false;
    }
    if (item_empty)
        return ts_optval_bad(err, kv, "not a GPU count ([type:]N, comma-separated)");
    return 0;
}
