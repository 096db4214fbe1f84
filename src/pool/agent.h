/* agent.h: `tasksuite pool-agent RUNDIR`, one per node of a pool
 * allocation (doc/pool.md, "Agents"): plans the node's workers, claims
 * tasks from RUNDIR/pool by priority, runs each in a process bound to its
 * worker, keeps its heartbeat and RUNDIR/pool/agents/<id>.workers fresh,
 * and at the walltime's warning stops claiming, gives back what it claimed
 * but did not start and warns the running tasks. Returns the exit status:
 * 0 when the queue ran dry (or the allocation ended), non-zero when the
 * agent could not work (one line on stderr, the reason also in .workers).
 */
#ifndef TS_POOL_AGENT_H
#define TS_POOL_AGENT_H

int ts_pool_agent_main(const char *rundir);

#endif
