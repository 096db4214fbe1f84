/* submit_graph.h: the arrays of an intent of a suite with a graph
 * (doc/dags.md). ts_submission_submit asks, chunk by chunk, how far the
 * chunk at a position may go (never across two nodes of the graph, nor
 * across a gap in a node's elements), which sbatch options it takes (its
 * stage's), and which Slurm dependency (dag.h: afterok on every chunk of
 * an upstream node, aftercorr on the matching chunk when element i waits
 * for element i), and tells what it queued. An upstream node with no chunk
 * in this intent (a retry of a downstream task alone) is taken as done.
 */
#ifndef TS_SUITE_SUBMIT_GRAPH_H
#define TS_SUITE_SUBMIT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "slurmopt.h"
#include "submission.h"

typedef struct ts_graph_sub ts_graph_sub;

/* NULL in *out when the suite has no graph (submit as before). */
int ts_graph_sub_open(const ts_submit_ctx *c, int64_t sub_id, ts_graph_sub **out,
                      ts_err *err);
/* The chunk at `offset`: *count cut to where it must end, its options
 * (NULL: the suite's), its dependency into dep (empty: none). */
int ts_graph_sub_chunk(ts_graph_sub *g, long offset, long *count,
                       const ts_kvlist **opts, char *dep, size_t len, ts_err *err);
/* A chunk queued (or found queued) at offset with count elements. */
int ts_graph_sub_note(ts_graph_sub *g, long offset, long count, uint32_t job, ts_err *err);
void ts_graph_sub_free(ts_graph_sub *g);

#endif
