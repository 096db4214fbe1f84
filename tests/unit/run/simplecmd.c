/* simplecmd: which texts run without /bin/sh, and that running them so is
 * the same as through the shell (src/run/simplecmd.c): the command found on
 * the task's PATH (not ours), its parent the runner, and every failure left
 * to the shell with the shell's exit status. */
#include "config.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "simplecmd.h"
#include "tap.h"

static char root[] = "/tmp/ts-simplecmd-XXXXXX";

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(p, mode);
}

static const char *read_file(const char *name)
{
    static char buf[512];
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, name);
    FILE *f = fopen(p, "r");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* Runs text in root with PATH=root/bin:/usr/bin:/bin; its exit code. */
static int run(const char *text)
{
    char path[PATH_MAX + 32], out[PATH_MAX], errp[PATH_MAX];
    snprintf(path, sizeof path, "PATH=%s/bin:/usr/bin:/bin", root);
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(errp, sizeof errp, "%s/err", root);
    unlink(out);
    unlink(errp);
    char *envp[] = { path, "LC_ALL=C", NULL };
    ts_run_req req = { .run = text, .envp = envp, .cwd = root,
                       .stdout_path = out, .stderr_path = errp };
    ts_run_result res;
    ts_err err = { 0 };
    if (ts_run_task(&req, &res, &err) < 0)
        return -100;
    return res.term_signal ? 128 + res.term_signal : res.exit_code;
}

int main(void)
{
    static const struct { const char *text; bool simple; } cases[] = {
        { "true", true },
        { "  python3 train.py --lr 0.1 --out=/scratch/run_1  ", true },
        { "./score.sh 17 a,b,c x:y user@host 50% +1", true },
        { "/usr/bin/env", true },
        { "test -d /tmp", true },
        { "", false },
        { "   ", false },
        { "X=1 true", false },              /* an assignment */
        { "cd /tmp", false },               /* builtins change the shell */
        { "exit 3", false },
        { "echo hi", false },               /* dash's echo is not /bin/echo */
        { "if", false },
        { "true; false", false },
        { "true && false", false },
        { "sleep 1 &", false },
        { "echo $HOME", false },
        { "ls ~", false },
        { "ls *.txt", false },
        { "cat <in", false },
        { "echo 'a b'", false },
        { "printf \"%s\" x", false },
        { "a\\ b", false },
        { "true # comment", false },
        { "true\nfalse", false },
        { "(true)", false },
        { "ls [ab]", false },
        { "f() { true; }", false },
        { "!", false },
        { "a|b", false },
        { "`true`", false },
    };
    size_t ncases = sizeof cases / sizeof *cases;
    plan((int)ncases + 8);
    for (size_t i = 0; i < ncases; i++) {
        char shown[64];
        size_t n = 0;
        for (const char *c = cases[i].text; *c && n + 3 < sizeof shown; c++)
            n += (size_t)snprintf(shown + n, sizeof shown - n, *c == '\n' ? "\\n" : "%c", *c);
        shown[n] = '\0';
        ok(ts_simple_command(cases[i].text) == cases[i].simple, "%s: %s",
           cases[i].simple ? "without a shell" : "through the shell", shown);
    }

    if (!mkdtemp(root))
        return 1;
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/bin", root);
    mkdir(bin, 0755);
    /* What ran it: the runner (this test) without a shell, sh with one. */
    write_file("bin/probe", "#!/bin/sh\ncat /proc/$PPID/comm >parent\necho \"$@\" >args\n"
               "exit 7\n", 0755);
    write_file("bin/noshebang", "echo plain >plain\nexit 5\n", 0755);
    write_file("bin/notexec", "#!/bin/sh\nexit 0\n", 0644);

    is_int(run("probe a=1 --b c/d"), 7, "a simple command's exit status");
    char self[64] = "";
    FILE *c = fopen("/proc/self/comm", "r");
    if (c) {
        if (fgets(self, sizeof self, c))
            self[strcspn(self, "\n")] = '\0';
        fclose(c);
    }
    is_str(read_file("parent"), self, "it ran with no shell in between (its parent: this test)");
    is_str(read_file("args"), "a=1 --b c/d", "with its words as arguments");
    is_int(run("probe x >redirected"), 7, "a redirection goes through the shell");
    is_str(read_file("parent"), "sh", "whose child the command is then");
    is_int(run("noshebang"), 5, "a script without #! still runs (the shell reads it)");
    is_int(run("no-such-command-here"), 127, "not found: 127, as the shell says");
    is_int(run("bin/notexec"), 126, "not executable: 126, as the shell says");

    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
