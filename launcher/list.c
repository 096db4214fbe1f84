/* list.c: `tasksuite list [--label L] [--state S] [--all-users] [--json]`.
 *
 * One line per suite, oldest first: ID, name, state, done/total, created,
 * labels (and owner with --all-users). --label may be repeated (a suite
 * must carry every one); --state takes a state or a comma-separated list and
 * may be repeated (any of them). Before listing, the caller's suites that are
 * open or closed are refreshed from their event files (ts_sync without
 * Slurm, so listing stays quick and works when Slurm does not answer;
 * `status ID` does the full refresh). --json: one array document of suite
 * summaries (report_json.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "progress.h"
#include "report.h"
#include "report_json.h"
#include "sync.h"

#define LIST_USAGE "usage: tasksuite list [--label L] [--state S[,S...]] [--all-users] [--json]"
#define MAX_LABELS 16

typedef struct row {
    char id[TS_SUITE_ID_LEN + 1];
    char *name;
    char *labels;            /* "a,b" */
    char owner[64];
    enum ts_suite_state state;
    ts_counts c;
    double created_at;
    cJSON *json;             /* --json: the summary */
} row;

/* Refresh the caller's open and closed suites from their events; keep the
 * counters each sync ends with (listing them again costs as much). */
typedef struct ids {
    char (*v)[TS_SUITE_ID_LEN + 1];
    ts_counts *c;
    bool *counted;
    size_t n, cap;
} ids;

typedef struct listing {
    ts_journal *j;
    const ids *synced;
    const char *labels[MAX_LABELS];
    int nlabels;
    bool json;
    row *rows;
    size_t n, cap;
    ts_err *err;
    bool oom;
} listing;

/* Does the labels JSON array hold label? */
static bool has_label(const char *labels_json, const char *label)
{
    cJSON *a = labels_json ? cJSON_Parse(labels_json) : NULL;
    const cJSON *e;
    bool found = false;

    cJSON_ArrayForEach(e, a)
        if (cJSON_IsString(e) && !strcmp(e->valuestring, label))
            found = true;
    cJSON_Delete(a);
    return found;
}

static void owner_name(uid_t uid, char *buf, size_t len)
{
    struct passwd pw, *res = NULL;
    char tmp[4096];

    if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
        snprintf(buf, len, "%s", res->pw_name);
    else
        snprintf(buf, len, "%lu", (unsigned long)uid);
}

static int row_cb(const ts_suite_info *s, void *arg)
{
    listing *l = arg;
    row *r;
    char labels[1024];

    for (int i = 1; i < l->nlabels; i++)   /* the first one: the journal's filter */
        if (!has_label(s->labels_json, l->labels[i]))
            return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        row *nr = realloc(l->rows, cap * sizeof *nr);
        if (!nr) {
            l->oom = true;
            return 1;
        }
        l->rows = nr;
        l->cap = cap;
    }
    r = &l->rows[l->n];
    memset(r, 0, sizeof *r);
    size_t k = 0;
    while (l->synced && k < l->synced->n
           && (!l->synced->counted[k] || strcmp(l->synced->v[k], s->id) != 0))
        k++;
    if (l->synced && k < l->synced->n)
        r->c = l->synced->c[k];
    else if (ts_journal_counts(l->j, s->id, &r->c, l->err) < 0)
        return -1;
    memcpy(r->id, s->id, sizeof r->id);
    r->state = s->state;
    r->created_at = s->created_at;
    ts_report_labels(labels, sizeof labels, s->labels_json);
    owner_name(s->owner_uid, r->owner, sizeof r->owner);
    r->name = strdup(s->name ? s->name : "");
    r->labels = strdup(labels);
    if (l->json)
        r->json = ts_json_suite_summary(s, &r->c);
    l->n++;
    if (!r->name || !r->labels || (l->json && !r->json)) {
        l->oom = true;
        return 1;
    }
    return 0;
}

static int active_cb(const ts_suite_info *s, void *arg)
{
    ids *a = arg;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void *nv = realloc(a->v, cap * sizeof *a->v), *nc, *nk;
        if (nv)
            a->v = nv;
        nc = nv ? realloc(a->c, cap * sizeof *a->c) : NULL;
        if (nc)
            a->c = nc;
        nk = nc ? realloc(a->counted, cap * sizeof *a->counted) : NULL;
        if (!nk)
            return 1;
        a->counted = nk;
        a->cap = cap;
    }
    a->counted[a->n] = false;
    memcpy(a->v[a->n++], s->id, sizeof a->v[0]);
    return 0;
}

static void refresh(ts_journal *j, ids *a)
{
    ts_suite_filter f = {
        .state_mask = TS_BIT(TS_SUITE_OPEN) | TS_BIT(TS_SUITE_CLOSED),
        .only_owner = true,
        .owner_uid = getuid(),
    };
    ts_sync_opts so = { .no_slurm = true, .quiet = true };
    ts_err err = { .code = 0 };
    bool warned = false;

    if (ts_journal_suites_foreach(j, &f, active_cb, a, &err) < 0) {
        ts_cli_say("list", "warning: %s", err.msg);
        a->n = 0;
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        ts_sync_result res;
        if (ts_sync(j, a->v[i], &so, &res, &err) < 0) {
            if (!warned)
                ts_cli_say("list", "warning: suite %s not refreshed: %s",
                        a->v[i], err.msg);
            warned = true;
        } else if (res.counted && !res.became_complete) {
            a->c[i] = res.counts;
            a->counted[i] = true;
        }
    }
}

