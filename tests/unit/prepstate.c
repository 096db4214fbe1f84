/* prepstate + nodehooks: the per-node record of one allocation's preparation,
 * and the prolog / task / epilog flows over it, as the current user with a
 * private state dir (the plugin does the same as root). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nodehooks.h"
#include "prepstate.h"
#include "spec_json.h"
#include "tap.h"

static char dir[256], state[300], work[300];

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

static int count_lines(const char *path, const char *word)
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

static void test_record(void)
{
    ts_err err = { 0 };
    ts_prepstamp in = { .state = TS_PREP_FAILED, .uid = 1001, .restart = 2, .started = 10,
                        .finished = 12 }, out;
    snprintf(in.log, sizeof in.log, "/home/u/with \"quotes\"\nand newline.log");
    snprintf(in.message, sizeof in.message, "tasksuite: env_preparation failed: exit status 3");

    ok(ts_prepstate_open_locked(state, 7, "n1", false, false, 0, &err) < 0 && errno == ENOENT,
       "no record: open without create says ENOENT");
    int fd = ts_prepstate_open_locked(state, 7, "n1", true, true, 0, &err);
    ok(fd >= 0, "create + exclusive lock");
    ok(ts_prepstate_read(fd, &out, &err) == 0 && out.state == TS_PREP_RUNNING,
       "an empty record reads as running");
    ok(ts_prepstate_write(fd, &in, &err) == 0, "write");
    ok(ts_prepstate_read(fd, &out, &err) == 0, "read back");
    ok(out.state == TS_PREP_FAILED && out.uid == 1001 && out.restart == 2 && out.started == 10
           && out.finished == 12, "state and numbers survive");
    is_str(out.log, in.log, "a log path with quotes and a newline survives");
    is_str(out.message, in.message, "the message survives");

    /* Another opener must wait for the exclusive lock. */
    long t0 = now_ms();
    ok(ts_prepstate_open_locked(state, 7, "n1", false, false, 200, &err) < 0 && errno == ETIMEDOUT,
       "a shared lock waits for the exclusive one (gives up after its wait)");
    ok(now_ms() - t0 >= 190, "it did wait");
    ts_prepstate_close(fd);
    fd = ts_prepstate_open_locked(state, 7, "n1", false, false, 0, &err);
    ok(fd >= 0, "after the close, the shared lock is free");
    ts_prepstate_close(fd);

    char p[PATH_MAX];
    ts_prepstate_path(state, 7, "n1", p, sizeof p, &err);
    struct stat st;
    ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "the record is mode 0600");
    ok(ts_prepstate_remove(state, 7, "n1", &err) == 0 && !exists(p), "remove");
    ok(ts_prepstate_remove(state, 7, "n1", &err) == 0, "removing a missing record is fine");

    int w = open(p, O_WRONLY | O_CREAT, 0600);
    if (w >= 0) {
        if (write(w, "{\"state\":\"bogus\"}", 17) != 17)
            diag("short write");
        close(w);
    }
    fd = ts_prepstate_open_locked(state, 7, "n1", false, false, 0, &err);
    ok(ts_prepstate_read(fd, &out, &err) < 0 && strstr(err.msg, "unknown state"),
       "an unknown state is an error: %s", err.msg);
    ts_prepstate_close(fd);
    ts_prepstate_remove(state, 7, "n1", &err);
}

/* ------------------------------------------------------------ flows */

static ts_node_ctx ctx(uint32_t job)
{
    return (ts_node_ctx){ .job_id = job, .uid = getuid(), .gid = getgid(), .node = "n1",
                          .nodelist = "n[1-2]", .num_nodes = "2", .work_dir = work,
                          .state_dir = state, .user_hooks = true, .max_timeout_s = 60,
                          .grace_ms = 300 };
}

static void spec_from(const char *json, ts_hookspec *h)
{
    ts_err err = { 0 };
    if (ts_hooks_deserialize(json, h, &err) < 0)
        diag("spec: %s", err.msg);
}

