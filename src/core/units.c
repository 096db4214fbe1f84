/* units.c: sizes, durations and signals as users write them in suite files.
 *
 * Every parser here is strict: the whole string must be consumed, there is no
 * sign, no surrounding space, and arithmetic overflow is a parse failure, so
 * "16Gx", "-5m" and "99999999999999999999Ti" are all simply "not a size". */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* Largest duration we hand back: a year is already far beyond any walltime,
 * and the cap keeps every later addition (now + secs) far from overflow. */
#define MAX_DURATION_S (366L * 24 * 3600 * 100)

/* Read one run of decimal digits into *v; returns the number of digits or 0
 * (none, or the value does not fit in a uint64_t). */
static size_t read_digits(const char *s, uint64_t *v)
{
    uint64_t acc = 0;
    size_t n = 0;

    while (isdigit((unsigned char)s[n])) {
        if (__builtin_mul_overflow(acc, 10, &acc)
            || __builtin_add_overflow(acc, (uint64_t)(s[n] - '0'), &acc))
            return 0;
        n++;
    }
    *v = acc;
    return n;
}

/* ------------------------------------------------------------------ sizes */

/* KiB per unit. Both "G" and "Gi" are binary: Slurm's --mem convention,
 * which is what the value becomes. No unit means MiB, as for --mem. */
static int size_unit_kib(const char *u, uint64_t *kib)
{
    static const struct { char c; uint64_t kib; } units[] = {
        { 'K', 1 }, { 'M', 1024 }, { 'G', (uint64_t)1024 * 1024 },
        { 'T', (uint64_t)1024 * 1024 * 1024 },
    };

    if (*u == '\0') {
        *kib = 1024;
        return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (toupper((unsigned char)*u) != units[i].c)
            continue;
        u++;
        if (*u == 'i')                /* Kubernetes spelling: Gi */
            u++;
        if (*u == 'B' || *u == 'b')   /* "16GB", "16GiB" */
            u++;
        if (*u != '\0')
            return -1;
        *kib = units[i].kib;
        return 0;
    }
    return -1;
}

int ts_parse_size_mb(const char *s, uint64_t *mb)
{
    uint64_t whole, frac = 0, kib, total, scale = 1;
    size_t n, nfrac = 0;

    if (!s || !mb)
        return -1;
    n = read_digits(s, &whole);
    if (n == 0)
        return -1;
    s += n;
    if (*s == '.') {               /* "1.5Gi", as Kubernetes allows */
        s++;
        nfrac = read_digits(s, &frac);
        /* Nine decimals are more than any unit can resolve; the cap keeps
         * frac * kib below 2^64. */
        if (nfrac == 0 || nfrac > 9)
            return -1;
        s += nfrac;
        for (size_t i = 0; i < nfrac; i++)
            scale *= 10;
    }
    if (size_unit_kib(s, &kib) < 0)
        return -1;
    if (__builtin_mul_overflow(whole, kib, &total))
        return -1;
    /* Round the fraction up: asking for too little memory is the failure a
     * user notices only at run time. */
    if (__builtin_add_overflow(total, (frac * kib + scale - 1) / scale, &total))
        return -1;
    *mb = total / 1024 + (total % 1024 != 0);
    return 0;
}

/* -------------------------------------------------------------- durations */

/* "1h30m", "90s", "2d": number+unit pairs, units in decreasing order, each
 * at most once. */
