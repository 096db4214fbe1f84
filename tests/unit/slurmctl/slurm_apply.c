/* slurm_apply: sbatch options -> job_desc_msg_t fields (ts_slurm_apply_options)
 * and job records -> ts_job_info (ts_slurm_job_infos). No RPC: libslurm's
 * slurm_init_job_desc_msg() and hostlist functions only.
 *
 * Expected values are what sbatch puts into the job_desc for the same
 * options (checked against real submissions in tests/slurm/t0150): 22.05's,
 * and where later releases changed the rules (TS_SBATCH_*_RULES of
 * slurm_compat.h) the tables for the release this is built against. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurm_compat.h"

#include "optnames.h"
#include "slurm.h"
#include "slurm_int.h"
#include "slurmopt.h"
#include "tap.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* ------------------------------------------------------------ fields */

enum ftype { F_STR, F_U16, F_U32, F_U64, F_TIME };

static const struct {
    const char *name;
    size_t off;
    enum ftype type;
} fields[] = {
#define S(f) { #f, offsetof(job_desc_msg_t, f), F_STR }
#define U16(f) { #f, offsetof(job_desc_msg_t, f), F_U16 }
#define U32(f) { #f, offsetof(job_desc_msg_t, f), F_U32 }
#define U64(f) { #f, offsetof(job_desc_msg_t, f), F_U64 }
    S(account), S(comment), S(exc_nodes), S(features), S(licenses),
    S(mail_user), S(mem_per_tres), S(name), S(partition), S(qos),
    S(req_nodes), S(reservation), S(tres_per_job), S(tres_per_node),
    S(tres_per_task), S(wckey),
    U16(cpus_per_task), U16(cores_per_socket), U16(mail_type),
    U16(ntasks_per_core), U16(ntasks_per_node), U16(pn_min_cpus),
    U16(requeue), U16(shared), U16(sockets_per_node), U16(threads_per_core),
    U16(warn_flags), U16(warn_signal), U16(warn_time),
    U32(max_nodes), U32(min_cpus), U32(min_nodes), U32(nice), U32(num_tasks),
    U32(pn_min_tmp_disk), U32(priority), U32(req_switch), U32(time_limit),
    U32(time_min), U32(wait4switch),
    U64(bitflags), U64(pn_min_memory),
    { "begin_time", offsetof(job_desc_msg_t, begin_time), F_TIME },
    { "deadline", offsetof(job_desc_msg_t, deadline), F_TIME },
#undef S
#undef U16
#undef U32
#undef U64
};

/* A field as text: strings as is ("NULL" when unset), numbers in decimal
 * with NO_VAL* / INFINITE* by name. */
static const char *field_text(const job_desc_msg_t *d, const char *name,
                              char *buf, size_t len)
{
    for (size_t i = 0; i < COUNT(fields); i++) {
        if (strcmp(fields[i].name, name) != 0)
            continue;
        const char *p = (const char *)d + fields[i].off;
        uint64_t v = 0;
        switch (fields[i].type) {
        case F_STR: {
            const char *s = *(char *const *)p;
            return s ? s : "NULL";
        }
        case F_U16:
            v = *(const uint16_t *)p;
            if (v == NO_VAL16) return "NO_VAL16";
            if (v == INFINITE16) return "INFINITE16";
            break;
        case F_U32:
            v = *(const uint32_t *)p;
            if (v == NO_VAL) return "NO_VAL";
            if (v == INFINITE) return "INFINITE";
            break;
        case F_U64:
            v = *(const uint64_t *)p;
            if (v == NO_VAL64) return "NO_VAL64";
            break;
        case F_TIME:
            v = (uint64_t)*(const time_t *)p;
            break;
        }
        snprintf(buf, len, "%" PRIu64, v);
        return buf;
    }
    return "?no such field?";
}

