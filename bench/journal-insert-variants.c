/* journal-insert-variants.c: a diagnostic for bench/submit-10k.sh, not a
 * bench. Replays the journal's insert_tasks workload (a suite row, an intent
 * row, then per task one tasks row and one submission_tasks row, in one
 * transaction; WAL, synchronous=NORMAL, foreign_keys=ON, 64 MiB cache, the
 * same INSERT statements) on the real schema, and on variants of it, to show
 * what each schema feature costs a 10,000-task submit.
 *
 *   sqlite3 $TASKSUITE_HOME/journal.db .schema > schema.sql
 *   cc -O2 -o jiv bench/journal-insert-variants.c -lsqlite3
 *   ./jiv schema.sql 10000 /tmp/somedir   (median of 9 interleaved runs per variant)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* CPU time of this process: the workload is CPU-bound (WAL + synchronous=NORMAL:
 * no fsync at commit), and CPU time is far less disturbed by other load on a
 * shared machine than wall time. */
static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static void ok(int rc, sqlite3 *db, const char *what) { if (rc != SQLITE_OK && rc != SQLITE_DONE) { fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db)); exit(1); } }
static char *cut(char *s, const char *what) { char *p = strstr(s, what); if (!p) { fprintf(stderr, "no '%s'\n", what); exit(1); } memmove(p, p + strlen(what), strlen(p + strlen(what)) + 1); return s; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static double one(const char *schema, const char *dir, long n, int fk, int subtasks, int check_names_in_c)
{
    char path[512], aux[600]; sqlite3 *db; sqlite3_stmt *ti, *si; char name[64], args[96];
    snprintf(path, sizeof path, "%s/j.db", dir);
    unlink(path); snprintf(aux, sizeof aux, "%s-wal", path); unlink(aux); snprintf(aux, sizeof aux, "%s-shm", path); unlink(aux);
    ok(sqlite3_open(path, &db), db, "open");
    ok(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;", 0, 0, 0), db, "pragma");
    ok(sqlite3_exec(db, fk ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF", 0, 0, 0), db, "fk");
    ok(sqlite3_exec(db, schema, 0, 0, 0), db, "schema");
    ok(sqlite3_prepare_v2(db, "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes, state, attempts, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 1, ?7)", -1, &ti, 0), db, "prep");
    ok(sqlite3_prepare_v2(db, "INSERT INTO submission_tasks(submission_id, position, suite_id, task_idx, attempt) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &si, 0), db, "prep");
    double t0 = now_ms();
    ok(sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO suites(id,name,owner_uid,output_dir,created_at,updated_at,last_added_at) VALUES ('abcdefgh','b',0,'/x',0,0,0); INSERT INTO submissions(suite_id,state,created_at,updated_at) VALUES ('abcdefgh','intent',0,0);", 0, 0, 0), db, "begin");
    sqlite3_int64 sid = sqlite3_last_insert_rowid(db);
    char *seen = check_names_in_c ? calloc((size_t)n, 1) : NULL;   /* stands in for a hash set */
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "a=%ld,b=%ld", i / 100, i % 100);
        snprintf(args, sizeof args, "{\"a\":\"%ld\",\"b\":\"%ld\"}", i / 100, i % 100);
        if (seen) seen[i] = 1;
        sqlite3_bind_text(ti, 1, "abcdefgh", -1, SQLITE_STATIC); sqlite3_bind_int64(ti, 2, i);
        sqlite3_bind_text(ti, 3, name, -1, SQLITE_STATIC); sqlite3_bind_text(ti, 4, args, -1, SQLITE_STATIC);
        sqlite3_bind_int(ti, 5, 0); sqlite3_bind_int(ti, 6, 1); sqlite3_bind_double(ti, 7, 1.0);
        ok(sqlite3_step(ti), db, "task"); sqlite3_reset(ti);
        if (subtasks) {
            sqlite3_bind_int64(si, 1, sid); sqlite3_bind_int64(si, 2, i); sqlite3_bind_text(si, 3, "abcdefgh", -1, SQLITE_STATIC);
            sqlite3_bind_int64(si, 4, i); sqlite3_bind_int(si, 5, 1);
            ok(sqlite3_step(si), db, "subtask"); sqlite3_reset(si);
        }
    }
    ok(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    double ms = now_ms() - t0;
    free(seen);
    sqlite3_finalize(ti); sqlite3_finalize(si); sqlite3_close(db);
    return ms;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: journal-insert-variants SCHEMA.sql N DIR\n"); return 2; }
    FILE *f = fopen(argv[1], "r"); long n = atol(argv[2]); const char *dir = argv[3];
    if (!f) { perror(argv[1]); return 1; }
    static char base[1 << 16]; size_t len = fread(base, 1, sizeof base - 1, f); base[len] = 0; fclose(f);
    struct { const char *label; int nouniq, nostate, nosubidx, fk, subtasks; } v[] = {
        { "as now (schema + FKs + 2 rows per task)",      0, 0, 0, 1, 1 },
        { "foreign_keys OFF for the insert",             0, 0, 0, 0, 1 },
        { "no UNIQUE(suite_id, name) (names checked in C)", 1, 0, 0, 1, 1 },
        { "no tasks_state index",                        0, 1, 0, 1, 1 },
        { "no submission_tasks_task index",              0, 0, 1, 1, 1 },
        { "no submission_tasks rows (intent as a range)", 0, 0, 0, 1, 0 },
        { "FKs off + intent as a range (UNIQUE kept)",   0, 0, 0, 0, 0 },
        { "FKs off + no UNIQUE + intent as a range",     1, 0, 0, 0, 0 },
    };
    enum { NV = sizeof v / sizeof v[0], R = 9 };
    static char sc[NV][1 << 16];
    double t[NV][R];
    for (size_t k = 0; k < NV; k++) {
        strcpy(sc[k], base);
        if (v[k].nouniq) cut(sc[k], ",  UNIQUE (suite_id, name)");
        if (v[k].nostate) cut(sc[k], "CREATE INDEX tasks_state ON tasks(suite_id, state);");
        if (v[k].nosubidx) cut(sc[k], "CREATE INDEX submission_tasks_task ON submission_tasks(suite_id, task_idx);");
    }
    one(sc[0], dir, n, 1, 1, 0);           /* warm-up */
    for (int r = 0; r < R; r++)            /* interleaved, rotating the order: drift and */
        for (size_t i = 0; i < NV; i++) {  /* position in a round hit every variant alike */
            size_t k = (i + (size_t)r) % NV;
            t[k][r] = one(sc[k], dir, n, v[k].fk, v[k].subtasks, v[k].nouniq);
        }
    printf("insert %ld tasks in one transaction, median of %d interleaved runs (CPU ms), ratio to as-now\n", n, R);
    double base_ms = 0;
    for (size_t k = 0; k < NV; k++) {
        qsort(t[k], R, sizeof t[k][0], cmpd);
        if (k == 0) base_ms = t[k][R / 2];
        printf("  %-50s %8.1f  %5.2f\n", v[k].label, t[k][R / 2], t[k][R / 2] / base_ms);
    }
    return 0;
}
