/* conn.c: getting libslurm ready and reading its refusals (see slurm.h).
 *
 * slurm_init() once, after checking that the libslurm loaded is the one of
 * the release tasksuite was built for (structures differ between releases),
 * and the one rule every RPC shares: which errno means "slurmctld did not
 * answer" (TS_EXIT_SLURM, "cannot reach the Slurm controller") and which
 * "it said no". Separate so that each file that sends an RPC reports a
 * failure the same way.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcodes.h"
#include "slurm_int.h"

/* ================================================================ init */

/* libslurm's API version, which is its soname (libslurm.so.38 ...), of each
 * release: slurm_api_version() returns SLURM_VERSION_NUM(api, age, rev)
 * (Slurm's META: API_CURRENT). Releases after the last row are assumed to
 * keep the pattern (one API per release, two releases a year). */
static const struct {
    int major, minor, api;
} releases[] = {
    { 22, 5, 38 }, { 23, 2, 39 }, { 23, 11, 40 }, { 24, 5, 41 },
    { 24, 11, 42 }, { 25, 5, 43 }, { 25, 11, 44 }, { 26, 5, 45 },
};

static int api_of_release(int major, int minor)
{
    for (size_t i = 0; i < COUNT(releases); i++)
        if (releases[i].major == major && releases[i].minor == minor)
            return releases[i].api;
    const int last = (int)COUNT(releases) - 1;
    int later = (major - releases[last].major) * 2
                + (minor > 6) - (releases[last].minor > 6);
    return later > 0 ? releases[last].api + later : -1;
}

/* "22.05" for API 38; "" when unknown. */
static const char *release_of_api(int api, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < COUNT(releases); i++)
        if (releases[i].api == api)
            snprintf(buf, len, "%d.%02d", releases[i].major,
                     releases[i].minor);
    return buf;
}

#define BUILT_MAJOR ((int)SLURM_VERSION_MAJOR(TS_SLURM_BUILT))
#define BUILT_MINOR ((int)SLURM_VERSION_MINOR(TS_SLURM_BUILT))

const char *ts_slurm_built_for(void)
{
    static char buf[64];
    if (!buf[0])
        snprintf(buf, sizeof buf, "Slurm " TS_SLURM_RELEASE_FMT
                 " (libslurm.so.%d)", TS_SLURM_RELEASE_ARGS(TS_SLURM_BUILT),
                 api_of_release(BUILT_MAJOR, BUILT_MINOR));
    return buf;
}

int ts_slurm_check_library(ts_err *err)
{
    int want = api_of_release(BUILT_MAJOR, BUILT_MINOR);
    int have = (int)SLURM_VERSION_MAJOR(slurm_api_version());
    char rel[16];
    if (want < 0 || have == want)
        return 0;
    release_of_api(have, rel, sizeof rel);
    return ts_errc(err, TS_EXIT_SLURM, "built for Slurm %d.%02d "
                   "(libslurm.so.%d), but libslurm.so.%d%s%s%s is loaded: "
                   "rebuild tasksuite against the installed Slurm "
                   "(configure --with-slurm=PREFIX)", BUILT_MAJOR,
                   BUILT_MINOR, want, have, rel[0] ? " (Slurm " : "", rel,
                   rel[0] ? ")" : "");
}

static bool initialized;

/* Where libslurm looks when SLURM_CONF is unset: its compiled-in default,
 * then the copy slurmd keeps in configless mode. */
static const char *const default_confs[] = {
    "/etc/slurm/slurm.conf", "/run/slurm/conf/slurm.conf",
};

/* Would slurm_init() find a configuration? libslurm's last resort (a DNS
 * SRV record, configless) cannot be checked without trying, and trying
 * ends the process with fatal() when it fails: try in a child. Only when
 * no file is there, so an ordinary setup pays nothing. */
static bool config_reachable_in_child(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return true;            /* cannot tell: let libslurm say */
    if (pid == 0) {
        /* Bounded: a child of a threaded process (libtasksuite's caller)
         * may find a lock held forever; SIGALRM ends it, as "none". */
        alarm(30);
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        slurm_init(NULL);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return true;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int ts_slurm_have_config(ts_err *err)
{
    /* libslurm's fatal() ends the process when the configuration cannot
     * be read; say so as an ordinary error while we still can. */
    const char *conf = getenv("SLURM_CONF");
    if (conf && conf[0]) {
        if (access(conf, R_OK) != 0)
            return ts_errc(err, TS_EXIT_SLURM, "cannot read the Slurm "
                           "configuration %s (SLURM_CONF): %s; set SLURM_CONF "
                           "to your cluster's slurm.conf, or use --local",
                           conf, strerror(errno));
        return 0;
    }
    for (size_t i = 0; i < COUNT(default_confs); i++)
        if (access(default_confs[i], F_OK) == 0)
            return 0;
    if (config_reachable_in_child())
        return 0;
    return ts_errc(err, TS_EXIT_SLURM, "no Slurm configuration: SLURM_CONF is "
                   "unset and %s does not exist; set SLURM_CONF to your "
                   "cluster's slurm.conf, or use --local", default_confs[0]);
}

int ts_slurm_init(ts_err *err)
{
    static ts_err no_config;    /* checked once: the probe costs a fork */
    if (initialized)
        return 0;
    if (no_config.code) {
        if (err)
            *err = no_config;
        return -1;
    }
    /* Before any other call: structures differ between releases. */
    if (ts_slurm_check_library(err) < 0)
        return -1;
    if (ts_slurm_have_config(&no_config) < 0) {
        if (err)
            *err = no_config;
        return -1;
    }
    /* Array task lists come from the controller as a bitmap that libslurm
     * prints into array_task_str, cut at 64 characters unless this says
     * "no limit"; a cut list would lose pending elements. Read once, at the
     * first job load, so set it before any. */
    setenv("SLURM_BITSTR_LEN", "0", 1);
    slurm_init(NULL);
    initialized = true;
    return 0;
}

/* ================================================================ errors */

/* errno values that mean "no answer from slurmctld", not "it said no". */
bool ts_slurm_unreachable(int e)
{
    return (e >= SLURM_COMMUNICATIONS_CONNECTION_ERROR
            && e <= SLURM_COMMUNICATIONS_SHUTDOWN_ERROR)
        || (e >= SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR
            && e <= SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR)
        || (e >= TS_SLURM_SOCKET_ERRNO_FIRST
            && e <= SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT)
        || e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH
        || e == ENETUNREACH || e == ECONNRESET;
}

/* "<what>: <reason>" for a failed RPC, reason from errno e. */
int ts_slurm_rpc_error(ts_err *err, int e, const char *what)
{
    if (ts_slurm_unreachable(e))
        return ts_errc(err, TS_EXIT_SLURM, "%s%scannot reach the Slurm "
                       "controller: %s", what ? what : "", what ? ": " : "",
                       slurm_strerror(e));
    return ts_errc(err, TS_EXIT_SLURM, "%s%s%s", what ? what : "",
                   what ? ": " : "", slurm_strerror(e));
}
