/* reaper.c: see reaper.h. No malloc and no stdio but snprintf: the hook
 * supervisor calls this after fork in a possibly multi-threaded process. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

typedef struct kdirent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
} kdirent;

int ts_each_dirent(int dir, void (*fn)(const char *, void *), void *arg)
{
    _Alignas(kdirent) char buf[4096];
    long n;
    if (lseek(dir, 0, SEEK_SET) < 0)
        return -1;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            const kdirent *d = (const void *)(buf + off);
            off += d->reclen;
            fn(d->name, arg);
        }
    return n == 0 ? 0 : -1;
}

typedef struct scan {
    pid_t self;
    void (*fn)(pid_t, void *);
    void *arg;
    int count;
} scan;

/* The parent pid and process group of /proc/<name> (a pid), from its stat
 * line "pid (name) state ppid pgrp ...": the name may hold anything, so the
 * fields are read after its last ')'. 0, or -1 when it is not a process or
 * is gone. Only system calls and strtol: safe after fork in the plugin. */
static int proc_stat(const char *name, long *ppid, long *pgrp)
{
    char path[64], line[512];
    if (name[0] < '1' || name[0] > '9')
        return -1;
    snprintf(path, sizeof path, "/proc/%.20s/stat", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, line, sizeof line - 1);
    close(fd);
    if (got <= 0)
        return -1;
    line[got] = '\0';
    char *p = strrchr(line, ')');
    if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
        return -1;
    char *end;
    *ppid = strtol(p + 4, &end, 10);
    *pgrp = *end == ' ' ? strtol(end + 1, NULL, 10) : -1;
    return 0;
}

/* One /proc entry: a child of ours if its parent pid is ours. */
static void scan_one(const char *name, void *arg)
{
    scan *sc = arg;
    long ppid, pgrp;
    if (proc_stat(name, &ppid, &pgrp) == 0 && ppid == (long)sc->self) {
        sc->fn((pid_t)strtol(name, NULL, 10), sc->arg);
        sc->count++;
    }
}

/* Calls fn(pid, arg) for each child of ours (one pass), from
 * /proc/self/task/TID/children when the kernel has it, else from the parent
 * pid in every /proc/PID/stat. Returns the number of children seen, -1 when
 * /proc cannot tell. Reading /proc is all it does: a pid it reports is ours
 * until we reap it, so signalling it is safe. */
int ts_reaper_each_child(void (*fn)(pid_t, void *), void *arg)
{
    char path[64], buf[4096];
    pid_t self = getpid();
    int count = 0;

    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)self);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        long cur = -1;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] >= '0' && buf[i] <= '9') {
                    cur = (cur < 0 ? 0 : cur * 10) + (buf[i] - '0');
                } else if (cur >= 0) {
                    fn((pid_t)cur, arg);
                    count++;
                    cur = -1;
                }
            }
        }
        close(fd);
        if (cur >= 0) {
            fn((pid_t)cur, arg);
            count++;
        }
        if (n == 0)
            return count;
        /* unreadable after all: scan (the scan counts on its own) */
    }

    scan sc = { .self = self, .fn = fn, .arg = arg, .count = 0 };
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    int rc = ts_each_dirent(dir, scan_one, &sc);
    close(dir);
    return rc == 0 ? sc.count : -1;
}


typedef struct sweep {
    pid_t leader;     /* left alone: handled by the caller */
    int sig;          /* sent to each live child; 0: none; SIGTERM once each */
    int live;         /* children still running (or stopped) */
    pid_t *termed;    /* who had SIGTERM already */
    int *n_termed;
} sweep;

/* One child: reap it if it is a zombie, else count it and signal it. */
static void sweep_one(pid_t pid, void *arg)
{
    sweep *s = arg;
    if (pid == s->leader || pid <= 0)
        return;
    pid_t r;
    while ((r = waitpid(pid, NULL, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r != 0)
        return;   /* reaped now, or not ours after all */
    s->live++;
    if (s->sig == SIGTERM) {
        for (int i = 0; i < *s->n_termed; i++)
            if (s->termed[i] == pid)
                return;
        if (*s->n_termed < TS_REAPER_MAX_TERMED)
            s->termed[(*s->n_termed)++] = pid;
        (void)kill(pid, SIGTERM);
        (void)kill(pid, SIGCONT);
    } else if (s->sig) {
        (void)kill(pid, s->sig);
    }
}

/* Live children other than the leader, signalling each with sig. -1 when
 * /proc cannot tell. */
int ts_reaper_sweep(pid_t leader, int sig, pid_t *termed, int *n_termed)
{
    sweep s = { .leader = leader, .sig = sig, .termed = termed, .n_termed = n_termed };
    return ts_reaper_each_child(sweep_one, &s) < 0 ? -1 : s.live;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    (void)nanosleep(&ts, NULL);
}

int ts_reaper_stop_all(int64_t term_ms, int64_t kill_ms)
{
    pid_t termed[TS_REAPER_MAX_TERMED];
    int n_termed = 0;
    int found = ts_reaper_sweep(0, SIGTERM, termed, &n_termed);
    if (found <= 0)
        return found;
    int64_t end = mono_ms() + term_ms;
    int live = found;
    while (live > 0 && mono_ms() < end) {
        nap_ms(20);
        live = ts_reaper_sweep(0, SIGTERM, termed, &n_termed);
    }
    end = mono_ms() + kill_ms;
    while (live > 0) {
        live = ts_reaper_sweep(0, SIGKILL, NULL, NULL);
        if (live <= 0 || mono_ms() >= end)
            break;
        nap_ms(20);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return found;
}

typedef struct group_scan {
    pid_t pgid;
    int sig;
    dev_t dev;        /* the program spared: its file's device and inode */
    ino_t ino;
    int count;
} group_scan;

/* One /proc entry: signal it if it is in the group and not the spared
 * program. */
static void group_one(const char *name, void *arg)
{
    group_scan *g = arg;
    char path[64];
    long ppid, pgrp;
    if (proc_stat(name, &ppid, &pgrp) < 0 || pgrp != (long)g->pgid)
        return;
    struct stat st;
    snprintf(path, sizeof path, "/proc/%.20s/exe", name);
    if (stat(path, &st) == 0 && st.st_dev == g->dev && st.st_ino == g->ino)
        return;
    if (kill((pid_t)strtol(name, NULL, 10), g->sig) == 0)
        g->count++;
}

int ts_signal_group_sparing(pid_t pgid, int sig, const char *spared_exe)
{
    struct stat st;
    if (pgid <= 1 || stat(spared_exe, &st) < 0)
        return -1;
    group_scan g = { .pgid = pgid, .sig = sig, .dev = st.st_dev, .ino = st.st_ino };
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    int rc = ts_each_dirent(dir, group_one, &g);
    close(dir);
    return rc == 0 ? g.count : -1;
}
