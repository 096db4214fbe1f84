/* Unit tests for expand.c. Suites are built by hand (not parsed), so these
 * tests pin the expansion rules independently of the YAML loader. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "jsonw.h"
#include "slurmopt.h"
#include "tap.h"

/* ------------------------------------------------------------ builders */

/* Everything a builder puts in a suite is heap-owned, freed by suite_free. */
static ts_suite *suite_new(const char *name, const char *run)
{
    ts_suite *s = calloc(1, sizeof *s);
    s->path = strdup("sweep.yaml");
    s->name = name ? strdup(name) : NULL;
    s->run = run ? strdup(run) : NULL;
    s->run_pos = (ts_pos){20, 6};
    s->setup_pos = (ts_pos){19, 8};
    s->num_nodes = 1;
    return s;
}

static void set_setup(ts_suite *s, const char *setup)
{
    free(s->setup);
    s->setup = strdup(setup);
}

static void kvlist_add(ts_kvlist *l, const char *k, const char *v, ts_pos pos)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = (ts_kv){ .key = strdup(k), .value = strdup(v), .pos = pos };
}

/* values: NULL-terminated. */
static ts_matrix_axis *add_axis(ts_suite *s, const char *name, int line,
                                const char *const *values)
{
    s->matrix = realloc(s->matrix, (s->nmatrix + 1) * sizeof *s->matrix);
    ts_matrix_axis *a = &s->matrix[s->nmatrix++];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    a->pos = (ts_pos){line, 11};
    for (; values && *values; values++) {
        a->values.v = realloc(a->values.v, (a->values.n + 1) * sizeof(char *));
        a->values.v[a->values.n++] = strdup(*values);
    }
    return a;
}

/* An axis of n values "0".."n-1", for the size limits. */
static void add_axis_n(ts_suite *s, const char *name, size_t n)
{
    ts_matrix_axis *a = add_axis(s, name, 9, NULL);
    a->values.v = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char buf[24];
        snprintf(buf, sizeof buf, "%zu", i);
        a->values.v[a->values.n++] = strdup(buf);
    }
}

static ts_task_entry *add_task(ts_suite *s, const char *name, int priority,
                               int line)
{
    s->tasks = realloc(s->tasks, (s->ntasks + 1) * sizeof *s->tasks);
    ts_task_entry *t = &s->tasks[s->ntasks++];
    memset(t, 0, sizeof *t);
    t->name = name ? strdup(name) : NULL;
    t->priority = priority;
    t->pos = (ts_pos){line, 5};
    return t;
}

static void task_arg(ts_task_entry *t, const char *k, const char *v)
{
    kvlist_add(&t->args, k, v, (ts_pos){t->pos.line, 20});
}

static void suite_free(ts_suite *s)
{
    for (size_t a = 0; a < s->nmatrix; a++) {
        for (size_t i = 0; i < s->matrix[a].values.n; i++)
            free(s->matrix[a].values.v[i]);
        free(s->matrix[a].values.v);
        free(s->matrix[a].name);
    }
    for (size_t i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].name);
        ts_kvlist_free(&s->tasks[i].args);
    }
    free(s->matrix);
    free(s->tasks);
    free(s->path);
    free(s->name);
    free(s->run);
    free(s->setup);
    free(s);
}

/* Expand a suite expected to fail; check the message and the empty list. */
static void expect_error(ts_suite *s, const char *want, const char *what)
{
    ts_tasklist l = {(ts_task *)&l, 42, NULL};   /* must be reset on failure */
    ts_err err = {{0}, 0};
    int rc = ts_expand(s, &l, &err);
    is_int(rc, -1, what);
    is_str(err.msg, want, what);
    ok(l.v == NULL && l.n == 0, "%s: list left empty", what);
    if (l.v != (ts_task *)&l)
        ts_tasklist_free(&l);
}

static int expand_ok(ts_suite *s, ts_tasklist *l, const char *what)
{
    ts_err err = {{0}, 0};
    int rc = ts_expand(s, l, &err);
    if (!ok(rc == 0, "%s: expands", what))
        diag("error: %s", err.msg);
    return rc;
}

static const char *arg_of(const ts_task *t, const char *key)
{
    for (size_t i = 0; i < t->args.n; i++)
        if (strcmp(t->args.v[i].key, key) == 0)
            return t->args.v[i].value;
    return NULL;
}

