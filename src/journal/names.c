/* names.c: the names of suite, task, attempt and submission states as
 * stored in the journal and printed, their parsers, and the SQL
 * "state IN (...)" filter built from a state mask. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "journal_int.h"

const char *const jn_suite_state_names[TS_SUITE_NSTATES] = {
    "open", "closed", "complete", "cancelled",
};
const char *const jn_task_state_names[TS_TASK_NSTATES] = {
    "pending", "running", "completed", "failed", "timeout", "cancelled",
    "node_fail", "preempted", "skipped",
};
const char *const jn_attempt_state_names[TS_ATT_NSTATES] = {
    "running", "completed", "failed", "timeout", "cancelled", "node_fail",
    "preempted", "ended_by_signal",
};
const char *const jn_sub_state_names[TS_SUB_NSTATES] = {
    "intent", "submitted", "done",
};

static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *ts_suite_state_name(enum ts_suite_state s)
{
    return name_of(jn_suite_state_names, TS_SUITE_NSTATES, (int)s);
}
const char *ts_task_state_name(enum ts_task_state s)
{
    return name_of(jn_task_state_names, TS_TASK_NSTATES, (int)s);
}
const char *ts_attempt_state_name(enum ts_attempt_state s)
{
    return name_of(jn_attempt_state_names, TS_ATT_NSTATES, (int)s);
}
const char *ts_sub_state_name(enum ts_sub_state s)
{
    return name_of(jn_sub_state_names, TS_SUB_NSTATES, (int)s);
}
int ts_suite_state_parse(const char *name)
{
    return parse_name(jn_suite_state_names, TS_SUITE_NSTATES, name);
}
int ts_task_state_parse(const char *name)
{
    return parse_name(jn_task_state_names, TS_TASK_NSTATES, name);
}
int ts_attempt_state_parse(const char *name)
{
    return parse_name(jn_attempt_state_names, TS_ATT_NSTATES, name);
}
int jn_sub_state_parse(const char *name)
{
    return parse_name(jn_sub_state_names, TS_SUB_NSTATES, name);
}

/* "state IN ('a','b')" for a mask into buf; "1" for mask 0. */
int jn_state_in(const char *col, const char *const *names, int n,
                unsigned mask, char *buf, size_t len)
{
    size_t used;
    bool first = true;

    if (mask == 0)
        return snprintf(buf, len, "1") < 0 ? -1 : 0;
    if (!jn_fits(snprintf(buf, len, "%s IN (", col), len))
        return -1;
    used = strlen(buf);
    for (int i = 0; i < n; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(buf + used, len - used, "%s'%s'", first ? "" : ",",
                         names[i]);
        if (!jn_fits(w, len - used))
            return -1;
        used += (size_t)w;
        first = false;
    }
    if (first)      /* only unknown bits: matches nothing */
        return snprintf(buf, len, "0") < 0 ? -1 : 0;
    if (!jn_fits(snprintf(buf + used, len - used, ")"), len - used))
        return -1;
    return 0;
}
