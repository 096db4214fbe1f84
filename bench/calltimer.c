/* calltimer.c: an LD_PRELOAD shim for the benches. It times, inside an
 * unmodified `tasksuite` process, the calls that leave the process's own CPU
 * work: libslurm RPCs (each one a munge credential + a round trip to
 * slurmctld) and fsync/fdatasync (SQLite's commits, manifest and event
 * records). At exit it appends one line per function to the file named by
 * TS_CALLTIMER_OUT:  "<pid> <function> <calls> <total ms>", and one line
 * "<pid> cpu 1 <user+system ms>" with the process's own CPU time (getrusage),
 * which other load on the machine disturbs far less than wall time.
 *
 *   cc -O2 -shared -fPIC -o calltimer.so calltimer.c -ldl
 *   TS_CALLTIMER_OUT=/tmp/t LD_PRELOAD=./calltimer.so tasksuite submit ...
 *
 * The wrapped functions are looked up with dlsym(RTLD_NEXT) and called with
 * the same arguments; nothing else changes. Prototypes are spelled out with
 * void pointers so the shim builds without slurm.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { F_SUBMIT, F_CTL_CONF, F_LOAD_JOB, F_LOAD_JOB_USER, F_LOAD_JOBS, F_KILL_JOB,
       F_INIT, F_FSYNC, F_FDATASYNC, F_N };
static const char *names[F_N] = {
    "slurm_submit_batch_job", "slurm_load_ctl_conf", "slurm_load_job",
    "slurm_load_job_user", "slurm_load_jobs", "slurm_kill_job2", "slurm_init",
    "fsync", "fdatasync",
};
static long calls[F_N];
static double total_ms[F_N];

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "calltimer: %s not found\n", name);
        abort();
    }
    return f;
}

#define TIMED(idx, type, call)            \
    do {                                  \
        double t0_ = now_ms();            \
        type r_ = call;                   \
        total_ms[idx] += now_ms() - t0_;  \
        calls[idx]++;                     \
        return r_;                        \
    } while (0)

int slurm_submit_batch_job(void *desc, void **resp)
{
    static int (*f)(void *, void **);
    if (!f) f = (int (*)(void *, void **))next(__func__);
    TIMED(F_SUBMIT, int, f(desc, resp));
}

int slurm_load_ctl_conf(time_t t, void **conf)
{
    static int (*f)(time_t, void **);
    if (!f) f = (int (*)(time_t, void **))next(__func__);
    TIMED(F_CTL_CONF, int, f(t, conf));
}

int slurm_load_job(void **msg, uint32_t id, uint16_t flags)
{
    static int (*f)(void **, uint32_t, uint16_t);
    if (!f) f = (int (*)(void **, uint32_t, uint16_t))next(__func__);
    TIMED(F_LOAD_JOB, int, f(msg, id, flags));
}

int slurm_load_job_user(void **msg, uint32_t uid, uint16_t flags)
{
    static int (*f)(void **, uint32_t, uint16_t);
    if (!f) f = (int (*)(void **, uint32_t, uint16_t))next(__func__);
    TIMED(F_LOAD_JOB_USER, int, f(msg, uid, flags));
}

int slurm_load_jobs(time_t t, void **msg, uint16_t flags)
{
    static int (*f)(time_t, void **, uint16_t);
    if (!f) f = (int (*)(time_t, void **, uint16_t))next(__func__);
    TIMED(F_LOAD_JOBS, int, f(t, msg, flags));
}

int slurm_kill_job2(const char *id, uint16_t sig, uint16_t flags, const char *sibling)
{
    static int (*f)(const char *, uint16_t, uint16_t, const char *);
    if (!f) f = (int (*)(const char *, uint16_t, uint16_t, const char *))next(__func__);
    TIMED(F_KILL_JOB, int, f(id, sig, flags, sibling));
}

void slurm_init(const char *conf)
{
    static void (*f)(const char *);
    if (!f) f = (void (*)(const char *))next(__func__);
    double t0 = now_ms();
    f(conf);
    total_ms[F_INIT] += now_ms() - t0;
    calls[F_INIT]++;
}

int fsync(int fd)
{
    static int (*f)(int);
    if (!f) f = (int (*)(int))next(__func__);
    TIMED(F_FSYNC, int, f(fd));
}

int fdatasync(int fd)
{
    static int (*f)(int);
    if (!f) f = (int (*)(int))next(__func__);
    TIMED(F_FDATASYNC, int, f(fd));
}

__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("TS_CALLTIMER_OUT");
    FILE *fp;
    if (!out || !(fp = fopen(out, "a")))
        return;
    for (int i = 0; i < F_N; i++)
        if (calls[i])
            fprintf(fp, "%ld %s %ld %.3f\n", (long)getpid(), names[i], calls[i],
                    total_ms[i]);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        fprintf(fp, "%ld cpu 1 %.3f\n", (long)getpid(),
                (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3
                + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
    fclose(fp);
}
