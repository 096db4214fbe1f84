/* jsonout.h: a JSON document written to a FILE as it is produced, in
 * exactly the bytes cJSON_Print gives for the same tree (tabs, "key":\t,
 * ", " between array elements, numbers as cJSON prints them), so a command
 * can stream 100,000 records in constant memory and still print what it
 * printed when it built the whole tree.
 *
 *   ts_jout w;
 *   ts_jout_init(&w, stdout);
 *   ts_jout_obj(&w, NULL);              // top level: no key
 *   ts_jout_str(&w, "id", "ab12cd34");
 *   ts_jout_arr(&w, "tasks");
 *   ...
 *   ts_jout_end(&w);                    // closes the array
 *   ts_jout_end(&w);                    // closes the object
 *   if (ts_jout_finish(&w) < 0) ...     // flushes; -1 after any write error
 *
 * key is the member name inside an object and must be NULL inside an array
 * or at the top level. Output goes through a small buffer of the writer's
 * own (no stdio call per value); ts_jout_finish writes the rest to the FILE
 * (not flushed: the caller flushes). Nesting deeper than TS_JOUT_MAXDEPTH
 * marks the writer failed.
 */
#ifndef TS_JSONOUT_H
#define TS_JSONOUT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define TS_JOUT_MAXDEPTH 32

typedef struct ts_jout {
    FILE *f;
    char buf[65536];
    size_t len;
    int depth;                        /* open containers */
    bool in_obj[TS_JOUT_MAXDEPTH];    /* level d is an object (else array) */
    long count[TS_JOUT_MAXDEPTH];     /* members written at level d */
    bool failed;                      /* a write failed or misuse */
} ts_jout;

void ts_jout_init(ts_jout *w, FILE *f);
void ts_jout_obj(ts_jout *w, const char *key);
void ts_jout_arr(ts_jout *w, const char *key);
void ts_jout_end(ts_jout *w);
/* NULL writes null. */
void ts_jout_str(ts_jout *w, const char *key, const char *v);
void ts_jout_num(ts_jout *w, const char *key, double v);
void ts_jout_null(ts_jout *w, const char *key);
/* A number, or null when !known. */
void ts_jout_opt(ts_jout *w, const char *key, bool known, double v);
/* Any cJSON value (a parsed labels array, a small summary object). */
void ts_jout_item(ts_jout *w, const char *key, const cJSON *item);
/* Bytes as they are (outside the document: its final newline). */
void ts_jout_raw(ts_jout *w, const char *s);
/* Write out what is buffered; -1 if anything failed. */
int ts_jout_finish(ts_jout *w);

/* The number as cJSON_Print writes it, NUL-terminated; returns its length.
 * buf holds at least 32 bytes. */
int ts_jout_number_text(char *buf, double v);

#endif
