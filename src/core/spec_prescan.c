/* spec_prescan.c: the safety boundary of the suite-file reader.
 *
 * Streams libyaml's events and enforces the resource limits (node count,
 * nesting depth, anchors, aliases, one document, no NUL inside a value)
 * before libyaml's loader builds anything; then runs the loader. This code
 * runs inside sbatch and is what tests/fuzz/fuzz_spec.c attacks.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "spec_internal.h"

/* The byte at line:col (col counts characters), '\0' past the end. */
static char char_at(const char *buf, size_t len, ts_pos at)
{
    size_t i = 0;
    for (int line = 1; line < at.line && i < len; i++)
        if (buf[i] == '\n')
            line++;
    for (int col = 1; i < len && buf[i] != '\n'; i++) {
        if (((unsigned char)buf[i] & 0xC0) == 0x80)
            continue;           /* a UTF-8 continuation byte */
        if (col++ == at.col)
            return buf[i];
    }
    return '\0';
}

/* libyaml's message, at its position. Reader errors (bad UTF-8, control
 * characters) carry only a byte offset: count lines up to it. */
static int syntax_error(pctx *c, const yaml_parser_t *p, const char *buf,
                        size_t len)
{
    ts_pos at = { (int)p->problem_mark.line + 1,
                  (int)p->problem_mark.column + 1 };
    char msg[300];

    if (p->error == YAML_MEMORY_ERROR)
        return spec_oom(c);
    if (p->error == YAML_READER_ERROR) {
        at.line = 1;
        at.col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (buf[i] == '\n') {
                at.line++;
                at.col = 1;
            } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
                at.col++;
            }
        }
    }
    spec_escape(msg, sizeof msg, p->problem ? p->problem : "not valid YAML", 250,
                false);
    /* libyaml's words for a tab ("found character that cannot start any
     * token", "...tab character that violates indentation") do not say
     * what to do. */
    if (p->error == YAML_SCANNER_ERROR && char_at(buf, len, at) == '\t')
        return spec_fail_at(c, at, "syntax", "tabs are not allowed for "
                            "indentation in YAML: indent with spaces");
    /* libyaml splits this one: context "found duplicate anchor; first
     * occurrence", problem "second occurrence". Say it in one piece. */
    if (p->error == YAML_COMPOSER_ERROR && p->context
        && strstr(p->context, "; first occurrence"))
        return spec_fail_at(c, at, "syntax", "%.*s (first at line %d)",
                            (int)(strstr(p->context, ";") - p->context),
                            p->context, (int)p->context_mark.line + 1);
    return spec_fail_at(c, at, "syntax", "%s", msg);
}

/* Refuse, before building anything, what would make the loader or the walk
 * expensive: too many nodes, deep nesting, too many anchors or aliases,
 * several documents, and NUL bytes in values (C strings would cut them). */
static const char *check_event(const yaml_event_t *ev, size_t *nodes,
                               size_t *anchors, size_t *aliases, int *depth,
                               int *docs)
{
    const yaml_char_t *anchor = NULL;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        /* Several documents make a chain file (spec_stages.c). */
        if (++*docs > SPEC_MAX_DOCUMENTS)
            return "more than 64 YAML documents (a chain file holds at most 64 stages)";
        return NULL;
    case YAML_SCALAR_EVENT:
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return "a value contains a NUL character";
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        if (++*depth > SPEC_MAX_DEPTH)
            return "nested more than 64 levels deep";
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        if (++*depth > SPEC_MAX_DEPTH)
            return "nested more than 64 levels deep";
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        --*depth;
        return NULL;
    case YAML_ALIAS_EVENT:
        if (++*aliases > SPEC_MAX_ALIASES)
            return "more than 10000 aliases";
        break;
    default:
        return NULL;
    }
    if (anchor && ++*anchors > SPEC_MAX_ANCHORS)
        return "more than 1000 anchors";
    if (++*nodes > SPEC_MAX_NODES)
        return "more than 100000 YAML nodes";
    return NULL;
}

int spec_prescan(pctx *c, const char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    size_t nodes = 0, anchors = 0, aliases = 0;
    int depth = 0, docs = 0, rc = -1;

    if (!yaml_parser_initialize(&p))
        return spec_oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (;;) {
        const char *why;
        bool end;

        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(c, &p, buf, len);
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        why = check_event(&ev, &nodes, &anchors, &aliases, &depth, &docs);
        if (why) {
            ts_pos at = { (int)ev.start_mark.line + 1,
                          (int)ev.start_mark.column + 1 };

            spec_fail_at(c, at, "file", "%s", why);
            yaml_event_delete(&ev);
            break;
        }
        yaml_event_delete(&ev);
        if (end) {
            c->ndocs = docs;
            rc = 0;
            break;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}

int spec_load_document(pctx *c, const char *buf, size_t len, yaml_document_t *doc)
{
    yaml_parser_t p;
    int rc = 0;

    if (!yaml_parser_initialize(&p))
        return spec_oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&p, doc))    /* frees the document on failure */
        rc = syntax_error(c, &p, buf, len);
    yaml_parser_delete(&p);
    return rc;
}

int spec_load_documents(pctx *c, const char *buf, size_t len,
                        int (*each)(pctx *, yaml_document_t *, size_t))
{
    yaml_parser_t p;
    int rc = 0;

    if (!yaml_parser_initialize(&p))
        return spec_oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (size_t k = 0; rc == 0; k++) {
        yaml_document_t doc;

        if (!yaml_parser_load(&p, &doc)) {
            rc = syntax_error(c, &p, buf, len);
            break;
        }
        if (!yaml_document_get_root_node(&doc)) {   /* the end of the stream */
            yaml_document_delete(&doc);
            break;
        }
        c->doc = &doc;
        rc = each(c, &doc, k);
        c->doc = NULL;
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    return rc;
}
