/* prepstate + nodehooks: the per-node record of one allocation's preparation,
 * and the flows over it (the first task of the job on a node prepares, the
 * others wait and read the outcome, the end of the allocation cleans up from
 * the record), as the current user with a private state dir (the plugin does
 * the same as root). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nodehooks.h"
#include "prepstate.h"
#include "spec_json.h"
#include "tap.h"

#define SLURM_CONF_PATH "/etc/slurm/unit-test.conf"

static char dir[256], state[300], work[300];

/* ------------------------------------------------------------ helpers */

static char *slurp(const char *path)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int count(const char *path, const char *word)
{
    int n = 0;
    for (const char *p = slurp(path); (p = strstr(p, word)); p += strlen(word))
        n++;
    return n;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int record_exists(uint32_t job, const char *node)
{
    char p[PATH_MAX];
    ts_err err = { 0 };
    return ts_prepstate_path(state, job, node, p, sizeof p, &err) == 0 && exists(p);
}

/* Put TEXT in job's record on n1, as a preparer would (under the lock). */
static void write_raw(uint32_t job, const char *text, size_t len)
{
    ts_err err = { 0 };
    int fd = ts_prepstate_open_locked(state, job, "n1", true, true, 0, &err);
    if (fd < 0) {
        diag("write_raw: %s", err.msg);
        return;
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len)
        diag("write_raw: %s", strerror(errno));
    ts_prepstate_close(fd);
}

/* Read job's record on n1 under the shared lock: 0 or -1 with err. */
static int read_record(uint32_t job, ts_prepstamp *st, ts_err *err)
{
    int fd = ts_prepstate_open_locked(state, job, "n1", false, false, 0, err);
    if (fd < 0) {
        memset(st, 0, sizeof *st);
        return -1;
    }
    int rc = ts_prepstate_read(fd, st, err);
    ts_prepstate_close(fd);
    return rc;
}

/* The job's limits, as the step hands them over (SLURM_RLIMIT_*): ones any
 * user may set (a lower soft limit, the hard limit unchanged) and valgrind
 * lets through (it refuses changes to RLIMIT_NOFILE's hard limit). */
static ts_prep_limit job_limits[2];

static void init_limits(void)
{
    struct rlimit core = { 0, 0 }, fsize = { 0, 0 };
    if (getrlimit(RLIMIT_CORE, &core) < 0 || getrlimit(RLIMIT_FSIZE, &fsize) < 0)
        diag("getrlimit: %s", strerror(errno));
    job_limits[0] = (ts_prep_limit){ RLIMIT_CORE, 0, core.rlim_max };
    job_limits[1] = (ts_prep_limit){ RLIMIT_FSIZE, fsize.rlim_max, fsize.rlim_max };
}

/* ts_node_prepare_step's waiting callback: counted. */
static int waits_begun, waits_ended;
static void on_waiting(bool start)
{
    if (start)
        waits_begun++;
    else
        waits_ended++;
}

static ts_node_ctx ctx(uint32_t job)
{
    return (ts_node_ctx){ .job_id = job, .uid = getuid(), .gid = getgid(), .node = "n1",
                          .nodelist = "n[1-2]", .num_nodes = "2", .work_dir = work,
                          .slurm_conf = SLURM_CONF_PATH, .state_dir = state,
                          .user_hooks = true, .max_timeout_s = 60, .grace_ms = 300,
                          .limits = job_limits,
                          .n_limits = (int)(sizeof job_limits / sizeof job_limits[0]),
                          .waiting = on_waiting,
                          /* no cgroups here: as if a job epilog ends the allocation */
                          .cleanup_by_epilog = true };
}

/* A hook spec as the step receives it: the text and what it parses to. */
typedef struct job_spec {
    char text[4096];
    ts_hookspec h;
} job_spec;

static void spec_from(job_spec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void spec_from(job_spec *s, const char *fmt, ...)
{
    ts_err err = { 0 };
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->text, sizeof s->text, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof s->text)
        diag("spec: too long");
    if (ts_hooks_deserialize(s->text, &s->h, &err) < 0)
        diag("spec: %s", err.msg);
}

/* One task's ts_node_prepare_step and all it tells. */
typedef struct step {
    int rc;
    ts_node_report rep;
    ts_prepstamp out;
    char msg[1536];
    ts_err err;
} step;

static int prepare(const ts_node_ctx *c, const job_spec *s, step *t)
{
    memset(&t->err, 0, sizeof t->err);
    t->rc = ts_node_prepare_step(c, &s->h, s->text, &t->rep, &t->out, t->msg, sizeof t->msg,
                                 &t->err);
    return t->rc;
}

static int finish(const ts_node_ctx *c, ts_node_report *rep)
{
    ts_err err = { 0 };
    int rc = ts_node_finish(c, rep, &err);
    if (rc < 0)
        diag("finish: %s", err.msg);
    return rc;
}

/* ------------------------------------------------------------ the record */

static void test_dir(void)
{
    ts_err err = { 0 };
    char p[PATH_MAX + 16];
    ok(ts_prepstate_dir(state, &err) == 0, "state dir is created");
    struct stat st;
    ok(stat(state, &st) == 0 && (st.st_mode & 0777) == 0700, "with mode 0700");
    ok(ts_prepstate_dir(state, &err) == 0, "an existing good dir is accepted");

    snprintf(p, sizeof p, "%s/loose", dir);
    mkdir(p, 0777);
    chmod(p, 0777);
    ok(ts_prepstate_dir(p, &err) < 0 && strstr(err.msg, "writable by others"),
       "a world-writable dir is refused: %s", err.msg);
    snprintf(p, sizeof p, "%s/link", dir);
    if (symlink(state, p) < 0)
        diag("symlink: %s", strerror(errno));
    ok(ts_prepstate_dir(p, &err) < 0 && strstr(err.msg, "not a directory"),
       "a symlink is refused: %s", err.msg);
    ok(ts_prepstate_dir("relative", &err) < 0, "a relative path is refused");
    snprintf(p, sizeof p, "%s/no-parent/state", dir);
    ok(ts_prepstate_dir(p, &err) < 0 && strstr(err.msg, "cannot create it"),
       "a dir whose parent is missing is not created: %s", err.msg);
    errno = 0;
    ok(ts_prepstate_dir_check(p, &err) < 0 && errno == ENOENT, "dir_check: missing is ENOENT");
    snprintf(p, sizeof p, "%s/loose", dir);
    errno = 0;
    ok(ts_prepstate_dir_check(p, &err) < 0 && errno == EPERM, "dir_check: refused is EPERM");
    if (geteuid() == 0) {
        snprintf(p, sizeof p, "%s/foreign", dir);
        mkdir(p, 0700);
        if (chown(p, 65534, 65534) < 0)
            diag("chown: %s", strerror(errno));
        ok(ts_prepstate_dir(p, &err) < 0 && strstr(err.msg, "owned by uid"),
           "a dir owned by someone else is refused: %s", err.msg);
    } else {
        ok(1, "# SKIP ownership check needs root");
    }
}

static int same_limits(const ts_prep_limit *a, int na, const ts_prep_limit *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i].resource != b[i].resource || a[i].cur != b[i].cur || a[i].max != b[i].max)
            return 0;
    return 1;
}

