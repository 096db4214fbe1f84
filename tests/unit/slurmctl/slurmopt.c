/* Unit tests for slurmopt.c. Suites are built by hand (not parsed). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurmopt.h"
#include "tap.h"

/* ------------------------------------------------------------ builders */

/* A suite as the loader leaves it with defaults; heap-owned throughout. */
static ts_suite *suite_new(const char *name)
{
    ts_suite *s = calloc(1, sizeof *s);
    s->path = strdup("sweep.yaml");
    s->name = name ? strdup(name) : NULL;
    s->run = strdup("true");
    s->num_nodes = 1;
    s->resume.max_retries = 3;
    s->resume.retry_on = TS_RETRY_TIMEOUT;
    s->resume.signal = SIGUSR2;
    s->resume.signal_lead_s = 300;
    return s;
}

static void slurm_set(ts_suite *s, const char *k, const char *v, int line)
{
    s->slurm.v = realloc(s->slurm.v, (s->slurm.n + 1) * sizeof *s->slurm.v);
    s->slurm.v[s->slurm.n++] = (ts_kv){ .key = strdup(k), .value = strdup(v), .pos = {line, 10} };
}

static void tag_add(ts_suite *s, const char *tag)
{
    s->tags.v = realloc(s->tags.v, (s->tags.n + 1) * sizeof(char *));
    s->tags.v[s->tags.n++] = strdup(tag);
}

static void suite_free(ts_suite *s)
{
    for (size_t i = 0; i < s->tags.n; i++)
        free(s->tags.v[i]);
    free(s->tags.v);
    ts_kvlist_free(&s->slurm);
    free(s->resources.gpu_type);
    free(s->path);
    free(s->name);
    free(s->group);
    free(s->run);
    free(s);
}

/* "k=v k=v ..." of the whole list, to compare in one line. */
static void joined(const ts_kvlist *l, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s=%s", i ? " " : "",
                              l->v[i].key, l->v[i].value);
}

static void expect_options(const ts_suite *s, const char *want, const char *what)
{
    ts_kvlist l = {0};
    ts_err err = {{0}, 0};
    char buf[1024];
    if (!ok(ts_slurm_options(s, &l, &err) == 0, "%s: accepted", what)) {
        diag("error: %s", err.msg);
        return;
    }
    joined(&l, buf, sizeof buf);
    is_str(buf, want, what);
    ts_kvlist_free(&l);
}

static void expect_error(const ts_suite *s, const char *want, const char *what)
{
    ts_kvlist l = {(ts_kv *)&l, 42};    /* must be reset on failure */
    ts_err err = {{0}, 0};
    is_int(ts_slurm_options(s, &l, &err), -1, what);
    is_str(err.msg, want, what);
    ok(l.v == NULL && l.n == 0, "%s: list left empty", what);
    if (l.v != (ts_kv *)&l)
        ts_kvlist_free(&l);
}

/* ------------------------------------------------------------ tests */

static void test_full_suite(void)
{
    ts_suite *s = suite_new("resnet-sweep");
    s->num_nodes = 2;
    s->resources.cpus = 4;
    s->resources.memory_mb = 16384;
    s->resources.gpu_type = strdup("v100");
    s->resources.gpu_count = 2;
    tag_add(s, "gpu");
    tag_add(s, "ib");
    s->group = strdup("ml-team");
    slurm_set(s, "partition", "gpu", 5);
    slurm_set(s, "time", "04:00:00", 6);
    slurm_set(s, "qos", "normal", 7);
    slurm_set(s, "exclusive", "", 8);
    slurm_set(s, "array-throttle", "8", 9);

    ts_kvlist l = {0};
    ts_err err = {{0}, 0};
    if (ok(ts_slurm_options(s, &l, &err) == 0, "full suite: accepted")) {
        static const char *const want[][2] = {
            {"job-name", "resnet-sweep"}, {"nodes", "2"},
            {"cpus-per-task", "4"}, {"mem", "16384M"},
            {"gres", "gpu:v100:2"}, {"constraint", "gpu&ib"},
            {"account", "ml-team"}, {"signal", "B:USR2@300"},
            {"partition", "gpu"}, {"time", "04:00:00"}, {"qos", "normal"},
            {"exclusive", ""}, {"array-throttle", "8"},
        };
        size_t n = sizeof want / sizeof want[0];
        is_int((long long)l.n, (long long)n, "full suite: option count");
        for (size_t i = 0; i < n && i < l.n; i++) {
            char what[64];
            snprintf(what, sizeof what, "full suite: option %zu is %s", i,
                     want[i][0]);
            ok(strcmp(l.v[i].key, want[i][0]) == 0
               && strcmp(l.v[i].value, want[i][1]) == 0, "%s", what);
        }
        ok(l.v[0].pos.line == 0 && l.v[9].pos.line == 6
           && l.v[9].pos.col == 10, "full suite: positions (derived 0, slurm: kept)");
        ts_kvlist_free(&l);
        ok(l.v == NULL && l.n == 0, "kvlist_free empties the list");
    } else {
        diag("error: %s", err.msg);
    }
    suite_free(s);
}

