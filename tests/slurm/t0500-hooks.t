#!/usr/bin/env bash
# env_preparation / env_cleanup on the real 2-node cluster: once per node per
# allocation (2-node job, concurrent steps, array elements, nodes no step
# reaches), as the user with the user's groups, a failing or hanging
# preparation fails the job's tasks with a clear message and never drains a
# node, a cancelled job is cleaned up, a job without the option is untouched.
# The same cases with PrologFlags=Alloc: t0510-hooks-alloc.t.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hooks-cases.sh"

hook_cases "$(cluster_prolog_alloc "$SLURM_CONF")" "$(cluster_state_dir "$SLURM_CONF")"

done_testing
