/* graphview.h: what `tasksuite status` shows of a suite's graph
 * (depends_on inside it, doc/dags.md): each node (stage or task) in graph
 * order with its task count and per-state counts, and the edges with their
 * Slurm dependency type, as validate --json gives them. */
#ifndef TS_SUITE_GRAPHVIEW_H
#define TS_SUITE_GRAPHVIEW_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "journal.h"

/* {"order": [names], "edges": [{from, to, type}], "nodes": [{name, kind,
 * tasks, counts: {state: n, ...}}]}, or *out NULL when the suite has no
 * graph. -1 on a journal error or no memory. */
int ts_graph_view(ts_journal *j, const ts_suite_info *si, cJSON **out, ts_err *err);

/* "graph:    one: 50 tasks, completed 50" then one line per other node,
 * "(after x, per element)" for aftercorr edges. Nothing for NULL. */
void ts_graph_view_text(FILE *f, const cJSON *graph);

#endif
