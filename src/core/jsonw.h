/* jsonw.h: a growable byte buffer and the few JSON pieces written straight
 * into it, for files and columns written in bulk (the manifest, a task's
 * args_json), where building a cJSON tree per record costs more than the
 * rest of a 10,000-task submit.
 *
 *   ts_strbuf b = { 0 };
 *   ts_strbuf_puts(&b, "{\"name\":");
 *   ts_strbuf_json_str(&b, name);
 *   ts_strbuf_putc(&b, '}');
 *   if (b.oom) ...;   // one check at the end: a failed append sets oom
 *   free(b.p);
 *
 * Strings are escaped as cJSON escapes them (", \, \b \f \n \r \t, other
 * bytes below 0x20 as \u00XX, everything else as is), so cJSON reads back
 * exactly what was given. b.p is NUL-terminated whenever b.len > 0.
 */
#ifndef TS_JSONW_H
#define TS_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

typedef struct ts_strbuf {
    char *p;
    size_t len, cap;
    bool oom;                 /* an append failed: the content is cut */
} ts_strbuf;

void ts_strbuf_put(ts_strbuf *b, const char *s, size_t n);
void ts_strbuf_puts(ts_strbuf *b, const char *s);
void ts_strbuf_putc(ts_strbuf *b, char c);
void ts_strbuf_long(ts_strbuf *b, long v);
/* "text" with JSON escapes; NULL writes null. */
void ts_strbuf_json_str(ts_strbuf *b, const char *s);
/* {"k":"v",...} from a key/value list (values NULL -> ""). */
void ts_strbuf_json_kv(ts_strbuf *b, const ts_kvlist *l);

#endif