static void test_flows(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], marker[300], want[PATH_MAX * 2], p[PATH_MAX * 2];
    snprintf(marker, sizeof marker, "%s/markers", dir);
    ts_node_ctx c = ctx(41);

    char json[4096];
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"id\":\"ab12cd34\",\"workers\":3,"
             "\"prep\":{\"run\":\"echo prep $SLURMD_NODENAME $SLURM_JOB_ID >> %s; "
             "env | sort\",\"envs\":{\"DATA\":\"$HOME/data\"},\"timeout_s\":30},"
             "\"cleanup\":{\"args\":[\"sh\",\"-c\",\"echo cleanup $SLURM_JOB_ID >> %s\"],"
             "\"timeout_s\":30}}",
             marker, marker);
    spec_from(json, &h);

    /* No record: the job's prolog did not see the option (a job that only
     * inherited a suite's environment): tasks start, with a note. */
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0
           && strstr(msg, "no env_preparation record on node n1 for job 41"),
       "no record: the task starts, with a note for slurmd's log: %s", msg);

    ok(ts_node_prepare(&c, &h, &rep, &err) == 0, "prepare: %s", rep.text);
    ok(rep.ran && !rep.failed, "prepare ran and succeeded");
    is_int(count_lines(marker, "prep n1 41"), 1, "the preparation ran once");
    snprintf(want, sizeof want, "%s/tasksuite-41/n1.env_preparation.log", work);
    is_str(rep.log, want, "its log: WORK_DIR/tasksuite-<jobid>/<node>.env_preparation.log");
    const char *log = slurp(want);
    ok(strstr(log, "tasksuite: env_preparation of job 41 on n1") != NULL, "the log starts with a header");
    ok(strstr(log, "\nTASK_SUITE_NAME=demo\n") && strstr(log, "\nTASK_SUITE_ID=ab12cd34\n")
           && strstr(log, "\nTASK_SUITE_WORKER_COUNT=3\n") && strstr(log, "\nSLURM_JOB_ID=41\n")
           && strstr(log, "\nSLURMD_NODENAME=n1\n") && strstr(log, "\nSLURM_JOB_NODELIST=n[1-2]\n")
           && strstr(log, "\nSLURM_JOB_NUM_NODES=2\n") && strstr(log, "\nTASK_SUITE_HOOK=env_preparation\n"),
       "the hook sees the suite and job context");
    struct passwd *pw = getpwuid(getuid());
    snprintf(p, sizeof p, "\nDATA=%s/data\n", pw ? pw->pw_dir : "?");
    ok(strstr(log, p) != NULL, "its envs are expanded against the hook's environment ($HOME)");
    snprintf(p, sizeof p, "\nPWD=%s\n", work);
    ok(strstr(log, p) != NULL, "it runs in the job's work dir (no workdir in the suite)");

    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0, "after a good preparation: tasks start");
    is_str(st.log, want, "and learn where its log is");

    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && rep.ran && !rep.failed, "cleanup: %s", rep.text);
    is_int(count_lines(marker, "cleanup 41"), 1, "cleanup ran once");
    ts_prepstate_path(state, 41, "n1", p, sizeof p, &err);
    ok(!exists(p), "the record is removed");
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && !rep.ran, "a second epilog: nothing runs");
    is_int(count_lines(marker, "cleanup 41"), 1, "cleanup still ran only once");

    /* A node where preparation never ran: no cleanup. */
    c = ctx(42);
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && !rep.ran,
       "no record on this node: no cleanup (%s)", rep.text);
    is_int(count_lines(marker, "cleanup 42"), 0, "cleanup did not run");
    ts_hookspec_free(&h);

    /* A failing preparation: tasks are refused with hook, status and log. */
    c = ctx(43);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"output_dir\":\"%s/out\",\"prep\":{\"run\":\"echo bad; exit 3\"},"
             "\"cleanup\":{\"run\":\"echo cleanup $SLURM_JOB_ID >> %s\"}}",
             dir, marker);
    spec_from(json, &h);
    ok(ts_node_prepare(&c, &h, &rep, &err) == 0 && rep.failed, "a failing preparation is an outcome, not an error");
    snprintf(want, sizeof want, "%s/out/hooks/43/n1.env_preparation.log", dir);
    is_str(rep.log, want, "with output_dir: OUTPUT_DIR/hooks/<jobid>/<node>.<hook>.log");
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 1, "tasks are refused");
    snprintf(want, sizeof want,
             "tasksuite: env_preparation failed on node n1 for job 43: exit status 3; its output is in %s/out/hooks/43/n1.env_preparation.log",
             dir);
    is_str(msg, want, "the message names the hook, the status and the log");
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && rep.ran, "cleanup still runs where preparation was attempted");
    is_int(count_lines(marker, "cleanup 43"), 1, "once");
    ts_hookspec_free(&h);

    /* The admin's maximum caps a hook's timeout; the whole group is stopped. */
    c = ctx(44);
    c.max_timeout_s = 1;
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"dir\":\"%s/suite\",\"prep\":{\"run\":\"sleep 100 & sleep 100\",\"timeout_s\":600}}",
             dir);
    spec_from(json, &h);
    long t0 = now_ms();
    ts_node_prepare(&c, &h, &rep, &err);
    ok(rep.failed && rep.res.timed_out && now_ms() - t0 < 3000,
       "max_hook_timeout=1s caps a 600s hook (%ld ms)", now_ms() - t0);
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 1 && strstr(msg, "timed out after 1s"),
       "the tasks hear it timed out: %s", msg);
    snprintf(want, sizeof want, "%s/suite/hooks/44/n1.env_preparation.log", dir);
    is_str(rep.log, want, "with a suite dir: SUITE_DIR/hooks/<jobid>/<node>.<hook>.log");
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0, "epilog without env_cleanup: only removes the record");
    ts_prepstate_path(state, 44, "n1", p, sizeof p, &err);
    ok(!exists(p), "removed");
    ts_hookspec_free(&h);

    /* user_hooks=no: nothing runs, no record, tasks start. */
    c = ctx(45);
    c.user_hooks = false;
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep x 45 >> %s\"}}", marker);
    spec_from(json, &h);
    ok(ts_node_prepare(&c, &h, &rep, &err) == 0 && !rep.ran && strstr(rep.text, "user_hooks=no"),
       "user_hooks=no: skipped, and said so: %s", rep.text);
    is_int(count_lines(marker, "prep x 45"), 0, "the hook did not run");
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0, "tasks start");
    ts_hookspec_free(&h);

    /* Only env_cleanup: the record says so, tasks start, cleanup at the end. */
    c = ctx(46);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"cleanup\":{\"run\":\"echo cleanup $SLURM_JOB_ID >> %s\"}}",
             marker);
    spec_from(json, &h);
    ok(ts_node_prepare(&c, &h, &rep, &err) == 0 && !rep.ran, "no env_preparation: nothing runs at the start");
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0, "tasks start");
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && rep.ran, "cleanup runs at the end");
    is_int(count_lines(marker, "cleanup 46"), 1, "once");
    ts_hookspec_free(&h);

    /* A suite workdir that does not exist: preparation fails, clearly. */
    c = ctx(47);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"workdir\":\"/nonexistent-ts\",\"output_dir\":\"%s/out\","
             "\"prep\":{\"args\":[\"true\"]}}", dir);
    spec_from(json, &h);
    ts_node_prepare(&c, &h, &rep, &err);
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 1
           && strstr(msg, "could not start: cannot change to directory /nonexistent-ts") != NULL,
       "a missing workdir: %s", msg);
    if (!strstr(msg, "nonexistent-ts"))
        diag("prepare said: %s", rep.text);
    ts_node_cleanup(&c, &h, &rep, &err);
    ts_hookspec_free(&h);

    /* A state dir the admin got wrong: the prolog cannot record, so the
     * tasks do not start without the preparation. */
    c = ctx(49);
    spec_from("{\"v\":1,\"name\":\"demo\",\"prep\":{\"args\":[\"true\"]}}", &h);
    char bad[400];
    snprintf(bad, sizeof bad, "%s/loose", dir);   /* mode 0777, from test_dir */
    c.state_dir = bad;
    ok(ts_node_prepare(&c, &h, &rep, &err) < 0 && strstr(err.msg, "writable by others"),
       "prolog: a refused state_dir is an error for slurmd's log: %s", err.msg);
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 1
           && strstr(msg, "env_preparation cannot run on node n1 for job 49: state_dir"),
       "tasks: refused with the reason: %s", msg);
    snprintf(bad, sizeof bad, "%s/never-created", dir);
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0,
       "a state_dir not created yet (no suite job ever ran here): tasks start");
    ts_hookspec_free(&h);

    /* A record of another user (stale, shared state dir): refused. */
    c = ctx(48);
    spec_from("{\"v\":1,\"name\":\"demo\",\"prep\":{\"args\":[\"true\"]}}", &h);
    ts_node_prepare(&c, &h, &rep, &err);
    c.uid = getuid() + 1;
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 1 && strstr(msg, "stale"),
       "a record of another uid: %s", msg);
    c.uid = getuid();
    ts_node_cleanup(&c, &h, &rep, &err);
    ts_hookspec_free(&h);
}

