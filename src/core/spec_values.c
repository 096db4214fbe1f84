/* spec_values.c: what a value in a suite file may hold.
 *
 * Names (suites, tasks, arguments, axes, environment variables), tags,
 * words and non-blank text: the rules the field tables apply, kept apart
 * from the tables so that each rule is written once.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "spec_internal.h"

/* ------------------------------------------------------------------ names */

bool spec_name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-';
}

/* Suite and task names: [A-Za-z0-9._-]+, at most 64 bytes. They end up in
 * file names and Slurm job names. */
bool spec_valid_name(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!spec_name_char(s[n]))
            return false;
    return n > 0 && n <= NAME_MAX_LEN;
}

bool spec_valid_ident(const char *s, size_t max)
{
    size_t n;

    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (n = 1; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '_')
            return false;
    return n <= max;
}

static bool has_space_or_control(const char *s)
{
    for (; *s; s++)
        if (isspace((unsigned char)*s) || (unsigned char)*s < 0x20
            || *s == 0x7f)
            return true;
    return false;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* ------------------------------------------------------------ value checks */

int spec_check_nonblank(pctx *c, yaml_node_t *n, const char *path,
                          const char *v)
{
    if (blank(v))
        return spec_fail(c, n, path, "is empty");
    return 0;
}

int spec_check_suite_name(pctx *c, yaml_node_t *n, const char *path,
                            const char *v)
{
    if (!spec_valid_name(v))
        return spec_fail(c, n, path, "%s is not a valid name (letters, digits, "
                         "\".\", \"_\" and \"-\", at most 64)", spec_qv(c, v));
    return 0;
}

int spec_check_tag(pctx *c, yaml_node_t *n, const char *path, const char *v)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._:+-", *p))
            return spec_fail(c, n, path, "%s is not a valid tag (letters, digits, "
                             "\".\", \"_\", \":\", \"+\" and \"-\"; for other "
                             "constraints use slurm: {constraint: ...})",
                             spec_qv(c, v));
    return spec_check_nonblank(c, n, path, v);
}

int spec_check_word(pctx *c, yaml_node_t *n, const char *path,
                      const char *v)
{
    if (!*v)
        return spec_fail(c, n, path, "is empty");
    if (has_space_or_control(v))
        return spec_fail(c, n, path, "%s must not contain spaces", spec_qv(c, v));
    return 0;
}

/* The keys of user-data maps (spec_read_kvmap's key_check). */

int spec_check_env_key(pctx *c, yaml_node_t *k, const char *path)
{
    const char *key = spec_sval(k);

    if (!spec_valid_ident(key, ENV_NAME_MAX_LEN))
        return spec_fail(c, k, path, "%s is not a valid environment variable "
                         "name (letters, digits and \"_\", not starting with "
                         "a digit)", spec_qv(c, key));
    if (strncmp(key, "TASK_SUITE_", 11) == 0)
        return spec_fail(c, k, path, "TASK_SUITE_* variables are set by "
                         "tasksuite");
    return 0;
}

int spec_check_arg_key(pctx *c, yaml_node_t *k, const char *path)
{
    const char *key = spec_sval(k);

    if (!spec_valid_ident(key, NAME_MAX_LEN))
        return spec_fail(c, k, path, "%s is not a valid argument name "
                         "(letters, digits and \"_\", not starting with a "
                         "digit, at most 64)", spec_qv(c, key));
    return 0;
}

int spec_check_path_key(pctx *c, yaml_node_t *k, const char *path)
{
    const char *key = spec_sval(k);

    if (!*key)
        return spec_fail(c, k, path, "is empty");
    return 0;
}
