/* spec.h: a suite file (YAML) as a validated, typed, in-memory suite.
 *
 * spec.c reads the file with libyaml's event API and fills `ts_suite`; every
 * error names file:line:col and the field (SPEC.md section 3). Expansion of
 * matrix/tasks into concrete tasks is expand.h; mapping to sbatch options is
 * slurmopt.h.
 */
#ifndef TS_SPEC_H
#define TS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Where a value came from in the file, for messages after parsing. */
typedef struct ts_pos {
    int line;   /* 1-based, 0 = unknown */
    int col;    /* 1-based */
} ts_pos;

/* An ordered string -> string map (envs, args, slurm pass-through, volumes). */
typedef struct ts_kv {
    char *key;
    char *value;          /* "" while `required` */
    ts_pos pos;
    bool required;        /* written as null (SkyPilot: "give it at launch"):
                             the value comes at submit (spec_launchenv.c) */
} ts_kv;

typedef struct ts_kvlist {
    ts_kv *v;
    size_t n;
} ts_kvlist;

typedef struct ts_strlist {
    char **v;
    size_t n;
} ts_strlist;

/* env_preparation / env_cleanup / on_complete. Exactly one of args/run is set
 * when `present`. */
typedef struct ts_hook {
    bool present;
    ts_strlist args;      /* exec'd directly, no shell */
    char *run;            /* shell text, run by /bin/sh -c as the user */
    ts_kvlist envs;
    long timeout_s;       /* 0 = the default (TS_HOOK_DEFAULT_TIMEOUT_S) */
    ts_pos pos;
} ts_hook;

#define TS_HOOK_DEFAULT_TIMEOUT_S 600
#define TS_SUSPEND_AFTER_DEFAULT 5   /* worker_schedule.suspend_after */

typedef struct ts_resources {
    int cpus;             /* per node (per task); 0 = not given */
    uint64_t memory_mb;   /* per node; 0 = not given */
    char *gpu_type;       /* "v100" from "V100:2", NULL for a bare count */
    int gpu_count;        /* 0 = none */
    char *image_id;       /* kept for SkyPilot compatibility (warned) */
} ts_resources;

/* resources.any_of / ordered / candidates (SkyPilot): alternatives merged
 * over the base resources. Slurm cannot fail over between them, so submit
 * takes the first the cluster can satisfy (ts_spec_use_candidate). */
typedef struct ts_candidates {
    ts_resources base;    /* resources: without the alternatives */
    ts_resources *v;      /* each as written (0 / NULL: not given) */
    size_t n;
    size_t chosen;        /* merged into ts_suite.resources; default 0 */
    const char *key;      /* "any_of", "ordered" or "candidates" */
    ts_pos pos;
} ts_candidates;

/* Where a secret's value is in the file's text, so the copy the journal
 * keeps can leave it out (ts_spec_redact_secrets). */
typedef struct ts_span {
    size_t start, end;    /* byte offsets, end exclusive */
} ts_span;

typedef struct ts_matrix_axis {
    char *name;
    ts_strlist values;    /* scalars as written */
    ts_pos pos;
} ts_matrix_axis;

/* Names with where each was written: depends_on lists, for errors that
 * point at the offending item (dag.c). */
typedef struct ts_namelist {
    char **v;
    ts_pos *pos;
    size_t n;
} ts_namelist;

typedef struct ts_task_entry {
    char *name;           /* NULL: generated */
    ts_kvlist args;
    int priority;         /* higher runs first; default 0 */
    ts_namelist depends_on;  /* other tasks or stages of this suite (dag.h) */
    ts_pos pos;
} ts_task_entry;

/* Task end states, as bits for resume.retry_on. */
enum ts_state_bit {
    TS_RETRY_TIMEOUT   = 1u << 0,
    TS_RETRY_NODE_FAIL = 1u << 1,
    TS_RETRY_PREEMPTED = 1u << 2,
    TS_RETRY_FAILED    = 1u << 3,
};

typedef struct ts_resume {
    int max_retries;      /* default 3 */
    unsigned retry_on;    /* TS_RETRY_* bits; default TS_RETRY_TIMEOUT */
    int signal;           /* default SIGUSR2 */
    int signal_lead_s;    /* seconds before the walltime; default 300 */
    long cancel_grace_s;  /* issue 16: `cancel` sends the signal, waits this
                           * long, then kills; default 0 (kill at once) */
} ts_resume;

enum ts_bind_strategy {
    TS_BIND_ROUND_ROBIN = 0,
    TS_BIND_EXCLUSIVE,
    TS_BIND_SHARED,
};

typedef struct ts_worker_schedule {
    bool present;
    int worker_count;             /* >= 1 */
    int *cores;                   /* cpu_binding.cores, may be empty */
    size_t ncores;
    enum ts_bind_strategy strategy;
    int task_prefetch_count;      /* default = worker_count */
    int suspend_after;            /* a worker stops pulling after this many
                                     failed tasks in a row; default 5, 0 = never */
    int allocations;              /* pool allocations queued at once; 0: the
                                   * default, ts_pool_allocations() */
    long lease_s;                 /* seconds without a heartbeat before an
                                   * agent is judged dead; default 300 */
} ts_worker_schedule;

#define TS_POOL_LEASE_DEFAULT_S 300
#define TS_POOL_ALLOCATIONS_MAX 4   /* the default's cap */
#define TS_POOL_ALLOCATIONS_LIMIT 64 /* worker_schedule.allocations at most */

