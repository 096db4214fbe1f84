/* ranks.c: the rank fan-out of a task that spans several nodes. The
 * leader re-runs `tasksuite exec --rank` once per node through srun and
 * waits for them; each rank runs the task and writes its own records
 * (attempt.c), the leader only decides what comes next.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "attempt_int.h"

extern char **environ;

/* Leader of a multi-node task: one rank per node through srun. */
int ts_attempt_run_ranks(const ts_attempt_args *a, const ts_runspec *rs,
                         const ts_manifest_entry *t, long position, int attempt)
{
    char self[PATH_MAX], nodes[16], pos[32], att[16], off[32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ts_run_result res;
    ts_err err = { 0 };

    if (n < 0)
        return ts_attempt_fail("cannot find my own executable");
    self[n] = '\0';
    snprintf(nodes, sizeof nodes, "%d", rs->num_nodes);
    snprintf(pos, sizeof pos, "%ld", position);
    snprintf(att, sizeof att, "%d", attempt);
    snprintf(off, sizeof off, "%ld", a->offset);
    char *argv[] = { "srun", "--ntasks-per-node=1", "-N", nodes, "-n", nodes,
                     "--kill-on-bad-exit=0", "--export=ALL", self, "exec",
                     "--dir", (char *)a->dir, "--manifest", (char *)a->manifest,
                     "--offset", off, "--position", pos, "--attempt", att,
                     "--rank", NULL };
    ts_run_req req = { .argv = argv, .envp = environ, .run = "",
                       .warn_signal = rs->warn_signal };
    if (ts_run_task(&req, &res, &err) < 0)
        return ts_attempt_fail(err.msg);
    /* The ranks wrote their own records; the successor's goes with rank 0's. */
    ts_evctx ev = {
        .suite_dir = rs->dir, .suite_id = rs->id, .task_idx = t->task_idx,
        .attempt = attempt, .jobid = getenv("SLURM_JOB_ID"),
        .node = getenv("SLURMD_NODENAME"), .node_rank = 0, .num_nodes = rs->num_nodes,
    };
    ts_task_ending end = ts_attempt_ending(&res, 0, false);
    ts_attempt_maybe_requeue(rs, t, &ev, attempt, ts_task_outcome_of(&end));
    return ts_task_exit_status(&end);
}
