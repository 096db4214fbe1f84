/* optprint.c: sbatch options as words a shell takes back unchanged.
 *
 * `validate` and `submit --dry-run` print the command line a suite maps
 * to; users copy it into a terminal. A value such as "gpu&ib" or "a b"
 * must reach sbatch as written, so it is single-quoted when it holds
 * anything a shell treats specially. Separate from slurmopt.c, which
 * decides what the options are, not how they are shown.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "slurmopt.h"

/* Characters no shell gives a meaning to inside a word (also '=' and '%'
 * and '@', which only matter at a word's start or in other shells'
 * history expansion, and ',' '.' '/' ':'). */
static bool plain_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9') || strchr("_@%+=:,./-", ch) != NULL;
}

int ts_shell_quote(char *buf, size_t len, const char *text)
{
    size_t o = 0;
    bool plain = text[0] != '\0';
    for (const char *p = text; *p && plain; p++)
        plain = plain_char(*p);
#define PUT(ch) do { if (o + 1 >= len) return -1; buf[o++] = (ch); } while (0)
    if (plain) {
        for (const char *p = text; *p; p++)
            PUT(*p);
    } else {
        PUT('\'');
        for (const char *p = text; *p; p++) {
            if (*p == '\'') {       /* end the quote, an escaped ', reopen */
                PUT('\'');
                PUT('\\');
                PUT('\'');
            }
            PUT(*p);
        }
        PUT('\'');
    }
#undef PUT
    buf[o] = '\0';
    return 0;
}

int ts_sbatch_option_word(char *buf, size_t len, const char *key,
                          const char *value)
{
    int n = snprintf(buf, len, "--%s", key);
    if (n < 0 || (size_t)n >= len)
        return -1;
    if (!value || !value[0])    /* a flag: --exclusive, not --exclusive= */
        return 0;
    if ((size_t)n + 1 >= len)
        return -1;
    buf[n] = '=';
    return ts_shell_quote(buf + n + 1, len - (size_t)n - 1, value);
}

void ts_print_sbatch_options(FILE *f, const ts_kvlist *opts)
{
    for (size_t i = 0; i < opts->n; i++) {
        char word[4096];
        if (strcmp(opts->v[i].key, "array-throttle") == 0)
            continue;           /* not sbatch's: the "%N" of --array */
        if (ts_sbatch_option_word(word, sizeof word, opts->v[i].key,
                                  opts->v[i].value) == 0)
            fprintf(f, " %s", word);
        else
            fprintf(f, " --%s=(too long to show)", opts->v[i].key);
    }
}