static const char *env_of(const ts_task *t, const char *key)
{
    for (size_t i = 0; i < t->env.n; i++)
        if (strcmp(t->env.v[i].key, key) == 0)
            return t->env.v[i].value;
    return NULL;
}

/* ------------------------------------------------------------ tests */

static void test_matrix_3x4(void)
{
    static const char *const lr[] = {"0.1", "0.01", "0.001", NULL};
    static const char *const depth[] = {"18", "34", "50", "101", NULL};
    static const struct { const char *name, *lr, *depth; } want[] = {
        {"lr=0.1,depth=18", "0.1", "18"},   {"lr=0.1,depth=34", "0.1", "34"},
        {"lr=0.1,depth=50", "0.1", "50"},   {"lr=0.1,depth=101", "0.1", "101"},
        {"lr=0.01,depth=18", "0.01", "18"}, {"lr=0.01,depth=34", "0.01", "34"},
        {"lr=0.01,depth=50", "0.01", "50"}, {"lr=0.01,depth=101", "0.01", "101"},
        {"lr=0.001,depth=18", "0.001", "18"},
        {"lr=0.001,depth=34", "0.001", "34"},
        {"lr=0.001,depth=50", "0.001", "50"},
        {"lr=0.001,depth=101", "0.001", "101"},
    };
    ts_suite *s = suite_new("resnet", "python train.py --lr %(lr) --depth %(depth)");
    set_setup(s, "echo %(depth)");
    add_axis(s, "lr", 8, lr);
    add_axis(s, "depth", 8, depth);
    ts_tasklist l;
    if (expand_ok(s, &l, "matrix 3x4") == 0) {
        is_int((long long)l.n, 12, "matrix 3x4: 12 tasks");
        int good = 1;
        for (size_t i = 0; i < l.n && i < 12; i++) {
            const ts_task *t = &l.v[i];
            good &= t->index == i && strcmp(t->name, want[i].name) == 0
                    && t->args.n == 2 && t->env.n == 2
                    && strcmp(t->args.v[0].key, "lr") == 0
                    && strcmp(t->args.v[1].key, "depth") == 0
                    && strcmp(arg_of(t, "lr"), want[i].lr) == 0
                    && strcmp(arg_of(t, "depth"), want[i].depth) == 0
                    && strcmp(t->env.v[0].key, "TASK_SUITE_ARG_LR") == 0
                    && strcmp(t->env.v[0].value, want[i].lr) == 0
                    && strcmp(t->env.v[1].key, "TASK_SUITE_ARG_DEPTH") == 0
                    && strcmp(t->env.v[1].value, want[i].depth) == 0
                    && t->priority == 0;
            if (!good) {
                diag("task %zu: %s", i, t->name);
                break;
            }
        }
        ok(good, "matrix 3x4: row-major names, args, env, index");
        is_str(l.v[5].run, "python train.py --lr \"$TASK_SUITE_ARG_LR\" "
               "--depth \"$TASK_SUITE_ARG_DEPTH\"", "matrix 3x4: run rewritten");
        is_str(l.v[5].setup, "echo \"$TASK_SUITE_ARG_DEPTH\"",
               "matrix 3x4: setup rewritten");
        ok(l.v[0].run != l.v[1].run, "matrix 3x4: each task owns its text");
        ts_tasklist_free(&l);
        ok(l.v == NULL && l.n == 0, "tasklist_free empties the list");
    }
    suite_free(s);
}

static void test_priority_and_order(void)
{
    static const char *const x[] = {"1", "2", NULL};
    static const char *const want[] = {"b", "d", "a", "c", "x=1", "x=2", "e"};
    ts_suite *s = suite_new("p", "run %(x)");
    add_axis(s, "x", 8, x);
    task_arg(add_task(s, "a", 0, 10), "x", "a");
    task_arg(add_task(s, "b", 10, 11), "x", "b");
    task_arg(add_task(s, "c", 0, 12), "x", "c");
    task_arg(add_task(s, "d", 10, 13), "x", "d");
    task_arg(add_task(s, "e", -1, 14), "x", "e");
    ts_tasklist l;
    if (expand_ok(s, &l, "priority") == 0) {
        is_int((long long)l.n, 7, "priority: explicit + matrix = 7 tasks");
        int good = l.n == 7;
        for (size_t i = 0; good && i < 7; i++)
            good = strcmp(l.v[i].name, want[i]) == 0 && l.v[i].index == i;
        ok(good, "priority: stable sort, highest first, index renumbered");
        is_str(arg_of(&l.v[0], "x"), "b", "priority: explicit tasks keep their args");
        is_str(arg_of(&l.v[5], "x"), "2", "priority: matrix tasks carry axis values");
        is_int(l.v[6].priority, -1, "priority: carried to the task");
        ts_tasklist_free(&l);
    }
    suite_free(s);
}