static void test_minimal_and_variants(void)
{
    ts_suite *s = suite_new("tiny");
    s->num_nodes = 0;
    s->resume.signal = 0;
    expect_options(s, "job-name=tiny nodes=1", "minimal: name and nodes only");
    suite_free(s);

    s = suite_new("bare");
    s->resources.gpu_count = 1;
    s->resume.signal = SIGTERM;
    s->resume.signal_lead_s = 0;
    expect_options(s, "job-name=bare nodes=1 gres=gpu:1 signal=B:TERM",
                   "gpu count without type; signal without lead time");
    suite_free(s);

    s = suite_new("flags");
    s->resume.signal = 0;
    slurm_set(s, "requeue", "", 3);
    slurm_set(s, "mem-per-cpu", "2G", 4);
    slurm_set(s, "time", "UNLIMITED", 5);
    slurm_set(s, "time-min", "2h", 6);
    expect_options(s, "job-name=flags nodes=1 requeue= mem-per-cpu=2G "
                   "time=UNLIMITED time-min=2h",
                   "pass-through in file order, flags empty");
    suite_free(s);

    ts_kvlist one = { calloc(1, sizeof(ts_kv)), 1 };
    one.v[0].key = strdup("k");
    one.v[0].value = strdup("v");
    ts_kvlist_free(&one);
    ok(one.v == NULL && one.n == 0, "kvlist_free: leaves an empty list (freeing it again is a no-op)");
    ts_kvlist_free(&one);
    ts_kvlist_free(NULL);
}

