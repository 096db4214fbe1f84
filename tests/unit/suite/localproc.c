/* localproc.t: the local runner's record (src/suite/localproc.h): a live
 * process is alive, an ended one or a reused pid (another start time) is
 * not, the record round-trips and is cleared. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "localproc.h"
#include "tap.h"

static void liveness(void)
{
    ts_localproc self = { .pid = getpid() };
    ok(ts_localproc_start_time(self.pid, &self.start) == 0, "our own start time is read");
    ok(ts_localproc_alive(&self), "we are alive");
    ts_localproc reused = self;
    reused.start = self.start + 1;
    ok(!ts_localproc_alive(&reused), "the same pid with another start time is not us");

    pid_t child = fork();
    if (child == 0)
        _exit(0);
    unsigned long long st;
    st = 0;
    (void)ts_localproc_start_time(child, &st);   /* 0 when it already ended */
    int status;
    waitpid(child, &status, 0);
    ts_localproc gone = { .pid = child, .start = st };
    ok(!ts_localproc_alive(&gone), "an ended (reaped) process is not alive");
    ts_localproc none = { .pid = 0 };
    ok(!ts_localproc_alive(&none), "pid 0 is never alive");
}

static void record(void)
{
    char dir[] = "/tmp/localproc.XXXXXX";
    ts_err err = { 0 };
    ts_localproc p = { 0 };
    ok(mkdtemp(dir) != NULL, "a scratch directory");
    is_int(ts_localproc_read(dir, &p), 0, "no record yet");
    is_int(ts_localproc_write_self(dir, &err), 0, "record ourselves");
    is_int(ts_localproc_read(dir, &p), 1, "the record is read back");
    is_int(p.pid, getpid(), "... with our pid");
    ok(ts_localproc_alive(&p), "... and our start time");
    ts_localproc_clear(dir);
    is_int(ts_localproc_read(dir, &p), 0, "cleared");
    char path[300];
    snprintf(path, sizeof path, "%s/local-runner", dir);
    FILE *f = fopen(path, "w");
    ok(f != NULL, "write a torn record");
    if (f) {
        fputs("12", f);
        fclose(f);
    }
    is_int(ts_localproc_read(dir, &p), 0, "a torn record is no record");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    plan_no_plan();
    liveness();
    record();
    return done_testing();
}
