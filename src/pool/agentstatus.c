/* agentstatus.c: an agent's .workers file (agentstatus.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentstatus.h"
#include "jsonw.h"
#include "manifest.h"

const char *ts_pool_wstate_name(enum ts_pool_wstate s)
{
    static const char *const names[] = { "idle", "running", "suspended", "stopped" };
    return s <= TS_WORKER_STOPPED ? names[s] : "stopped";
}

static void put_num(ts_strbuf *b, const char *key, long v)
{
    ts_strbuf_puts(b, key);
    ts_strbuf_long(b, v);
}

char *ts_pool_agent_status_json(const ts_pool_agent_status *st)
{
    ts_strbuf b = { 0 };
    char t[64];
    ts_strbuf_puts(&b, "{\"agent\":");
    ts_strbuf_json_str(&b, st->agent);
    ts_strbuf_puts(&b, ",\"host\":");
    ts_strbuf_json_str(&b, st->host);
    ts_strbuf_puts(&b, ",\"jobid\":");
    ts_strbuf_json_str(&b, st->jobid);
    snprintf(t, sizeof t, ",\"time\":%.3f", st->time);
    ts_strbuf_puts(&b, t);
    ts_strbuf_puts(&b, ",\"workers\":[");
    for (size_t i = 0; i < st->n; i++) {
        const ts_pool_worker_status *w = &st->w[i];
        bool running = w->state == TS_WORKER_RUNNING;
        if (i)
            ts_strbuf_putc(&b, ',');
        put_num(&b, "{\"worker\":", w->id);
        ts_strbuf_puts(&b, ",\"cpus\":");
        ts_strbuf_json_str(&b, w->cpus ? w->cpus : "");
        ts_strbuf_puts(&b, ",\"gpus\":");
        ts_strbuf_json_str(&b, w->gpus ? w->gpus : "");
        ts_strbuf_puts(&b, ",\"state\":");
        ts_strbuf_json_str(&b, ts_pool_wstate_name(w->state));
        if (running) {
            put_num(&b, ",\"task\":", w->task);
            put_num(&b, ",\"attempt\":", w->attempt);
        } else
            ts_strbuf_puts(&b, ",\"task\":null,\"attempt\":null");
        put_num(&b, ",\"done\":", w->tally.done);
        put_num(&b, ",\"failed\":", w->tally.failed);
        put_num(&b, ",\"streak\":", w->tally.streak);
        ts_strbuf_puts(&b, ",\"reason\":");
        ts_strbuf_json_str(&b, w->reason);
        ts_strbuf_putc(&b, '}');
    }
    ts_strbuf_puts(&b, "]}\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int ts_pool_agent_status_write(const char *pooldir, const ts_pool_agent_status *st,
                               ts_err *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/agents/%s.workers", pooldir, st->agent)
        >= sizeof path)
        return ts_errf(err, "path too long: %.80s", pooldir);
    char *text = ts_pool_agent_status_json(st);
    if (!text)
        return ts_errf(err, "%s: out of memory", path);
    int rc = ts_write_file_atomic(path, text, strlen(text), 0644, err);
    free(text);
    return rc;
}
