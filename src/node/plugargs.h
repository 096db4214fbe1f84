/* plugargs.h: the plugin's plugstack.conf arguments (admin settings).
 *
 *   required /usr/lib/slurm/tasksuite.so [key=value ...]
 *
 * Strict: every word is key=value, every key known, every value valid; the
 * first problem is reported with the list of valid keys. Pure logic so the
 * rules are unit-tested without slurmd.
 */
#ifndef TS_PLUGARGS_H
#define TS_PLUGARGS_H

#include <limits.h>
#include <stdbool.h>

#include "err.h"

enum ts_log_level {
    TS_LOG_ERROR = 0,   /* failures only */
    TS_LOG_INFO,        /* + one line per hook run (default) */
    TS_LOG_DEBUG,       /* + every decision */
};

typedef struct ts_plugin_cfg {
    bool user_hooks;            /* user_hooks=yes|no: may suites run hooks */
    long max_hook_timeout_s;    /* max_hook_timeout=DURATION caps user asks */
    char state_dir[PATH_MAX];   /* state_dir=PATH: node-local stamps, locks */
    enum ts_log_level log_level;/* log_level=error|info|debug */
} ts_plugin_cfg;

#define TS_PLUGARGS_KEYS "user_hooks, max_hook_timeout, state_dir, log_level"
#define TS_DEFAULT_STATE_DIR "/run/tasksuite"
#define TS_DEFAULT_MAX_HOOK_TIMEOUT_S 3600

void ts_plugin_cfg_defaults(ts_plugin_cfg *cfg);

/* Parse argv as given by SPANK; on error returns -1 with a message such as
 * `unknown argument "foo=1" (valid keys: ...)`. */
int ts_plugin_cfg_parse(ts_plugin_cfg *cfg, int argc, char **argv, ts_err *err);

#endif
