/* spec_shellquote.c: the warning for a %(name) written inside shell quotes.
 *
 * %(name) becomes "$TASK_SUITE_ARG_NAME", quotes included (expand.c), so it
 * must stand outside quotes: in `echo "file=%(f)"` the inserted quotes close
 * the user's, and a value with a space splits into two words; in '...' the
 * shell does not expand it at all. The file is still valid (an inner shell,
 * `bash -c '... %(f)'`, does expand it), so this is a warning, at the
 * placeholder's own line:col. A here-document body is a quoting of its
 * own: `cat <<EOF` writes the inserted quotes into the text (v="a b", a
 * number becomes a JSON string), `cat <<'EOF'` does not expand at all.
 * Separate from spec_placeholders.c, which checks that every placeholder has
 * a value: this one reads the text as a shell would, a small lexer of
 * quotes, escapes, comments, $(...) and here-documents.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec_internal.h"

/* What a character of the text is inside of. */
typedef enum {
    Q_NONE,      /* top level, or inside $(...) / `...` */
    Q_DOUBLE,    /* "..." */
    Q_SINGLE,    /* '...' or $'...' */
    Q_HEREDOC,   /* the body of <<EOF: expanded, quotes kept as text */
    Q_HEREDOC_LITERAL,   /* the body of <<'EOF': not expanded */
} quoting;

#define MAX_NEST 32
#define MAX_HEREDOCS 4      /* pending on one line; more: not followed */
#define MAX_DELIM 64

/* A here-document whose body starts after the current line. */
typedef struct heredoc {
    char delim[MAX_DELIM];
    size_t len;
    bool literal;       /* a quoted delimiter: the body is not expanded */
    bool strip_tabs;    /* <<- */
} heredoc;

/* A placeholder found inside quotes: where it starts in the text. */
typedef struct quoted {
    size_t off;          /* of its '%' */
    size_t name_len;
    quoting q;
} quoted;

/* Length of the %(name) at p (expand.c's grammar), 0 if none. */
static size_t placeholder_at(const char *p)
{
    const char *q = p + 2;
    if (p[0] != '%' || p[1] != '(' || isdigit((unsigned char)p[2]))
        return 0;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    if (*q != ')' || q == p + 2 || (size_t)(q - (p + 2)) > NAME_MAX_LEN)
        return 0;
    return (size_t)(q - (p + 2));
}

static bool word_start(const char *text, const char *p)
{
    return p == text || strchr(" \t\n;&|()", p[-1]) != NULL;
}

/* The delimiter after "<<" at p (p points past the "<<"): fills h and
 * returns the end of the word, or NULL when there is no word to follow. */
static const char *heredoc_at(const char *p, heredoc *h)
{
    h->len = 0;
    h->literal = false;
    h->strip_tabs = *p == '-';
    p += h->strip_tabs;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p && !strchr(" \t\n;&|<>()", *p)) {
        if (*p == '\'' || *p == '"') {
            char quote = *p++;
            h->literal = true;
            while (*p && *p != quote && h->len + 1 < MAX_DELIM)
                h->delim[h->len++] = *p++;
            if (*p != quote)
                return NULL;
            p++;
            continue;
        }
        if (*p == '\\') {
            h->literal = true;
            if (!*++p)
                return NULL;
        }
        if (h->len + 1 >= MAX_DELIM)
            return NULL;
        h->delim[h->len++] = *p++;
    }
    h->delim[h->len] = '\0';
    return h->len ? p : NULL;
}

/* The bodies of the pending here-documents, from `body` on: the first
 * %(name) in one (then true, out filled), else *next is past the last
 * delimiter line. A body that does not end is not a here-document the lexer
 * understood (`$((1<<2))`): nothing is said, *next is NULL. */
static bool heredoc_bodies(const char *text, const char *body, const heredoc *h,
                           int n, quoted *out, const char **next)
{
    const char *line = body;
    bool found = false;
    for (int i = 0; i < n; i++) {
        for (;;) {
            if (!*line) {
                *next = NULL;
                return false;
            }
            const char *end = strchr(line, '\n');
            const char *word = line;
            if (!end)
                end = line + strlen(line);
            while (h[i].strip_tabs && *word == '\t')
                word++;
            const char *after = *end ? end + 1 : end;
            if ((size_t)(end - word) == h[i].len && !memcmp(word, h[i].delim, h[i].len)) {
                line = after;
                if (found)
                    return true;
                break;
            }
            for (const char *r = line; !found && r < end; r++) {
                if (r[0] == '%' && r[1] == '%') {
                    r++;
                    continue;
                }
                size_t len = placeholder_at(r);
                if (len) {
                    out->off = (size_t)(r - text);
                    out->name_len = len;
                    out->q = h[i].literal ? Q_HEREDOC_LITERAL : Q_HEREDOC;
                    found = true;
                }
            }
            line = after;
        }
    }
    *next = line;
    return false;
}

/* The first %(name) of text inside quotes; false when there is none or the
 * text nests deeper than the lexer follows (then nothing is said). */
