/* remove.c: forget a suite for good (`tasksuite rm`, `gc`).
 *
 * Separate from suites.c's discard (which only undoes a submission Slurm
 * refused before anything ran): this deletes every row of a finished suite,
 * in every table that names it, in one transaction. Each table is deleted
 * from explicitly, children first, rather than relying on ON DELETE
 * CASCADE: `events` has no foreign key at all, and a table added later
 * without one would otherwise keep rows silently (tests/unit/journal/
 * remove.c checks every table with a suite_id column). Whether the suite
 * may go (finished, or cancelled first) is the caller's decision.
 */
#include "config.h"

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

int ts_journal_suite_remove(ts_journal *j, const char *suite_id, ts_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM attempt_ranks WHERE suite_id = ?1",
        "DELETE FROM checkpoints WHERE suite_id = ?1",
        "DELETE FROM attempts WHERE suite_id = ?1",
        "DELETE FROM events WHERE suite_id = ?1",
        "DELETE FROM ingest_offsets WHERE suite_id = ?1",
        "DELETE FROM submission_tasks WHERE suite_id = ?1",
        "DELETE FROM slurm_jobs WHERE submission_id IN (SELECT id FROM submissions WHERE suite_id = ?1)",
        "DELETE FROM submissions WHERE suite_id = ?1",
        "DELETE FROM task_chunk_data WHERE suite_id = ?1",
        "DELETE FROM task_chunks WHERE suite_id = ?1",
        "DELETE FROM task_matrix WHERE suite_id = ?1",
        "DELETE FROM tasks WHERE suite_id = ?1",
        "DELETE FROM suite_labels WHERE suite_id = ?1",
        "DELETE FROM suites WHERE id = ?1",
    };
    if (jn_tx_begin(j, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        int rc = sqlite3_prepare_v2(j->db, sql[i], -1, &s, NULL);
        if (rc == SQLITE_OK) {
            jn_bind_text(s, 1, suite_id);
            rc = sqlite3_step(s);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            ts_errc(err, TS_EXIT_JOURNAL, "journal: remove suite %s: %s", suite_id,
                    sqlite3_errmsg(j->db));
            return jn_tx_fail(j);
        }
    }
    return jn_tx_commit(j, err);
}
