/* record.h: the submit record, what the journal keeps of one `submit`.
 *
 * Separate because four places need the same record: submit writes it and
 * matches a resubmission against it (submit_key), retries and `add` rebuild
 * the commands from it (the file as submitted, not as it may have changed
 * since), and sync/retry ask whether the suite runs here (--local) or in
 * Slurm. It is stored as one JSON object in the suites table; this file is
 * the only one that knows its keys.
 */
#ifndef TS_SUITE_RECORD_H
#define TS_SUITE_RECORD_H

#include <stdbool.h>

#include "err.h"

typedef struct ts_submit_record {
    char *submit_key;   /* identity of "the same submit" (path, content, local) */
    char *file;         /* absolute path of the suite file */
    char *workdir;      /* absolute; where tasks run */
    char *self;         /* absolute path of the tasksuite binary that submitted */
    bool local;         /* submit --local: runs here, never in Slurm */
    char *yaml;         /* the suite file's text as submitted, secrets'
                           values left out (ts_spec_redact_secrets) */
    long candidate;     /* resources alternative submit chose (0: the first) */
    char **after;       /* suite IDs its depends_on named (after.h) */
    size_t nafter;
} ts_submit_record;

/* The record as the journal stores it (malloc'd), NULL when out of memory. */
char *ts_submit_record_to_json(const ts_submit_record *r);

/* Parse a stored record; a field absent from it stays NULL/false (records
 * of any earlier release read the same). -1 when json is NULL or not a JSON
 * object. */
int ts_submit_record_from_json(const char *json, ts_submit_record *r, ts_err *err);

void ts_submit_record_free(ts_submit_record *r);

/* Whether a stored record (may be NULL) is of a --local submit. */
bool ts_submit_record_is_local(const char *json);

#endif
