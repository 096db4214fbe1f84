/* spec_internal.h: what the files of the suite-file reader share.
 *
 * Not a public header: spec.h is the API. The reader is split by concern
 * (spec.c lists the files); they share the parse context, the shape of a
 * schema table, the limits, and the engine's helpers declared here.
 */
#ifndef TS_SPEC_INTERNAL_H
#define TS_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "spec.h"

/* Limits. A real suite file is a few KiB with well under a thousand nodes. */
#define SPEC_MAX_BYTES    (4u << 20)   /* file size */
#define SPEC_MAX_NODES    100000       /* YAML nodes in the document */
#define SPEC_MAX_DEPTH    64           /* nesting, counting x- extensions */
#define SPEC_MAX_ANCHORS  1000         /* libyaml looks aliases up linearly */
#define SPEC_MAX_ALIASES  10000
#define SPEC_MAX_DOCUMENTS 64          /* stages of a chain file */
#define SPEC_MAX_VISITS   1000000      /* node reads, aliases counted per use */
#define SPEC_MAX_TASKS    1000000      /* matrix product */
#define SPEC_MAX_PLACEHOLDER_NAMES 256 /* distinct %(name)s in one text */
#define NAME_MAX_LEN      64           /* suite, task, arg and axis names */
#define ENV_NAME_MAX_LEN  128

#define PATH_LEN 256                   /* a dotted field path */
#define QUOTE_LEN 200                  /* a quoted, escaped user value */
#define QUOTE_CHARS 48                 /* bytes of a value shown before "..." */

/* ------------------------------------------------------------- the context */

typedef struct pctx {
    const char *name;            /* as given, for the default suite name */
    const char *buf;             /* the file's text, for positions inside a
                                    value (spec_shellquote.c) */
    size_t len;
    char file[PATH_LEN];         /* escaped, for messages */
    yaml_document_t *doc;
    ts_suite *s;
    ts_err *err;
    size_t budget;               /* node reads left */
    bool in_stage;               /* reading a chain document into a stage */
    int ndocs;                   /* YAML documents (spec_prescan) */
    ts_pos cores_pos;            /* worker_schedule.cpu_binding.cores */
    bool resume_given;           /* resume: was written (job_recovery defers) */
    int jr_restarts;             /* resources.job_recovery.max_restarts_on_errors, -1: none */
    ts_pos jr_pos;
    char quote[2][QUOTE_LEN];    /* rotating buffers for spec_qv() */
    int nquote;
} pctx;

typedef int (*field_fn)(pctx *c, void *obj, yaml_node_t *v, const char *path);

/* One key of a schema map: a handler, or a note that is a warning
 * (the key is accepted and ignored) or, with `reject`, the error. */
typedef struct field {
    const char *key;
    field_fn fn;
    bool reject;
    const char *note;
} field;

#define SUITE(obj) ((ts_suite *)(obj))

/* A check of a string value (spec_take_str, spec_read_strlist). */
typedef int (*str_check)(pctx *c, yaml_node_t *n, const char *path,
                         const char *v);

/* A check of a key of a user-data map (spec_read_kvmap). */
typedef int (*key_check)(pctx *c, yaml_node_t *k, const char *path);

/* Two entries of a list or map with one text: spec_find_repeat. */
typedef struct keyref {
    const char *key;
    size_t idx;
} keyref;

/* ---------------------------------------- messages (spec_schema.c) */

void spec_escape(char *dst, size_t n, const char *src, size_t max,
                 bool quoted);