static void test_record(void)
{
    ts_err err = { 0 };
    char spec[] = "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"printf '%s\\\\n' \\\"a b\\\"\\n"
                  "\\tdone \xc3\xa9" "\"}}";
    char nodelist[] = "n[1-4,7],gpu[01-02]";
    ts_prepstamp in = { .state = TS_PREP_FAILED, .uid = 1001, .restart = 2, .started = 10,
                        .finished = 12, .spec = spec, .nodelist = nodelist, .n_limits = 4,
                        .limits = { { RLIMIT_NOFILE, 1024, 4096 },
                                    { RLIMIT_CORE, 0, RLIM_INFINITY },
                                    { RLIMIT_STACK, RLIM_INFINITY, RLIM_INFINITY },
                                    { RLIMIT_AS, 8ULL << 30, RLIM_INFINITY } } },
                 out;
    snprintf(in.log, sizeof in.log, "/home/u/with \"quotes\"\nand newline.log");
    snprintf(in.message, sizeof in.message, "tasksuite: env_preparation failed: exit status 3");
    snprintf(in.num_nodes, sizeof in.num_nodes, "5");
    snprintf(in.work_dir, sizeof in.work_dir, "/home/u/a dir");
    snprintf(in.slurm_conf, sizeof in.slurm_conf, "/etc/slurm/slurm.conf");

    errno = 0;
    ok(ts_prepstate_open_locked(state, 7, "n1", false, false, 0, &err) < 0 && errno == ENOENT,
       "no record: open without create says ENOENT");
    int fd = ts_prepstate_open_locked(state, 7, "n1", true, true, 0, &err);
    ok(fd >= 0, "create + exclusive lock");
    ok(ts_prepstate_read(fd, &out, &err) == 0 && out.state == TS_PREP_RUNNING && out.started == 0
           && !out.spec && !out.nodelist && out.n_limits == 0,
       "an empty record reads as running, never started, with nothing kept");
    ok(ts_prepstate_write(fd, &in, &err) == 0, "write");
    ok(ts_prepstate_read(fd, &out, &err) == 0, "read back");
    ok(out.state == TS_PREP_FAILED && out.uid == 1001 && out.restart == 2 && out.started == 10
           && out.finished == 12 && out.pid == 0, "state and numbers survive");
    is_str(out.log, in.log, "a log path with quotes and a newline survives");
    is_str(out.message, in.message, "the message survives");
    is_str(out.spec, spec, "the spec text survives (quotes, backslashes, newline, tab, UTF-8)");
    is_str(out.nodelist, nodelist, "the node list survives");
    ok(!strcmp(out.num_nodes, "5") && !strcmp(out.work_dir, in.work_dir)
           && !strcmp(out.slurm_conf, in.slurm_conf),
       "num_nodes, work_dir and slurm_conf survive");
    ok(same_limits(in.limits, in.n_limits, out.limits, out.n_limits), "the limits survive");
    ok(out.limits[1].max == RLIM_INFINITY && out.limits[2].cur == RLIM_INFINITY
           && out.limits[2].max == RLIM_INFINITY && out.limits[3].cur == 8ULL << 30,
       "RLIM_INFINITY stays unlimited, a finite limit stays exact");
    ts_prepstamp_free(&out);
    ok(!out.spec && !out.nodelist, "free clears what it freed");
    ts_prepstamp_free(&out);   /* twice is harmless (valgrind) */

    /* Nothing kept: the pointers stay NULL, not "". */
    ts_prepstamp bare = { .state = TS_PREP_NOHOOK, .uid = 1001 };
    ok(ts_prepstate_write(fd, &bare, &err) == 0 && ts_prepstate_read(fd, &out, &err) == 0
           && out.state == TS_PREP_NOHOOK && !out.spec && !out.nodelist && out.n_limits == 0
           && !out.num_nodes[0] && !out.work_dir[0],
       "a record without spec, node list or limits reads back without them");
    ts_prepstamp_free(&out);

    /* As many limits as there are resources. */
    ts_prepstamp all = { .state = TS_PREP_OK, .n_limits = TS_PREP_MAX_LIMITS };
    for (int i = 0; i < TS_PREP_MAX_LIMITS; i++)
        all.limits[i] = (ts_prep_limit){ i % RLIM_NLIMITS, (unsigned long long)i * 1000,
                                         i % 2 ? RLIM_INFINITY : (unsigned long long)i * 2000 };
    ok(ts_prepstate_write(fd, &all, &err) == 0 && ts_prepstate_read(fd, &out, &err) == 0
           && same_limits(all.limits, all.n_limits, out.limits, out.n_limits),
       "TS_PREP_MAX_LIMITS limits survive");
    ts_prepstamp_free(&out);
    ts_prepstate_write(fd, &in, &err);

    /* Another opener must wait for the exclusive lock. */
    long t0 = now_ms();
    errno = 0;
    ok(ts_prepstate_open_locked(state, 7, "n1", false, false, 200, &err) < 0 && errno == ETIMEDOUT,
       "a shared lock waits for the exclusive one (gives up after its wait)");
    ok(now_ms() - t0 >= 190, "it did wait");
    ts_prepstate_close(fd);
    fd = ts_prepstate_open_locked(state, 7, "n1", false, false, 0, &err);
    ok(fd >= 0, "after the close, the shared lock is free");
    ts_prepstate_close(fd);
    ok(ts_prepstate_peek(state, 7, "n1", &out, &err) == 0 && out.state == TS_PREP_FAILED
           && out.spec && !strcmp(out.spec, spec),
       "peek reads the record without the lock");
    ts_prepstamp_free(&out);

    char p[PATH_MAX];
    ts_prepstate_path(state, 7, "n1", p, sizeof p, &err);
    struct stat st;
    ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "the record is mode 0600");
    ok(ts_prepstate_remove(state, 7, "n1", &err) == 0 && !exists(p), "remove");
    ok(ts_prepstate_remove(state, 7, "n1", &err) == 0, "removing a missing record is fine");
    ok(ts_prepstate_peek(state, 7, "n1", &out, &err) < 0, "peek: a missing record is an error");

    ts_prepstate_path(state, 7, ".hidden/n", p, sizeof p, &err);
    snprintf(in.log, sizeof in.log, "%s/7._hidden_n.prep", state);
    is_str(p, in.log, "the node name is one path component (no '/', no leading '.')");
}

