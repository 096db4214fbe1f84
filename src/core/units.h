/* units.h: sizes and durations as users write them in suite files. */
#ifndef TS_UNITS_H
#define TS_UNITS_H

#include <stdint.h>

/* "512Mi", "16Gi", "1T", "2048" (MiB when unitless, as Slurm --mem), "16G".
 * Ki/Mi/Gi/Ti and K/M/G/T are both binary (Slurm's convention).
 * Returns 0 and *mb (rounded up to whole MiB), or -1 (not a size). */
int ts_parse_size_mb(const char *s, uint64_t *mb);

/* "90s", "5m", "2h", "1d", "1-12:00:00", "HH:MM:SS", "MM:SS", "MM" (Slurm:
 * a bare number is minutes), "D-HH", "D-HH:MM". Returns 0 and *secs, or -1. */
int ts_parse_duration(const char *s, long *secs);

/* Format seconds the way Slurm's --time accepts: "D-HH:MM:SS" or "HH:MM:SS". */
void ts_format_duration(long secs, char *buf, unsigned len);

/* "USR2", "SIGUSR2", "TERM", "10": signal number, or -1. */
int ts_parse_signal(const char *s);
const char *ts_signal_name(int sig);   /* "USR2"; NULL if it has no name */

#endif
