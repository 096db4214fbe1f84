/* binding.c: the pool's worker binding (src/pool/binding.c, gpus.c) on
 * synthetic topologies, with simulated cgroups (a restricted allowed
 * cpuset), every strategy, cpu_binding.cores in and out of the allocation,
 * the GPU variables' precedence and split, and one real binding checked in
 * /proc/self/status of a forked child. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binding.h"
#include "tap.h"

/* ------------------------------------------------------------ helpers */

typedef struct plan_case {
    const char *name;
    const char *topology;         /* hwloc synthetic description */
    const char *allowed;          /* a Linux cpu list, NULL = every PU */
    int workers;
    enum ts_bind_strategy strategy;
    int cores[8];                 /* cpu_binding.cores, -1 ends */
    const char *want[12];         /* per worker cpu list; or want_err */
    const char *want_err;
} plan_case;

static size_t ncores_of(const int *cores)
{
    size_t n = 0;
    while (n < 8 && cores[n] >= 0)
        n++;
    return n;
}

/* The case's plan, or its error (*msg). Returns 0/-1 as the plan did. */
static int make(const plan_case *c, ts_gpus *gpus, ts_binding_plan *p, ts_err *err)
{
    hwloc_topology_t topo;
    hwloc_bitmap_t allowed;
    int cores[8];
    ts_worker_schedule ws = { .present = true, .worker_count = c->workers,
                              .strategy = c->strategy };
    ts_gpus none = { 0 };
    int rc;

    if (ts_binding_load_synthetic(c->topology, &topo, &allowed, err) < 0)
        return -1;
    if (c->allowed)
        hwloc_bitmap_list_sscanf(allowed, c->allowed);
    memcpy(cores, c->cores, sizeof cores);
    ws.ncores = ncores_of(cores);
    ws.cores = ws.ncores ? cores : NULL;
    rc = ts_binding_plan_make(topo, allowed, &ws, gpus ? gpus : &none, p, err);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
    return rc;
}

/* Each topology names its NUMA node ("[numa]"): without one, hwloc 2.9
 * inserts it with a memmove that _FORTIFY_SOURCE turns into __memcpy_chk,
 * which valgrind reports as an overlap (harmless, but run-all counts it). */
#define RR TS_BIND_ROUND_ROBIN
#define EX TS_BIND_EXCLUSIVE
#define SH TS_BIND_SHARED
#define ALL { -1 }