/* Records the parser must refuse (the text embeds the user's spec): every
 * refusal leaves nothing allocated (valgrind). */
static void test_record_malformed(void)
{
    static const struct {
        const char *text, *want, *what;
    } bad[] = {
        { "{\"state\":\"bogus\",\"uid\":0}", "unknown state", "an unknown state" },
        { "{\"uid\":0,\"spec\":\"x\",\"nodelist\":\"n1\"}", "unknown state", "no state (after a spec)" },
        { "[1,2]", "not a JSON object", "an array" },
        { "{\"state\":\"ok\"", "not a JSON object", "cut-off JSON" },
        { "garbage\n", "not a JSON object", "not JSON" },
        { "{\"state\":\"ok\",\"spec\":42}", "malformed", "a spec that is a number" },
        { "{\"state\":\"ok\",\"spec\":null}", "malformed", "a null spec" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"nodelist\":[\"n1\"]}", "malformed",
          "a node list that is an array" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"nodelist\":\"n1\",\"limits\":{}}", "malformed",
          "limits that are an object" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":\"7,1,2\"}", "malformed",
          "limits that are a string" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[7]}", "malformed",
          "a limit that is not an array" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,1]]}", "malformed",
          "a limit of two numbers" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,1,2,3]]}", "malformed",
          "a limit of four numbers" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,\"1\",2]]}", "malformed",
          "a limit with a string" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[-1,1,2]]}", "malformed",
          "a negative resource" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[99,1,2]]}", "malformed",
          "a resource beyond RLIM_NLIMITS" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,-2,2]]}", "malformed",
          "a value below -1 (unlimited)" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,1,1e19]]}", "malformed",
          "a value beyond 9e18" },
        { "{\"state\":\"ok\",\"spec\":\"x\",\"limits\":[[7,1,2],[7,1,2],[7,1,2],[7,1,2],"
          "[7,1,2],[7,1,2],[7,1,2],[7,1,2],[7,1,2],[7,1,2],[7,1,2],[7,1,2],[7,1,2],"
          "[7,1,2],[7,1,2],[7,1,2],[7,1,2]]}",
          "malformed", "more than TS_PREP_MAX_LIMITS limits" },
    };
    ts_err err;
    ts_prepstamp st;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        write_raw(8, bad[i].text, strlen(bad[i].text));
        int rc = read_record(8, &st, &err);
        ok(rc < 0 && strstr(err.msg, bad[i].want) && !st.spec && !st.nodelist,
           "refused: %s (%s)", bad[i].what, err.msg);
        if (rc == 0)
            ts_prepstamp_free(&st);
    }

    /* The spec: at most TS_HOOKSPEC_MAX bytes, as ts_hooks_deserialize. */
    size_t cap = TS_HOOKSPEC_MAX + 64;
    char *big = malloc(cap);
    if (!big) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(big, cap, "{\"state\":\"ok\",\"nodelist\":\"n1\",\"spec\":\"");
        memset(big + n, 'a', TS_HOOKSPEC_MAX + extra);
        n += TS_HOOKSPEC_MAX + extra;
        n += snprintf(big + n, cap - (size_t)n, "\"}");
        memset(&err, 0, sizeof err);
        write_raw(8, big, (size_t)n);
        int rc = read_record(8, &st, &err);
        if (extra)
            ok(rc < 0 && strstr(err.msg, "malformed") && !st.spec && !st.nodelist,
               "a spec of TS_HOOKSPEC_MAX + 1 bytes is refused (%s)", err.msg);
        else
            ok(rc == 0 && st.spec && strlen(st.spec) == TS_HOOKSPEC_MAX,
               "a spec of TS_HOOKSPEC_MAX bytes is accepted");
        if (rc == 0)
            ts_prepstamp_free(&st);
    }
    free(big);

    /* The record as a whole is bounded. */
    size_t huge = 600 * 1024;
    char *text = malloc(huge);
    if (!text) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    memset(text, ' ', huge);
    memcpy(text, "{\"state\":\"ok\"}", 14);
    write_raw(8, text, huge);
    free(text);
    memset(&err, 0, sizeof err);
    ok(read_record(8, &st, &err) < 0 && strstr(err.msg, "larger than"),
       "an oversized record is refused: %s", err.msg);
    ts_prepstate_remove(state, 8, "n1", &err);
}

/* ------------------------------------------------------------ paths, timeouts */

