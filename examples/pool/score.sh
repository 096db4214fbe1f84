#!/bin/sh
# One short task: score a (learning rate, seed) pair. Resumable: it picks up
# from its last checkpoint, and exits 75 (give me another attempt) when the
# allocation's walltime warning arrives.
lr=$1 seed=$2
step=0
[ -n "$TASK_SUITE_CHECKPOINT" ] && step=$(cat "$TASK_SUITE_CHECKPOINT")
trap 'exit 75' USR2
while [ "$step" -lt 5 ]; do
    step=$((step + 1))
    sleep 1
    echo "$step" > "$TASK_SUITE_TASK_DIR/ckpt.tmp" && mv "$TASK_SUITE_TASK_DIR/ckpt.tmp" "$TASK_SUITE_TASK_DIR/ckpt"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ckpt" --step "$step"
done
echo "lr=$lr seed=$seed score=$(( (seed * 7919) % 1000 ))" > "$TASK_SUITE_TASK_DIR/score"
