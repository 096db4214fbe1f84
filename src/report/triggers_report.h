/* triggers_report.h: on_checkpoint's edges in `status` (issue 16): per
 * source task how many evaluations and in which states (text), and every
 * edge (source task, step -> evaluation task) in --json. */
#ifndef TS_REPORT_TRIGGERS_H
#define TS_REPORT_TRIGGERS_H

#include <stdio.h>

#include "err.h"
#include "journal.h"
#include "jsonout.h"

/* Nothing at all when the suite has no triggered task. */
int ts_report_triggers_text(FILE *f, ts_journal *j, const char *suite_id, ts_err *err);

/* "checkpoint_triggers": [{"source_task", "step" (null: none),
 * "checkpoint", "task", "state"}...], always (empty when none). */
int ts_report_triggers_json(ts_jout *w, ts_journal *j, const char *suite_id, ts_err *err);

#endif