static void test_paths(void)
{
    static const struct {
        const char *suite_dir, *output_dir, *workdir, *job_work_dir, *home, *node, *want;
    } logs[] = {
        { "/s", "/o", "/w", "/j", "/h", "n1", "/s/hooks/9/n1.env_cleanup.log" },
        { NULL, "/o", "/w", "/j", "/h", "n1", "/o/hooks/9/n1.env_cleanup.log" },
        { "rel", "/o", "/w", "/j", "/h", "n1", "/o/hooks/9/n1.env_cleanup.log" },
        { NULL, NULL, "/w", "/j", "/h", "n1", "/w/tasksuite-9/n1.env_cleanup.log" },
        { NULL, "rel", "rel", "/j", "/h", "n1", "/j/tasksuite-9/n1.env_cleanup.log" },
        { NULL, NULL, NULL, NULL, "/h", "n1", "/h/tasksuite-9/n1.env_cleanup.log" },
        { NULL, NULL, NULL, NULL, "/h", ".x/y", "/h/tasksuite-9/_x_y.env_cleanup.log" },
        { NULL, NULL, NULL, NULL, "/h", NULL, "/h/tasksuite-9/node.env_cleanup.log" },
        /* no absolute directory: no log (never /tmp) */
        { NULL, NULL, "rel", "rel", "rel", "n1", NULL },
        { NULL, "rel", NULL, NULL, NULL, "n1", NULL },
        { NULL, NULL, NULL, NULL, "", "n1", NULL },
    };
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        ts_node_ctx c = ctx(9);
        ts_hookspec spec = { .suite_dir = (char *)logs[i].suite_dir,
                             .output_dir = (char *)logs[i].output_dir,
                             .workdir = (char *)logs[i].workdir };
        ts_err err = { 0 };
        char buf[PATH_MAX];
        c.work_dir = logs[i].job_work_dir;
        c.node = logs[i].node;
        int rc = ts_node_log_path(&c, &spec, TS_HOOK_CLEANUP, logs[i].home, buf, sizeof buf,
                                  &err);
        if (logs[i].want)
            ok(rc == 0 && !strcmp(buf, logs[i].want), "log path %zu: %s", i,
               rc == 0 ? buf : err.msg);
        else
            ok(rc < 0 && strstr(err.msg, "no directory") && strstr(err.msg, TS_HOOK_CLEANUP),
               "log path %zu: no absolute directory is an error: %s", i, err.msg);
    }
    ts_node_ctx c = ctx(9);
    ts_hookspec spec = { .workdir = (char *)"/a/rather/long/directory" };
    ts_err err = { 0 };
    char small[24];
    ok(ts_node_log_path(&c, &spec, TS_HOOK_PREP, "/h", small, sizeof small, &err) < 0
           && strstr(err.msg, "too long"),
       "a log path that does not fit is an error: %s", err.msg);

    static const struct {
        const char *workdir, *job_work_dir, *home, *want;
    } cwds[] = {
        { "/w", "/j", "/h", "/w" },
        { "sub", "/j", "/h", "/j/sub" },
        { NULL, "/j", "/h", "/j" },
        { NULL, NULL, "/h", "/h" },
        { "sub", NULL, NULL, "/" },
    };
    for (size_t i = 0; i < sizeof cwds / sizeof cwds[0]; i++) {
        ts_hookspec s = { .workdir = (char *)cwds[i].workdir };
        char buf[PATH_MAX];
        c.work_dir = cwds[i].job_work_dir;
        int rc = ts_node_hook_cwd(&c, &s, cwds[i].home, buf, sizeof buf, &err);
        ok(rc == 0 && !strcmp(buf, cwds[i].want), "hook directory %zu: %s", i,
           rc == 0 ? buf : err.msg);
    }

    static const struct {
        long hook, max, want;
    } timeouts[] = {
        { 0, 0, TS_HOOK_DEFAULT_TIMEOUT_S },
        { 0, 60, 60 },
        { 30, 60, 30 },
        { 600, 1, 1 },
        { 600, 0, 600 },
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        ts_hook h = { .present = true, .timeout_s = timeouts[i].hook };
        c.max_timeout_s = timeouts[i].max;
        is_int(ts_node_timeout(&c, &h), timeouts[i].want, "timeout: the hook's, capped by the admin's");
    }
}

/* ------------------------------------------------------------ flows */

