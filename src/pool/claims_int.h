/* claims_int.h: the file primitives the claim protocol is built from (one
 * place that knows how to publish a file atomically on NFS), shared by
 * claims_queue.c, claims.c and claims_scan.c. Not for other layers. */
#ifndef TS_POOL_CLAIMS_INT_H
#define TS_POOL_CLAIMS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "claims.h"

/* snprintf that fitted. */
bool pc_fits(int n, size_t len);

/* mkdir, fine when it is already a directory. */
int pc_mkdir(const char *path, ts_err *err);

/* Copy s keeping [A-Za-z0-9_-] ('.' too: no, it separates id fields),
 * others -> '_'; "" -> dflt. */
void pc_sanitize(const char *s, const char *dflt, char *out, size_t len);

/* Epoch seconds with sub-second resolution. */
double pc_now(void);

/* Write text into a fresh temporary file in dir (name unique to host, pid
 * and 64 random bits), closed (NFS flushes at close). tmp gets its path. */
int pc_tmpfile(const char *dir, const char *text, size_t len, char *tmp,
               size_t tmplen, ts_err *err);

/* Publish tmp under name with link(): 1 published (tmp removed), 0 name
 * taken by someone else (tmp removed), -1 error. An ambiguous link result
 * is settled by tmp's link count (2 = our link happened). */
int pc_link_publish(const char *tmp, const char *name, ts_err *err);

/* Replace path with text atomically (temporary + rename). */
int pc_replace(const char *dir, const char *path, const char *text,
               size_t len, ts_err *err);

/* Read a small file whole into buf ('\0'-terminated); -1 with errno. */
long pc_read_small(const char *path, char *buf, size_t len);

/* POOLDIR/claims/<shard> and POOLDIR/claims/<shard>/<t>.<a>.<g>[.f] */
int pc_shard_dir(const char *pooldir, long task, char *buf, size_t len,
                 ts_err *err);
int pc_claim_path(const char *pooldir, const ts_pool_entry *e, bool fate,
                  char *buf, size_t len, ts_err *err);

/* Try to win the fate of claim e: 'S' or 'R', by who. 1 won, 0 lost (*got
 * gets the winner's letter, '?' when unreadable), -1 error. */
int pc_fate(const char *pooldir, const ts_pool_entry *e, char letter,
            const char *who, char *got, ts_err *err);

#endif