/* Two slurmd on one host (multiple-slurmd): one record per node. */
static void test_two_nodes_one_host(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], marker[300], json[1024];
    snprintf(marker, sizeof marker, "%s/markers2", dir);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"echo prep $SLURMD_NODENAME >> %s\"},"
             "\"cleanup\":{\"run\":\"echo cleanup $SLURMD_NODENAME >> %s\"}}", marker, marker);
    spec_from(json, &h);
    ts_node_ctx a = ctx(60), b = ctx(60);
    b.node = "n2";
    ts_node_prepare(&a, &h, &rep, &err);
    ok(ts_node_cleanup(&a, &h, &rep, &err) == 0 && rep.ran, "n1: prepared and cleaned up");
    ok(ts_node_check(&b, &h, &st, msg, sizeof msg, &err) == 0 && strstr(msg, "no env_preparation record on node n2"),
       "n2 on the same host does not take n1's record for its own");
    ts_node_prepare(&b, &h, &rep, &err);
    ok(ts_node_check(&b, &h, &st, msg, sizeof msg, &err) == 0, "n2: its own record");
    ok(ts_node_cleanup(&b, &h, &rep, &err) == 0 && rep.ran, "n2: cleaned up too");
    is_str(slurp(marker), "prep n1\ncleanup n1\nprep n2\ncleanup n2\n", "each node ran each hook once");
    ts_hookspec_free(&h);
}