static int parse_unit_duration(const char *s, long *secs)
{
    static const struct { char c; long secs; } units[] = {
        { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
    };
    size_t next_unit = 0;
    uint64_t total = 0;

    while (*s) {
        uint64_t v, part;
        size_t n = read_digits(s, &v);
        size_t u;

        if (n == 0)
            return -1;
        s += n;
        for (u = next_unit; u < 4 && units[u].c != *s; u++)
            ;
        if (u == 4)
            return -1;
        s++;
        next_unit = u + 1;
        if (__builtin_mul_overflow(v, (uint64_t)units[u].secs, &part)
            || __builtin_add_overflow(total, part, &total))
            return -1;
    }
    if (total > (uint64_t)MAX_DURATION_S)
        return -1;
    *secs = (long)total;
    return 0;
}

/* Slurm's --time forms: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM",
 * "D-HH:MM:SS". The leading field is unbounded ("90:00", "48:00:00"), as in
 * Slurm; the ones after it must be below 60 (or 24 for hours after a day). */
static int parse_slurm_duration(const char *s, long *secs)
{
    uint64_t f[4], days = 0, total;
    size_t nf = 0, n;
    bool have_days = false;
    const char *dash = strchr(s, '-');

    if (dash) {
        n = read_digits(s, &days);
        if (n == 0 || s + n != dash)
            return -1;
        have_days = true;
        s = dash + 1;
    }
    for (;;) {
        if (nf == 3)
            return -1;
        n = read_digits(s, &f[nf]);
        if (n == 0)
            return -1;
        nf++;
        s += n;
        if (*s == '\0')
            break;
        if (*s != ':')
            return -1;
        s++;
    }

    uint64_t h = 0, m = 0, sec = 0;
    if (have_days) {                         /* D-HH[:MM[:SS]] */
        h = f[0];
        m = nf > 1 ? f[1] : 0;
        sec = nf > 2 ? f[2] : 0;
        if (h >= 24 || m >= 60 || sec >= 60)
            return -1;
    } else if (nf == 1) {                    /* MM */
        m = f[0];
    } else if (nf == 2) {                    /* MM:SS */
        m = f[0];
        sec = f[1];
        if (sec >= 60)
            return -1;
    } else {                                 /* HH:MM:SS */
        h = f[0];
        m = f[1];
        sec = f[2];
        if (m >= 60 || sec >= 60)
            return -1;
    }
    /* Each field fits in 64 bits; bound them before combining. */
    if (days > (uint64_t)MAX_DURATION_S || h > (uint64_t)MAX_DURATION_S
        || m > (uint64_t)MAX_DURATION_S)
        return -1;
    total = days * 86400 + h * 3600 + m * 60 + sec;
    if (total > (uint64_t)MAX_DURATION_S)
        return -1;
    *secs = (long)total;
    return 0;
}

int ts_parse_duration(const char *s, long *secs)
{
    size_t len;

    if (!s || !secs || !isdigit((unsigned char)s[0]))
        return -1;
    len = strlen(s);
    if (isalpha((unsigned char)s[len - 1]))
        return parse_unit_duration(s, secs);
    return parse_slurm_duration(s, secs);
}

void ts_format_duration(long secs, char *buf, unsigned len)
{
    long d, h, m, s;

    if (!buf || len == 0)
        return;
    if (secs < 0)
        secs = 0;
    d = secs / 86400;
    h = secs / 3600 % 24;
    m = secs / 60 % 60;
    s = secs % 60;
    if (d > 0)
        snprintf(buf, len, "%ld-%02ld:%02ld:%02ld", d, h, m, s);
    else
        snprintf(buf, len, "%02ld:%02ld:%02ld", h, m, s);
}

/* ---------------------------------------------------------------- signals */

static const struct {
    const char *name;
    int sig;
} signals[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT },
    { "ILL", SIGILL },   { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },
    { "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL },
    { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },   { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM },
    { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
    { "URG", SIGURG },   { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
    { "IO", SIGIO },     { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

#define NSIGNALS (sizeof signals / sizeof signals[0])

int ts_parse_signal(const char *s)
{
    uint64_t v;
    size_t n;

    if (!s || !*s)
        return -1;
    n = read_digits(s, &v);
    if (n > 0)
        return (s[n] == '\0' && v >= 1 && v <= 64) ? (int)v : -1;
    /* Slurm and kill(1) accept both "USR2" and "SIGUSR2", in any case. */
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < NSIGNALS; i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].sig;
    return -1;
}

const char *ts_signal_name(int sig)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (signals[i].sig == sig)
            return signals[i].name;
    return NULL;
}