static void test_generated_names(void)
{
    ts_suite *s = suite_new("g", "true");
    add_task(s, NULL, 0, 10);
    add_task(s, "task-2", 0, 11);
    add_task(s, NULL, 0, 12);
    add_task(s, "x=1", 0, 13);
    static const char *const x[] = {"1", "a b/c", "a_b_c", "$(id)", NULL};
    add_axis(s, "x", 8, x);
    ts_tasklist l;
    if (expand_ok(s, &l, "names") == 0) {
        static const char *const want[] = {
            "task-0", "task-2", "task-2-2", "x=1",
            "matrix-0", "x=a_b_c", "matrix-2", "x=__id_",
        };
        is_int((long long)l.n, 8, "names: 4 explicit + 4 matrix");
        for (size_t i = 0; i < l.n && i < 8; i++) {
            char what[64];
            snprintf(what, sizeof what, "names: task %zu is %s", i, want[i]);
            is_str(l.v[i].name, want[i], what);
        }
        is_str(arg_of(&l.v[5], "x"), "a b/c", "names: the value itself is unchanged");
        ts_tasklist_free(&l);
    }
    suite_free(s);

    /* Too long a name falls back; the same suite always gives the same. */
    char longv[80];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    const char *const y[] = {"short", longv, NULL};
    s = suite_new("g", "true");
    add_axis(s, "y", 8, y);
    ts_tasklist a, b;
    if (expand_ok(s, &a, "long name") == 0) {
        is_str(a.v[0].name, "y=short", "long name: short one kept");
        is_str(a.v[1].name, "matrix-1", "long name: > 64 chars falls back");
        if (expand_ok(s, &b, "long name again") == 0) {
            ok(strcmp(a.v[0].name, b.v[0].name) == 0
               && strcmp(a.v[1].name, b.v[1].name) == 0,
               "long name: deterministic");
            ts_tasklist_free(&b);
        }
        ts_tasklist_free(&a);
    }
    suite_free(s);

    /* Exactly 64 characters is still a name. */
    char v62[63];
    memset(v62, 'w', 62);
    v62[62] = '\0';
    const char *const z[] = {v62, NULL};
    s = suite_new("g", "true");
    add_axis(s, "z", 8, z);
    if (expand_ok(s, &a, "64-char name") == 0) {
        is_int((long long)strlen(a.v[0].name), 64, "64-char name: kept");
        ts_tasklist_free(&a);
    }
    suite_free(s);
}

static void test_single_task(void)
{
    ts_suite *s = suite_new("solo", "echo 100%");
    ts_tasklist l;
    if (expand_ok(s, &l, "no matrix, no tasks") == 0) {
        is_int((long long)l.n, 1, "no matrix, no tasks: one task");
        is_str(l.v[0].name, "solo", "no matrix, no tasks: named after the suite");
        ok(l.v[0].args.n == 0 && l.v[0].env.n == 0, "no matrix, no tasks: no args");
        is_str(l.v[0].run, "echo 100%", "no matrix, no tasks: run as written");
        ok(l.v[0].setup == NULL, "no setup -> setup NULL");
        is_int((long long)l.v[0].index, 0, "no matrix, no tasks: index 0");
        ts_tasklist_free(&l);
    }
    suite_free(s);

    s = suite_new("solo", "echo %(x)");
    expect_error(s, "sweep.yaml:20:6: run: %(x) has no value in task \"solo\"",
                 "no matrix, no tasks, %(x)");
    suite_free(s);
}

