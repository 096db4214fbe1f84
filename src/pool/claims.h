/* claims.h: the pool-mode claim protocol: how agents on many nodes and
 * allocations take tasks from a suite's queue so that each (task, attempt)
 * runs at most once, using nothing but files in the suite's run directory.
 *
 * Compute nodes never open the SQLite journal and never rely on flock/fcntl
 * locks or O_EXCL across nodes (both are unreliable on NFS). The only
 * atomic operations used are link() (fails with EEXIST when the name exists;
 * an ambiguous result, e.g. a retransmitted NFS LINK that answers EEXIST
 * after it succeeded, is settled by the link count of the private temporary
 * file) and rename() (replaces a name in one step). Every temporary file has
 * a name unique to host + pid + 64 random bits.
 *
 * Layout under POOLDIR (the suite run directory's "pool" folder; the full
 * description, with the failure cases, is doc/pool.md, section "Claims"):
 *
 *   queue/<epoch>.q           immutable queue segment ("epoch"), 8 digits,
 *                             created with link(): one writer per number
 *   queue/<epoch>.hint        "claimed-up-to" lower bound for that segment
 *   claims/<shard>/<t>.<a>.<g>    claim of task t, attempt a, generation g
 *   claims/<shard>/<t>.<a>.<g>.f  fate of that claim: S(tarted)|R(eturned)
 *   agents/<agent>.hb         heartbeat of one agent (rewritten by rename)
 *
 * shard = t / TS_POOL_SHARD, as 6 digits. A generation exists because a
 * returned claim stays on disk as the record of its fate: the (task,
 * attempt) goes back to the queue as generation g + 1, which has a claim
 * name of its own. Only the winner of the fate link of generation g may
 * queue generation g + 1, and a claim that is started ends the chain, so
 * at most one generation of an attempt ever starts.
 *
 * Nothing here knows about the journal: ingestion of claims/fates (pool
 * mode) calls ts_pool_scan() and ts_pool_decide() from the login side.
 */
#ifndef TS_POOL_CLAIMS_H
#define TS_POOL_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define TS_POOL_SHARD 1000          /* tasks per claims/ sub-directory */
#define TS_POOL_IDLEN 200           /* an agent id, '\0' included */

/* One queue entry: a runnable (task, attempt) of some generation. */
typedef struct ts_pool_entry {
    long task;                      /* task index, >= 0 */
    int attempt;                    /* >= 1 */
    int gen;                        /* 0 when first queued, +1 per return */
    long priority;                  /* higher runs first */
} ts_pool_entry;

/* ------------------------------------------------------------- the queue */

/* mkdir POOLDIR and its queue/, claims/ and agents/ (fine if they exist). */
int ts_pool_init(const char *pooldir, ts_err *err);

/* Write entries (sorted here: priority high to low, then task index, then
 * attempt) as the next free epoch; *epoch (may be NULL) gets its number.
 * n == 0 writes nothing and sets *epoch to 0. Used by the launcher for the
 * first epoch and for tasks added or retried later, and by returns. */
int ts_pool_queue_append(const char *pooldir, const ts_pool_entry *entries,
                         size_t n, long *epoch, ts_err *err);

/* Read one epoch file (malloc'd array into *out, caller frees). A file
 * that is not a complete queue segment is an error naming the file. */
int ts_pool_queue_read(const char *path, ts_pool_entry **out, size_t *n,
                       ts_err *err);

/* ------------------------------------------------------------- an agent */

typedef struct ts_pool_agent ts_pool_agent;

/* host: the node name; jobid: the allocation's Slurm job id; pid: the
 * agent's pid; start: its start time (epoch seconds). Writes the first
 * heartbeat. NULL on error. */
ts_pool_agent *ts_pool_agent_open(const char *pooldir, const char *host,
                                  const char *jobid, long pid, long start,
                                  ts_err *err);
