#!/bin/sh
# on_complete: every evaluation is done; keep the best checkpoint's line.
sort -n "$TASK_SUITE_DIR"/tasks/*.ckpt-*/score | tail -1 | tee "$TASK_SUITE_DIR/best"