static const plan_case plans[] = {
    /* 2 packages x 4 cores x 2 PUs: core k holds PUs 2k, 2k+1 */
    { "RoundRobin, fewer workers than cores", "[numa] pack:2 core:4 pu:2", NULL, 3, RR, ALL,
      { "0-1", "2-3", "4-5" }, NULL },
    { "RoundRobin wraps: worker i on core i mod 8", "[numa] pack:2 core:4 pu:2", NULL, 10, RR, ALL,
      { "0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15", "0-1", "2-3" }, NULL },
    { "Exclusive: blocks of 3, 3, 2 cores", "[numa] pack:2 core:4 pu:2", NULL, 3, EX, ALL,
      { "0-5", "6-11", "12-15" }, NULL },
    { "Exclusive: one core each", "[numa] pack:2 core:4 pu:2", NULL, 8, EX, ALL,
      { "0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15" }, NULL },
    { "Shared: all PUs for everyone", "[numa] pack:2 core:4 pu:2", NULL, 3, SH, ALL,
      { "0-15", "0-15", "0-15" }, NULL },
    { "RoundRobin on 3 single-PU cores", "[numa] core:3 pu:1", NULL, 5, RR, ALL,
      { "0", "1", "2", "0", "1" }, NULL },
    { "Exclusive refuses 4 workers on 3 cores", "[numa] core:3 pu:1", NULL, 4, EX, ALL,
      { NULL }, "cpu_binding: Exclusive gives each worker its own cores: 4 workers, "
      "3 cores in this allocation" },
    /* a cgroup giving cores 2-5 of 8 */
    { "cgroup 2-5: RoundRobin numbers the allocation's cores", "[numa] core:8 pu:1", "2-5", 5, RR,
      ALL, { "2", "3", "4", "5", "2" }, NULL },
    { "cgroup 2-5: Exclusive", "[numa] core:8 pu:1", "2-5", 2, EX, ALL, { "2-3", "4-5" }, NULL },
    { "cgroup 2-5: Shared", "[numa] core:8 pu:1", "2-5", 2, SH, ALL, { "2-5", "2-5" }, NULL },
    { "cgroup 2-5: Exclusive refuses 5 workers", "[numa] core:8 pu:1", "2-5", 5, EX, ALL,
      { NULL }, "cpu_binding: Exclusive gives each worker its own cores: 5 workers, "
      "4 cores in this allocation" },
    { "cgroup 2-5: cores [0, 3] are allocation cores 0 and 3", "[numa] core:8 pu:1", "2-5", 2, RR,
      { 0, 3, -1 }, { "2", "5" }, NULL },
    { "cgroup 2-5: cores in the order listed", "[numa] core:8 pu:1", "2-5", 3, RR,
      { 3, 1, -1 }, { "5", "3", "5" }, NULL },
    { "cgroup 2-5: Exclusive over the cores listed", "[numa] core:8 pu:1", "2-5", 2, EX,
      { 1, 2, 3, -1 }, { "3-4", "5" }, NULL },
    { "cgroup 2-5: core 4 is not allocated", "[numa] core:8 pu:1", "2-5", 2, RR, { 0, 4, -1 },
      { NULL }, "cpu_binding.cores: core 4 is not in this allocation: it has 4 cores, "
      "numbered 0-3 (PUs 2-5)" },
    { "cgroup of one PU: core 1 is not allocated", "[numa] core:8 pu:1", "6", 1, RR, { 1, -1 },
      { NULL }, "cpu_binding.cores: core 1 is not in this allocation: it has 1 core, "
      "numbered 0 (PUs 6)" },
    { "Exclusive refusal counts the cores listed", "[numa] core:8 pu:1", NULL, 3, EX, { 0, 1, -1 },
      { NULL }, "cpu_binding: Exclusive gives each worker its own cores: 3 workers, "
      "2 cores selected by cpu_binding.cores" },
    /* a cgroup cutting through cores: core 0 keeps PU 1, core 2 PU 4 */
    { "partly allowed cores keep only their allowed PUs", "[numa] core:4 pu:2", "1-4", 3, RR, ALL,
      { "1", "2-3", "4" }, NULL },
    { "hyperthreads of a 2-package machine, cgroup on package 1", "[numa] pack:2 core:4 pu:2",
      "8-15", 2, EX, ALL, { "8-11", "12-15" }, NULL },
    { "an allowed cpuset outside the machine", "[numa] core:3 pu:1", "16-17", 1, RR, ALL,
      { NULL }, "no CPU to bind workers to: the allowed cpuset (16-17) holds no PU of "
      "this machine" },
};

static void test_plans(void)
{
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        const plan_case *c = &plans[i];
        ts_binding_plan p;
        ts_err err = { 0 };
        int rc = make(c, NULL, &p, &err);

        if (c->want_err) {
            is_int(rc, -1, c->name);
            is_str(err.msg, c->want_err, "  its message");
            continue;
        }
        if (!ok(rc == 0, "%s", c->name)) {
            diag("%s", err.msg);
            continue;
        }
        is_int((long long)p.nworkers, c->workers, "  one binding per worker");
        for (size_t w = 0; w < p.nworkers; w++) {
            char *l = ts_binding_cpulist(p.w[w].cpuset);
            char name[64];
            snprintf(name, sizeof name, "  worker %zu's cpus", w);
            is_str(l, c->want[w], name);
            free(l);
        }
        ts_binding_plan_free(&p);
    }
}

static void test_bad_synthetic(void)
{
    hwloc_topology_t t;
    hwloc_bitmap_t a;
    ts_err err = { 0 };

    is_int(ts_binding_load_synthetic("core:banana", &t, &a, &err), -1,
           "a malformed synthetic topology is refused");
    is_str(err.msg, "hwloc: \"core:banana\" is not a synthetic topology", "  its message");
}

/* ------------------------------------------------------------ GPUs */

typedef struct gpu_case {
    const char *name;
    const char *env[8];           /* "NAME=VALUE" ..., NULL ends */
    const char *want_source;      /* NULL: no GPUs */
    const char *want_list;
    const char *want_err;
} gpu_case;

