/* units.t: sizes, durations, signals (units.h). Table-driven. */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "tap.h"
#include "units.h"

static const struct { const char *in; uint64_t mb; } sizes_ok[] = {
    { "2048", 2048 },                 /* unitless: MiB, like sbatch --mem */
    { "0", 0 },
    { "512Mi", 512 },
    { "512M", 512 },
    { "512m", 512 },
    { "16Gi", 16384 },
    { "16G", 16384 },                 /* G is binary too (Slurm) */
    { "16GB", 16384 },
    { "16GiB", 16384 },
    { "1T", 1048576 },
    { "1Ti", 1048576 },
    { "1024K", 1 },
    { "1Ki", 1 },                     /* rounded up to a whole MiB */
    { "1025Ki", 2 },
    { "1.5Gi", 1536 },
    { "0.5", 1 },                     /* half a MiB, rounded up */
    { "4Gi", 4096 },
    { "16777216Ti", 17592186044416ULL },
};

static const char *sizes_bad[] = {
    "", "Gi", "16Gx", "-1", "+1", " 16Gi", "16Gi ", "16 Gi", "1.Gi", ".5Gi",
    "1e3", "16P", "16Gii", "16iG", "0x10", "1.0000000001Gi",
    "99999999999999999999", "18014398509481984Ti", "16GiBs", "١٢",
};

static const struct { const char *in; long secs; } durations_ok[] = {
    { "90s", 90 },
    { "5m", 300 },
    { "2h", 7200 },
    { "1d", 86400 },
    { "1h30m", 5400 },
    { "1d12h", 129600 },
    { "0s", 0 },
    { "30", 1800 },                   /* Slurm: a bare number is minutes */
    { "0", 0 },
    { "90:00", 5400 },                /* MM:SS, leading field unbounded */
    { "10:30", 630 },
    { "04:00:00", 14400 },
    { "48:00:00", 172800 },
    { "1-12:00:00", 129600 },
    { "2-0", 172800 },                /* D-HH */
    { "1-02:30", 95400 },             /* D-HH:MM */
    { "0-00:00:01", 1 },
};

static const char *durations_bad[] = {
    "", "-5m", "s", "5x", "5ms", "1m1h", "1h1h", "5 m", " 5m", "5m ",
    "1:2:3:4", "1-", "-1", "1-24", "1-1:60", "1:60", "1:00:60", "1:60:00",
    "1--1", "1-1-1", "a:b", "1::1", "99999999999999999999s", "1.5h",
    "999999999999d", "5M", "+5",
};

static const struct { long secs; const char *out; } formats[] = {
    { 0, "00:00:00" },
    { 59, "00:00:59" },
    { 3600, "01:00:00" },
    { 86399, "23:59:59" },
    { 86400, "1-00:00:00" },
    { 129600, "1-12:00:00" },
    { 10 * 86400 + 3723, "10-01:02:03" },
    { -5, "00:00:00" },
};

static const struct { const char *in; int sig; } signals_ok[] = {
    { "USR2", SIGUSR2 },
    { "SIGUSR2", SIGUSR2 },
    { "usr2", SIGUSR2 },
    { "sigterm", SIGTERM },
    { "TERM", SIGTERM },
    { "USR1", SIGUSR1 },
    { "INT", SIGINT },
    { "KILL", SIGKILL },
    { "10", 10 },
    { "1", 1 },
    { "64", 64 },
};

static const char *signals_bad[] = {
    "", "0", "65", "-1", "SIG", "USR3", "SIGSIGUSR2", "USR2 ", "12x",
    "99999999999999999999",
};

static void test_sizes(void)
{
    for (size_t i = 0; i < sizeof sizes_ok / sizeof sizes_ok[0]; i++) {
        uint64_t mb = 12345;
        int rc = ts_parse_size_mb(sizes_ok[i].in, &mb);

        is_int(rc, 0, sizes_ok[i].in);
        is_int((long long)mb, (long long)sizes_ok[i].mb, sizes_ok[i].in);
    }
    for (size_t i = 0; i < sizeof sizes_bad / sizeof sizes_bad[0]; i++) {
        uint64_t mb = 12345;

        ok(ts_parse_size_mb(sizes_bad[i], &mb) == -1 && mb == 12345,
           "size \"%s\" is rejected", sizes_bad[i]);
    }
    ok(ts_parse_size_mb(NULL, NULL) == -1, "size NULL is rejected");
}

static void test_durations(void)
{
    for (size_t i = 0; i < sizeof durations_ok / sizeof durations_ok[0];
         i++) {
        long secs = -1;
        int rc = ts_parse_duration(durations_ok[i].in, &secs);

        is_int(rc, 0, durations_ok[i].in);
        is_int(secs, durations_ok[i].secs, durations_ok[i].in);
    }
    for (size_t i = 0; i < sizeof durations_bad / sizeof durations_bad[0];
         i++) {
        long secs = -1;
        const char *in = durations_bad[i];

        ok(ts_parse_duration(in, &secs) == -1 && secs == -1,
           "duration \"%s\" is rejected", in);
    }
    ok(ts_parse_duration(NULL, NULL) == -1, "duration NULL is rejected");
}

static void test_format(void)
{
    char buf[32];

    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char name[48];

        snprintf(name, sizeof name, "format %ld", formats[i].secs);
        ts_format_duration(formats[i].secs, buf, sizeof buf);
        is_str(buf, formats[i].out, name);
    }
    /* Round trip through the parser: stops at the first value that fails. */
    long s = 0, back = -1;
    for (; s < 3 * 86400; s += 4999) {
        ts_format_duration(s, buf, sizeof buf);
        if (ts_parse_duration(buf, &back) < 0 || back != s)
            break;
    }
    if (!ok(s >= 3 * 86400, "format/parse round trip"))
        diag("round trip %ld -> %s -> %ld", s, buf, back);
    ts_format_duration(86400, buf, 4);
    is_str(buf, "1-0", "truncates to the buffer");
    ts_format_duration(1, NULL, 0);   /* a NULL buffer: a no-op */
    buf[0] = 'x';
    ts_format_duration(1, buf, 0);
    ok(buf[0] == 'x', "a zero-length buffer is not written");
}

static void test_signals(void)
{
    for (size_t i = 0; i < sizeof signals_ok / sizeof signals_ok[0]; i++)
        is_int(ts_parse_signal(signals_ok[i].in), signals_ok[i].sig,
               signals_ok[i].in);
    for (size_t i = 0; i < sizeof signals_bad / sizeof signals_bad[0]; i++)
        ok(ts_parse_signal(signals_bad[i]) == -1, "signal \"%s\" is rejected",
           signals_bad[i]);
    is_int(ts_parse_signal(NULL), -1, "signal NULL");
    is_str(ts_signal_name(SIGUSR2), "USR2", "name of SIGUSR2");
    is_str(ts_signal_name(SIGTERM), "TERM", "name of SIGTERM");
    ok(ts_signal_name(40) == NULL, "a real-time signal has no name");
    ok(ts_signal_name(0) == NULL, "0 has no name");
}

int main(void)
{
    test_sizes();
    test_durations();
    test_format();
    test_signals();
    return done_testing();
}
