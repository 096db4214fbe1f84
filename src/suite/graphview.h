/* graphview.h: what `tasksuite status` shows of a suite's graph
 * (depends_on inside it, doc/dags.md): each node (stage or task) in graph
 * order with its task count and per-state counts, and the edges with their
 * Slurm dependency type, as validate --json gives them. */
#ifndef TS_SUITE_GRAPHVIEW_H
#define TS_SUITE_GRAPHVIEW_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "journal.h"

/* Whether the suite's file (as submitted) has a graph: parsed, not
 * expanded, so that asking costs little for a 100,000-task sweep. */
bool ts_graph_in_suite(const ts_suite_info *si);

/* {"order": [names], "edges": [{from, to, type}], "nodes": [{name, kind,
 * tasks, counts: {state: n, ...}}]}, or *out NULL when the suite has no
 * graph. -1 on a journal error or no memory. */
int ts_graph_view(ts_journal *j, const ts_suite_info *si, cJSON **out, ts_err *err);

/* "graph:    one: 50 tasks, completed 50" then one line per other node,
 * "(after x, per element)" for aftercorr edges. Nothing for NULL. */
void ts_graph_view_text(FILE *f, const cJSON *graph);

#endif