static const char *table_lookup(const char *name, void *ctx)
{
    const char *const *env = ctx;
    size_t len = strlen(name);

    for (; *env; env++)
        if (!strncmp(*env, name, len) && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

static const gpu_case gpu_cases[] = {
    { "no variable: no GPUs", { "PATH=/bin", NULL }, NULL, "", NULL },
    { "CUDA_VISIBLE_DEVICES", { "CUDA_VISIBLE_DEVICES=0,1", NULL },
      "CUDA_VISIBLE_DEVICES", "0,1", NULL },
    { "ROCR_VISIBLE_DEVICES", { "ROCR_VISIBLE_DEVICES=2,3,5", NULL },
      "ROCR_VISIBLE_DEVICES", "2,3,5", NULL },
    { "GPU_DEVICE_ORDINAL", { "GPU_DEVICE_ORDINAL=1", NULL },
      "GPU_DEVICE_ORDINAL", "1", NULL },
    { "SLURM_JOB_GPUS", { "SLURM_JOB_GPUS=4,6", NULL }, "SLURM_JOB_GPUS", "4,6", NULL },
    { "SLURM_STEP_GPUS before SLURM_JOB_GPUS",
      { "SLURM_JOB_GPUS=4,5,6,7", "SLURM_STEP_GPUS=6,7", NULL },
      "SLURM_STEP_GPUS", "6,7", NULL },
    { "CUDA_VISIBLE_DEVICES before Slurm's lists",
      { "SLURM_JOB_GPUS=4,5", "SLURM_STEP_GPUS=4,5", "CUDA_VISIBLE_DEVICES=0,1", NULL },
      "CUDA_VISIBLE_DEVICES", "0,1", NULL },
    { "CUDA_VISIBLE_DEVICES before ROCR_VISIBLE_DEVICES",
      { "ROCR_VISIBLE_DEVICES=2,3", "CUDA_VISIBLE_DEVICES=0,1", NULL },
      "CUDA_VISIBLE_DEVICES", "0,1", NULL },
    { "an empty CUDA_VISIBLE_DEVICES: no GPUs (SLURM_JOB_GPUS not looked at)",
      { "CUDA_VISIBLE_DEVICES=", "SLURM_JOB_GPUS=0", NULL },
      "CUDA_VISIBLE_DEVICES", "", NULL },
    { "NoDevFiles: no GPUs", { "CUDA_VISIBLE_DEVICES=NoDevFiles", NULL },
      "CUDA_VISIBLE_DEVICES", "", NULL },
    { "UUIDs", { "CUDA_VISIBLE_DEVICES=GPU-8f2a-11,MIG-GPU-8f2a-12/1/0", NULL },
      "CUDA_VISIBLE_DEVICES", "GPU-8f2a-11,MIG-GPU-8f2a-12/1/0", NULL },
    { "an empty entry", { "CUDA_VISIBLE_DEVICES=0,,1", NULL }, NULL, NULL,
      "CUDA_VISIBLE_DEVICES=\"0,,1\": entry 2 is empty (a comma-separated list of GPU "
      "indices or UUIDs)" },
    { "a trailing comma", { "SLURM_JOB_GPUS=0,", NULL }, NULL, NULL,
      "SLURM_JOB_GPUS=\"0,\": entry 2 is empty (a comma-separated list of GPU indices "
      "or UUIDs)" },
    { "a space", { "ROCR_VISIBLE_DEVICES=0, 1", NULL }, NULL, NULL,
      "ROCR_VISIBLE_DEVICES=\"0, 1\": entry 2 is not a GPU index or UUID (character ' ')" },
    { "a GPU twice", { "SLURM_STEP_GPUS=1,2,1", NULL }, NULL, NULL,
      "SLURM_STEP_GPUS=\"1,2,1\": GPU 1 is listed twice" },
    { "runtime variables that disagree",
      { "CUDA_VISIBLE_DEVICES=0,1", "ROCR_VISIBLE_DEVICES=0,1,2", NULL }, NULL, NULL,
      "CUDA_VISIBLE_DEVICES lists 2 GPUs but ROCR_VISIBLE_DEVICES lists 3: which GPUs "
      "the allocation has is unclear" },
    { "a malformed later runtime variable is refused too",
      { "CUDA_VISIBLE_DEVICES=0,1", "GPU_DEVICE_ORDINAL=0;1", NULL }, NULL, NULL,
      "GPU_DEVICE_ORDINAL=\"0;1\": entry 1 is not a GPU index or UUID (character ';')" },
};

static void test_gpu_parsing(void)
{
    for (size_t i = 0; i < sizeof gpu_cases / sizeof gpu_cases[0]; i++) {
        const gpu_case *c = &gpu_cases[i];
        ts_gpus g;
        ts_err err = { 0 };
        int rc = ts_gpus_read(table_lookup, (void *)c->env, &g, &err);

        if (c->want_err) {
            is_int(rc, -1, c->name);
            is_str(err.msg, c->want_err, "  its message");
            continue;
        }
        if (!ok(rc == 0, "%s", c->name)) {
            diag("%s", err.msg);
            continue;
        }
        char *l = ts_gpus_join(g.ids, 0, g.n);
        is_str(g.source, c->want_source, "  the variable it came from");
        is_str(l, c->want_list, "  the GPUs");
        free(l);
        ts_gpus_free(&g);
    }
    char many[8192];
    const char *env[] = { many, NULL };
    size_t len = (size_t)snprintf(many, sizeof many, "SLURM_JOB_GPUS=0");
    for (int k = 1; k <= TS_GPUS_MAX; k++)
        len += (size_t)snprintf(many + len, sizeof many - len, ",%d", k);
    ts_gpus g;
    ts_err err = { 0 };
    is_int(ts_gpus_read(table_lookup, env, &g, &err), -1, "more than 1024 GPUs are refused");
    is_str(err.msg, "SLURM_JOB_GPUS lists 1025 GPUs: at most 1024", "  its message");
}

static void test_gpu_share(void)
{
    static const struct { size_t ngpus, nworkers; const char *want; } c[] = {
        { 4, 4, "0|1|2|3" },
        { 4, 2, "0,1|2,3" },
        { 5, 2, "0,1,2|3,4" },
        { 7, 3, "0,1,2|3,4|5,6" },
        { 2, 3, "0,1|0,1|0,1" },          /* fewer GPUs than workers: shared */
        { 1, 2, "0|0" },
        { 0, 2, "|" },
    };
    static char *const ids[] = { "0", "1", "2", "3", "4", "5", "6" };

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char got[64] = "", name[64];
        for (size_t w = 0; w < c[i].nworkers; w++) {
            size_t first, count;
            ts_gpus_share(c[i].ngpus, c[i].nworkers, w, &first, &count);
            char *l = ts_gpus_join(ids, first, count);
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", w ? "|" : "", l);
            free(l);
        }
        snprintf(name, sizeof name, "%zu GPUs over %zu workers", c[i].ngpus, c[i].nworkers);
        is_str(got, c[i].want, name);
    }
}

/* ------------------------------------------------------------ environment */

static const char *const env_vars[] = {
    "TASK_SUITE_WORKER_ID", "TASK_SUITE_WORKER_CPUS", "TASK_SUITE_WORKER_GPUS",
    "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

/* Worker w's environment after ts_binding_env, as "K=V K=V" of env_vars
 * ("-" for unset). */
static void env_of(const char *const *allocation, int workers, size_t w, char *out,
                   size_t len)
{
    plan_case c = { "env", "[numa] core:4 pu:1", NULL, workers, EX, ALL, { NULL }, NULL };
    ts_binding_plan p;
    ts_gpus g;
    ts_err err = { 0 };

    *out = '\0';
    clear_env();
    if (ts_gpus_read(table_lookup, (void *)allocation, &g, &err) < 0
        || make(&c, &g, &p, &err) < 0 || ts_binding_env(&p, w, &err) < 0) {
        snprintf(out, len, "error: %.200s", err.msg);
        return;
    }
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++) {
        const char *v = getenv(env_vars[i]);
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", v ? v : "-");
    }
    ts_binding_plan_free(&p);
    clear_env();
}

static void test_env(void)
{
    static const struct {
        const char *name;
        const char *alloc[4];
        int workers;
        size_t w;
        const char *want;   /* ID CPUS GPUS CUDA ROCR ORDINAL, "-" unset */
    } c[] = {
        { "no GPUs: an empty list, the runtime variables stay unset", { NULL }, 2, 1,
          "1 2-3  - - -" },
        { "CUDA_VISIBLE_DEVICES narrowed", { "CUDA_VISIBLE_DEVICES=0,1,2,3", NULL }, 2, 1,
          "1 2-3 2,3 2,3 - -" },
        { "each runtime variable narrowed by position",
          { "CUDA_VISIBLE_DEVICES=0,1", "ROCR_VISIBLE_DEVICES=4,5",
            "GPU_DEVICE_ORDINAL=0,1", NULL }, 2, 1, "1 2-3 1 1 5 1" },
        { "SLURM_JOB_GPUS: CUDA and ROCR set to the node's indices",
          { "SLURM_JOB_GPUS=4,5", NULL }, 2, 0, "0 0-1 4 4 4 -" },
        { "fewer GPUs than workers: shared", { "ROCR_VISIBLE_DEVICES=3", NULL }, 3, 2,
          "2 3 3 - 3 -" },
    };
    char got[256];

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        env_of(c[i].alloc, c[i].workers, c[i].w, got, sizeof got);
        is_str(got, c[i].want, c[i].name);
    }
    ts_binding_plan p = { 0 };
    ts_err err = { 0 };
    is_int(ts_binding_env(&p, 0, &err), -1, "a worker the plan does not have");
    is_str(err.msg, "worker 0: the plan has 0 workers", "  its message");
}