const char *spec_qv(pctx *c, const char *v);
void spec_path_key(char *dst, const char *parent, const char *key);
void spec_path_idx(char *dst, const char *parent, size_t i);
ts_pos spec_pos_of(const yaml_node_t *n);
int spec_fail_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int spec_fail(pctx *c, const yaml_node_t *n, const char *path,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int spec_oom(pctx *c);
/* Edit distance of two names of at most NAME_MAX_LEN bytes (else SIZE_MAX),
 * for "did you mean". */
size_t spec_edit_distance(const char *a, const char *b);
int spec_warn(pctx *c, const yaml_node_t *n, const char *path,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int spec_warn_at(pctx *c, ts_pos p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ------------------------------------ nodes and values (spec_schema.c) */

yaml_node_t *spec_node(pctx *c, int i);
const char *spec_sval(const yaml_node_t *n);
bool spec_is_null(const yaml_node_t *n);
const char *spec_describe(pctx *c, const yaml_node_t *n);
bool spec_is_ext(const char *key);
size_t spec_npairs(const yaml_node_t *map);
size_t spec_nitems(const yaml_node_t *seq);
int spec_want_seq(pctx *c, yaml_node_t *n, const char *path);
int spec_want_map(pctx *c, yaml_node_t *n, const char *path);
int spec_check_keys(pctx *c, yaml_node_t *map, const char *path);
size_t spec_count_entries(pctx *c, const yaml_node_t *map);
int spec_get_str(pctx *c, yaml_node_t *n, const char *path, const char **out);
int spec_set_str(pctx *c, char **dst, const char *v);
int spec_get_int(pctx *c, yaml_node_t *n, const char *path, long lo,
                 long hi, long *out);
int spec_get_int_field(pctx *c, yaml_node_t *n, const char *path, long lo,
                       long hi, int *out);
bool spec_all_digits(const char *s);
int spec_get_duration(pctx *c, yaml_node_t *n, const char *path, long lo,
                      long hi, long *out);
bool spec_find_repeat(keyref *k, size_t n, size_t *later, size_t *earlier);
int spec_walk_map(pctx *c, yaml_node_t *map, const char *path,
                  const field *fields, void *obj);
int spec_read_kvmap(pctx *c, yaml_node_t *map, const char *path,
                    key_check check, bool value_optional, ts_kvlist *out);
int spec_read_strlist(pctx *c, yaml_node_t *seq, const char *path,
                      str_check check, bool unique, ts_strlist *out);
int spec_take_str(pctx *c, yaml_node_t *v, const char *path,
                  str_check check, char **dst);

/* ---------------------------------------------- value rules (spec_values.c) */

bool spec_name_char(char ch);
bool spec_valid_name(const char *s);
bool spec_valid_ident(const char *s, size_t max);
int spec_check_nonblank(pctx *c, yaml_node_t *n, const char *path,
                        const char *v);
int spec_check_suite_name(pctx *c, yaml_node_t *n, const char *path,
                          const char *v);
int spec_check_tag(pctx *c, yaml_node_t *n, const char *path, const char *v);
int spec_check_word(pctx *c, yaml_node_t *n, const char *path,
                    const char *v);
int spec_check_env_key(pctx *c, yaml_node_t *k, const char *path);
int spec_check_arg_key(pctx *c, yaml_node_t *k, const char *path);
int spec_check_path_key(pctx *c, yaml_node_t *k, const char *path);

/* ----------------------------------------- the sections (field_fn each) */

extern const field spec_top_fields[];                         /* spec_top.c */
int spec_read_slurm(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_resources(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_hook(pctx *c, ts_hook *h, yaml_node_t *v, const char *path);
int spec_read_matrix(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_tasks(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_resume(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_stages(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_namelist(pctx *c, yaml_node_t *seq, const char *path,
                       ts_namelist *out);                  /* spec_stages.c */
int spec_finish_stages(pctx *c, yaml_node_t *root);
int spec_chain_hoist(pctx *c);
int spec_chain_document(pctx *c, yaml_node_t *root, size_t k,
                        int (*fill)(pctx *, yaml_node_t *));
int spec_read_worker_schedule(pctx *c, void *obj, yaml_node_t *v,
                              const char *path);
int spec_read_oncheckpoint(pctx *c, void *obj, yaml_node_t *v,
                           const char *path);         /* spec_oncheckpoint.c */

/* ------------------------------------------- checks after the walk */

int spec_check_placeholders(pctx *c, const char *text, ts_pos at,
                            const char *what);           /* spec_placeholders.c */
int spec_clamp_signal_lead(pctx *c);                     /* spec_resume.c */
int spec_check_oncheckpoint(pctx *c);                    /* spec_oncheckpoint.c */
int spec_apply_job_recovery(pctx *c);                    /* spec_skypilot.c */
int spec_pick_first_candidate(pctx *c);                  /* spec_skypilot.c */
int spec_read_secrets(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_candidates(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_job_recovery(pctx *c, void *obj, yaml_node_t *v, const char *path);
int spec_read_resource_fields(pctx *c, yaml_node_t *v, const char *path,
                              ts_resources *r, bool nested);  /* spec_resources.c */
int spec_check_placeholder_quotes(pctx *c, const char *text, ts_pos at,
                                  const char *what);     /* spec_shellquote.c */

/* ------------------------------------------------ reading (spec_prescan.c) */

int spec_prescan(pctx *c, const char *buf, size_t len);
int spec_load_document(pctx *c, const char *buf, size_t len,
                       yaml_document_t *doc);
/* Every document in turn (a chain file), c->doc set meanwhile. */
int spec_load_documents(pctx *c, const char *buf, size_t len,
                        int (*each)(pctx *, yaml_document_t *, size_t));

#endif
