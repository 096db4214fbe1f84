/* spec_oncheckpoint.c: the on_checkpoint: section of a suite file (issue
 * 16): a task of the suite for each checkpoint a task records.
 *
 *   on_checkpoint:
 *     run: python eval.py --ckpt "$TASK_SUITE_CHECKPOINT"
 *     every: 1000      # only steps that are multiples of it
 *
 * The triggered task is no expansion of the suite's run:, so %(name) has no
 * value in it: it is refused here, at validation, with its place, rather
 * than failing later on a compute node.
 */
#include "config.h"

#include <string.h>

#include "spec_internal.h"

#define ONCP(obj) ((ts_oncheckpoint *)(obj))

static int oc_run(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ONCP(obj)->run_pos = spec_pos_of(v);
    return spec_take_str(c, v, path, spec_check_nonblank, &ONCP(obj)->run);
}

static int oc_every(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int(c, v, path, 1, 1000000000L, &ONCP(obj)->every);
}

/* Known, not supported: triggered tasks are queued by the resubmit path,
 * which has one set of sbatch options per suite. Said as such rather than
 * as an unknown key. */
static int oc_resources(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    (void)obj;
    return spec_fail(c, v, path, "not supported yet: evaluations run with the suite's "
                     "resources (remove it, or give the suite the resources they need)");
}

static const field oncheckpoint_fields[] = {
    { "run", oc_run, false, NULL },
    { "every", oc_every, false, NULL },
    { "resources", oc_resources, false, NULL },
    { NULL, NULL, false, NULL },
};

int spec_read_oncheckpoint(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    ts_oncheckpoint *oc = &SUITE(obj)->on_checkpoint;

    oc->pos = spec_pos_of(v);
    if (spec_walk_map(c, v, path, oncheckpoint_fields, oc) < 0)
        return -1;
    if (!oc->run)
        return spec_fail(c, v, path, "needs run: (the shell text each triggered "
                         "task runs; it sees $TASK_SUITE_CHECKPOINT)");
    oc->present = true;
    return 0;
}

/* After the walk: no %(name) in its run (see above). */
int spec_check_oncheckpoint(pctx *c)
{
    const ts_oncheckpoint *oc = &c->s->on_checkpoint;

    if (!oc->present)
        return 0;
    for (const char *p = strchr(oc->run, '%'); p; p = strchr(p, '%')) {
        if (p[1] == '%') {
            p += 2;
            continue;
        }
        if (p[1] == '(') {
            return spec_fail_at(c, oc->run_pos, "on_checkpoint.run", "%%(...) has no value in a "
                                "triggered task: use $TASK_SUITE_CHECKPOINT, "
                                "$TASK_SUITE_CHECKPOINT_STEP, $TASK_SUITE_SOURCE_TASK");
        }
        p++;
    }
    return 0;
}
