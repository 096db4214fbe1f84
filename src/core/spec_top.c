/* spec_top.c: the top level of a suite file: its table of fields, the
 * handlers of the simple ones, and the SkyPilot task keys. Sections with
 * structure of their own have their own file (spec_resources.c,
 * spec_hooks.c, spec_tasks.c, spec_resume.c, spec_workers.c, spec_slurm.c).
 */
#include "config.h"

#include <stdbool.h>

#include "spec_internal.h"

/* --------------------------------------------------------------- top level */

static int f_name(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, spec_check_suite_name, &SUITE(obj)->name);
}

static int f_labels(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_strlist(c, v, path, spec_check_nonblank, false,
                             &SUITE(obj)->labels);
}

static int f_tags(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_strlist(c, v, path, spec_check_tag, false, &SUITE(obj)->tags);
}

static int f_group(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, spec_check_word, &SUITE(obj)->group);
}

static int f_num_nodes(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_int_field(c, v, path, 1, 100000, &SUITE(obj)->num_nodes);
}

static int f_envs(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    /* null: "give it at submit" (SkyPilot), ts_spec_apply_launch_env */
    return spec_read_kvmap(c, v, path, spec_check_env_key, true,
                           &SUITE(obj)->envs);
}

static int f_volumes(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    if (spec_read_kvmap(c, v, path, spec_check_path_key, false,
                        &SUITE(obj)->volumes) < 0)
        return -1;
    return spec_warn(c, v, path, "not mounted: tasks see the cluster's shared "
                     "filesystems as they are");
}

static int f_workdir(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, spec_check_nonblank, &SUITE(obj)->workdir);
}

static int f_output_dir(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_take_str(c, v, path, spec_check_nonblank, &SUITE(obj)->output_dir);
}

static int f_env_preparation(pctx *c, void *obj, yaml_node_t *v,
                             const char *path)
{
    return spec_read_hook(c, &SUITE(obj)->env_preparation, v, path);
}

static int f_env_cleanup(pctx *c, void *obj, yaml_node_t *v,
                         const char *path)
{
    return spec_read_hook(c, &SUITE(obj)->env_cleanup, v, path);
}

static int f_on_complete(pctx *c, void *obj, yaml_node_t *v,
                         const char *path)
{
    return spec_read_hook(c, &SUITE(obj)->on_complete, v, path);
}

static int f_setup(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    SUITE(obj)->setup_pos = spec_pos_of(v);
    return spec_take_str(c, v, path, NULL, &SUITE(obj)->setup);
}

static int f_run(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    SUITE(obj)->run_pos = spec_pos_of(v);
    return spec_take_str(c, v, path, spec_check_nonblank, &SUITE(obj)->run);
}

static int f_depends_on(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_read_strlist(c, v, path, spec_check_word, true,
                             &SUITE(obj)->depends_on);
}

static int f_resume(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    c->resume_given = !spec_is_null(v);
    return spec_read_resume(c, obj, v, path);
}

static int f_close_after(pctx *c, void *obj, yaml_node_t *v, const char *path)
{
    return spec_get_duration(c, v, path, 0, 30L * 86400,
                             &SUITE(obj)->close_after_s);
}

const field spec_top_fields[] = {
    { "name", f_name, false, NULL },
    { "labels", f_labels, false, NULL },
    { "tags", f_tags, false, NULL },
    { "group", f_group, false, NULL },
    { "slurm", spec_read_slurm, false, NULL },
    { "num_nodes", f_num_nodes, false, NULL },
    { "resources", spec_read_resources, false, NULL },
    { "envs", f_envs, false, NULL },
    { "volumes", f_volumes, false, NULL },
    { "workdir", f_workdir, false, NULL },
    { "output_dir", f_output_dir, false, NULL },
    { "env_preparation", f_env_preparation, false, NULL },
    { "env_cleanup", f_env_cleanup, false, NULL },
    { "on_complete", f_on_complete, false, NULL },
    { "on_checkpoint", spec_read_oncheckpoint, false, NULL },   /* issue 16 */
    { "setup", f_setup, false, NULL },
    { "run", f_run, false, NULL },
    { "matrix", spec_read_matrix, false, NULL },
    { "tasks", spec_read_tasks, false, NULL },
    { "resume", f_resume, false, NULL },
    { "secrets", spec_read_secrets, false, NULL },
    { "worker_schedule", spec_read_worker_schedule, false, NULL },
    { "depends_on", f_depends_on, false, NULL },
    { "close_after", f_close_after, false, NULL },
    { "stages", spec_read_stages, false, NULL },
    /* SkyPilot task keys. Those that only steer a cloud are warned about;
     * dropping the others would change what runs, so they are refused. */
    { "file_mounts", NULL, false, "not copied or mounted: tasks see the "
      "cluster's shared filesystems; stage other data in env_preparation" },
    { "config", NULL, false, "ignored: SkyPilot configuration overrides "
      "have no meaning here" },
    { "event_callback", NULL, false, "ignored: use on_complete" },
    { "inputs", NULL, false, "ignored: SkyPilot uses it only to pick a "
      "cloud" },
    { "outputs", NULL, false, "ignored: SkyPilot uses it only to pick a "
      "cloud" },
    { "experimental", NULL, false, "ignored: SkyPilot experimental "
      "settings have no meaning here" },
    { "service", NULL, true, "SkyServe services are not supported: a suite "
      "runs batch tasks" },
    { NULL, NULL, false, NULL },
};