/* A good preparation, a second task, and the end of the allocation. */
static void test_prepare_and_finish(void)
{
    ts_node_report rep;
    ts_prepstamp st;
    ts_err err = { 0 };
    job_spec s;
    step t;
    char marker[300], want[PATH_MAX * 2], p[PATH_MAX * 3];
    snprintf(marker, sizeof marker, "%s/markers", dir);
    ts_node_ctx c = ctx(41);

    spec_from(&s,
              "{\"v\":1,\"name\":\"demo\",\"id\":\"ab12cd34\",\"workers\":3,"
              "\"prep\":{\"run\":\"echo prep $SLURMD_NODENAME $SLURM_JOB_ID >> %s; "
              "env | sort\",\"envs\":{\"DATA\":\"$HOME/data\"},\"timeout_s\":30},"
              "\"cleanup\":{\"args\":[\"sh\",\"-c\",\"echo cleanup $SLURM_JOB_ID "
              "$SLURM_JOB_NODELIST $SLURM_JOB_NUM_NODES $SLURM_JOB_WORK_DIR $SLURM_CONF "
              "$PWD >> %s\"],\"timeout_s\":30}}",
              marker, marker);

    setenv("TS_UNIT_CALLERS_OWN", "leaked", 1);
    waits_begun = waits_ended = 0;
    ok(prepare(&c, &s, &t) == 0, "the first task prepares and may start: %s", t.rep.text);
    unsetenv("TS_UNIT_CALLERS_OWN");
    ok(t.rep.ran && !t.rep.failed && strstr(t.rep.text, "env_preparation on n1"),
       "it ran the hook, which succeeded");
    ok(waits_begun == 1 && waits_ended == 1, "the task was made killable while the hook ran");
    is_int(count(marker, "prep n1 41"), 1, "the preparation ran once");
    snprintf(want, sizeof want, "%s/tasksuite-41/n1.env_preparation.log", work);
    is_str(t.rep.log, want, "its log: WORK_DIR/tasksuite-<jobid>/<node>.env_preparation.log");
    is_str(t.out.log, want, "the task learns where the log is");
    const char *log = slurp(want);
    ok(strstr(log, "tasksuite: env_preparation of job 41 on n1") != NULL,
       "the log starts with a header");
    ok(strstr(log, "\nTASK_SUITE_NAME=demo\n") && strstr(log, "\nTASK_SUITE_ID=ab12cd34\n")
           && strstr(log, "\nTASK_SUITE_WORKER_COUNT=3\n") && strstr(log, "\nSLURM_JOB_ID=41\n")
           && strstr(log, "\nSLURMD_NODENAME=n1\n") && strstr(log, "\nSLURM_JOB_NODELIST=n[1-2]\n")
           && strstr(log, "\nSLURM_JOB_NUM_NODES=2\n")
           && strstr(log, "\nTASK_SUITE_HOOK=env_preparation\n")
           && strstr(log, "\nSLURM_CONF=" SLURM_CONF_PATH "\n"),
       "the hook sees the suite and job context");
    snprintf(p, sizeof p, "\nTASK_SUITE_HOOK_LOG=%s\n", want);
    ok(strstr(log, p) != NULL, "and its own log's path");
    ok(!strstr(log, "TS_UNIT_CALLERS_OWN"), "nothing of the caller's own environment");
    struct passwd *pw = getpwuid(getuid());
    snprintf(p, sizeof p, "\nDATA=%s/data\n", pw ? pw->pw_dir : "?");
    ok(strstr(log, p) != NULL, "its envs are expanded against the hook's environment ($HOME)");
    snprintf(p, sizeof p, "\nPWD=%s\n", work);
    ok(strstr(log, p) != NULL, "it runs in the job's work dir (no workdir in the suite)");

    ok(ts_prepstate_peek(state, 41, "n1", &st, &err) == 0 && st.state == TS_PREP_OK
           && st.uid == (long)getuid() && st.pid == 0 && st.started && st.finished >= st.started,
       "the record says ok, for this uid, no longer running");
    is_str(st.spec, s.text, "the record keeps the spec text the step received");
    ok(st.nodelist && !strcmp(st.nodelist, "n[1-2]") && !strcmp(st.num_nodes, "2")
           && !strcmp(st.work_dir, work) && !strcmp(st.slurm_conf, SLURM_CONF_PATH),
       "and the step's node list, node count, work dir and SLURM_CONF");
    ok(same_limits(st.limits, st.n_limits, job_limits, 2), "and the job's limits");
    ts_prepstamp_free(&st);

    waits_begun = waits_ended = 0;
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran && !t.rep.text[0], "a second task may start, quietly");
    is_str(t.out.log, want, "and learns where the preparation's log is");
    ok(waits_begun == 0 && waits_ended == 0, "it did not wait (the lock was free)");
    is_int(count(marker, "prep n1 41"), 1, "the preparation still ran only once");

    /* The end of the allocation knows neither the spec nor the step. */
    ts_node_ctx end = ctx(41);
    end.nodelist = "other[1-9]";
    end.num_nodes = "9";
    end.work_dir = NULL;
    end.slurm_conf = NULL;
    end.limits = NULL;
    end.n_limits = 0;
    ok(finish(&end, &rep) == 0 && rep.ran && !rep.failed, "finish: %s", rep.text);
    is_int(count(marker, "cleanup 41"), 1, "cleanup ran once");
    snprintf(p, sizeof p, "cleanup 41 n[1-2] 2 %s " SLURM_CONF_PATH " %s\n", work, work);
    ok(strstr(slurp(marker), p) != NULL,
       "with the record's node list, node count, work dir (its cwd too) and SLURM_CONF");
    ok(!record_exists(41, "n1"), "the record is removed");
    ok(finish(&end, &rep) == 0 && !rep.ran && !rep.text[0], "a second finish: nothing to do");
    is_int(count(marker, "cleanup 41"), 1, "cleanup still ran only once");
    ts_hookspec_free(&s.h);

    /* A node where nothing was prepared. */
    c = ctx(42);
    ok(finish(&c, &rep) == 0 && !rep.ran && !rep.failed && !rep.text[0],
       "finish without a record: 0, nothing runs, nothing to say");
    snprintf(p, sizeof p, "%s/never-created", dir);
    c.state_dir = p;
    ok(finish(&c, &rep) == 0 && !rep.ran && !exists(p),
       "finish where the state dir was never created: 0, and it is not created");

    /* A suite without hooks: nothing to record. */
    c = ctx(40);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\"}");
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran && !record_exists(40, "n1"),
       "a suite without hooks: tasks start, no record (%s)", t.rep.text);
    ts_hookspec_free(&s.h);
}

/* env_cleanup comes from the record, never from the spec a later step
 * brings along. */
static void test_finish_from_record(void)
{
    ts_node_report rep;
    job_spec a, b;
    step t;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/markers-ab", dir);
    ts_node_ctx c = ctx(80);
    spec_from(&a, "{\"v\":1,\"name\":\"a\",\"prep\":{\"args\":[\"true\"]},"
                  "\"cleanup\":{\"run\":\"echo A >> %s\"}}", marker);
    spec_from(&b, "{\"v\":1,\"name\":\"b\",\"prep\":{\"run\":\"echo prepB >> %s\"},"
                  "\"cleanup\":{\"run\":\"echo B >> %s\"}}", marker, marker);
    ok(prepare(&c, &a, &t) == 0 && t.rep.ran, "step 1 prepares with spec A");
    ok(prepare(&c, &b, &t) == 0 && !t.rep.ran, "step 2 with spec B reads the outcome");
    ok(finish(&c, &rep) == 0 && rep.ran && !rep.failed, "finish: %s", rep.text);
    is_str(slurp(marker), "A\n", "A's cleanup ran exactly once, B's never");
    ok(!record_exists(80, "n1"), "the record is removed");
    ok(finish(&c, &rep) == 0 && !rep.ran, "a second finish does nothing");
    is_str(slurp(marker), "A\n", "still only A");
    ts_hookspec_free(&a.h);
    ts_hookspec_free(&b.h);
}

/* A failing preparation: every task is refused with hook, status and log;
 * the hook is not run again. */
static void test_failed(void)
{
    ts_node_report rep;
    ts_prepstamp st;
    ts_err err = { 0 };
    job_spec s;
    step t;
    char marker[300], want[PATH_MAX * 2];
    snprintf(marker, sizeof marker, "%s/markers-failed", dir);
    ts_node_ctx c = ctx(43);
    spec_from(&s,
              "{\"v\":1,\"name\":\"demo\",\"output_dir\":\"%s/out\","
              "\"prep\":{\"run\":\"echo prep 43 >> %s; echo bad; exit 3\"},"
              "\"cleanup\":{\"run\":\"echo cleanup $SLURM_JOB_ID >> %s\"}}",
              dir, marker, marker);
    ok(prepare(&c, &s, &t) == 1 && t.rep.ran && t.rep.failed,
       "a failing preparation: the first task is refused (an outcome, not an error)");
    ok(!t.err.msg[0], "no error for slurmd: the record was written");
    snprintf(want, sizeof want, "%s/out/hooks/43/n1.env_preparation.log", dir);
    is_str(t.rep.log, want, "with output_dir: OUTPUT_DIR/hooks/<jobid>/<node>.<hook>.log");
    snprintf(want, sizeof want,
             "tasksuite: env_preparation failed on node n1 for job 43: exit status 3; "
             "its output is in %s/out/hooks/43/n1.env_preparation.log",
             dir);
    is_str(t.msg, want, "the message names the hook, the status and the log");
    ok(ts_prepstate_peek(state, 43, "n1", &st, &err) == 0 && st.state == TS_PREP_FAILED
           && !strcmp(st.message, want),
       "the record keeps the outcome and the message");
    ts_prepstamp_free(&st);

    ok(prepare(&c, &s, &t) == 1 && !t.rep.ran && !t.rep.text[0],
       "a later task is refused without running anything");
    is_str(t.msg, want, "with the same message");
    is_int(count(marker, "prep 43"), 1, "the hook ran only once");

    ok(finish(&c, &rep) == 0 && rep.ran, "cleanup still runs where preparation was attempted");
    is_int(count(marker, "cleanup 43"), 1, "once");
    ts_hookspec_free(&s.h);
}