/* A task that starts while the prolog still prepares waits for it. */
static void test_task_waits(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], started[300], json[1024];
    ts_node_ctx c = ctx(50);
    snprintf(started, sizeof started, "%s/started", dir);
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"touch %s; sleep 1\"}}", started);
    spec_from(json, &h);

    pid_t pid = fork();
    if (pid == 0) {   /* the prolog */
        ts_node_ctx cc = ctx(50);
        _exit(ts_node_prepare(&cc, &h, &rep, &err) == 0 && !rep.failed ? 0 : 1);
    }
    for (int i = 0; i < 1000 && !exists(started); i++) {
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    /* the hook runs: the prolog holds the lock */
    long t0 = now_ms();
    int rc = ts_node_check(&c, &h, &st, msg, sizeof msg, &err);
    long waited = now_ms() - t0;
    int status = 0;
    waitpid(pid, &status, 0);
    ok(rc == 0, "a task started during preparation may start after it (%s)", rc ? msg : "ok");
    ok(waited >= 500, "it waited for the preparation to finish (%ld ms)", waited);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the prolog side succeeded");
    ts_node_cleanup(&c, &h, &rep, &err);
    ts_hookspec_free(&h);
}

static char logged[4096];

/* The plugin passes slurm_info; here the keeper's report goes to a file. */
static void log_to_file(const ts_node_ctx *c, const ts_node_report *rep)
{
    char p[400];
    snprintf(p, sizeof p, "%s/keeper.log", dir);
    FILE *f = fopen(p, "a");
    if (f) {
        fprintf(f, "job %lu: %s\n", (unsigned long)c->job_id, rep->text);
        fclose(f);
    }
}

