/* slurmprobe: drive src/slurm.c against a real cluster (tests/slurm/t0150).
 *
 *   slurmprobe [-t] maxarray
 *   slurmprobe [-t] submit FIRST LAST SCRIPTFILE [--OPTION[=VALUE]]...
 *                   [name=N] [comment=C] [throttle=N] [hold=1] [dep=D]
 *                   [out=PATH] [err=PATH] [workdir=DIR] [env=K=V]...
 *                   [spank=K=V]...
 *       prints the array job id; the job environment is this process's
 *       plus env=...; workdir defaults to the current directory
 *   slurmprobe [-t] elements ID   one line per element: "task state exit signal"
 *   slurmprobe [-t] info ID       one line per element, every field
 *   slurmprobe [-t] find PREFIX   "job_id array_job_id task_id state name"
 *   slurmprobe [-t] cancel SPEC
 *   slurmprobe [-t] remaining ID
 *
 * -t prints the call's wall time to stderr ("# submit 3.1 ms").
 * Errors: the library's one-line message on stderr, exit status err.code
 * (5 = Slurm unreachable or refused), or 1.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slurm.h"

extern char **environ;

static bool timing;
static double t_start;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void tic(void)
{
    t_start = now_ms();
}

static void toc(const char *what)
{
    if (timing)
        fprintf(stderr, "# %s %.1f ms\n", what, now_ms() - t_start);
}

static int fail(const ts_err *err)
{
    fprintf(stderr, "%s\n", err->msg);
    return err->code ? err->code : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: slurmprobe [-t] maxarray | submit FIRST LAST "
            "SCRIPT [opts] | elements ID | info ID | find PREFIX | cancel "
            "SPEC | remaining ID\n");
    return 2;
}

static uint32_t num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > UINT32_MAX) {
        fprintf(stderr, "slurmprobe: \"%s\" is not a number\n", s);
        exit(2);
    }
    return (uint32_t)v;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "slurmprobe: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "slurmprobe: out of memory\n");
        exit(1);
    }
    buf[n] = '\0';
    return buf;
}

static int cmd_submit(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    ts_array_req req = {0};
    ts_kvlist opts = { calloc((size_t)argc, sizeof(ts_kv)), 0 };
    char **env = calloc((size_t)argc + 1, sizeof(char *));
    char **spank = calloc((size_t)argc + 1, sizeof(char *));
    size_t nenv = 0, nspank = 0;
    char cwd[4096];
    ts_err err = {0};
    uint32_t id = 0;

    if (!opts.v || !env || !spank)
        return 1;
    req.first = num(argv[1]);
    req.last = num(argv[2]);
    req.script = read_file(argv[3]);
    req.work_dir = getcwd(cwd, sizeof cwd);
    for (int i = 4; i < argc; i++) {
        char *a = argv[i];
        if (strncmp(a, "--", 2) == 0) {
            ts_kv *kv = &opts.v[opts.n++];
            char *eq = strchr(a, '=');
            kv->key = strndup(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            kv->value = strdup(eq ? eq + 1 : "");
        } else if (strncmp(a, "name=", 5) == 0) {
            req.job_name = a + 5;
        } else if (strncmp(a, "comment=", 8) == 0) {
            req.comment = a + 8;
        } else if (strncmp(a, "throttle=", 9) == 0) {
            req.throttle = num(a + 9);
        } else if (strncmp(a, "hold=", 5) == 0) {
            req.hold = (int)num(a + 5);
        } else if (strncmp(a, "dep=", 4) == 0) {
            req.dependency = a + 4;
        } else if (strncmp(a, "out=", 4) == 0) {
            req.std_out = a + 4;
        } else if (strncmp(a, "err=", 4) == 0) {
            req.std_err = a + 4;
        } else if (strncmp(a, "workdir=", 8) == 0) {
            req.work_dir = a + 8;
        } else if (strncmp(a, "env=", 4) == 0) {
            env[nenv++] = a + 4;
        } else if (strncmp(a, "spank=", 6) == 0) {
            spank[nspank++] = a + 6;
        } else {
            return usage();
        }
    }
    /* The job environment: ours, then env=... */
    size_t nown = 0;
    while (environ[nown])
        nown++;
    char **all = calloc(nown + nenv + 1, sizeof(char *));
    if (!all)
        return 1;
    memcpy(all, environ, nown * sizeof(char *));
    memcpy(all + nown, env, nenv * sizeof(char *));
    req.env = all;
    req.spank_env = spank;
    req.options = &opts;

    tic();
    int rc = ts_slurm_submit(&req, &id, &err);
    toc("submit");
    for (size_t i = 0; i < opts.n; i++) {
        free(opts.v[i].key);
        free(opts.v[i].value);
    }
    free(opts.v);
    free(env);
    free(spank);
    free(all);
    free((char *)req.script);
    if (rc < 0)
        return fail(&err);
    printf("%" PRIu32 "\n", id);
    return 0;
}