/* ------------------------------------------------------------ this machine */

/* Fork, apply worker w's binding in the child, and read back what the
 * kernel says the child may run on. */
static void test_real_binding(void)
{
    hwloc_topology_t topo;
    hwloc_bitmap_t allowed;
    ts_worker_schedule ws = { .present = true, .worker_count = 2,
                              .strategy = TS_BIND_ROUND_ROBIN };
    ts_binding_plan p;
    ts_gpus none = { 0 };
    ts_err err = { 0 };

    if (!ok(ts_binding_load(&topo, &allowed, &err) == 0, "this machine's topology loads")) {
        diag("%s", err.msg);
        skip(4, "no topology");
        return;
    }
    if (hwloc_bitmap_weight(allowed) < 2) {
        skip(4, "only one PU allowed here: nothing to tell bindings apart");
    } else if (!ok(ts_binding_plan_make(topo, allowed, &ws, &none, &p, &err) == 0,
                   "a RoundRobin plan for 2 workers")) {
        diag("%s", err.msg);
        skip(3, "no plan");
    } else {
        int fd[2];
        char got[256] = "", *want;
        pid_t pid;
        int st = -1;

        fflush(stdout);           /* the child must not print our buffer again */
        if (pipe(fd) < 0 || (pid = fork()) < 0) {
            skip(3, "cannot fork");
        } else {
            if (pid == 0) {
                char line[256], msg[512] = "";
                FILE *f;
                close(fd[0]);
                if (ts_binding_apply(topo, &p, 1, &err) < 0) {
                    snprintf(msg, sizeof msg, "apply: %.200s", err.msg);
                } else if ((f = fopen("/proc/self/status", "r")) != NULL) {
                    while (fgets(line, sizeof line, f))
                        if (!strncmp(line, "Cpus_allowed_list:", 18)) {
                            line[strcspn(line, "\n")] = '\0';
                            snprintf(msg, sizeof msg, "%s|%s", line + 18 + strspn(line + 18, " \t"),
                                     getenv("TASK_SUITE_WORKER_CPUS"));
                        }
                    fclose(f);
                }
                ssize_t k = write(fd[1], msg, strlen(msg));
                _exit(k < 0);
            }
            close(fd[1]);
            ssize_t n = read(fd[0], got, sizeof got - 1);
            got[n > 0 ? n : 0] = '\0';
            close(fd[0]);
            waitpid(pid, &st, 0);
            want = ts_binding_cpulist(p.w[1].cpuset);
            ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child applied and reported");
            char *bar = strchr(got, '|');
            if (bar)
                *bar++ = '\0';
            is_str(got, want, "its Cpus_allowed_list is worker 1's cpuset");
            is_str(bar, want, "its TASK_SUITE_WORKER_CPUS says the same");
            free(want);
        }
        ts_binding_plan_free(&p);
    }

    /* The measurement the brief asks for; no assertion on time. */
    ts_worker_schedule many = { .present = true, .worker_count = 64,
                                .strategy = TS_BIND_ROUND_ROBIN };
    struct timespec a, b;
    int rounds = 200, good = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds && good; i++) {
        good = ts_binding_plan_make(topo, allowed, &many, &none, &p, &err) == 0;
        if (good)
            ts_binding_plan_free(&p);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3)
                / rounds;
    ok(good, "a plan of 64 workers on this machine");
    diag("a plan of 64 workers on this machine (%d PUs): %.1f us, %.2f us per worker",
         hwloc_bitmap_weight(allowed), us, us / 64);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}

int main(void)
{
    test_plans();
    test_bad_synthetic();
    test_gpu_parsing();
    test_gpu_share();
    test_env();
    test_real_binding();
    return done_testing();
}