static bool first_quoted(const char *text, quoted *out)
{
    /* A stack of contexts: "..." may hold $(...), which may hold "..." */
    struct { quoting q; int parens; char end; } st[MAX_NEST];
    int top = 0;
    heredoc hd[MAX_HEREDOCS];
    int nhd = 0;
    st[0].q = Q_NONE;
    st[0].parens = 0;
    st[0].end = '\0';
    for (const char *p = text; *p; p++) {
        quoting q = st[top].q;
        if (p[0] == '%' && p[1] == '%') {
            p++;
            continue;
        }
        size_t n = placeholder_at(p);
        if (n && q != Q_NONE) {
            out->off = (size_t)(p - text);
            out->name_len = n;
            out->q = q;
            return true;
        }
        if (n) {
            p += n + 2;
            continue;
        }
        if (q == Q_SINGLE) {
            if (*p == '\\' && st[top].end == '$' && p[1])
                p++;                    /* $'...' knows \' */
            else if (*p == '\'' && top > 0)
                top--;
            continue;
        }
        if (*p == '\\') {
            if (p[1])
                p++;
            continue;
        }
        bool opens_cmd = (p[0] == '$' && p[1] == '(') || p[0] == '`';
        if (q == Q_DOUBLE && *p == '"') {
            top--;
            continue;
        }
        if (q == Q_NONE && st[top].end == '`' && *p == '`') {
            top--;
            continue;
        }
        if (q == Q_NONE && st[top].end == ')' && *p == ')' && st[top].parens == 0) {
            top--;
            continue;
        }
        if (q == Q_NONE && p[0] == '<' && p[1] == '<' && p[2] != '<') {
            if (nhd == MAX_HEREDOCS)
                return false;
            const char *end = heredoc_at(p + 2, &hd[nhd]);
            if (end) {
                nhd++;
                p = end - 1;
            } else {
                p++;
            }
            continue;
        }
        if (q == Q_NONE && *p == '\n' && nhd > 0) {
            const char *next;
            if (heredoc_bodies(text, p + 1, hd, nhd, out, &next))
                return true;
            if (!next)
                return false;
            nhd = 0;
            p = next - 1;
            continue;
        }
        if (q == Q_NONE && *p == '#' && word_start(text, p)) {
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        }
        if (top + 1 >= MAX_NEST)
            return false;
        if (opens_cmd) {
            st[++top].q = Q_NONE;
            st[top].parens = 0;
            st[top].end = *p == '`' ? '`' : ')';
            p += *p == '$';
        } else if (q == Q_NONE && *p == '"') {
            st[++top].q = Q_DOUBLE;
            st[top].end = '"';
        } else if (q == Q_NONE && *p == '\'') {
            st[++top].q = Q_SINGLE;
            st[top].end = p > text && p[-1] == '$' ? '$' : '\'';
        } else if (q == Q_NONE && st[top].end == ')') {
            st[top].parens += (*p == '(') - (*p == ')');
        }
    }
    return false;
}

/* Line:col in the file of the k-th "%(" at or after `at` (the text's own
 * position), counting as the text does; `at` when it cannot be found. */
static ts_pos position_of(const pctx *c, ts_pos at, size_t k)
{
    const char *b = c->buf;
    size_t i = 0, n = c->len;
    int line = 1, col = 1;

    if (!b)
        return at;
    for (; i < n && line < at.line; i++)
        if (b[i] == '\n')
            line++;
    while (i < n && col < at.col && b[i] != '\n') {
        i++;
        while (i < n && ((unsigned char)b[i] & 0xC0) == 0x80)
            i++;
        col++;
    }
    for (; i < n; i++) {
        if (((unsigned char)b[i] & 0xC0) == 0x80)
            continue;               /* inside a UTF-8 character */
        if (b[i] == '%' && i + 1 < n && b[i + 1] == '(' && k-- == 0)
            return (ts_pos){ line, col };
        if (b[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return at;
}

int spec_check_placeholder_quotes(pctx *c, const char *text, ts_pos at,
                                  const char *what)
{
    quoted f;
    char name[NAME_MAX_LEN + 1], env[NAME_MAX_LEN + 1];
    size_t k = 0;

    if (!text || !first_quoted(text, &f))
        return 0;
    for (const char *p = strstr(text, "%("); p && (size_t)(p - text) < f.off;
         p = strstr(p + 1, "%("))
        k++;
    snprintf(name, sizeof name, "%.*s", (int)f.name_len, text + f.off + 2);
    for (size_t i = 0; i <= f.name_len; i++)
        env[i] = (char)toupper((unsigned char)name[i]);
    ts_pos p = position_of(c, at, k);
    if (f.q == Q_HEREDOC)
        return spec_warn_at(c, p, what, "%%(%s) in a here-document: it is "
                            "inserted as \"$TASK_SUITE_ARG_%s\", and there its "
                            "quotes stay in the text (v=%%(%s) gives v=\"a b\"); "
                            "write $TASK_SUITE_ARG_%s there instead", name, env,
                            name, env);
    if (f.q == Q_HEREDOC_LITERAL)
        return spec_warn_at(c, p, what, "%%(%s) in a here-document with a "
                            "quoted delimiter: it stays the text "
                            "\"$TASK_SUITE_ARG_%s\", not expanded; unquote the "
                            "delimiter and write $TASK_SUITE_ARG_%s", name, env,
                            env);
    if (f.q == Q_DOUBLE)
        return spec_warn_at(c, p, what, "%%(%s) inside double quotes: it is "
                            "inserted as \"$TASK_SUITE_ARG_%s\" with its own "
                            "quotes, which end yours, so a value with a space "
                            "or * splits into words; write %%(%s) outside "
                            "quotes", name, env, name);
    return spec_warn_at(c, p, what, "%%(%s) inside single quotes: this shell "
                        "passes \"$TASK_SUITE_ARG_%s\" on as text (only an "
                        "inner shell, as in bash -c '...', expands it); write "
                        "%%(%s) outside quotes", name, env, name);
}