/* The prolog's way: return at once, a keeper waits for the hook; tasks wait
 * on the lock; an epilog that comes first stops the hook. */
static void test_background(void)
{
    ts_err err = { 0 };
    ts_node_report rep;
    ts_prepstamp st;
    ts_hookspec h;
    char msg[1536], json[1024], p[400];
    int status;
    ts_node_ctx c = ctx(70);
    c.background = true;
    c.log = log_to_file;
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"sleep 1; echo prepared\"},"
             "\"cleanup\":{\"run\":\"echo cleaned >> %s/bg-markers\"}}", dir);
    spec_from(json, &h);

    /* like slurmstepd's prolog: stdin closed, so the record gets fd 0 */
    int saved_stdin = dup(STDIN_FILENO);
    close(STDIN_FILENO);
    long t0 = now_ms();
    int prc = ts_node_prepare(&c, &h, &rep, &err);
    dup2(saved_stdin, STDIN_FILENO);
    close(saved_stdin);
    ok(prc == 0 && rep.keeper > 0, "background, with stdin closed: started (%s)", rep.text);
    ok(now_ms() - t0 < 500, "the prolog returned at once (%ld ms)", now_ms() - t0);
    ok(ts_prepstate_peek(state, 70, "n1", &st, &err) == 0 && st.state == TS_PREP_RUNNING
           && st.pid == rep.keeper, "the record says running, with the keeper's pid");
    snprintf(p, sizeof p, "/proc/%ld/comm", (long)rep.keeper);
    is_str(slurp(p), TS_PREP_KEEPER_NAME "\n", "the keeper is named " TS_PREP_KEEPER_NAME);
    t0 = now_ms();
    ok(ts_node_check(&c, &h, &st, msg, sizeof msg, &err) == 0, "a task waits, then may start");
    ok(now_ms() - t0 >= 700, "it waited for the hook (%ld ms)", now_ms() - t0);
    waitpid(rep.keeper, &status, 0);
    snprintf(p, sizeof p, "%s/keeper.log", dir);
    snprintf(logged, sizeof logged, "%s", slurp(p));
    ok(strstr(logged, "job 70: env_preparation on n1 as ") && strstr(logged, "exit status 0"),
       "the keeper reported the outcome through the log callback");
    ts_node_cleanup(&c, &h, &rep, &err);
    ts_hookspec_free(&h);

    /* The allocation ends while preparation still runs. */
    c = ctx(71);
    c.background = true;
    c.log = log_to_file;
    c.grace_ms = 300;
    snprintf(json, sizeof json,
             "{\"v\":1,\"name\":\"demo\",\"prep\":{\"run\":\"sleep 100 & sleep 100\"},"
             "\"cleanup\":{\"run\":\"echo cleaned 71 >> %s/bg-markers\"}}", dir);
    spec_from(json, &h);
    ts_node_prepare(&c, &h, &rep, &err);
    pid_t keeper = rep.keeper;
    struct timespec ts = { 0, 300 * 1000000L };
    nanosleep(&ts, NULL);
    t0 = now_ms();
    ok(ts_node_cleanup(&c, &h, &rep, &err) == 0 && rep.ran, "epilog during preparation: cleanup ran");
    ok(now_ms() - t0 < 3000, "after stopping the preparation, not after its timeout (%ld ms)", now_ms() - t0);
    waitpid(keeper, &status, 0);
    ok(strstr(slurp(p), "job 71: env_preparation still running on n1 when the allocation ended: stopping it")
           && strstr(slurp(p), "stopped before it finished (the allocation ended)"),
       "the keeper said why it stopped it");
    snprintf(p, sizeof p, "%s/bg-markers", dir);
    is_str(slurp(p), "cleaned\ncleaned 71\n", "cleanup ran once per allocation");
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

    test_dir();
    test_record();
    test_flows();
    test_two_nodes_one_host();
    test_task_waits();
    test_background();

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