/* The admin's maximum caps a hook's timeout; the whole group is stopped. */
static void test_timeout(void)
{
    ts_node_report rep;
    job_spec s;
    step t;
    char want[PATH_MAX * 2];
    ts_node_ctx c = ctx(44);
    c.max_timeout_s = 1;
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"dir\":\"%s/suite\","
                  "\"prep\":{\"run\":\"sleep 100 & sleep 100\",\"timeout_s\":600}}", dir);
    long t0 = now_ms();
    prepare(&c, &s, &t);
    long took = now_ms() - t0;
    ok(t.rc == 1 && t.rep.failed && t.rep.res.timed_out && took < 60000,
       "max_hook_timeout=1s caps a 600s hook (%ld ms)", took);
    ok(strstr(t.msg, "timed out after 1s") != NULL, "the task hears it timed out: %s", t.msg);
    snprintf(want, sizeof want, "%s/suite/hooks/44/n1.env_preparation.log", dir);
    is_str(t.rep.log, want, "with a suite dir: SUITE_DIR/hooks/<jobid>/<node>.<hook>.log");
    char first[sizeof t.msg];
    snprintf(first, sizeof first, "%s", t.msg);
    t0 = now_ms();
    ok(prepare(&c, &s, &t) == 1 && now_ms() - t0 < 500, "a later task is refused at once");
    is_str(t.msg, first, "with the same message");
    ok(finish(&c, &rep) == 0 && !rep.ran && !rep.failed,
       "finish without env_cleanup only removes the record (%s)", rep.text);
    ok(!record_exists(44, "n1"), "removed");
    ts_hookspec_free(&s.h);
}

/* user_hooks=no, a suite with only env_cleanup, a missing workdir. */
static void test_settings(void)
{
    ts_node_report rep;
    ts_prepstamp st;
    ts_err err = { 0 };
    job_spec s;
    step t;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/markers-settings", dir);

    ts_node_ctx c = ctx(45);
    c.user_hooks = false;
    c.first_task = true;
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep 45 >> %s\"},"
                  "\"cleanup\":{\"run\":\"echo cleanup 45 >> %s\"}}", marker, marker);
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran && strstr(t.rep.text, "user_hooks=no"),
       "user_hooks=no: the task starts, the hook is skipped, and said so: %s", t.rep.text);
    c.first_task = false;
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran && !t.rep.text[0],
       "the step's other tasks start too, without saying it again");
    ok(!record_exists(45, "n1"), "no record");
    ok(finish(&c, &rep) == 0 && !rep.ran, "finish: nothing to do");
    ok(!exists(marker), "neither hook ran");
    ts_hookspec_free(&s.h);

    c = ctx(46);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\","
                  "\"cleanup\":{\"run\":\"echo cleanup $SLURM_JOB_ID >> %s\"}}", marker);
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran, "only env_cleanup: nothing runs at the start");
    ok(ts_prepstate_peek(state, 46, "n1", &st, &err) == 0 && st.state == TS_PREP_NOHOOK
           && st.spec && !strcmp(st.spec, s.text),
       "the record says nohook and keeps the spec for the end");
    ts_prepstamp_free(&st);
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran, "a later task starts");
    ok(finish(&c, &rep) == 0 && rep.ran && !rep.failed, "cleanup runs at the end");
    is_int(count(marker, "cleanup 46"), 1, "once");
    ts_hookspec_free(&s.h);

    c = ctx(47);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"workdir\":\"/nonexistent-ts\","
                  "\"output_dir\":\"%s/out\",\"prep\":{\"args\":[\"true\"]}}", dir);
    ok(prepare(&c, &s, &t) == 1
           && strstr(t.msg, "could not start: cannot change to directory /nonexistent-ts"),
       "a missing workdir: %s", t.msg);
    if (!strstr(t.msg, "nonexistent-ts"))
        diag("prepare said: %s", t.rep.text);
    finish(&c, &rep);
    ts_hookspec_free(&s.h);
}

/* A state dir the admin got wrong, a record of another user. */
static void test_refusals(void)
{
    ts_node_report rep;
    job_spec s;
    step t;
    char marker[300], bad[400];
    snprintf(marker, sizeof marker, "%s/markers-refused", dir);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep $SLURM_JOB_ID >> %s\"},"
                  "\"cleanup\":{\"run\":\"echo cleanup $SLURM_JOB_ID >> %s\"}}", marker, marker);

    ts_node_ctx c = ctx(49);
    snprintf(bad, sizeof bad, "%s/loose", dir);   /* mode 0777, from test_dir */
    c.state_dir = bad;
    ok(prepare(&c, &s, &t) == 1
           && strstr(t.msg, "env_preparation cannot run on node n1 for job 49: state_dir"),
       "a refused state_dir: the task is refused with the reason: %s", t.msg);
    ok(strstr(t.err.msg, "writable by others") != NULL, "and an error for slurmd's log: %s",
       t.err.msg);
    is_int(count(marker, "prep 49"), 0, "the hook did not run");

    snprintf(bad, sizeof bad, "%s/fresh-state", dir);
    c.state_dir = bad;
    ok(prepare(&c, &s, &t) == 0 && t.rep.ran, "a state_dir not created yet is created: %s",
       t.rep.text);
    struct stat sb;
    ok(stat(bad, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700, "mode 0700");
    ok(finish(&c, &rep) == 0 && rep.ran, "and finish cleans up from it");

    snprintf(bad, sizeof bad, "%s/no-parent/state", dir);
    c.state_dir = bad;
    ok(prepare(&c, &s, &t) == 1 && strstr(t.msg, "cannot create it"),
       "a state_dir that cannot be created: refused: %s", t.msg);

    /* A record of another uid (stale, shared state dir). */
    c = ctx(48);
    prepare(&c, &s, &t);
    c.uid = getuid() + 1;
    ok(prepare(&c, &s, &t) == 1 && strstr(t.msg, "stale") && !t.rep.ran,
       "a record of another uid: refused: %s", t.msg);
    ok(finish(&c, &rep) == 0 && rep.failed && !rep.ran
           && strstr(rep.text, "belongs to another user"),
       "finish does not run another user's cleanup: %s", rep.text);
    is_int(count(marker, "cleanup 48"), 0, "it did not run");
    ok(!record_exists(48, "n1"), "the stale record is removed");
    ts_hookspec_free(&s.h);
}