static int parse_states(const char *arg, unsigned *mask)
{
    char *copy = strdup(arg), *save = NULL, *tok;

    if (!copy)
        return ts_cli_fail("list", TS_EXIT_FAIL, "out of memory");
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int st = ts_suite_state_parse(tok);
        if (st < 0) {
            fprintf(stderr, "tasksuite list: --state: unknown state \"%s\" (valid: ", tok);
            for (int k = 0; k < TS_SUITE_NSTATES; k++)
                fprintf(stderr, "%s%s", k ? ", " : "",
                        ts_suite_state_name((enum ts_suite_state)k));
            fprintf(stderr, ")\n");
            free(copy);
            return TS_EXIT_USAGE;
        }
        *mask |= TS_BIT(st);
    }
    free(copy);
    if (!*mask)
        return ts_cli_fail("list", TS_EXIT_USAGE, "--state: no state given (%s)", LIST_USAGE);
    return 0;
}

static void print_text(const listing *l, bool all_users)
{
    int namew = 4, ownw = 5, progw = 10;
    char when[32], prog[64];

    for (size_t i = 0; i < l->n; i++) {
        int n = (int)strlen(l->rows[i].name);
        if (n > namew)
            namew = n > 32 ? 32 : n;
        n = (int)strlen(l->rows[i].owner);
        if (n > ownw)
            ownw = n;
        n = ts_progress_done_short(prog, sizeof prog, &l->rows[i].c);
        if (n > progw)
            progw = n;
    }
    printf("%-8s  %-*s  %-9s  %-*s  %-19s  ", "ID", namew, "NAME", "STATE",
           progw, "DONE/TOTAL", "CREATED");
    if (all_users)
        printf("%-*s  ", ownw, "OWNER");
    printf("LABELS\n");
    for (size_t i = 0; i < l->n; i++) {
        const row *r = &l->rows[i];
        ts_progress_done_short(prog, sizeof prog, &r->c);
        printf("%-8s  %-*s  %-9s  %-*s  %-19s  ", r->id, namew, r->name,
               ts_suite_state_name(r->state), progw, prog,
               ts_report_time(when, sizeof when, r->created_at));
        if (all_users)
            printf("%-*s  ", ownw, r->owner);
        printf("%s\n", r->labels[0] ? r->labels : "-");
    }
}

/* 0: go on; 1: stop with exit code *code (--help, bad usage: printed). */
static int parse(int argc, char **argv, ts_suite_filter *f, listing *l, int *code)
{
    static const struct option longopts[] = {
        { "label", required_argument, NULL, 'l' },
        { "state", required_argument, NULL, 's' },
        { "all-users", no_argument, NULL, 'A' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":l:s:Ajh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!*optarg) {
                *code = ts_cli_fail("list", TS_EXIT_USAGE, "--label: empty label");
                return 1;
            }
            if (l->nlabels == MAX_LABELS) {
                *code = ts_cli_fail("list", TS_EXIT_USAGE, "at most %d --label options",
                                    MAX_LABELS);
                return 1;
            }
            l->labels[l->nlabels++] = optarg;
            break;
        case 's':
            if ((*code = parse_states(optarg, &f->state_mask)) != 0)
                return 1;
            break;
        case 'A': f->only_owner = false; break;
        case 'j': l->json = true; break;
        case 'h':
            *code = ts_cli_usage(LIST_USAGE, 1);
            return 1;
        default:
            *code = ts_report_usage_error("list", c, argv, LIST_USAGE);
            return 1;
        }
    }
    if (optind != argc) {
        *code = ts_cli_fail("list", TS_EXIT_USAGE, "unexpected argument \"%s\" (%s)",
                            argv[optind], LIST_USAGE);
        return 1;
    }
    return 0;
}

/* The rows as one JSON array (cJSON_Print's bytes). */
static int print_json(listing *l)
{
    cJSON *a = cJSON_CreateArray();
    char *text = NULL;
    int rc = TS_EXIT_OK;
    for (size_t i = 0; a && i < l->n; i++)
        if (cJSON_AddItemToArray(a, l->rows[i].json))
            l->rows[i].json = NULL;
    if (!a || !(text = cJSON_Print(a)))
        rc = ts_cli_fail("list", TS_EXIT_FAIL, "out of memory");
    else
        printf("%s\n", text);
    free(text);
    cJSON_Delete(a);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    ts_suite_filter f = { .only_owner = true, .owner_uid = getuid() };
    listing l = { .nlabels = 0 };
    ts_journal *j = NULL;
    ts_err err = { .code = 0 };
    int rc = TS_EXIT_OK;

    if (parse(argc, argv, &f, &l, &rc))
        return rc;
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("list", &err);
    ids synced = { 0 };
    refresh(j, &synced);
    f.label = l.nlabels ? l.labels[0] : NULL;
    l.j = j;
    l.synced = &synced;
    l.err = &err;
    if (ts_journal_suites_foreach(j, &f, row_cb, &l, &err) < 0) {
        rc = ts_report_fail("list", &err);
    } else if (l.oom) {
        rc = ts_cli_fail("list", TS_EXIT_FAIL, "out of memory");
    } else if (l.json) {
        rc = print_json(&l);
    } else if (l.n == 0) {
        ts_cli_say("list", "no suites%s", f.label || f.state_mask ? " match" : "");
    } else {
        print_text(&l, !f.only_owner);
    }
    if (fflush(stdout) == EOF && rc == TS_EXIT_OK) {
        ts_cli_say("list", "write error: %s", strerror(errno));
        rc = TS_EXIT_FAIL;
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.rows[i].name);
        free(l.rows[i].labels);
        cJSON_Delete(l.rows[i].json);
    }
    free(l.rows);
    free(synced.v);
    free(synced.c);
    free(synced.counted);
    ts_journal_close(j);
    return rc;
}
