/* dag.h: the graph of one suite's tasks or stages (depends_on inside a
 * suite), checked and ordered, and the Slurm dependency each array chunk
 * gets from it.
 *
 * Nodes are the suite's stages when it has stages: (or is a chain file),
 * else its explicit tasks when any of them has depends_on; otherwise the
 * suite has no graph (n == 0) and runs as before. A suite-level depends_on
 * is about other suites, never a node here.
 *
 * Edges: a stage waits for the whole of an upstream stage (afterok),
 * except when both are pure matrices over the same axes and values: then
 * they have the same index set and element i waits only for element i
 * (aftercorr), which is what a per-sample pipeline wants.
 *
 * Refused with the file:line:col of the offending depends_on item: an
 * unknown name, a node naming itself, a cycle (the message lists it).
 */
#ifndef TS_DAG_H
#define TS_DAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "spec.h"

enum ts_dag_kind { TS_DAG_TASK, TS_DAG_STAGE };

typedef struct ts_dag_edge {
    size_t up;            /* index of the upstream node */
    bool corr;            /* element i waits only for element i */
} ts_dag_edge;

typedef struct ts_dag_node {
    char *name;
    enum ts_dag_kind kind;
    size_t ref;           /* index into s->tasks or s->stages */
    size_t count;         /* elements (array tasks) it expands to */
    ts_dag_edge *ups;
    size_t nups;
} ts_dag_node;

typedef struct ts_dag {
    ts_dag_node *v;
    size_t n;
    size_t *order;        /* topological; ties keep file order */
    size_t *level;        /* per node: 0 = no upstream, else 1 + max(ups) */
} ts_dag;

int ts_dag_build(const ts_suite *s, ts_dag *g, ts_err *err);
void ts_dag_free(ts_dag *g);
/* The node called `name`, or -1. */
long ts_dag_find(const ts_dag *g, const char *name);

/* One queued array chunk of a node: Slurm job `job` holds the node's
 * elements first..first+count-1 as array indices 0..count-1. */
typedef struct ts_dag_chunk {
    uint32_t job;
    size_t first, count;
} ts_dag_chunk;

typedef struct ts_dag_jobs {
    const ts_dag_chunk *v;
    size_t n;
} ts_dag_jobs;

/* The --dependency text for the chunk of node `down` covering elements
 * first..first+count-1, given every node's queued chunks (jobs[node]):
 * "aftercorr:J" for a corr edge whose upstream chunk starts at the same
 * element and covers at least as many, else "afterok:J" for each upstream
 * chunk the edge needs (all of them for a whole-stage edge, those that
 * overlap for a corr edge split differently), joined with ",". An upstream
 * node with no chunk is not waited for (it is not part of this
 * submission: done). Empty when nothing is waited for; -1 when buf is too
 * small. */
int ts_dag_dependency(const ts_dag *g, size_t down, size_t first, size_t count,
                      const ts_dag_jobs *jobs, char *buf, size_t len, ts_err *err);

#endif