/* A task that died while preparing (its step was cancelled) leaves the
 * record "running": the next task runs the preparation again. */
static void test_rerun(void)
{
    ts_node_report rep;
    ts_err err = { 0 };
    job_spec s;
    step t;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/markers-rerun", dir);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep $SLURM_JOB_ID >> %s\"}}",
              marker);

    ts_node_ctx c = ctx(81);
    int fd = ts_prepstate_open_locked(state, 81, "n1", true, true, 0, &err);
    ts_prepstamp dead = { .state = TS_PREP_RUNNING, .uid = (long)getuid(),
                          .started = (long)time(NULL) - 5, .pid = 999999 };
    ok(fd >= 0 && ts_prepstate_write(fd, &dead, &err) == 0,
       "a preparer died holding a running record");
    ts_prepstate_close(fd);
    ok(prepare(&c, &s, &t) == 0 && t.rep.ran && !t.rep.failed,
       "the next task runs the preparation again and may start");
    ok(strstr(t.rep.text, "run again") != NULL, "and says it was run again: %s", t.rep.text);
    is_int(count(marker, "prep 81"), 1, "the hook ran once more");
    ok(prepare(&c, &s, &t) == 0 && !t.rep.ran, "the task after it only reads the outcome");
    finish(&c, &rep);

    /* Died right after creating the record: an empty file, never started. */
    c = ctx(82);
    fd = ts_prepstate_open_locked(state, 82, "n1", true, true, 0, &err);
    ts_prepstate_close(fd);
    ok(prepare(&c, &s, &t) == 0 && t.rep.ran && !strstr(t.rep.text, "run again"),
       "an empty record: the preparation runs (a first time): %s", t.rep.text);
    is_int(count(marker, "prep 82"), 1, "once");
    finish(&c, &rep);
    ts_hookspec_free(&s.h);
}

/* Two slurmd on one host (multiple-slurmd): one record per node. */
static void test_two_nodes_one_host(void)
{
    ts_node_report rep;
    job_spec s;
    step t;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/markers2", dir);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep $SLURMD_NODENAME >> %s\"},"
                  "\"cleanup\":{\"run\":\"echo cleanup $SLURMD_NODENAME >> %s\"}}", marker, marker);
    ts_node_ctx a = ctx(60), b = ctx(60);
    b.node = "n2";
    ok(prepare(&a, &s, &t) == 0 && t.rep.ran, "n1 prepares");
    ok(prepare(&b, &s, &t) == 0 && t.rep.ran,
       "n2 on the same host prepares too (it does not take n1's record for its own)");
    ok(record_exists(60, "n1") && record_exists(60, "n2"), "two records");
    ok(finish(&a, &rep) == 0 && rep.ran, "n1 cleans up");
    ok(!record_exists(60, "n1") && record_exists(60, "n2"), "only n1's record is removed");
    ok(finish(&b, &rep) == 0 && rep.ran, "n2 cleans up");
    is_str(slurp(marker), "prep n1\nprep n2\ncleanup n1\ncleanup n2\n",
           "each node ran each hook once");
    ts_hookspec_free(&s.h);
}

/* A task that starts while another one's preparation runs waits for it. */
static void test_task_waits(void)
{
    ts_node_report rep;
    job_spec s;
    step t;
    char started[300], marker[300];
    ts_node_ctx c = ctx(50);
    snprintf(started, sizeof started, "%s/started", dir);
    snprintf(marker, sizeof marker, "%s/markers-wait", dir);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"touch %s; sleep 1; "
                  "echo prep >> %s\"}}", started, marker);

    pid_t pid = fork();
    if (pid == 0) {   /* the first task */
        step ft;
        int rc = prepare(&c, &s, &ft) == 0 && ft.rep.ran && !ft.rep.failed ? 0 : 1;
        ts_hookspec_free(&s.h);
        _exit(rc);
    }
    for (int i = 0; i < 1000 && !exists(started); i++) {
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    /* the hook runs: the first task holds the lock */
    waits_begun = waits_ended = 0;
    long t0 = now_ms();
    int rc = prepare(&c, &s, &t);
    long waited = now_ms() - t0;
    int status = 0;
    waitpid(pid, &status, 0);
    ok(rc == 0, "a task started during preparation may start after it (%s)", rc ? t.msg : "ok");
    ok(waited >= 500, "it waited for the preparation to finish (%ld ms)", waited);
    ok(waits_begun == 1 && waits_ended == 1, "killable while it waited");
    ok(!t.rep.ran && !t.rep.text[0], "it did not run the hook itself");
    is_int(count(marker, "prep"), 1, "the hook ran once");
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first task ran it and succeeded");
    finish(&c, &rep);
    ts_hookspec_free(&s.h);
}

