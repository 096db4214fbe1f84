#!/bin/sh
# One evaluation task per checkpoint: TASK_SUITE_CHECKPOINT is the training
# task's checkpoint, TASK_SUITE_CHECKPOINT_STEP its step.
score=$(( (TASK_SUITE_CHECKPOINT_STEP * 37) % 11 ))
echo "$score $TASK_SUITE_CHECKPOINT_STEP $TASK_SUITE_CHECKPOINT" > "$TASK_SUITE_TASK_DIR/score"
echo "$TASK_SUITE_SOURCE_TASK step $TASK_SUITE_CHECKPOINT_STEP: score $score"
