/* manifest: what `tasksuite exec` reads instead of the journal
 * (src/run/manifest.c). Entries survive a write/read round trip byte for
 * byte (quotes, newlines, no setup), element K reads line K (the offset
 * index: offset + SLURM_ARRAY_TASK_ID), and a manifest that is torn, short
 * or empty is an error with one line naming the file, never a task run with
 * half its fields. */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "tap.h"

static char root[] = "/tmp/ts-manifest-XXXXXX";

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

/* A file of ours with exactly `text`, mode 0444, as the writer leaves it. */
static const char *raw_file(const char *name, const char *text)
{
    static char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0444);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            diag("write %s failed", p);
        close(fd);
    }
    return p;
}

/* An error is one line that names the file. */
static void is_error_line(const ts_err *err, const char *path, const char *want,
                          const char *name)
{
    ok(strchr(err->msg, '\n') == NULL && strstr(err->msg, path) != NULL
       && strstr(err->msg, want) != NULL, "%s: \"%s\"", name, err->msg);
}

static void test_round_trip(void)
{
    ts_kv args[] = { { .key = "TASK_SUITE_ARG_LR", .value = "0.1" },
                     { .key = "TASK_SUITE_ARG_NOTE", .value = "say \"hi\"\n\tthen\\go" } };
    ts_manifest_entry v[3] = {
        { .task_idx = 0, .name = "first", .attempt = 1, .setup = "mkdir -p out",
          .run = "echo one", .env = { args, 2 } },
        { .task_idx = 7, .name = "second", .attempt = 3, .setup = NULL,
          .run = "printf '%s\\n' \"$X\" | tr a b" },
        { .task_idx = 12, .name = "naïve/ü", .attempt = 1, .run = "true" },
    };
    char path[PATH_MAX];
    ts_err err = { 0 };
    ts_manifest_entry e;
    struct stat st;

    snprintf(path, sizeof path, "%s/sub-1.jsonl", root);
    is_int(ts_manifest_write(path, v, 3, &err), 0, "three entries written");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0444, "the manifest is read-only");

    is_int(ts_manifest_read(path, 0, &e, &err), 0, "line 0 read");
    is_int(e.task_idx, 0, "line 0: task index");
    is_str(e.name, "first", "line 0: name");
    is_int(e.attempt, 1, "line 0: attempt");
    is_str(e.setup, "mkdir -p out", "line 0: setup");
    is_str(e.run, "echo one", "line 0: run");
    is_int((long long)e.env.n, 2, "line 0: two arguments");
    if (e.env.n == 2) {
        is_str(e.env.v[0].key, "TASK_SUITE_ARG_LR", "line 0: first argument's name");
        is_str(e.env.v[1].value, "say \"hi\"\n\tthen\\go",
               "line 0: quotes, newline, tab and backslash survive");
    } else {
        skip(2, "no arguments read");
    }
    ts_manifest_entry_free(&e);

    is_int(ts_manifest_read(path, 1, &e, &err), 0, "line 1 read");
    is_int(e.task_idx, 7, "line 1 is the second entry (the offset index)");
    is_int(e.attempt, 3, "line 1: the attempt it starts");
    ok(e.setup == NULL, "line 1: no setup stays no setup");
    is_str(e.run, "printf '%s\\n' \"$X\" | tr a b", "line 1: run text as given");
    is_int((long long)e.env.n, 0, "line 1: no arguments");
    ts_manifest_entry_free(&e);

    is_int(ts_manifest_read(path, 2, &e, &err), 0, "line 2 read");
    is_str(e.name, "naïve/ü", "line 2: a UTF-8 name");
    ts_manifest_entry_free(&e);

    ok(ts_manifest_read(path, 3, &e, &err) < 0, "line 3 of a 3-line manifest is an error");
    is_error_line(&err, path, "has no line 3", "past the end");
    ok(e.name == NULL && e.run == NULL, "past the end: nothing half-filled");
}

/* The line of element K of a big manifest is line K, not K-1 or K+1. */
static void test_offset_index(void)
{
    enum { N = 1000 };
    ts_manifest_entry *v = calloc(N, sizeof *v);
    char (*names)[16] = calloc(N, sizeof *names);
    char path[PATH_MAX];
    ts_err err = { 0 };
    ts_manifest_entry e;
    int wrong = 0;

    for (long i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "t%ld", i);
        v[i] = (ts_manifest_entry){ .task_idx = 5000 + i, .name = names[i], .attempt = 1,
                                    .run = "true" };
    }
    snprintf(path, sizeof path, "%s/big.jsonl", root);
    is_int(ts_manifest_write(path, v, N, &err), 0, "1000 entries written");
    long probes[] = { 0, 1, 499, 998, 999 };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        if (ts_manifest_read(path, probes[i], &e, &err) < 0
            || e.task_idx != 5000 + probes[i] || strcmp(e.name, names[probes[i]]) != 0) {
            diag("line %ld: %s", probes[i], err.msg);
            wrong++;
        }
        ts_manifest_entry_free(&e);
    }
    is_int(wrong, 0, "lines 0, 1, 499, 998, 999 hold tasks 0, 1, 499, 998, 999");
    ok(ts_manifest_read(path, N, &e, &err) < 0, "line 1000 of 1000 is an error");
    free(v);
    free(names);
}

static void test_torn(void)
{
    static const char good[] = "{\"idx\":1,\"name\":\"a\",\"attempt\":1,\"run\":\"true\"}\n";
    ts_err err = { 0 };
    ts_manifest_entry e;
    const char *p;
    char text[512];

    /* Cut in the middle of its second line, as a crash mid-write would
     * leave it were it not written to a temporary name. */
    snprintf(text, sizeof text, "%s{\"idx\":2,\"name\":\"b\",\"att", good);
    p = raw_file("torn.jsonl", text);
    is_int(ts_manifest_read(p, 0, &e, &err), 0, "a torn manifest: its whole first line reads");
    ts_manifest_entry_free(&e);
    ok(ts_manifest_read(p, 1, &e, &err) < 0, "a torn manifest: the cut line is an error");
    is_error_line(&err, p, "line 1 is not a task", "a torn line");

    p = raw_file("short.jsonl", "{\"idx\":3,\"name\":\"c\",\"attempt\":1}\n");
    ok(ts_manifest_read(p, 0, &e, &err) < 0, "a line without run is an error");
    is_error_line(&err, p, "line 0 is incomplete", "a line missing a field");
    ok(e.name == NULL, "an incomplete line leaves nothing allocated");

    p = raw_file("empty.jsonl", "");
    ok(ts_manifest_read(p, 0, &e, &err) < 0, "an empty manifest is an error");
    is_error_line(&err, p, "has no line 0", "an empty manifest");

    snprintf(text, sizeof text, "%s/none.jsonl", root);
    ok(ts_manifest_read(text, 0, &e, &err) < 0, "a missing manifest is an error");
    ok(strchr(err.msg, '\n') == NULL && err.msg[0], "a missing manifest: one line (\"%s\")",
       err.msg);
}

int main(void)
{
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    test_round_trip();
    test_offset_index();
    test_torn();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
