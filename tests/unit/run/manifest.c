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

static int same_entry(const ts_manifest_entry *a, const ts_manifest_entry *b)
{
    if (a->task_idx != b->task_idx || a->attempt != b->attempt || strcmp(a->name, b->name) != 0
        || strcmp(a->run, b->run) != 0 || (!a->setup != !b->setup)
        || (a->setup && strcmp(a->setup, b->setup) != 0) || a->env.n != b->env.n)
        return 0;
    for (size_t i = 0; i < a->env.n; i++)
        if (strcmp(a->env.v[i].key, b->env.v[i].key) != 0
            || strcmp(a->env.v[i].value, b->env.v[i].value) != 0)
            return 0;
    return 1;
}

/* The lazy manifest of a pure matrix reads, at every position, the entry
 * the per-task manifest of the same tasks reads there. */
static void test_lazy(void)
{
    static char *lr[] = { "0.1", "a \"b\"\n", "x/y" };
    static char *depth[] = { "18", "34", "50", "101", "a-value-long-enough-to-push-the-name-over-sixty-four-bytes" };
    ts_lazy_axis axes[] = { { "lr", lr, 3 }, { "depth", depth, 5 } };
    ts_lazy_matrix m = { .axes = axes, .naxes = 2, .count = 15,
                         .setup = "echo \"$TASK_SUITE_ARG_LR\"",
                         .run = "train \"$TASK_SUITE_ARG_DEPTH\" 100%" };
    ts_manifest_entry v[15], a, b;
    ts_task t[15];
    char lazy[PATH_MAX], eager[PATH_MAX];
    ts_err err = { 0 };
    int wrong = 0;

    for (size_t k = 0; k < 15; k++) {
        ts_lazy_task(&m, k, &t[k]);
        v[k] = (ts_manifest_entry){ .task_idx = (long)k, .name = t[k].name, .attempt = 1,
                                    .setup = t[k].setup, .run = t[k].run, .env = t[k].env };
    }
    snprintf(lazy, sizeof lazy, "%s/lazy.jsonl", root);
    snprintf(eager, sizeof eager, "%s/eager.jsonl", root);
    is_int(ts_manifest_write_lazy(lazy, &m, &err), 0, "lazy manifest written");
    is_int(ts_manifest_write(eager, v, 15, &err), 0, "the same tasks, one line each");
    for (long k = 0; k < 15; k++) {
        if (ts_manifest_read(lazy, k, &a, &err) < 0) {
            diag("lazy %ld: %s", k, err.msg);
            wrong++;
            continue;
        }
        if (ts_manifest_read(eager, k, &b, &err) < 0 || !same_entry(&a, &b))
            wrong++;
        if (k == 14)
            is_str(a.name, "matrix-14", "a name over 64 bytes: matrix-<k>");
        if (k == 5)
            is_str(a.name, "lr=a__b__,depth=18", "a name's value sanitised");
        ts_manifest_entry_free(&a);
        ts_manifest_entry_free(&b);
    }
    is_int(wrong, 0, "all 15 positions: the lazy entry equals the per-task line");
    for (size_t k = 0; k < 15; k++)
        ts_task_free(&t[k]);

    ok(ts_manifest_read(lazy, 15, &a, &err) < 0, "task 15 of 15 is an error");
    is_error_line(&err, lazy, "has no task 15 (it holds 15)", "past the end of a lazy manifest");
    ok(ts_manifest_read(lazy, -1, &a, &err) < 0, "a negative position is an error");
    const char *p = raw_file("lazy-torn.jsonl", "{\"lazy\":1,\"count\":15,\"run\":\"x\",\"axes\":[{\"na");
    ok(ts_manifest_read(p, 0, &a, &err) < 0, "a torn lazy manifest is an error");
    is_error_line(&err, p, "not a task matrix", "a torn lazy manifest");
    p = raw_file("lazy-count.jsonl", "{\"lazy\":1,\"count\":7,\"run\":\"x\",\"axes\":[{\"name\":\"a\",\"values\":[\"1\",\"2\"]}]}\n");
    ok(ts_manifest_read(p, 0, &a, &err) < 0, "a count that is not the product is an error");
    ok(a.name == NULL, "a bad lazy manifest leaves nothing allocated");
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
    test_lazy();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