static void test_time(void)
{
    static const struct { const char *v; int good; } t[] = {
        {"04:00:00", 1}, {"2h", 1}, {"90s", 1}, {"1-12:00:00", 1},
        {"30", 1}, {"unlimited", 1}, {"INFINITE", 1},
        {"4 hours", 0}, {"", 0}, {"soon", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ts_suite *s = suite_new("t");
        s->resume.signal = 0;
        slurm_set(s, "time", t[i].v, 7);
        char what[64], want[256];
        snprintf(what, sizeof what, "time \"%s\"", t[i].v);
        if (t[i].good) {
            snprintf(want, sizeof want, "job-name=t nodes=1 time=%s", t[i].v);
            expect_options(s, want, what);
        } else if (!t[i].v[0]) {
            expect_error(s, "sweep.yaml:7:10: slurm.time: needs a value", what);
        } else {
            snprintf(want, sizeof want, "sweep.yaml:7:10: slurm.time: \"%s\" is "
                     "not a duration (e.g. 90s, 5m, 2h, 1-12:00:00, HH:MM:SS, "
                     "UNLIMITED)", t[i].v);
            expect_error(s, want, what);
        }
        suite_free(s);
    }
}

/* Each row: one `slurm:` entry (+ a second one, + a suite field) -> error. */
static void test_errors(void)
{
    static const struct {
        const char *k1, *v1, *k2, *v2, *field, *err;
    } t[] = {
        {"account", "a", NULL, NULL, "group",
         "sweep.yaml:3:10: slurm.account: conflicts with group (set one of them)"},
        {"constraint", "x", NULL, NULL, "tags",
         "sweep.yaml:3:10: slurm.constraint: conflicts with tags (set one of them)"},
        {"cpus-per-task", "2", NULL, NULL, "cpus",
         "sweep.yaml:3:10: slurm.cpus-per-task: conflicts with resources.cpus "
         "(set one of them)"},
        {"mem", "1G", NULL, NULL, "memory",
         "sweep.yaml:3:10: slurm.mem: conflicts with resources.memory (set one "
         "of them)"},
        {"mem-per-gpu", "1G", NULL, NULL, "memory",
         "sweep.yaml:3:10: slurm.mem-per-gpu: conflicts with resources.memory "
         "(set one of them)"},
        {"gpus-per-node", "2", NULL, NULL, "gpus",
         "sweep.yaml:3:10: slurm.gpus-per-node: conflicts with "
         "resources.accelerators (set one of them)"},
        {"gres", "gpu:1", NULL, NULL, "gpus",
         "sweep.yaml:3:10: slurm.gres: conflicts with resources.accelerators "
         "(set one of them)"},
        {"mem", "1G", "mem-per-cpu", "1G", NULL,
         "sweep.yaml:4:10: slurm.mem-per-cpu: conflicts with slurm.mem (Slurm "
         "takes only one of them)"},
        {"requeue", "", "no-requeue", "", NULL,
         "sweep.yaml:4:10: slurm.no-requeue: conflicts with slurm.requeue "
         "(Slurm takes only one of them)"},
        {"partition", "a", "partition", "b", NULL,
         "sweep.yaml:4:10: slurm.partition: given twice"},
        {"output", "x.log", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.output: not allowed: tasksuite owns the task "
         "output files (use output_dir)"},
        {"job-name", "x", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.job-name: not allowed: tasksuite sets the job "
         "name (use name)"},
        {"partitoin", "gpu", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.partitoin: not an sbatch option a suite may "
         "set (e.g. partition, time, qos, account)"},
        {"--partition", "gpu", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.--partition: not an sbatch option a suite may "
         "set (e.g. partition, time, qos, account)"},
        {"comment", "a\nb", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.comment: the value holds a control character "
         "(newline, tab, ...)"},
        {"partition", "", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.partition: needs a value"},
        {"array-throttle", "0", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.array-throttle: \"0\" is not a positive count "
         "(e.g. 8: at most 8 tasks at once)"},
        {"array-throttle", "%4", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.array-throttle: \"%4\" is not a positive count "
         "(e.g. 8: at most 8 tasks at once)"},
        {"time-min", "later", NULL, NULL, NULL,
         "sweep.yaml:3:10: slurm.time-min: \"later\" is not a duration (e.g. "
         "90s, 5m, 2h, 1-12:00:00, HH:MM:SS, UNLIMITED)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ts_suite *s = suite_new("e");
        slurm_set(s, t[i].k1, t[i].v1, 3);
        if (t[i].k2)
            slurm_set(s, t[i].k2, t[i].v2, 4);
        const char *f = t[i].field ? t[i].field : "";
        if (strcmp(f, "group") == 0)
            s->group = strdup("ml");
        else if (strcmp(f, "tags") == 0)
            tag_add(s, "gpu");
        else if (strcmp(f, "cpus") == 0)
            s->resources.cpus = 2;
        else if (strcmp(f, "memory") == 0)
            s->resources.memory_mb = 1024;
        else if (strcmp(f, "gpus") == 0)
            s->resources.gpu_count = 1;
        char what[64];
        snprintf(what, sizeof what, "error %zu (slurm.%s)", i,
                 t[i].k2 ? t[i].k2 : t[i].k1);
        expect_error(s, t[i].err, what);
        suite_free(s);
    }

    /* Without the suite field, the same key passes through. */
    ts_suite *s = suite_new("e");
    s->resume.signal = 0;
    slurm_set(s, "account", "other", 3);
    expect_options(s, "job-name=e nodes=1 account=other",
                   "slurm.account alone passes through");
    suite_free(s);

    s = suite_new("e");
    tag_add(s, "gpu");
    tag_add(s, "a|b");
    expect_error(s, "sweep.yaml: tags[1]: \"a|b\" is not a node feature name "
                 "(no spaces or any of &|[]*(),!)", "tag with an operator");
    suite_free(s);
}

static void test_known_and_reserved(void)
{
    static const char *const yes[] = {
        "partition", "time", "time-min", "qos", "account", "reservation",
        "constraint", "exclusive", "mem", "mem-per-cpu", "mem-per-gpu",
        "ntasks", "ntasks-per-node", "cpus-per-task", "gres", "gpus",
        "gpus-per-node", "gpus-per-task", "nodelist", "exclude", "begin",
        "deadline", "mail-type", "mail-user", "licenses", "comment", "wckey",
        "nice", "priority", "requeue", "no-requeue", "switches", "hint",
        "threads-per-core", "cores-per-socket", "sockets-per-node", "tmp",
        "array-throttle",
    };
    static const char *const no[] = {
        "clusters", "output", "error", "array", "job-name", "dependency",
        "wrap", "nodes", "signal", "p", "--partition", "Partition", "",
        "export", "chdir",
    };
    int all = 1;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!ts_slurm_option_known(yes[i])) {
            diag("not known: %s", yes[i]);
            all = 0;
        }
    ok(all, "known: all %zu whitelisted options", sizeof yes / sizeof yes[0]);
    all = 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (ts_slurm_option_known(no[i])) {
            diag("known but should not be: %s", no[i]);
            all = 0;
        }
    ok(all, "known: owned, multi-cluster and misspelt options are not");
    is_int(ts_slurm_option_known(NULL), 0, "known: NULL");

    static const struct { const char *name, *reason; } r[] = {
        {"job-name", "tasksuite sets the job name (use name)"},
        {"array", "tasksuite builds the job array (use array-throttle to limit it)"},
        {"output", "tasksuite owns the task output files (use output_dir)"},
        {"error", "tasksuite owns the task output files (use output_dir)"},
        {"dependency", "tasksuite sets job dependencies (use depends_on)"},
        {"wrap", "tasksuite writes the batch script (use run)"},
        {"nodes", "tasksuite sets the node count (use num_nodes)"},
        {"signal", "tasksuite sets the warning signal (use resume.signal)"},
        {"clusters", "multi-cluster submission is not supported"},
        {"partition", NULL},
        {"no-such-option", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "reserved reason: %s",
                 r[i].name ? r[i].name : "(null)");
        is_str(ts_slurm_option_reserved_reason(r[i].name), r[i].reason, what);
    }
}

/* What validate and --dry-run print must survive a shell unchanged. */
static void test_printing(void)
{
    static const struct {
        const char *key, *value, *word;
    } w[] = {
        { "partition", "debug", "--partition=debug" },
        { "constraint", "gpu&ib", "--constraint='gpu&ib'" },
        { "comment", "it's mine", "--comment='it'\\''s mine'" },
        { "time", "1-00:00:00", "--time=1-00:00:00" },
        { "exclusive", "", "--exclusive" },
        { "mail-user", "a@b.c", "--mail-user=a@b.c" },
        { "comment", "$(rm -rf ~)", "--comment='$(rm -rf ~)'" },
        { "comment", "a|b;c*", "--comment='a|b;c*'" },
    };
    char buf[128];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        ok(ts_sbatch_option_word(buf, sizeof buf, w[i].key, w[i].value) == 0,
           "option word %zu fits", i);
        is_str(buf, w[i].word, "the option as one shell word");
    }
    ok(ts_sbatch_option_word(buf, 8, "constraint", "gpu&ib") == -1,
       "a buffer too small: -1, not a cut word");
    ok(ts_shell_quote(buf, sizeof buf, "") == 0 && strcmp(buf, "''") == 0,
       "an empty text is ''");
}

int main(void)
{
    test_printing();
    test_full_suite();
    test_minimal_and_variants();
    test_time();
    test_errors();
    test_known_and_reserved();
    return done_testing();
}
