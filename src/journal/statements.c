/* statements.c: the SQL of the statements used in hot paths (enum stmt_id
 * in journal_int.h), prepared once on first use by jn_st (db.c) and
 * finalized at close. Apart so that the SQL of each query is in one table,
 * next to its name for messages. */
#include "config.h"

#include "journal_int.h"

const struct jn_stmt_sql jn_stmts[S_COUNT] = {
    [S_BEGIN] = { "begin transaction", "BEGIN IMMEDIATE" },
    [S_COMMIT] = { "commit", "COMMIT" },
    [S_ROLLBACK] = { "rollback", "ROLLBACK" },
    [S_SUITE_EXISTS] = { "look up suite", "SELECT 1 FROM suites WHERE id = ?1" },
    [S_SUITE_INSERT] = { "insert suite",
        "INSERT INTO suites(id, name, owner_uid, spec_path, submit_record,"
        " output_dir, labels, state, close_after_s, max_retries, retry_on,"
        " num_nodes, total_tasks, completions, created_at, updated_at,"
        " last_added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?9,"
        " ?10, ?11, ?12, 0, ?13, ?13, ?13)" },
    [S_LABEL_INSERT] = { "insert label",
        "INSERT OR IGNORE INTO suite_labels(suite_id, label) VALUES (?1, ?2)" },
    [S_SUITE_STATE] = { "read suite",
        "SELECT state, num_nodes FROM suites WHERE id = ?1" },
    [S_SUITE_ADDED] = { "re-open suite",
        "UPDATE suites SET total_tasks = total_tasks + ?2, state = 'open',"
        " last_added_at = ?3, updated_at = ?3 WHERE id = ?1" },
    [S_SUITE_SET_STATE] = { "set suite state",
        "UPDATE suites SET state = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUITE_COMPLETE] = { "complete suite",
        "UPDATE suites SET state = 'complete', completions = completions + 1,"
        " updated_at = ?2 WHERE id = ?1" },
    [S_SUITE_TICK] = { "read suite",
        "SELECT state, close_after_s, last_added_at FROM suites WHERE id = ?1" },
    [S_SUITE_RESOLVE] = { "look up suite",
        "SELECT id FROM suites WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 6" },
    [S_ACTIVE] = { "count active tasks",
        "SELECT (SELECT COUNT(*) FROM tasks WHERE suite_id = ?1"
        " AND state IN ('pending', 'running')) + (SELECT COALESCE(SUM(untouched), 0)"
        " FROM task_chunks WHERE suite_id = ?1 AND state = 'pending')" },
    [S_TASK_INSERT] = { "insert task",
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 1, ?7)" },
    [S_TASK_MAXIDX] = { "read last task index",
        "SELECT MAX((SELECT COALESCE(MAX(idx), -1) FROM tasks WHERE suite_id = ?1),"
        " (SELECT COALESCE(MAX(first_idx + count - 1), -1) FROM task_chunks"
        "  WHERE suite_id = ?1))" },
    [S_TASK_BUMP] = { "start a new attempt",
        "UPDATE tasks SET attempts = attempts + 1, state = 'pending',"
        " updated_at = ?3 WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_GET] = { "read task",
        "SELECT attempts, state, last_exit, last_signal FROM tasks"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_FIND] = { "find task",
        "SELECT idx FROM tasks WHERE suite_id = ?1 AND name = ?2" },
    [S_TASK_SET_STATE] = { "set task state",
        "UPDATE tasks SET state = ?3, updated_at = ?4"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_FOLLOW] = { "update task from attempt",
        "UPDATE tasks SET state = ?3, attempts = MAX(attempts, ?4),"
        " last_exit = ?5, last_signal = ?6, updated_at = ?7"
        " WHERE suite_id = ?1 AND idx = ?2" },
    [S_TASK_LASTCP] = { "update last checkpoint",
        "UPDATE tasks SET (last_checkpoint, last_step) = ("
        "  SELECT path, step FROM checkpoints"
        "  WHERE suite_id = ?1 AND task_idx = ?2"
        "  ORDER BY attempt DESC, at DESC, id DESC LIMIT 1),"
        " updated_at = ?3 WHERE suite_id = ?1 AND idx = ?2" },
    [S_CANCEL_TASKS] = { "cancel tasks",
        "UPDATE tasks SET state = 'cancelled', updated_at = ?2"
        " WHERE suite_id = ?1 AND state IN ('pending', 'running')" },
    [S_COUNTS] = { "count tasks",
        "SELECT state, SUM(n) FROM ("
        " SELECT state, COUNT(*) n FROM tasks WHERE suite_id = ?1 GROUP BY state"
        " UNION ALL SELECT state, untouched FROM task_chunks WHERE suite_id = ?1)"
        " GROUP BY state" },
    [S_SUB_INSERT] = { "insert submission intent",
        "INSERT INTO submissions(suite_id, state, created_at, updated_at)"
        " VALUES (?1, 'intent', ?2, ?2)" },
    [S_SUB_INSERT_RANGE] = { "insert submission intent",
        "INSERT INTO submissions(suite_id, state, created_at, updated_at,"
        " range_first, range_count) VALUES (?1, 'intent', ?2, ?2, ?3, ?4)" },
    [S_SUBTASK_INSERT] = { "insert submission task",
        "INSERT INTO submission_tasks(submission_id, position, suite_id,"
        " task_idx, attempt) VALUES (?1, ?2, ?3, ?4, ?5)" },
    [S_SUB_MANIFEST] = { "set submission manifest",
        "UPDATE submissions SET manifest = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUB_WAVES] = { "queue submission in waves",
        "UPDATE submissions SET wave_chunk = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_SUB_STATE] = { "set submission state",
        "UPDATE submissions SET state = ?2, updated_at = ?3 WHERE id = ?1" },
    [S_JOB_UPSERT] = { "record Slurm job",
        "INSERT INTO slurm_jobs(submission_id, array_job_id, index_offset,"
        " first_index, last_index, reconcile_job_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(submission_id, array_job_id) DO UPDATE SET"
        " index_offset = excluded.index_offset,"
        " first_index = excluded.first_index, last_index = excluded.last_index,"
        " reconcile_job_id = COALESCE(excluded.reconcile_job_id, reconcile_job_id)" },
    [S_JOB_RECONCILE] = { "record reconcile job",
        "UPDATE slurm_jobs SET reconcile_job_id = ?3"
        " WHERE submission_id = ?1 AND array_job_id = ?2" },
    [S_OFFSET_GET] = { "read ingest offset",
        "SELECT pos FROM ingest_offsets WHERE suite_id = ?1 AND file = ?2" },
    [S_OFFSET_SET] = { "store ingest offset",
        "INSERT INTO ingest_offsets(suite_id, file, pos) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(suite_id, file) DO UPDATE SET pos = excluded.pos" },
    [S_EVENT_INSERT] = { "insert event",
        "INSERT OR IGNORE INTO events(key, suite_id, task_idx, attempt, type, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
    [S_ATT_ENSURE] = { "insert attempt",
        "INSERT OR IGNORE INTO attempts(suite_id, task_idx, attempt,"
        " slurm_job_id, node, num_nodes, state)"
        " VALUES (?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, 'running')" },
    [S_ATT_GET] = { "read attempt",
        "SELECT num_nodes, state, classified, exit_code, signal FROM attempts"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_UPDATE] = { "update attempt",
        "UPDATE attempts SET state = ?4, classified = ?5, started_at = ?6,"
        " ended_at = ?7, exit_code = ?8, signal = ?9, num_nodes = ?10,"
        " slurm_job_id = COALESCE(slurm_job_id, NULLIF(?11, '')),"
        " node = CASE WHEN ?12 = 0 OR node IS NULL THEN ?13 ELSE node END"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_WARNED] = { "record warning signal",
        "UPDATE attempts SET warned = 1, warn_signal = ?4"
        " WHERE suite_id = ?1 AND task_idx = ?2 AND attempt = ?3" },
    [S_ATT_CLASSIFY] = { "classify attempt",
        "INSERT INTO attempts(suite_id, task_idx, attempt, state, classified)"
        " VALUES (?1, ?2, ?3, ?4, 1)"
        " ON CONFLICT(suite_id, task_idx, attempt) DO UPDATE SET"
        " state = excluded.state, classified = 1" },
    [S_RANK_STARTED] = { "record rank start",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " started_at = COALESCE(MIN(started_at, excluded.started_at),"
        "                       excluded.started_at),"
        " node = excluded.node" },
    [S_RANK_EXITED] = { "record rank exit",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " ended_at, exit_code, signal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " ended_at = excluded.ended_at, exit_code = excluded.exit_code,"
        " signal = excluded.signal, node = COALESCE(node, excluded.node)" },
    [S_RANK_GRACEFUL] = { "record graceful timeout",
        "INSERT INTO attempt_ranks(suite_id, task_idx, attempt, node_rank, node,"
        " graceful) VALUES (?1, ?2, ?3, ?4, ?5, 1)"
        " ON CONFLICT(suite_id, task_idx, attempt, node_rank) DO UPDATE SET"
        " graceful = 1" },
    [S_RANKS] = { "read attempt ranks",
        "SELECT node_rank, started_at, ended_at, exit_code, signal, graceful"
        " FROM attempt_ranks WHERE suite_id = ?1 AND task_idx = ?2"
        " AND attempt = ?3 ORDER BY node_rank" },
    [S_CP_INSERT] = { "insert checkpoint",
        "INSERT INTO checkpoints(suite_id, task_idx, attempt, path, step, at, node)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
    [S_TASK_EXISTS] = { "read task",
        "SELECT 1 FROM tasks WHERE suite_id = ?1 AND idx = ?2" },
    [S_CHUNK_OF] = { "read task chunk",
        "SELECT first_idx, count, state, updated_at FROM task_chunks"
        " WHERE suite_id = ?1 AND first_idx <= ?2 ORDER BY first_idx DESC LIMIT 1" },
    [S_CHUNK_DATA] = { "read task chunk",
        "SELECT data FROM task_chunk_data WHERE suite_id = ?1 AND first_idx = ?2" },
    [S_CHUNK_TOUCH] = { "update task chunk",
        "UPDATE task_chunks SET untouched = untouched - 1"
        " WHERE suite_id = ?1 AND first_idx = ?2" },
    [S_CHUNK_DROP] = { "drop task chunk",
        "DELETE FROM task_chunks WHERE suite_id = ?1 AND first_idx = ?2"
        " AND untouched <= 0" },
    [S_CHUNK_INSERT] = { "insert task chunk",
        "INSERT INTO task_chunks(suite_id, first_idx, count, untouched, state,"
        " updated_at) VALUES (?1, ?2, ?3, ?3, 'pending', ?4)" },
    [S_CHUNK_DATA_INSERT] = { "insert task chunk",
        "INSERT INTO task_chunk_data(suite_id, first_idx, data) VALUES (?1, ?2, ?3)" },
    [S_TASK_INSERT_AS] = { "insert task",
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)" },
    [S_CANCEL_CHUNKS] = { "cancel tasks",
        "UPDATE task_chunks SET state = 'cancelled', updated_at = ?2"
        " WHERE suite_id = ?1 AND state = 'pending'" },
    [S_MATRIX_INSERT] = { "insert task matrix",
        "INSERT INTO task_matrix(suite_id, num_nodes, axes) VALUES (?1, ?2, ?3)" },
    [S_MATRIX_GET] = { "read task matrix",
        "SELECT num_nodes, axes FROM task_matrix WHERE suite_id = ?1" },
};
