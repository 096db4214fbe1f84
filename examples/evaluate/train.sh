#!/bin/sh
# A stand-in for a training loop: one checkpoint per step, resumed from the
# last one; on the warning signal (walltime or `cancel --grace`) it saves
# and exits 75, the graceful timeout.
step=${TASK_SUITE_CHECKPOINT_STEP:-0}
save() {
    echo "weights after step $step" > "$TASK_SUITE_TASK_DIR/ckpt-$step"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ckpt-$step" --step "$step"
}
trap 'save; exit 75' USR2
while [ "$step" -lt 10 ]; do
    step=$((step + 1))
    sleep 1
    save
done
