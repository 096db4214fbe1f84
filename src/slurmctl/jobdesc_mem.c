/* jobdesc_mem.c: who owns the strings in a job_desc_msg_t.
 *
 * Every string or array put into a job_desc_msg_t by jobdesc.c and
 * submit.c is malloc'd (never xmalloc'd: slurm_free_job_desc_msg must not
 * see it) through the setters here and released by
 * ts_slurm_job_desc_free(). One file, so the rule has one place.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm_int.h"

int ts_slurm_oom(ts_err *err)
{
    return ts_errf(err, "out of memory while building the Slurm job request");
}

/* Replace *field with a malloc'd copy of value. */
int ts_jobdesc_set_string(char **field, const char *value, ts_err *err)
{
    char *copy = strdup(value);
    if (!copy)
        return ts_slurm_oom(err);
    free(*field);
    *field = copy;
    return 0;
}

int ts_jobdesc_set_stringf(char **field, ts_err *err, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ts_slurm_oom(err);
    free(*field);
    *field = s;
    return 0;
}

static void free_strv(char **v, uint32_t n)
{
    if (!v)
        return;
    for (uint32_t i = 0; i < n && v[i]; i++)
        free(v[i]);
    free(v);
}

void ts_slurm_job_desc_free(void *job_desc)
{
    job_desc_msg_t *d = job_desc;
    if (!d)
        return;
    char **fields[] = {
        &d->account, &d->array_inx, &d->comment, &d->dependency,
        &d->exc_nodes, &d->features, &d->licenses, &d->mail_user,
        &d->mem_per_tres, &d->name, &d->partition, &d->qos, &d->req_nodes,
        &d->reservation, &d->script, &d->std_err, &d->std_in, &d->std_out,
        &d->tres_per_job, &d->tres_per_node, &d->tres_per_task, &d->wckey,
        &d->work_dir,
    };
    for (size_t i = 0; i < COUNT(fields); i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    free_strv(d->environment, d->env_size);
    d->environment = NULL;
    d->env_size = 0;
    free_strv(d->spank_job_env, d->spank_job_env_size);
    d->spank_job_env = NULL;
    d->spank_job_env_size = 0;
}