/* Rewriting table: run text -> expected text (with arg x=1). */
static void test_rewrite(void)
{
    static const struct { const char *in, *out; } t[] = {
        {"echo %(x)", "echo \"$TASK_SUITE_ARG_X\""},
        {"echo %%", "echo %"},
        {"printf '%d\\n' 5; echo 50%", "printf '%d\\n' 5; echo 50%"},
        {"a%(x)b", "a\"$TASK_SUITE_ARG_X\"b"},
        {"%(x)%(x)", "\"$TASK_SUITE_ARG_X\"\"$TASK_SUITE_ARG_X\""},
        {"--x=%(x) --y=%(x)", "--x=\"$TASK_SUITE_ARG_X\" --y=\"$TASK_SUITE_ARG_X\""},
        {"%%(x)", "%(x)"},
        {"%%(nope)", "%(nope)"},
        {"100%%%(x)", "100%\"$TASK_SUITE_ARG_X\""},
        {"%%%%", "%%"},
        {"%", "%"},
        {"", ""},
        {"multi\nline %(x)\n", "multi\nline \"$TASK_SUITE_ARG_X\"\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ts_suite *s = suite_new("r", t[i].in);
        task_arg(add_task(s, "one", 0, 10), "x", "1");
        ts_tasklist l;
        char what[96];
        snprintf(what, sizeof what, "rewrite %zu", i);
        if (expand_ok(s, &l, what) == 0) {
            is_str(l.v[0].run, t[i].out, what);
            ts_tasklist_free(&l);
        }
        suite_free(s);
    }
}

static void test_rewrite_errors(void)
{
    static const struct { const char *run, *setup, *err; } t[] = {
        {"echo %(x", NULL,
         "sweep.yaml:20:6: run: \"%(\" at character 6 has no closing \")\""},
        {"%(x\n)", NULL,
         "sweep.yaml:20:6: run: \"%(\" at character 1 has no closing \")\""},
        {"h\xc3\xa9 %(x", NULL,   /* UTF-8: counts characters, not bytes */
         "sweep.yaml:20:6: run: \"%(\" at character 4 has no closing \")\""},
        {"go %(1x)", NULL,
         "sweep.yaml:20:6: run: %(1x) at character 4: not an argument name "
         "(a letter or '_', then letters, digits or '_', at most 64)"},
        {"go %()", NULL,
         "sweep.yaml:20:6: run: %() at character 4: not an argument name "
         "(a letter or '_', then letters, digits or '_', at most 64)"},
        {"go %(a b)", NULL,
         "sweep.yaml:20:6: run: %(a b) at character 4: not an argument name "
         "(a letter or '_', then letters, digits or '_', at most 64)"},
        {"go %(x)", "pip %(x-y)",
         "sweep.yaml:19:8: setup: %(x-y) at character 5: not an argument name "
         "(a letter or '_', then letters, digits or '_', at most 64)"},
        {"go %(x) %(y)", NULL,
         "sweep.yaml:20:6: run: %(y) has no value in task \"one\""},
        {"go %(x)", "prep %(z)",
         "sweep.yaml:19:8: setup: %(z) has no value in task \"one\""},
        {"go %(X)", NULL,   /* names match exactly */
         "sweep.yaml:20:6: run: %(X) has no value in task \"one\""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ts_suite *s = suite_new("r", t[i].run);
        if (t[i].setup)
            set_setup(s, t[i].setup);
        task_arg(add_task(s, "one", 0, 10), "x", "1");
        char what[64];
        snprintf(what, sizeof what, "rewrite error %zu", i);
        expect_error(s, t[i].err, what);
        suite_free(s);
    }

    /* The missing name is reported for the first task lacking it. */
    static const char *const lr[] = {"0.1", NULL};
    ts_suite *s = suite_new("r", "train %(lr) %(seed)");
    add_axis(s, "lr", 8, lr);
    ts_task_entry *e = add_task(s, "pinned", 0, 10);
    task_arg(e, "lr", "0.5");
    task_arg(e, "seed", "7");
    expect_error(s, "sweep.yaml:20:6: run: %(seed) has no value in task \"lr=0.1\"",
                 "missing in matrix tasks only");
    suite_free(s);
}

/* Values never become shell text: the command is the same for every task
 * and the value appears only in the environment. */
static void test_shell_metacharacters(void)
{
    static const char *const evil[] = {
        "$(rm -rf /)", "; rm -rf / ;", "`reboot`", "a\"b'c", "x\ny\n",
        "$HOME && echo pwned", "\\\"; exit 1; \"", NULL,
    };
    ts_suite *s = suite_new("evil", "python t.py --v %(v) --w=%(v)");
    add_axis(s, "v", 8, evil);
    ts_tasklist l;
    if (expand_ok(s, &l, "metacharacters") == 0) {
        const char *want = "python t.py --v \"$TASK_SUITE_ARG_V\" "
                           "--w=\"$TASK_SUITE_ARG_V\"";
        int same = 1, absent = 1, inenv = 1;
        for (size_t i = 0; i < l.n; i++) {
            same &= strcmp(l.v[i].run, want) == 0;
            absent &= strstr(l.v[i].run, evil[i]) == NULL
                      && strstr(l.v[i].run, "rm -rf") == NULL
                      && strchr(l.v[i].run, '`') == NULL
                      && strchr(l.v[i].run, '\'') == NULL;
            const char *v = env_of(&l.v[i], "TASK_SUITE_ARG_V");
            inenv &= v && strcmp(v, evil[i]) == 0;
        }
        is_int((long long)l.n, 7, "metacharacters: 7 tasks");
        ok(same, "metacharacters: the command text is the same for every task");
        ok(absent, "metacharacters: no value appears in the command text");
        ok(inenv, "metacharacters: each value is in the env, byte for byte");
        ok(strchr(l.v[4].name, '\n') == NULL, "metacharacters: names are clean");
        is_str(l.v[0].name, "v=__rm_-rf___", "metacharacters: name sanitised");
        ts_tasklist_free(&l);
    }
    suite_free(s);
}

static void test_task_name_errors(void)
{
    ts_suite *s = suite_new("d", "true");
    add_task(s, "a", 0, 10);
    add_task(s, "b", 0, 11);
    add_task(s, "a", 0, 12);
    expect_error(s, "sweep.yaml:12:5: tasks[2].name: duplicate task name \"a\"",
                 "duplicate name");
    suite_free(s);

    char long65[66];
    memset(long65, 'n', 65);
    long65[65] = '\0';
    const char *const bad[] = {"a/b", "", ".hidden", "-x", "has space",
                               "tab\there", long65};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[256], shown[80], what[64];
        snprintf(shown, sizeof shown, "%s", bad[i]);
        for (char *p = shown; *p; p++)
            if (*p == '\t')
                *p = '?';
        s = suite_new("d", "true");
        add_task(s, "ok", 0, 10);
        add_task(s, bad[i], 0, 11);
        snprintf(want, sizeof want, "sweep.yaml:11:5: tasks[1].name: \"%s\" is "
                 "not a task name (1-64 characters, no spaces, control "
                 "characters or '/', not starting with '.' or '-')", shown);
        snprintf(what, sizeof what, "bad task name %zu", i);
        expect_error(s, want, what);
        suite_free(s);
    }
}

static void test_arg_errors(void)
{
    static const char *const one[] = {"1", NULL};
    ts_suite *s = suite_new("c", "true");
    add_axis(s, "lr", 8, one);
    add_axis(s, "LR", 9, one);
    expect_error(s, "sweep.yaml:9:11: matrix: \"lr\" and \"LR\" both become "
                 "TASK_SUITE_ARG_LR", "axis env collision");
    suite_free(s);

    s = suite_new("c", "true");
    ts_task_entry *e = add_task(s, "t", 0, 10);
    task_arg(e, "Seed", "1");
    task_arg(e, "seed", "2");
    expect_error(s, "sweep.yaml:10:20: tasks[0].args: \"Seed\" and \"seed\" "
                 "both become TASK_SUITE_ARG_SEED", "task arg env collision");
    suite_free(s);

    s = suite_new("c", "true");
    task_arg(add_task(s, "t", 0, 10), "my-arg", "1");
    expect_error(s, "sweep.yaml:10:20: tasks[0].args: \"my-arg\" is not an "
                 "argument name (a letter or '_', then letters, digits or "
                 "'_', at most 64)", "task arg not a name");
    suite_free(s);

    s = suite_new("c", "true");
    add_axis(s, "2x", 8, one);
    expect_error(s, "sweep.yaml:8:11: matrix: \"2x\" is not an argument name "
                 "(a letter or '_', then letters, digits or '_', at most 64)",
                 "axis not a name");
    suite_free(s);

    s = suite_new("c", "true");
    add_axis(s, "lr", 8, one);
    add_axis(s, "depth", 9, NULL);
    expect_error(s, "sweep.yaml:9:11: matrix.depth: no values", "empty axis");
    suite_free(s);
}

static void test_limits(void)
{
    ts_suite *s = suite_new("big", "true");
    add_axis_n(s, "a", 1001);
    add_axis_n(s, "b", 1000);
    expect_error(s, "sweep.yaml:9:11: matrix: the product 1001 x 1000 exceeds "
                 "the limit of 1000000 tasks", "cap: 1001 x 1000");
    suite_free(s);

    /* 1000^7 overflows 64 bits: must still be caught, not wrap around. */
    s = suite_new("big", "true");
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
    for (size_t i = 0; i < 7; i++)
        add_axis_n(s, names[i], 1000);
    expect_error(s, "sweep.yaml:9:11: matrix: the product 1000 x 1000 x 1000 x "
                 "1000 x 1000 x 1000 x 1000 exceeds the limit of 1000000 tasks",
                 "cap: overflowing product");
    suite_free(s);

    s = suite_new("big", "true");
    add_axis_n(s, "a", 1000);
    add_axis_n(s, "b", 1000);
    add_task(s, "extra", 0, 10);
    expect_error(s, "sweep.yaml:10:5: tasks: 1 explicit plus 1000000 matrix "
                 "tasks exceed the limit of 1000000 tasks", "cap: explicit + matrix");
    suite_free(s);
}

static void test_env_name(void)
{
    char buf[64];
    is_int(ts_arg_env_name("lr", buf, sizeof buf), 0, "env name: lr");
    is_str(buf, "TASK_SUITE_ARG_LR", "env name: upper-cased with the prefix");
    is_int(ts_arg_env_name("a_1B", buf, sizeof buf), 0, "env name: a_1B");
    is_str(buf, "TASK_SUITE_ARG_A_1B", "env name: a_1B value");
    is_int(ts_arg_env_name("lr", buf, 18), 0, "env name: exact fit");
    is_int(ts_arg_env_name("lr", buf, 17), -1, "env name: one byte short");
    is_int(ts_arg_env_name("my-arg", buf, sizeof buf), -1, "env name: not a name");
    is_int(ts_arg_env_name("", buf, sizeof buf), -1, "env name: empty");
    ts_suite *s = suite_new("free", "true");
    ts_tasklist l = {0};
    ts_err err = {{0}, 0};
    ts_expand(s, &l, &err);
    ts_tasklist_free(&l);
    ok(l.v == NULL && l.n == 0, "tasklist_free: leaves an empty list (freeing it again is a no-op)");
    ts_tasklist_free(&l);
    ts_tasklist_free(NULL);
    suite_free(s);
}

/* ------------------------------------------------------------ lazy matrix */

static int same_kv(const ts_kvlist *a, const ts_kvlist *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, b->v[i].key) != 0 || strcmp(a->v[i].value, b->v[i].value) != 0)
            return 0;
    return 1;
}

