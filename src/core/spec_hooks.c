/* spec_hooks.c: env_preparation:, env_cleanup: and on_complete: in a suite
 * file, which share one shape (args: or run:, envs:, timeout:).
 */
#include "config.h"

#include <stdbool.h>

#include "spec_internal.h"

/* ------------------------------------------------------------------ hooks */

#define HOOK(obj) ((ts_hook *)(obj))

static int h_args(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (HOOK(obj)->run)
        return spec_fail(c, v, path, "give args: or run:, not both");
    if (spec_read_strlist(c, v, path, NULL, false, &HOOK(obj)->args) < 0)
        return -1;
    if (HOOK(obj)->args.n == 0)
        return spec_fail(c, v, path, "is empty (give the program to run)");
    /* Only the program must be named; later arguments may be "". */
    if (!*HOOK(obj)->args.v[0]) {
        char ip[PATH_LEN];

        spec_path_idx(ip, path, 0);
        return spec_fail(c, spec_node(c, v->data.sequence.items.start[0]), ip,
                         "is empty (the program to run)");
    }
    return 0;
}

static int h_run(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (HOOK(obj)->args.n)
        return spec_fail(c, v, path, "give args: or run:, not both");
    return spec_take_str(c, v, path, spec_check_nonblank, &HOOK(obj)->run);
}

static int h_envs(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_kvmap(c, v, path, spec_check_env_key, false,
                           &HOOK(obj)->envs);
}

static int h_timeout(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_duration(c, v, path, 1, 86400, &HOOK(obj)->timeout_s);
}

static const field hook_fields[] = {
    { "args", h_args, false, NULL },
    { "run", h_run, false, NULL },
    { "envs", h_envs, false, NULL },
    { "timeout", h_timeout, false, NULL },
    { NULL, NULL, false, NULL },
};

int spec_read_hook(pctx *c, ts_hook *h, yaml_node_t *v, const char *path)
{
    h->pos = spec_pos_of(v);
    if (spec_walk_map(c, v, path, hook_fields, h) < 0)
        return -1;
    if (!h->run && h->args.n == 0)
        return spec_fail(c, v, path, "needs args: (a program and its arguments) "
                         "or run: (shell text)");
    h->present = true;
    return 0;
}