/* Writes the claimed-up-to hints and frees; does NOT release claims. */
void ts_pool_agent_close(ts_pool_agent *ag);
/* The agent's id: "<host>.<jobid>.<pid>.<start>" ([A-Za-z0-9._-] only). */
const char *ts_pool_agent_id(const ts_pool_agent *ag);

/* Claim up to max unclaimed entries, highest priority first across all
 * epochs (ties: earlier epoch first). Returns how many were claimed into
 * out (0: nothing claimable now: look again later), -1 on error. Torn or
 * garbage epoch files are skipped: *warn (may be NULL) gets the first
 * such message, the call still succeeds. */
int ts_pool_claim(ts_pool_agent *ag, ts_pool_entry *out, int max,
                  ts_err *warn, ts_err *err);

/* Mark a claim started, right before the task is exec'd. 1: run it;
 * 0: the claim was returned meanwhile (the login side judged this agent
 * dead): do NOT run it; -1: error (do not run it either). */
int ts_pool_start(ts_pool_agent *ag, const ts_pool_entry *e, ts_err *err);

/* Give back claimed-but-unstarted entries (walltime warning, shutdown)
 * without spending an attempt: each is queued again as generation + 1.
 * Returns how many were given back (an entry already started or returned
 * is left alone), -1 on error. */
int ts_pool_release(ts_pool_agent *ag, const ts_pool_entry *e, size_t n,
                    ts_err *err);

/* Rewrite the heartbeat (call every few seconds, far below the lease). */
int ts_pool_heartbeat(ts_pool_agent *ag, ts_err *err);

/* ------------------------------------------------------- the login side */

enum ts_pool_fate { TS_POOL_UNSTARTED = 0, TS_POOL_STARTED, TS_POOL_RETURNED };

/* One claim found on disk. */
typedef struct ts_pool_claimrec {
    ts_pool_entry e;
    enum ts_pool_fate fate;
    bool has_next;                  /* generation g + 1 is claimed */
    bool torn;                      /* unreadable content: agent unknown */
    double time;                    /* claim time (file mtime when torn) */
    char agent[TS_POOL_IDLEN];      /* "" when torn */
    char jobid[64];
} ts_pool_claimrec;

typedef struct ts_pool_scan_stats {
    size_t claims, bad;             /* bad: unparsable names/contents */
    char first_bad[512];
} ts_pool_scan_stats;

/* Every claim under POOLDIR, sorted by task, attempt, generation. */
int ts_pool_scan(const char *pooldir, ts_pool_claimrec **out, size_t *n,
                 ts_pool_scan_stats *stats, ts_err *err);

/* The last heartbeat time an agent wrote; 0 when it has none (never
 * written, or unreadable). */
double ts_pool_heartbeat_time(const char *pooldir, const char *agent);

/* Is an agent dead? Its allocation ended (per Slurm), or neither its
 * heartbeat nor the claim is younger than lease seconds. */
bool ts_pool_agent_dead(double now, double heartbeat, double claimed,
                        double lease, bool job_ended);

enum ts_pool_verdict {
    TS_POOL_KEEP = 0,               /* nothing to do */
    TS_POOL_RETURN,                 /* unstarted, agent dead: requeue, same attempt */
    TS_POOL_REQUEUE,                /* returned but g + 1 never queued (crash) */
    TS_POOL_LOST,                   /* started, agent dead, no end seen: node_fail */
};

/* The pure decision. attempt_ended: the journal has seen this attempt end
 * (exited event), so a dead agent no longer matters. */
enum ts_pool_verdict ts_pool_decide(const ts_pool_claimrec *c, bool agent_dead,
                                    bool attempt_ended);

/* Apply RETURN (win the fate as returned, then queue g + 1) and REQUEUE
 * (queue g + 1) to the claims given, in one new epoch. A RETURN whose fate
 * an agent won meanwhile (it started) is skipped. Returns how many entries
 * were queued, -1 on error. who: written in the fate, e.g. "sync". */
int ts_pool_return(const char *pooldir, const ts_pool_claimrec *c,
                   const enum ts_pool_verdict *v, size_t n, const char *who,
                   ts_err *err);

#endif