static int same_opt(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Every task decoded from the lazy form equals the eager expansion's. */
static void compare_lazy(ts_suite *s, const char *what)
{
    ts_tasklist eager = { 0 }, lazy = { 0 };
    ts_err err = { { 0 }, 0 };
    if (expand_ok(s, &eager, what) < 0)
        return;
    is_int(ts_expand_lazy(s, &lazy, &err), 0, what);
    if (!ok(lazy.lazy && !lazy.v, "%s: lazy", what) || !is_int((long long)lazy.n, (long long)eager.n, what)) {
        ts_tasklist_free(&eager);
        ts_tasklist_free(&lazy);
        return;
    }
    size_t bad = 0, first_bad = 0;
    for (size_t k = 0; k < eager.n; k++) {
        ts_task t;
        char name[TS_TASK_NAME_MAX + 1];
        const ts_task *e = &eager.v[k];
        int good = ts_lazy_task(lazy.lazy, k, &t) == 0
            && ts_lazy_task_name(lazy.lazy, k, name, sizeof name) == 0
            && t.index == e->index && strcmp(t.name, e->name) == 0 && strcmp(name, e->name) == 0
            && same_kv(&t.args, &e->args) && same_kv(&t.env, &e->env)
            && same_opt(t.setup, e->setup) && same_opt(t.run, e->run) && t.priority == e->priority;
        ts_strbuf want = { 0 }, got = { 0 };
        ts_strbuf_puts(&want, e->name);
        ts_strbuf_putc(&want, '\0');
        ts_strbuf_json_kv(&want, &e->args);
        ts_strbuf_putc(&want, '\0');
        good = good && ts_lazy_task_pack(lazy.lazy, k, &got) == 0 && got.len == want.len
            && memcmp(got.p, want.p, got.len) == 0;
        free(want.p);
        free(got.p);
        if (!good && bad++ == 0)
            first_bad = k;
        ts_task_free(&t);
    }
    ts_strbuf all = { 0 }, one = { 0 };
    size_t *off = calloc(eager.n, sizeof *off);
    int pack_ok = ts_lazy_pack_all(lazy.lazy, &all, off) == 0;
    for (size_t k = 0; pack_ok && k < eager.n; k++) {
        ts_lazy_task_pack(lazy.lazy, k, &one);
        pack_ok = one.len == (k + 1 < eager.n ? off[k + 1] : all.len)
            && memcmp(one.p + off[k], all.p + off[k], one.len - off[k]) == 0;
    }
    ok(pack_ok, "%s: ts_lazy_pack_all gives what ts_lazy_task_pack gives, task by task", what);
    free(all.p);
    free(one.p);
    free(off);
    ok(bad == 0, "%s: all %zu lazy tasks (and their journal text) equal the eager ones (first differing: %zu)", what,
       eager.n, first_bad);
    ts_task t;
    char name[TS_TASK_NAME_MAX + 1];
    is_int(ts_lazy_task(lazy.lazy, eager.n, &t), -1, "lazy task past the end: -1");
    is_int(ts_lazy_task_name(lazy.lazy, eager.n, name, sizeof name), -1, "lazy name past the end: -1");
    ts_tasklist_free(&eager);
    ts_tasklist_free(&lazy);
    ok(lazy.lazy == NULL && lazy.n == 0, "tasklist_free frees the lazy form");
}

static void test_lazy_matrix(void)
{
    static const char *const lr[] = { "0.1", "a b", "x/y", "", NULL };
    static const char *const depth[] = { "18", "34", "very-long-value-that-makes-the-name-exceed-sixty-four-bytes-x", NULL };
    static const char *const seed[] = { "1", "2", NULL };
    ts_suite *s = suite_new("sweep", "train --lr %(lr) --depth %(depth) 100%");
    set_setup(s, "echo %(seed) %%");
    add_axis(s, "lr", 5, lr);
    add_axis(s, "depth", 6, depth);
    add_axis(s, "seed", 7, seed);
    compare_lazy(s, "3 axes, sanitised values, a name over 64 bytes");
    suite_free(s);

    s = suite_new("big", "run %(a) %(b)");
    add_axis_n(s, "a", 100);
    add_axis_n(s, "b", 37);
    compare_lazy(s, "100 x 37");
    suite_free(s);

    /* Not lazy, same result as ts_expand: two values of one axis give the
     * same name text; explicit tasks; a reference to no axis (the error). */
    static const char *const clash[] = { "a b", "a_b", NULL };
    ts_tasklist l = { 0 };
    ts_err err = { { 0 }, 0 };
    s = suite_new("clash", "run %(v)");
    add_axis(s, "v", 5, clash);
    is_int(ts_expand_lazy(s, &l, &err), 0, "sanitised clash: expands");
    ok(!l.lazy && l.n == 2 && strcmp(l.v[0].name, "v=a_b") == 0
       && strcmp(l.v[1].name, "matrix-1") == 0, "sanitised clash: eager, names as ts_expand's");
    ts_tasklist_free(&l);
    suite_free(s);

    s = suite_new("mixed", "run %(v)");
    add_axis(s, "v", 5, seed);
    task_arg(add_task(s, "t", 0, 8), "v", "9");
    is_int(ts_expand_lazy(s, &l, &err), 0, "matrix + tasks: expands");
    ok(!l.lazy && l.n == 3, "matrix + tasks: eager");
    ts_tasklist_free(&l);
    suite_free(s);

    s = suite_new("bad", "run %(nope)");
    add_axis(s, "v", 5, seed);
    ts_err e1 = { { 0 }, 0 }, e2 = { { 0 }, 0 };
    ts_tasklist l2 = { 0 };
    is_int(ts_expand_lazy(s, &l, &e1), -1, "unknown reference: an error");
    ts_expand(s, &l2, &e2);
    is_str(e1.msg, e2.msg, "unknown reference: the same message as ts_expand");
    ok(!l.lazy && !l.v && l.n == 0, "unknown reference: list left empty");
    suite_free(s);
}

int main(void)
{
    test_matrix_3x4();
    test_priority_and_order();
    test_generated_names();
    test_single_task();
    test_rewrite();
    test_rewrite_errors();
    test_shell_metacharacters();
    test_task_name_errors();
    test_arg_errors();
    test_limits();
    test_env_name();
    test_lazy_matrix();
    return done_testing();
}
