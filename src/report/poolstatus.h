/* poolstatus.h: what `tasksuite status` shows of a pool-mode suite's
 * allocations, agents and workers: each agent's pool/agents/<id>.workers
 * file (doc/pool.md, contract item 5: rewritten by the agent at least every
 * 5 s and at exit). */
#ifndef TS_REPORT_POOLSTATUS_H
#define TS_REPORT_POOLSTATUS_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* The agents' files under <dir>/pool/agents, parsed, sorted by job id then
 * agent id; NULL when the suite has no pool directory (not pool mode). An
 * unreadable or torn file is left out (the agent rewrites it soon). */
cJSON *ts_pool_status_json(const char *dir);

/* Text: one line per allocation, agent and worker, for `status`. Agents
 * silent for more than an hour (their allocation ended long ago) are only
 * counted. Nothing for a suite not in pool mode. */
void ts_pool_status_text(FILE *f, const char *dir, double now);

#endif