/* on_checkpoint: (issue 16) a task of the suite per recorded checkpoint
 * (spec_oncheckpoint.c; run by src/suite/oncheckpoint.c). */
typedef struct ts_oncheckpoint {
    bool present;
    char *run;            /* shell text; sees TASK_SUITE_CHECKPOINT(_STEP),
                           * TASK_SUITE_SOURCE_TASK */
    long every;           /* only steps that are multiples; 0: every checkpoint */
    ts_pos pos, run_pos;
} ts_oncheckpoint;
struct ts_suite;

/* A named stage (stages: list, or one document of a chain file): a group of
 * tasks with its own run/setup/matrix/tasks/resources, inheriting what it
 * does not set from the suite. The graph rules are dag.h's. */
typedef struct ts_stage {
    char *name;
    ts_pos pos;               /* where the stage starts */
    ts_namelist depends_on;   /* other stages (or top-level tasks) */
    struct ts_suite *body;    /* only the fields a stage may set */
} ts_stage;

typedef struct ts_suite {
    char *path;                   /* as given to the loader */
    char *name;                   /* default: file basename without .yaml */
    ts_strlist labels;
    ts_strlist tags;              /* -> --constraint=a&b */
    char *group;                  /* -> --account */
    ts_kvlist slurm;              /* pass-through sbatch long options */
    int num_nodes;                /* default 1 */
    ts_resources resources;
    ts_kvlist envs;
    ts_kvlist secrets;            /* like envs, never logged or journaled */
    ts_span *secret_spans;        /* the secrets' values in the text */
    size_t nsecret_spans;
    ts_candidates candidates;     /* resources.any_of/ordered/candidates */
    ts_kvlist volumes;            /* SkyPilot: path -> volume (warned) */
    char *workdir;                /* as written (~ expanded later) */
    char *output_dir;             /* NULL = $TASKSUITE_HOME/suites/ID */

    ts_hook env_preparation;
    ts_hook env_cleanup;
    ts_hook on_complete;
    ts_oncheckpoint on_checkpoint;    /* issue 16 */

    char *setup;                  /* per task, may hold %(name) */
    char *run;                    /* required; may hold %(name) */
    ts_pos setup_pos, run_pos;

    ts_matrix_axis *matrix;       /* cartesian product, in file order */
    size_t nmatrix;
    ts_task_entry *tasks;         /* explicit list */
    size_t ntasks;

    ts_resume resume;
    ts_worker_schedule worker_schedule;
    ts_strlist depends_on;        /* other suites (ids or names) */
    ts_stage *stages;             /* stages: or a chain file's documents */
    size_t nstages;
    bool chain;                   /* stages came from a multi-document file */
    long close_after_s;           /* idle time before open -> closed; 0 (the
                                     default): complete once all tasks are done */

    /* Non-fatal findings, one line each, "file:line:col: key: ..." */
    ts_strlist warnings;
} ts_suite;

/* Parse and validate a suite from a file / a buffer. `name` is used in
 * messages (the path). On error returns -1, *out untouched, err filled with
 * "name:line:col: field: message". */
int ts_spec_load(const char *path, ts_suite **out, ts_err *err);
int ts_spec_parse(const char *name, const char *buf, size_t len,
                  ts_suite **out, ts_err *err);
void ts_spec_free(ts_suite *s);

/* An error about a place in the suite file: "path:line:col: message", or
 * "path: message" when pos is unknown. Returns -1. */
int ts_spec_errat(ts_err *err, const ts_suite *s, ts_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Make candidate k (< s->candidates.n) the suite's resources: the base
 * with the candidate's fields over it. */
void ts_spec_use_candidate(ts_suite *s, size_t k);

/* One line describing candidate k ("cpus 4, memory 16Gi, V100:1"). */
void ts_spec_describe_resources(const ts_resources *r, char *buf, size_t n);

/* The file's text with every secret's value replaced by null (same line
 * count), for the journal's copy; malloc'd, NULL when out of memory. The
 * text must be the one s was parsed from. */
char *ts_spec_redact_secrets(const ts_suite *s, const char *text, size_t len);

/* Values given at submit (spec_launchenv.c). `given` holds --env and
 * --env-file entries in order (later wins): a key of secrets: sets that
 * secret, any other sets (or adds) an env. Then every entry still
 * `required` takes the value of the same name in envp (the caller's
 * environment); one still missing is an error naming it and where it is
 * written. */
int ts_spec_apply_launch_env(ts_suite *s, const ts_kvlist *given, char *const *envp,
                             ts_err *err);

/* Read an --env-file: KEY=VALUE lines, blank lines and # comments, an
 * optional "export ", a value in matching quotes taken without them.
 * Appends to out; an error names file:line. */
int ts_spec_read_env_file(const char *path, ts_kvlist *out, ts_err *err);

/* "KEY=VALUE" (or "KEY": its value from envp) appended to out. */
int ts_spec_parse_env_arg(const char *arg, char *const *envp, ts_kvlist *out, ts_err *err);

void ts_kvlist_clear(ts_kvlist *l);
/* A copy of k and v appended to l; -1 when out of memory (l unchanged). */
int ts_kvlist_add(ts_kvlist *l, const char *k, const char *v, ts_pos pos);

/* Lookups used by expansion and the CLI. */
const char *ts_kv_get(const ts_kvlist *l, const char *key);

#endif
