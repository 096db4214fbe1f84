/* simplecmd.c: a task's text exec'd without a shell (simplecmd.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simplecmd.h"

/* Builtins and reserved words of dash (and bash's extra keywords): as a
 * first word they mean something only a shell can do. true, false and test
 * are left out: /usr/bin's behave the same. */
static const char *const shell_words[] = {
    ".", ":", "alias", "bg", "break", "cd", "chdir", "command", "continue", "echo",
    "eval", "exec", "exit", "export", "fc", "fg", "getopts", "hash", "jobs", "kill",
    "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "times",
    "trap", "type", "ulimit", "umask", "unalias", "unset", "wait",
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in",
    "select", "then", "time", "until", "while",
};

static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("-_./,:+@%=", c) != NULL);   /* strchr finds the NUL */
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool ts_simple_command(const char *text)
{
    if (!text)
        return false;
    const char *p = text;
    while (blank(*p))
        p++;
    const char *first = p;
    size_t first_len = 0;
    while (plain_char(*p))
        p++;
    first_len = (size_t)(p - first);
    if (first_len == 0 || memchr(first, '=', first_len))
        return false;           /* nothing, or VAR=value cmd */
    for (; *p; p++)
        if (!plain_char(*p) && !blank(*p))
            return false;
    for (size_t i = 0; i < sizeof shell_words / sizeof *shell_words; i++)
        if (strlen(shell_words[i]) == first_len && !memcmp(shell_words[i], first, first_len))
            return false;
    return true;
}

static const char *env_path(char *const envp[])
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], "PATH=", 5))
            return envp[i] + 5;
    return NULL;
}

/* execve on each PATH entry, as the shell searches: an empty entry is the
 * current directory. Returns when none could be exec'd. */
static void exec_on_path(const char *path, char *const argv[], char *const envp[])
{
    char full[PATH_MAX];
    const char *dir = path;
    for (;;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        int n = len ? snprintf(full, sizeof full, "%.*s/%s", (int)len, dir, argv[0])
                    : snprintf(full, sizeof full, "%s", argv[0]);
        if (n > 0 && (size_t)n < sizeof full)
            execve(full, argv, envp);
        if (!colon)
            return;
        dir = colon + 1;
    }
}

void ts_exec_simple(const char *text, char *const envp[])
{
    if (!ts_simple_command(text))
        return;
    const char *path = env_path(envp);
    if (!path)
        return;                 /* the shell's own default PATH applies */
    char *copy = strdup(text);
    size_t cap = strlen(text) / 2 + 2;
    char **argv = calloc(cap, sizeof *argv);
    if (!copy || !argv) {
        free(copy);
        free(argv);
        return;
    }
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w && n + 1 < cap;
         w = strtok_r(NULL, " \t", &save))
        argv[n++] = w;
    if (n == 0) {               /* not a simple command after all: the shell */
        free(argv);
        free(copy);
        return;
    }
    if (strchr(argv[0], '/'))
        execve(argv[0], argv, envp);
    else
        exec_on_path(path, argv, envp);
    /* not exec'd: the shell runs the text and says why, as it always did */
    free(argv);
    free(copy);
    errno = 0;
}
