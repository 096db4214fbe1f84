/* plugargs: strict key=value plugstack arguments. */
#include "config.h"

#include <string.h>

#include "plugargs.h"
#include "tap.h"

static const struct {
    const char *args[4];
    const char *error;   /* NULL: accepted */
} cases[] = {
    { { NULL }, NULL },
    { { "user_hooks=no", NULL }, NULL },
    { { "max_hook_timeout=10m", "state_dir=/var/lib/ts", "log_level=debug", NULL }, NULL },
    { { "max_hook_timeout=01:00:00", NULL }, NULL },
    { { "foo=1", NULL },
      "unknown argument \"foo=1\" (valid keys: " TS_PLUGARGS_KEYS ")" },
    { { "user_hooks", NULL },
      "argument \"user_hooks\" is not key=value (valid keys: " TS_PLUGARGS_KEYS ")" },
    { { "=yes", NULL },
      "argument \"=yes\" is not key=value (valid keys: " TS_PLUGARGS_KEYS ")" },
    { { "user_hooks=maybe", NULL }, "argument \"user_hooks=maybe\": expected yes or no" },
    { { "max_hook_timeout=soon", NULL },
      "argument \"max_hook_timeout=soon\": expected a duration such as 10m or 01:00:00" },
    { { "max_hook_timeout=0", NULL },
      "argument \"max_hook_timeout=0\": expected a duration such as 10m or 01:00:00" },
    { { "state_dir=relative/dir", NULL },
      "argument \"state_dir=relative/dir\": expected an absolute path" },
    { { "log_level=verbose", NULL },
      "argument \"log_level=verbose\": expected error, info or debug" },
    { { "log_level=info", "bogus=", NULL },
      "unknown argument \"bogus=\" (valid keys: " TS_PLUGARGS_KEYS ")" },
};

int main(void)
{
    ts_plugin_cfg cfg;
    ts_err err;

    ts_plugin_cfg_defaults(&cfg);
    ok(cfg.user_hooks, "hooks allowed by default");
    is_int(cfg.max_hook_timeout_s, TS_DEFAULT_MAX_HOOK_TIMEOUT_S, "default max timeout");
    is_str(cfg.state_dir, TS_DEFAULT_STATE_DIR, "default state dir");

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = 0;
        while (argc < 4 && cases[i].args[argc])
            argc++;
        ts_plugin_cfg_defaults(&cfg);
        ts_err_clear(&err);
        int rc = ts_plugin_cfg_parse(&cfg, argc, (char **)cases[i].args, &err);
        if (cases[i].error) {
            ok(rc == -1, "case %zu refused", i);
            is_str(err.msg, cases[i].error, "case message");
        } else {
            ok(rc == 0, "case %zu accepted", i);
        }
    }

    char *full[] = { "user_hooks=no", "max_hook_timeout=5m", "state_dir=/x", "log_level=error" };
    ts_plugin_cfg_defaults(&cfg);
    ok(ts_plugin_cfg_parse(&cfg, 4, full, &err) == 0, "all keys");
    ok(!cfg.user_hooks, "user_hooks=no applied");
    is_int(cfg.max_hook_timeout_s, 300, "5m = 300 s");
    is_str(cfg.state_dir, "/x", "state_dir applied");
    is_int(cfg.log_level, TS_LOG_ERROR, "log_level applied");
    return done_testing();
}