/* "k=v;k2=v2" -> list (a key without '=' gets an empty value). */
static void parse_opts(const char *spec, ts_kvlist *l)
{
    char *copy = strdup(spec), *save = NULL;
    l->v = calloc(32, sizeof *l->v);
    l->n = 0;
    for (char *tok = strtok_r(copy, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        ts_kv *kv = &l->v[l->n++];
        kv->key = eq ? strndup(tok, (size_t)(eq - tok)) : strdup(tok);
        kv->value = strdup(eq ? eq + 1 : "");
    }
    free(copy);
}

static void free_opts(ts_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
}

/* Apply `opts` to a fresh job_desc (with `comment` preset if given). */
static int run(const char *opts, const char *comment, job_desc_msg_t *d,
               ts_err *err)
{
    ts_kvlist l;
    slurm_init_job_desc_msg(d);
    if (comment)
        d->comment = strdup(comment);
    parse_opts(opts, &l);
    ts_err_clear(err);
    int rc = ts_slurm_apply_options(d, &l, err);
    free_opts(&l);
    return rc;
}

/* ------------------------------------------------------------ the table */

#define MEMCPU "9223372036854777856"   /* 2048 | MEM_PER_CPU */
#define NICE(n) #n

static const struct {
    const char *opts;
    const char *want;   /* "field=value field=value" */
} cases[] = {
    /* time, time-min: minutes, rounded up; 0 and UNLIMITED = INFINITE */
    { "time=90s", "time_limit=2 time_min=NO_VAL" },
    { "time=1:00:00", "time_limit=60" },
    { "time=5", "time_limit=5" },
    { "time=0:30", "time_limit=1" },
    { "time=1-00:00:00", "time_limit=1440" },
    { "time=2h30m", "time_limit=150" },
    { "time=UNLIMITED", "time_limit=INFINITE" },
    { "time=infinite", "time_limit=INFINITE" },
    { "time=0", "time_limit=INFINITE" },
    { "time-min=2h;time=4h", "time_min=120 time_limit=240" },
    /* memory */
    { "mem=16384M", "pn_min_memory=16384" },
    { "mem=16G", "pn_min_memory=16384" },
    { "mem=16Gi", "pn_min_memory=16384" },
    { "mem=1.5G", "pn_min_memory=1536" },
    { "mem=2048", "pn_min_memory=2048" },
    { "mem=0", "pn_min_memory=0" },
    { "mem-per-cpu=2G", "pn_min_memory=" MEMCPU },
    { "tmp=10G", "pn_min_tmp_disk=10240" },
    { "gres=none", "tres_per_node=NULL" },
    /* CPUs, tasks, nodes: sbatch's derived counts */
    { "cpus-per-task=4", "cpus_per_task=4 pn_min_cpus=4 min_cpus=4 "
      "num_tasks=NO_VAL bitflags=32768" },
    { "nodes=1;cpus-per-task=4", "min_nodes=1 max_nodes=1 min_cpus=4" },
    { "nodes=2;cpus-per-task=4", "min_nodes=2 max_nodes=2 min_cpus=8 "
      "num_tasks=NO_VAL" },
    { "nodes=2", "min_nodes=2 max_nodes=2 min_cpus=2 cpus_per_task=NO_VAL16 "
      "pn_min_cpus=NO_VAL16" },
    { "nodes=1-3", "min_nodes=1 max_nodes=3 min_cpus=1" },
    { "nodes=2;ntasks=4", "num_tasks=4 min_cpus=4 bitflags=16384 "
      "max_nodes=2" },
    { "nodes=1-4;ntasks=2", "min_nodes=1 max_nodes=2" },
    { "ntasks=3", "num_tasks=3 min_cpus=3 min_nodes=NO_VAL" },
    { "nodes=2;threads-per-core=1;cpus-per-task=2", "threads_per_core=1 "
      "num_tasks=2 min_cpus=4 bitflags=49152" },
    { "sockets-per-node=2;cores-per-socket=4;threads-per-core=2",
      "sockets_per_node=2 cores_per_socket=4 threads_per_core=2" },
    { "nodelist=n[1-3]", "req_nodes=n[1-3] min_nodes=3 max_nodes=NO_VAL" },
    { "nodelist=n1,n1", "req_nodes=n1 min_nodes=1" },
    { "nodes=4;nodelist=n[1-2]", "min_nodes=4 max_nodes=4" },
    { "nodelist=n1;ntasks-per-node=2", "min_nodes=1 min_cpus=2" },
    { "exclude=n1,n[3-4]", "exc_nodes=n1,n[3-4]" },
    /* hint (verify_hint for sbatch) */
    { "hint=nomultithread", "threads_per_core=1 ntasks_per_core=NO_VAL16" },
    { "hint=compute_bound", "threads_per_core=1 cores_per_socket=NO_VAL16" },
    { "hint=memory_bound", "cores_per_socket=1 threads_per_core=1" },
    { "hint=multithread", "ntasks_per_core=INFINITE16 "
      "threads_per_core=NO_VAL16" },
    /* flags */
    { "exclusive", "shared=0" },
    { "exclusive=user", "shared=2" },
    { "exclusive=mcs", "shared=3" },
    { "exclusive=oversubscribe", "shared=1" },
    { "exclusive=no", "shared=NO_VAL16" },
    { "requeue", "requeue=1" },
    { "no-requeue", "requeue=0" },
    { "requeue=true", "requeue=1" },
    /* mail, nice, priority */
    { "mail-type=END,FAIL;mail-user=a@b.c", "mail_type=6 mail_user=a@b.c" },
    { "mail-type=ALL", "mail_type=1295" },
    { "mail-type=BEGIN,NONE", "mail_type=0" },
    { "mail-type=TIME_LIMIT_90,ARRAY_TASKS", "mail_type=544" },
    { "nice=10", "nice=2147483658" },
    { "nice=-5", "nice=2147483643" },
    { "priority=10", "priority=10" },
    { "priority=TOP", "priority=4294967293" },
    { "priority=0", "priority=NO_VAL" },
    /* plain strings */
    { "account=proj1;partition=gpu;qos=high;reservation=r1;wckey=w;"
      "licenses=matlab:2;constraint=a&b;job-name=demo",
      "account=proj1 partition=gpu qos=high reservation=r1 wckey=w "
      "licenses=matlab:2 features=a&b name=demo" },
    { "comment=hello", "comment=hello" },
    /* switches, signal */
    { "switches=2@1h", "req_switch=2 wait4switch=3600" },
    { "switches=1", "req_switch=1 wait4switch=NO_VAL" },
    { "signal=B:USR2@300", "warn_signal=12 warn_time=300 warn_flags=1" },
    { "signal=USR1", "warn_signal=10 warn_time=60 warn_flags=0" },
    { "signal=RB:10@5", "warn_signal=10 warn_time=5 warn_flags=257" },
    /* dates */
    { "begin=2030-01-02T03:04:05", "begin_time=@2030-01-02T03:04:05" },
    { "begin=2030-01-02T03:04", "begin_time=@2030-01-02T03:04:00" },
    { "deadline=2030-01-02", "deadline=@2030-01-02T00:00:00" },
    /* tasksuite's own key is not applied */
    { "array-throttle=4", "name=NULL time_limit=NO_VAL" },
};

/* Up to 22.05 (before TS_SBATCH_2302_RULES). */
static const struct {
    const char *opts;
    const char *want;
} cases_2205[] = {
    { "nodes=2;ntasks-per-node=3", "ntasks_per_node=3 num_tasks=6 "
      "min_cpus=6 bitflags=16384" },
    { "nodes=1-3;nodelist=n[1-2]", "min_nodes=2 max_nodes=3" },
    { "ntasks=4;ntasks-per-node=2", "num_tasks=4 min_nodes=NO_VAL" },
}, cases_2302[] = {
    /* --ntasks-per-node sizes min_cpus, sets no task count; --nodelist
     * counts only without --nodes, and may name more nodes. */
    { "nodes=2;ntasks-per-node=3", "ntasks_per_node=3 num_tasks=NO_VAL "
      "min_cpus=6 bitflags=0" },
    { "nodes=2;ntasks-per-node=2;cpus-per-task=2", "num_tasks=NO_VAL "
      "min_cpus=8" },
    { "nodes=1-3;nodelist=n[1-2]", "min_nodes=1 max_nodes=3" },
    { "nodes=1;nodelist=n[1-2]", "min_nodes=1 max_nodes=1 req_nodes=n[1-2]" },
    { "ntasks=4;ntasks-per-node=2", "num_tasks=4 min_nodes=2" },
    { "ntasks=5;ntasks-per-node=2", "num_tasks=5 min_nodes=3" },
}, cases_gpu_2205[] = {
    /* Up to 23.02 (before TS_SBATCH_2311_RULES): TRES as "gres:gpu". */
    { "mem-per-gpu=1G", "mem_per_tres=gres:gpu:1024 pn_min_memory=NO_VAL64" },
    { "gres=gpu:v100:2", "tres_per_node=gres:gpu:v100:2" },
    { "gres=gpu:2", "tres_per_node=gres:gpu:2" },
    { "gres=gres:gpu:1", "tres_per_node=gres:gpu:1" },
    { "gres=gpu:1,mps:100", "tres_per_node=gres:gpu:1,gres:mps:100" },
    { "gpus=2", "tres_per_job=gres:gpu:2 tres_per_node=NULL" },
    { "gpus=v100:2", "tres_per_job=gres:gpu:v100:2" },
    { "gpus-per-node=v100:1", "tres_per_node=gres:gpu:v100:1" },
    { "gres=mps:10;gpus-per-node=1", "tres_per_node=gres:gpu:1,gres:mps:10" },
    { "gpus-per-task=1;ntasks=2", "tres_per_task=gres:gpu:1 num_tasks=2" },
    { "cpus-per-task=4", "tres_per_task=NULL" },
}, cases_2311[] = {
    /* 23.11: "gres/gpu", and tres_per_task carries CPUs and GPUs per task. */
    { "mem-per-gpu=1G", "mem_per_tres=gres/gpu:1024 pn_min_memory=NO_VAL64" },
    { "gres=gpu:v100:2", "tres_per_node=gres/gpu:v100:2" },
    { "gres=gpu:2", "tres_per_node=gres/gpu:2" },
    { "gres=gres:gpu:1", "tres_per_node=gres/gpu:1" },
    { "gres=gpu:1,mps:100", "tres_per_node=gres/gpu:1,gres/mps:100" },
    { "gpus=2", "tres_per_job=gres/gpu:2 tres_per_node=NULL" },
    { "gpus=v100:2", "tres_per_job=gres/gpu:v100:2" },
    { "gpus-per-node=v100:1", "tres_per_node=gres/gpu:v100:1" },
    { "gres=mps:10;gpus-per-node=1", "tres_per_node=gres/gpu:1,gres/mps:10" },
    { "gpus-per-task=1;ntasks=2", "tres_per_task=gres/gpu=1 num_tasks=2" },
    { "gpus-per-task=v100:2", "tres_per_task=gres/gpu:v100=2" },
    { "cpus-per-task=4", "tres_per_task=cpu=4" },
    { "cpus-per-task=3;gpus-per-task=1", "tres_per_task=cpu=3,gres/gpu=1" },
};

/* "@YYYY-MM-DDTHH:MM:SS" (local time) as seconds. */
static const char *local_time(const char *iso, char *buf, size_t len)
{
    struct tm tm = {0};
    sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
           &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    snprintf(buf, len, "%lld", (long long)mktime(&tm));
    return buf;
}

static void check_case(const char *opts, const char *want)
{
    job_desc_msg_t d;
    ts_err err;
    char *spec = strdup(want), *save = NULL, name[300];
    if (run(opts, NULL, &d, &err) < 0) {
        ok(0, "%s: applies", opts);
        diag("error: %s", err.msg);
        free(spec);
        return;
    }
    for (char *tok = strtok_r(spec, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '='), buf[64], tbuf[64];
        *eq = '\0';
        const char *expect = eq + 1;
        if (expect[0] == '@')
            expect = local_time(expect + 1, tbuf, sizeof tbuf);
        snprintf(name, sizeof name, "%s -> %s", opts, tok);
        is_str(field_text(&d, tok, buf, sizeof buf), expect, name);
    }
    ts_slurm_job_desc_free(&d);
    free(spec);
}

/* ------------------------------------------------------------ errors */

static const struct {
    const char *opts;
    const char *want;   /* the message starts with this */
} errors[] = {
    { "time=5x", "slurm.time: 5x: not a duration" },
    { "time-min=soon", "slurm.time-min: soon: not a duration" },
    { "mem=lots", "slurm.mem: lots: not a size" },
    { "mem=1G;mem-per-cpu=1G", "slurm.mem-per-cpu: 1G: conflicts with "
      "slurm.mem" },
    { "mem-per-gpu=1G;mem=1G", "slurm.mem: 1G: conflicts with "
      "slurm.mem-per-gpu" },
    { "requeue;no-requeue", "slurm.no-requeue: (empty): conflicts with "
      "slurm.requeue" },
    { "requeue=maybe", "slurm.requeue: maybe: a flag" },
    { "cpus-per-task=0", "slurm.cpus-per-task: 0: not a count from 1 to 65533" },
    { "cpus-per-task=4x", "slurm.cpus-per-task: 4x: not a count" },
    { "ntasks=-1", "slurm.ntasks: -1: not a count" },
    { "nodes=0", "slurm.nodes: 0: not a node count" },
    { "nodes=3-2", "slurm.nodes: 3-2: the maximum is below the minimum" },
    { "begin=tomorrow", "slurm.begin: tomorrow: not a time" },
    { "begin=2030-02-30", "slurm.begin: 2030-02-30: not a time" },
    { "begin=now+5parsecs", "slurm.begin: now+5parsecs: not a time" },
    { "begin=2030-01-02;deadline=2030-01-01", "slurm.deadline: is before "
      "slurm.begin" },
    { "mail-type=SOMETIMES", "slurm.mail-type: SOMETIMES: \"SOMETIMES\" is "
      "not a mail type" },
    { "nice=abc", "slurm.nice: abc: not a nice value" },
    { "nice=2147483646", "slurm.nice: 2147483646: not a nice value" },
    { "priority=-1", "slurm.priority: -1: not a priority" },
    { "hint=fast", "slurm.hint: fast: not a hint" },
    { "hint=nomultithread;threads-per-core=2", "slurm.hint: nomultithread: "
      "conflicts with slurm.threads-per-core" },
    { "exclusive=maybe", "slurm.exclusive: maybe: not empty, user, mcs or "
      "oversubscribe" },
    { "signal=B:NOPE", "slurm.signal: B:NOPE: \"NOPE\" is not a signal" },
    { "signal=X:USR1", "slurm.signal: X:USR1: not [B:|R:]SIGNAL[@seconds]" },
    { "signal=USR1@soon", "slurm.signal: USR1@soon: \"soon\" is not a lead "
      "time" },
    { "gres=help", "slurm.gres: help: not a GRES request" },
    { "gpus=2 x", "slurm.gpus: 2 x: not a GPU count" },
    { "gpus-per-node=,", "slurm.gpus-per-node: ,: not a GPU count" },
    { "nodelist=/etc/hosts", "slurm.nodelist: /etc/hosts: node files are not "
      "supported" },
    { "nodes=2;ntasks=1", "slurm.ntasks: 1: fewer tasks than nodes (2)" },
    { "output=x.log", "slurm.output: x.log: not an sbatch option tasksuite "
      "passes" },
    { "partition=", "slurm.partition: (empty): needs a value" },
    { "switches=x", "slurm.switches: x: not N[@max-wait]" },
    { "switches=1@x", "slurm.switches: 1@x: \"x\" is not a duration" },
    { "tmp=-1", "slurm.tmp: -1: not a size" },
    { "ntasks-per-node=70000", "slurm.ntasks-per-node: 70000: not a count "
      "from 1 to 65533" },
    { "nodes=100000;ntasks-per-node=60000", "slurm.ntasks-per-node: 60000 "
      "tasks on each of 100000 nodes is too many" },
};

/* Refused only by some releases' rules. */
static const struct {
    const char *opts;
    const char *want;
} errors_2205[] = {
    { "nodes=1;nodelist=n[1-2]", "slurm.nodelist: n[1-2]: names 2 nodes, "
      "more than the 1" },
}, errors_2311[] = {
    { "gpus-per-task=v100:1,a100:1", "slurm.gpus-per-task: v100:1,a100:1: "
      "not [type:]count: Slurm 23.11 and newer take one GPU type per task" },
};

static void check_error(const char *opts, const char *want)
{
    job_desc_msg_t d;
    ts_err err;
    int rc = run(opts, NULL, &d, &err);
    ok(rc == -1 && strncmp(err.msg, want, strlen(want)) == 0,
       "%s: error \"%s...\"", opts, want);
    if (rc != -1 || strncmp(err.msg, want, strlen(want)) != 0)
        diag("rc %d, message: %s", rc, rc == -1 ? err.msg : "(none)");
    ts_slurm_job_desc_free(&d);
}

/* ------------------------------------------------------------ specials */

static void check_specials(void)
{
    job_desc_msg_t d;
    ts_err err;
    char buf[64];

    /* A control character never reaches Slurm. */
    ok(run("partition=a\nb", NULL, &d, &err) == -1
       && strstr(err.msg, "control character"), "a newline in a value is an "
       "error");
    ts_slurm_job_desc_free(&d);

    /* The launcher's comment (recovery key) stays first. */
    run("comment=my note", "tasksuite:ab12cd34:s3", &d, &err);
    is_str(field_text(&d, "comment", buf, sizeof buf),
           "tasksuite:ab12cd34:s3 my note", "a comment option is appended to "
           "the launcher's comment");
    ts_slurm_job_desc_free(&d);

    /* now+N is relative to the time of the call. */
    time_t before = time(NULL);
    ok(run("begin=now+1hour", NULL, &d, &err) == 0
       && d.begin_time >= before + 3600 && d.begin_time <= time(NULL) + 3600,
       "begin=now+1hour is an hour from now");
    ts_slurm_job_desc_free(&d);
    ok(run("begin=now+90m", NULL, &d, &err) == 0
       && d.begin_time >= before + 5400 && d.begin_time <= time(NULL) + 5400,
       "begin=now+90m");
    ts_slurm_job_desc_free(&d);
    ok(run("begin=now", NULL, &d, &err) == 0 && d.begin_time >= before
       && d.begin_time <= time(NULL), "begin=now");
    ts_slurm_job_desc_free(&d);

    /* What slurmopt.c derives for a typical suite, all at once. */
    ok(run("job-name=demo;nodes=1;cpus-per-task=4;mem=16384M;"
           "gres=gpu:v100:2;constraint=a&b;account=grp;signal=B:USR2@300;"
           "time=2h;partition=gpu;array-throttle=8", NULL, &d, &err) == 0
       && strcmp(d.name, "demo") == 0 && d.min_nodes == 1 && d.max_nodes == 1
       && d.cpus_per_task == 4 && d.min_cpus == 4 && d.pn_min_memory == 16384
       && strcmp(d.tres_per_node, TS_SBATCH_2311_RULES ? "gres/gpu:v100:2"
                                 : "gres:gpu:v100:2") == 0
       && strcmp(d.features, "a&b") == 0 && strcmp(d.account, "grp") == 0
       && d.warn_signal == 12 && d.warn_time == 300
       && d.warn_flags == KILL_JOB_BATCH && d.time_limit == 120
       && strcmp(d.partition, "gpu") == 0, "a whole derived option list");
    ts_slurm_job_desc_free(&d);

    /* An empty list changes nothing but sbatch's default min_cpus. */
    ts_kvlist none = {0};
    job_desc_msg_t ref;
    slurm_init_job_desc_msg(&ref);
    slurm_init_job_desc_msg(&d);
    ok(ts_slurm_apply_options(&d, &none, &err) == 0 && d.min_cpus == 1
       && d.time_limit == ref.time_limit && d.min_nodes == ref.min_nodes
       && d.name == NULL, "no options: only min_cpus=1 (sbatch's default)");
    ts_slurm_job_desc_free(&d);
    ok(ts_slurm_apply_options(&d, NULL, &err) == 0, "a NULL list is empty");
    ts_slurm_job_desc_free(&d);
}

/* ------------------------------------------------------------ job records */

static slurm_job_info_t rec(uint32_t job_id, uint32_t array_id, uint32_t task,
                            uint32_t state, uint32_t status, const char *name)
{
    slurm_job_info_t j;
    memset(&j, 0, sizeof j);
    j.job_id = job_id;
    j.array_job_id = array_id;
    j.array_task_id = task;
    j.job_state = state;
    j.exit_code = status;
    j.name = (char *)name;
    j.comment = (char *)"tasksuite:ab:s1";
    j.nodes = (char *)"n1";
    j.priority = 100;
    j.start_time = 1000;
    j.end_time = 2000;
    return j;
}

static void check_infos(void)
{
    slurm_job_info_t recs[] = {
        rec(102, 100, 1, JOB_FAILED, 3 << 8, "ts-ab"),
        rec(101, 100, 0, JOB_COMPLETE, 0, "ts-ab"),
        rec(103, 100, 2, JOB_CANCELLED, SIGKILL, "ts-ab"),
        rec(104, 100, 3, JOB_TIMEOUT | JOB_COMPLETING, 0, "ts-ab"),
        rec(100, 100, NO_VAL, JOB_PENDING, 0, "ts-ab"),
        rec(105, 100, 4, JOB_PENDING | JOB_REQUEUE, 0, "ts-ab"),
        rec(201, 200, 0, JOB_RUNNING, 0, "ts-cd"),
        rec(300, 0, NO_VAL, JOB_NODE_FAIL, 0, "other"),
        rec(106, 100, 16, JOB_RUNNING, 0, "ts-ab"),
    };
    recs[4].array_task_str = (char *)"5-7,9,11-15:2%2";
    recs[5].restart_cnt = 2;
    job_info_msg_t msg = { .record_count = COUNT(recs), .job_array = recs };
    ts_job_info *v = NULL;
    size_t n = 0;
    ts_err err = {0};

    ok(ts_slurm_job_infos(&msg, 100, NULL, &v, &n, &err) == 0,
       "records of array 100");
    is_int((long long)n, 13, "6 records + 7 expanded pending elements");
    static const struct {
        uint32_t task, job;
        const char *state;
        int exit, sig, completing;
    } want[] = {
        { 0, 101, "COMPLETED", 0, 0, 0 },
        { 1, 102, "FAILED", 3, 0, 0 },
        { 2, 103, "CANCELLED", -1, 9, 0 },
        { 3, 104, "TIMEOUT", 0, 0, 1 },
        { 4, 105, "PENDING", -1, 0, 0 },
        { 5, 0, "PENDING", -1, 0, 0 },
        { 6, 0, "PENDING", -1, 0, 0 },
        { 7, 0, "PENDING", -1, 0, 0 },
        { 9, 0, "PENDING", -1, 0, 0 },
        { 11, 0, "PENDING", -1, 0, 0 },
        { 13, 0, "PENDING", -1, 0, 0 },
        { 15, 0, "PENDING", -1, 0, 0 },
        { 16, 106, "RUNNING", -1, 0, 0 },
    };
    for (size_t i = 0; i < COUNT(want) && i < n; i++) {
        char got[128], exp[128];
        snprintf(got, sizeof got, "%u %u %s %d %d %d", v[i].array_task_id,
                 v[i].job_id, ts_job_state_name(v[i].state), v[i].exit_code,
                 v[i].term_signal, v[i].completing);
        snprintf(exp, sizeof exp, "%u %u %s %d %d %d", want[i].task,
                 want[i].job, want[i].state, want[i].exit, want[i].sig,
                 want[i].completing);
        is_str(got, exp, exp);
    }
    ok(n == 13 && v[4].restart_cnt == 2 && strcmp(v[4].name, "ts-ab") == 0
       && strcmp(v[4].comment, "tasksuite:ab:s1") == 0
       && strcmp(v[4].nodes, "n1") == 0 && v[4].start_time == 1000
       && v[4].end_time == 2000 && v[12].array_job_id == 100
       && v[12].array_task_id == 16,
       "restart count, name, comment, nodes, times copied");
    free(v);

    ok(ts_slurm_job_infos(&msg, 0, "ts-", &v, &n, &err) == 0 && n == 14
       && v[0].array_job_id == 100 && v[13].array_job_id == 200
       && strcmp(ts_job_state_name(v[13].state), "RUNNING") == 0,
       "name prefix ts-: both arrays, sorted by array id");
    free(v);
    ok(ts_slurm_job_infos(&msg, 300, NULL, &v, &n, &err) == 0 && n == 1
       && v[0].job_id == 300 && v[0].array_job_id == 0
       && v[0].state == TS_JOB_NODE_FAIL, "a plain job by its id");
    free(v);
    ok(ts_slurm_job_infos(&msg, 999, NULL, &v, &n, &err) == 0 && n == 0
       && v == NULL, "an unknown id: no entries");

    /* A list libslurm had to cut short is an error, not missing tasks. */
    recs[4].array_task_str = (char *)"5-7,9,1...";
    ok(ts_slurm_job_infos(&msg, 100, NULL, &v, &n, &err) == -1
       && strstr(err.msg, "cut short"), "a truncated task list is an error");
    recs[4].array_task_str = (char *)"5-x";
    ok(ts_slurm_job_infos(&msg, 100, NULL, &v, &n, &err) == -1
       && strstr(err.msg, "cannot read the array task list \"5-x\""),
       "an unreadable task list is an error");

    /* End states. */
    static const struct {
        uint32_t state;
        const char *name;
    } states[] = {
        { JOB_PREEMPTED, "PREEMPTED" }, { JOB_OOM, "OUT_OF_MEMORY" },
        { JOB_BOOT_FAIL, "BOOT_FAIL" }, { JOB_DEADLINE, "DEADLINE" },
        { JOB_SUSPENDED, "RUNNING" }, { JOB_RUNNING | JOB_CONFIGURING,
                                        "RUNNING" },
        { JOB_PENDING | JOB_REQUEUE_HOLD, "PENDING" },
        { JOB_COMPLETE | JOB_REQUEUE | JOB_COMPLETING, "PENDING" },
    };
    for (size_t i = 0; i < COUNT(states); i++) {
        slurm_job_info_t one = rec(7, 0, NO_VAL, states[i].state, 0, "x");
        job_info_msg_t m1 = { .record_count = 1, .job_array = &one };
        ts_slurm_job_infos(&m1, 0, NULL, &v, &n, &err);
        char label[64];
        snprintf(label, sizeof label, "job state 0x%x is %s",
                 states[i].state, states[i].name);
        is_str(n == 1 ? ts_job_state_name(v[0].state) : "?", states[i].name,
               label);
        free(v);
    }
    /* Held: priority 0 (user/admin hold), or requeued held by Slurm. */
    static const struct {
        uint32_t state, priority;
        int held;
    } holds[] = {
        { JOB_PENDING, 0, 1 }, { JOB_PENDING, 100, 0 },
        { JOB_PENDING | JOB_REQUEUE_HOLD, 100, 1 },
        { JOB_PENDING | JOB_SPECIAL_EXIT, 100, 1 },
        { JOB_RUNNING, 0, 0 },
    };
    for (size_t i = 0; i < COUNT(holds); i++) {
        slurm_job_info_t one = rec(7, 0, NO_VAL, holds[i].state, 0, "x");
        one.priority = holds[i].priority;
        job_info_msg_t m1 = { .record_count = 1, .job_array = &one };
        ts_slurm_job_infos(&m1, 0, NULL, &v, &n, &err);
        char label[64];
        snprintf(label, sizeof label, "state 0x%x priority %u: held %d",
                 holds[i].state, holds[i].priority, holds[i].held);
        is_int(n == 1 ? v[0].held : -1, holds[i].held, label);
        free(v);
    }
    is_str(ts_job_state_name(TS_JOB_UNKNOWN), "UNKNOWN", "state name UNKNOWN");
    is_str(ts_job_state_name((ts_job_state)99), "UNKNOWN",
           "an out-of-range state is UNKNOWN");
}

/* ------------------------------------------------------------ one table */

/* The validator (optnames.c, slurmopt.c: what a suite may ask for) and the
 * submitter (jobdesc.c's handlers) must agree on the option list, both
 * ways: each is built from slurmopts.def, and this fails if an option is
 * added to one side only. */
static bool in_names(const char *(*name)(size_t), const char *key)
{
    for (size_t i = 0; name(i); i++)
        if (strcmp(name(i), key) == 0)
            return true;
    return false;
}

static void check_one_table(void)
{
    /* What slurmopt.c derives when every suite field that maps to an
     * option is set. */
    ts_suite s = { .name = "demo", .num_nodes = 2, .group = "grp" };
    char *tags[] = { "a" };
    s.tags.v = tags;
    s.tags.n = 1;
    s.resources.cpus = 4;
    s.resources.memory_mb = 1024;
    s.resources.gpu_count = 1;
    s.resume.signal = SIGUSR2;
    ts_kvlist derived = {0};
    ts_err err = {{0}, 0};
    if (!ok(ts_slurm_options(&s, &derived, &err) == 0,
            "one table: a suite with every derived option is valid"))
        diag("error: %s", err.msg);
    is_int((long long)derived.n, 8, "one table: slurmopt.c derives 8 options");

    size_t known = 0, handled = 0;
    for (size_t i = 0; ts_slurm_option_name(i); i++, known++) {
        const char *key = ts_slurm_option_name(i);
        ok(ts_slurm_option_known(key) == 1, "one table: %s is known", key);
        ok(in_names(ts_jobdesc_handled, key),
           "one table: the validator's %s has a handler", key);
    }
    for (size_t i = 0; i < derived.n; i++)
        ok(in_names(ts_jobdesc_handled, derived.v[i].key),
           "one table: the derived %s has a handler", derived.v[i].key);
    for (size_t i = 0; ts_jobdesc_handled(i); i++, handled++) {
        const char *key = ts_jobdesc_handled(i);
        bool from_suite = false;
        for (size_t k = 0; k < derived.n; k++)
            if (strcmp(derived.v[k].key, key) == 0)
                from_suite = true;
        ok(ts_slurm_option_known(key) || from_suite,
           "one table: the handler for %s serves an option the validator "
           "accepts or derives", key);
    }
    size_t derived_only = 0;
    for (size_t i = 0; i < derived.n; i++)
        derived_only += !ts_slurm_option_known(derived.v[i].key);
    is_int((long long)handled, (long long)(known + derived_only),
           "one table: one handler per option, none twice");
    ts_kvlist_free(&derived);
}

int main(void)
{
    for (size_t i = 0; i < COUNT(cases); i++)
        check_case(cases[i].opts, cases[i].want);
    /* The rules of the release this is built against (plain ifs: every
     * table compiles everywhere). */
    if (TS_SBATCH_2302_RULES) {
        for (size_t i = 0; i < COUNT(cases_2302); i++)
            check_case(cases_2302[i].opts, cases_2302[i].want);
    } else {
        for (size_t i = 0; i < COUNT(cases_2205); i++)
            check_case(cases_2205[i].opts, cases_2205[i].want);
        for (size_t i = 0; i < COUNT(errors_2205); i++)
            check_error(errors_2205[i].opts, errors_2205[i].want);
    }
    if (TS_SBATCH_2311_RULES) {
        for (size_t i = 0; i < COUNT(cases_2311); i++)
            check_case(cases_2311[i].opts, cases_2311[i].want);
        for (size_t i = 0; i < COUNT(errors_2311); i++)
            check_error(errors_2311[i].opts, errors_2311[i].want);
    } else {
        for (size_t i = 0; i < COUNT(cases_gpu_2205); i++)
            check_case(cases_gpu_2205[i].opts, cases_gpu_2205[i].want);
    }
    for (size_t i = 0; i < COUNT(errors); i++)
        check_error(errors[i].opts, errors[i].want);
    check_specials();
    check_infos();
    check_one_table();
    return done_testing();
}