static int cmd_elements(uint32_t id, bool full)
{
    ts_job_info *v = NULL;
    size_t n = 0;
    ts_err err = {0};
    tic();
    int rc = ts_slurm_array_elements(id, &v, &n, &err);
    toc("elements");
    if (rc < 0)
        return fail(&err);
    for (size_t i = 0; i < n; i++) {
        const ts_job_info *j = &v[i];
        if (!full) {
            printf("%" PRIu32 " %s %d %d\n", j->array_task_id,
                   ts_job_state_name(j->state), j->exit_code, j->term_signal);
            continue;
        }
        printf("task=%" PRIu32 " job=%" PRIu32 " array=%" PRIu32 " state=%s "
               "completing=%d held=%d exit=%d signal=%d restarts=%" PRIu32 " "
               "nodes=%s start=%lld end=%lld name=%s comment=%s\n",
               j->array_task_id, j->job_id, j->array_job_id,
               ts_job_state_name(j->state), j->completing, j->held, j->exit_code,
               j->term_signal, j->restart_cnt, j->nodes[0] ? j->nodes : "-",
               (long long)j->start_time, (long long)j->end_time,
               j->name, j->comment);
    }
    free(v);
    return 0;
}

static int cmd_find(const char *prefix)
{
    ts_job_info *v = NULL;
    size_t n = 0;
    ts_err err = {0};
    tic();
    int rc = ts_slurm_find_jobs(getuid(), prefix, &v, &n, &err);
    toc("find");
    if (rc < 0)
        return fail(&err);
    for (size_t i = 0; i < n; i++)
        printf("%" PRIu32 " %" PRIu32 " %" PRIu32 " %s %s\n", v[i].job_id,
               v[i].array_job_id, v[i].array_task_id,
               ts_job_state_name(v[i].state), v[i].name);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    ts_err err = {0};
    if (argc > 1 && strcmp(argv[1], "-t") == 0) {
        timing = true;
        argc--;
        argv++;
    }
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "maxarray") == 0 && argc == 2) {
        uint32_t max = 0;
        tic();
        int rc = ts_slurm_max_array_size(&max, &err);
        toc("maxarray");
        if (rc < 0)
            return fail(&err);
        printf("%" PRIu32 "\n", max);
        return 0;
    }
    if (strcmp(cmd, "submit") == 0)
        return cmd_submit(argc - 1, argv + 1);
    if (strcmp(cmd, "elements") == 0 && argc == 3)
        return cmd_elements(num(argv[2]), false);
    if (strcmp(cmd, "info") == 0 && argc == 3)
        return cmd_elements(num(argv[2]), true);
    if (strcmp(cmd, "find") == 0 && argc == 3)
        return cmd_find(argv[2]);
    if (strcmp(cmd, "cancel") == 0 && argc == 3) {
        tic();
        int rc = ts_slurm_cancel(argv[2], &err);
        toc("cancel");
        return rc < 0 ? fail(&err) : 0;
    }
    if (strcmp(cmd, "remaining") == 0 && argc == 3) {
        tic();
        long left = ts_slurm_remaining(num(argv[2]));
        toc("remaining");
        printf("%ld\n", left);
        return left < 0 ? 1 : 0;
    }
    return usage();
}
