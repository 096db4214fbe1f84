/* plugargs.c: parse and check the plugin's plugstack.conf arguments (plugargs.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plugargs.h"
#include "units.h"

void ts_plugin_cfg_defaults(ts_plugin_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->user_hooks = true;
    cfg->max_hook_timeout_s = TS_DEFAULT_MAX_HOOK_TIMEOUT_S;
    snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", TS_DEFAULT_STATE_DIR);
    cfg->log_level = TS_LOG_INFO;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_one(ts_plugin_cfg *cfg, const char *key, const char *val,
                     const char *word, ts_err *err)
{
    if (!strcmp(key, "user_hooks")) {
        if (parse_bool(val, &cfg->user_hooks) < 0)
            return ts_errf(err, "argument \"%s\": expected yes or no", word);
    } else if (!strcmp(key, "max_hook_timeout")) {
        if (ts_parse_duration(val, &cfg->max_hook_timeout_s) < 0
            || cfg->max_hook_timeout_s <= 0)
            return ts_errf(err, "argument \"%s\": expected a duration such as 10m or 01:00:00", word);
    } else if (!strcmp(key, "state_dir")) {
        if (val[0] != '/')
            return ts_errf(err, "argument \"%s\": expected an absolute path", word);
        if ((size_t)snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", val)
            >= sizeof cfg->state_dir)
            return ts_errf(err, "argument \"%s\": path too long", word);
    } else if (!strcmp(key, "log_level")) {
        if (!strcmp(val, "error"))
            cfg->log_level = TS_LOG_ERROR;
        else if (!strcmp(val, "info"))
            cfg->log_level = TS_LOG_INFO;
        else if (!strcmp(val, "debug"))
            cfg->log_level = TS_LOG_DEBUG;
        else
            return ts_errf(err, "argument \"%s\": expected error, info or debug", word);
    } else {
        return ts_errf(err, "unknown argument \"%s\" (valid keys: %s)", word,
                       TS_PLUGARGS_KEYS);
    }
    return 0;
}

int ts_plugin_cfg_parse(ts_plugin_cfg *cfg, int argc, char **argv, ts_err *err)
{
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        const char *eq = strchr(word, '=');
        char key[64];

        if (!eq || eq == word)
            return ts_errf(err, "argument \"%s\" is not key=value (valid keys: %s)",
                           word, TS_PLUGARGS_KEYS);
        if ((size_t)(eq - word) >= sizeof key)
            return ts_errf(err, "unknown argument \"%s\" (valid keys: %s)", word,
                           TS_PLUGARGS_KEYS);
        memcpy(key, word, (size_t)(eq - word));
        key[eq - word] = '\0';
        if (parse_one(cfg, key, eq + 1, word, err) < 0)
            return -1;
    }
    return 0;
}
