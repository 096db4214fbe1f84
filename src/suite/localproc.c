/* localproc.c: the local runner's record and its detached start (see
 * localproc.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "localproc.h"

int ts_localproc_start_time(pid_t pid, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm (field 2) may hold spaces and parentheses: fields after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    char state = p[2];
    if (state == 'Z' || state == 'X')
        return -1;
    p += 2;
    /* p is at field 3 (state); the start time is field 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    *start = strtoull(p, NULL, 10);
    return 0;
}

bool ts_localproc_alive(const ts_localproc *p)
{
    unsigned long long now;
    if (p->pid <= 0 || ts_localproc_start_time(p->pid, &now) < 0)
        return false;
    return p->start == 0 || p->start == now;
}

static void record_path(const char *suite_dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/local-runner", suite_dir);
}

int ts_localproc_read(const char *suite_dir, ts_localproc *p)
{
    char path[PATH_MAX];
    long pid = 0;
    unsigned long long start = 0;
    record_path(suite_dir, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%ld %llu", &pid, &start);
    fclose(f);
    if (n != 2 || pid <= 0)
        return 0;
    p->pid = (pid_t)pid;
    p->start = start;
    return 1;
}

int ts_localproc_write_self(const char *suite_dir, ts_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    unsigned long long start = 0;
    pid_t self = getpid();
    if (ts_localproc_start_time(self, &start) < 0)
        return ts_errf(err, "cannot read /proc/%ld/stat", (long)self);
    record_path(suite_dir, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)self);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ts_errf(err, "cannot write %s: %s", tmp, strerror(errno));
    int bad = fprintf(f, "%ld %llu\n", (long)self, start) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) < 0) {
        unlink(tmp);
        return ts_errf(err, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

void ts_localproc_clear(const char *suite_dir)
{
    char path[PATH_MAX];
    record_path(suite_dir, path, sizeof path);
    unlink(path);
}

/* In the grandchild: never returns. */
static void become_runner(const char *self, const char *suite_id, const char *suite_dir)
{
    char log[PATH_MAX];
    setsid();
    snprintf(log, sizeof log, "%s/local-runner.log", suite_dir);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0)
        _exit(127);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    for (int fd = 3; fd < 4096; fd++)
        close(fd);
    /* no Slurm job around the runner: nothing of an enclosing job leaks in */
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_RESTART_COUNT");
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execl(self, "tasksuite", "local-runner", suite_id, (char *)NULL);
    _exit(127);
}

int ts_localproc_spawn_runner(const char *self, const char *suite_id, const char *suite_dir,
                              ts_err *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t mid = fork();
    if (mid < 0)
        return ts_errf(err, "cannot start the local runner: fork: %s", strerror(errno));
    if (mid == 0) {
        pid_t runner = fork();
        if (runner == 0)
            become_runner(self, suite_id, suite_dir);
        _exit(runner < 0 ? 1 : 0);
    }
    int status;
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ts_errf(err, "cannot start the local runner: fork failed");
    return 0;
}
