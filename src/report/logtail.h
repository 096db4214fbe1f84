/* logtail.h: copy (and follow) the output files of an attempt, for `logs`.
 *
 * A tail is a list of files read in order. A file with a prefix is copied
 * line by line, each line preceded by the prefix ("node-1 | "); a partial
 * last line waits until its end arrives or ts_logtail_flush (which ends it
 * with a newline); a line longer than 64 KiB is cut there. A file without a
 * prefix is copied byte for byte. A file that does not exist yet is skipped
 * (it may appear later); a file that shrank or was replaced is read again
 * from the start.
 */
#ifndef TS_LOGTAIL_H
#define TS_LOGTAIL_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef struct ts_logtail ts_logtail;

/* paths[i] and prefixes[i] (NULL: none) are copied. NULL when out of memory. */
ts_logtail *ts_logtail_new(size_t n, const char *const *paths,
                           const char *const *prefixes);
void ts_logtail_free(ts_logtail *t);

/* Write what is new in every file (in order) to out. 0, or -1 with err when
 * a file cannot be read (other than not existing) or out fails. */
int ts_logtail_poll(ts_logtail *t, FILE *out, ts_err *err);

/* Write the partial last lines still held back, each ended by '\n'. */
void ts_logtail_flush(ts_logtail *t, FILE *out);

/* How many of the files existed at some poll. */
size_t ts_logtail_seen(const ts_logtail *t);

/* Total bytes read from the files so far. */
unsigned long long ts_logtail_bytes(const ts_logtail *t);

#endif