/* The job's limits apply to both hooks (the record's at the end). */
static void test_limits_applied(void)
{
    struct rlimit now = { 0, 0 };
    getrlimit(RLIMIT_CPU, &now);   /* not RLIMIT_NOFILE: valgrind only pretends */
    if (now.rlim_max != RLIM_INFINITY && now.rlim_max < 12345) {
        for (int i = 0; i < 3; i++)
            ok(1, "# SKIP the hard RLIMIT_CPU is below 12345s");
        return;
    }
    const ts_prep_limit cpu[] = { { RLIMIT_CPU, 12345, now.rlim_max } };
    ts_node_report rep;
    job_spec s;
    step t;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/markers-limits", dir);
    spec_from(&s, "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep $(ulimit -St) >> %s\"},"
                  "\"cleanup\":{\"run\":\"echo cleanup $(ulimit -St) >> %s\"}}", marker, marker);
    ts_node_ctx c = ctx(12);
    c.limits = cpu;
    c.n_limits = 1;
    ok(prepare(&c, &s, &t) == 0, "prepare with a soft RLIMIT_CPU of 12345s");
    c.limits = NULL;
    c.n_limits = 0;
    ok(finish(&c, &rep) == 0 && rep.ran, "finish without limits of its own");
    is_str(slurp(marker), "prep 12345\ncleanup 12345\n", "both hooks ran under the job's limits");
    ts_hookspec_free(&s.h);
}


/* ---- pins for the proposed fixes (fail on the current sources) ---- */

/* Every finite limit survives exactly; none makes the record unreadable. */
static void test_limits_exact(void)
{
    ts_err err = { 0 };
    ts_prepstamp in = { .state = TS_PREP_OK, .n_limits = 2,
                        .limits = { { RLIMIT_AS, 9200000000000000000ULL, RLIM_INFINITY },
                                    { RLIMIT_DATA, (1ULL << 53) + 1, (1ULL << 60) + 3 } } },
                 out;
    int fd = ts_prepstate_open_locked(state, 10, "n1", true, true, 0, &err);
    ok(fd >= 0 && ts_prepstate_write(fd, &in, &err) == 0
           && ts_prepstate_read(fd, &out, &err) == 0
           && same_limits(in.limits, in.n_limits, out.limits, out.n_limits),
       "limits above 2^53 and 9e18 (below RLIM_INFINITY) survive exactly (%s)", err.msg);
    ts_prepstamp_free(&out);
    ts_prepstate_close(fd);
    ts_prepstate_remove(state, 10, "n1", &err);
}

/* The end of the allocation never runs a record from a refused state dir. */
static void test_finish_refused_dir(void)
{
    ts_node_report rep;
    ts_err err = { 0 };
    char loose[400], marker[300], spec[512];
    snprintf(loose, sizeof loose, "%s/loose", dir);   /* mode 0777, from test_dir */
    snprintf(marker, sizeof marker, "%s/markers-planted", dir);
    snprintf(spec, sizeof spec, "{\"v\":1,\"name\":\"x\",\"cleanup\":{\"run\":\"echo planted >> %s\"}}",
             marker);
    int fd = ts_prepstate_open_locked(loose, 11, "n1", true, true, 0, &err);
    ts_prepstamp planted = { .state = TS_PREP_OK, .uid = (long)getuid(), .spec = spec };
    ts_prepstate_write(fd, &planted, &err);
    ts_prepstate_close(fd);
    ts_node_ctx c = ctx(11);
    c.state_dir = loose;
    memset(&err, 0, sizeof err);
    ok(ts_node_finish(&c, &rep, &err) < 0 && strstr(err.msg, "writable by others") && !rep.ran,
       "finish refuses a world-writable state_dir: %s", err.msg);
    ok(!exists(marker), "the planted cleanup did not run");
}

/* Nothing ends the allocation for the plugin (no extern step, no epilog):
 * the record keeps only the verdict, and finish runs nothing. */
static void test_no_end(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], json[1024], marker[300], p[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/markers-noend", dir);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep >> %s\"},"
             "\"cleanup\":{\"run\":\"echo cleanup >> %s\"}}", marker, marker);
    if (ts_hooks_deserialize(json, &h, &err) < 0)
        diag("spec: %s", err.msg);
    ts_node_ctx c = ctx(90);
    c.cleanup_by_epilog = false;
    ok(ts_node_prepare_step(&c, &h, json, &rep, &st, msg, sizeof msg, &err) == 0 && rep.ran,
       "no end of allocation: preparation still runs");
    ok(strstr(rep.text, "env_cleanup will not run on n1") != NULL, "and the report says cleanup will not run: %s", rep.text);
    ts_prepstate_path(state, 90, "n1", p, sizeof p, &err);
    ok(strstr(slurp(p), "\"spec\"") == NULL, "the record keeps no spec");
    ok(ts_node_finish(&c, &rep, &err) == 0, "finish: %s", rep.text);
    ok(strstr(slurp(marker), "cleanup") == NULL, "and runs no cleanup");
    ts_hookspec_free(&h);
}

/* A requeued job (SLURM_RESTART_COUNT 1) on a node whose record of the first
 * run was never removed (no extern step) prepares again: the earlier
 * outcome is not this run's. */
static void test_requeued(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], json[1024], marker[300];
    snprintf(marker, sizeof marker, "%s/markers-requeue", dir);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep >> %s; test -e %s.ok\"}}",
             marker, marker);
    if (ts_hooks_deserialize(json, &h, &err) < 0)
        diag("spec: %s", err.msg);
    ts_node_ctx c = ctx(91);
    ok(ts_node_prepare_step(&c, &h, json, &rep, &st, msg, sizeof msg, &err) == 1,
       "first run: the preparation fails");
    char okfile[320];
    snprintf(okfile, sizeof okfile, "%s.ok", marker);
    FILE *f = fopen(okfile, "w");
    if (f)
        fclose(f);
    c.restart = 1;
    ok(ts_node_prepare_step(&c, &h, json, &rep, &st, msg, sizeof msg, &err) == 0 && rep.ran,
       "the requeued run prepares again, and succeeds: %s", msg);
    is_int(count(marker, "prep"), 2, "the hook ran once per run");
    ts_node_finish(&c, &rep, &err);
    ts_hookspec_free(&h);
}

int main(void)
{
    /* forked children (and valgrind's exit handlers in them) must not
     * flush a copy of our pending output */
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(dir, sizeof dir, "/tmp/ts-prepstate-unit.XXXXXX");
    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(work, sizeof work, "%s/work", dir);
    mkdir(work, 0755);
    init_limits();

    test_dir();
    test_record();
    test_record_malformed();
    test_paths();
    test_prepare_and_finish();
    test_finish_from_record();
    test_failed();
    test_timeout();
    test_settings();
    test_refusals();
    test_rerun();
    test_two_nodes_one_host();
    test_task_waits();
    test_limits_applied();
    test_limits_exact();
    test_finish_refused_dir();
    test_no_end();
    test_requeued();

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
