/* tasklist.c: a job array's task list, as slurmctld prints it for a
 * pending range record ("0-3,7,9-15:2%4").
 *
 * Hand-written because libslurm's own parser is not public API. Two
 * readers, as before: a lenient count (for the room left in the job table,
 * where an unreadable list still counts once) and a strict walk over every
 * index (for job queries, where a list cut short or unreadable is an
 * error, never a silently smaller array).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slurm_int.h"

/* Indices in a pending array's task list ("0-3,7,9-15:2%4"); 1 when it
 * cannot be read (the record counts once at least). */
long ts_tasklist_count(const char *p)
{
    long n = 0;
    while (p && *p && *p != '%') {
        char *q;
        unsigned long a = strtoul(p, &q, 10), b = a, step = 1;
        if (q == p)
            return n ? n : 1;
        if (*q == '-') {
            b = strtoul(q + 1, &q, 10);
            if (*q == ':')
                step = strtoul(q + 1, &q, 10);
        }
        if (b >= a && step > 0)
            n += (long)((b - a) / step + 1);
        p = *q == ',' ? q + 1 : q;
        if (*q != ',')
            break;
    }
    return n ? n : 1;
}

int ts_tasklist_each(const char *list, int (*fn)(uint32_t index, void *arg),
                     void *arg)
{
    const char *p = list;
    size_t len = strcspn(p, "%");
    if (len >= 3 && strncmp(p + len - 3, "...", 3) == 0)
        return TS_TASKLIST_CUT;
    const char *end = p + len;
    while (p < end) {
        unsigned long a, b, step = 1;
        char *q;
        if (!isdigit((unsigned char)*p))
            return TS_TASKLIST_BAD;
        a = b = strtoul(p, &q, 10);
        if (*q == '-') {
            if (!isdigit((unsigned char)q[1]))
                return TS_TASKLIST_BAD;
            b = strtoul(q + 1, &q, 10);
            if (*q == ':') {
                if (!isdigit((unsigned char)q[1]))
                    return TS_TASKLIST_BAD;
                step = strtoul(q + 1, &q, 10);
            }
        }
        if (b < a || step == 0 || b >= NO_VAL || (q != end && *q != ','))
            return TS_TASKLIST_BAD;
        for (unsigned long t = a; t <= b; t += step)
            if (fn((uint32_t)t, arg) < 0)
                return -1;
        p = q;
        if (p < end && *p == ',')
            p++;
    }
    return 0;
}
