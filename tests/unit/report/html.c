/* html.c: the report page's escaping (nothing in the data can end its
 * script element), its assets, and the hooks' runs read from their logs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hookruns.h"
#include "htmlreport.h"
#include "tap.h"

static char *json_of(const char *s)
{
    static char out[512];
    FILE *f = fmemopen(out, sizeof out, "w");
    ts_html_json_string(f, s);
    fclose(f);
    return out;
}

static char *text_of(const char *s)
{
    static char out[512];
    FILE *f = fmemopen(out, sizeof out, "w");
    ts_html_text(f, s);
    fclose(f);
    return out;
}

static void test_escaping(void)
{
    is_str(json_of("plain"), "\"plain\"", "a plain string, quoted");
    is_str(json_of("</script><script>x()</script>"),
           "\"\\u003c/script\\u003e\\u003cscript\\u003ex()\\u003c/script\\u003e\"",
           "< and > as \\u escapes: no </script> in the data");
    is_str(json_of("a&b"), "\"a\\u0026b\"", "& escaped");
    is_str(json_of("<!--"), "\"\\u003c!--\"", "no comment opener either");
    is_str(json_of("q\"b\\"), "\"q\\\"b\\\\\"", "quote and backslash");
    is_str(json_of("l1\nl2\t\x01"), "\"l1\\nl2\\t\\u0001\"", "control characters");
    is_str(json_of("x\xe2\x80\xa8y\xe2\x80\xa9z"), "\"x\\u2028y\\u2029z\"",
           "U+2028 and U+2029 (JavaScript line ends) escaped");
    is_str(json_of("\xc3\xa9t\xc3\xa9 \xe2\x80\xa6"), "\"\xc3\xa9t\xc3\xa9 \xe2\x80\xa6\"",
           "other UTF-8 kept as it is");
    is_str(json_of(NULL), "\"\"", "NULL is the empty string");
    is_str(text_of("<b a='1'>&\"</b>"), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;&lt;/b&gt;",
           "HTML text: & < > \" ' as entities");
}

static void test_assets(void)
{
    ok(strstr(ts_html_js, "</script") == NULL && strstr(ts_html_js, "</SCRIPT") == NULL,
       "the page's script never closes its own element");
    ok(strstr(ts_html_css, "</style") == NULL, "nor does its style");
    /* the one URL is SVG's namespace name, an identifier never fetched */
    const char *ns = strstr(ts_html_js, "http:");
    ok(ns && strncmp(ns, "http://www.w3.org/2000/svg'", 27) == 0 && !strstr(ns + 1, "http:")
       && !strstr(ts_html_js, "https:"), "the script names no URL but SVG's namespace");
    ok(strstr(ts_html_js, "innerHTML") == NULL && strstr(ts_html_js, "eval(") == NULL,
       "the script never parses data as markup or code");
}

typedef struct seen {
    int n;
    char lines[8][256];
} seen;

static int run_cb(const ts_hook_run *r, void *arg)
{
    seen *s = arg;
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s|%s|%s|%.0f|%ld|%lld", r->node,
                 r->hook, r->job, r->started_at, r->timeout_s, r->bytes);
    return 0;
}

static int by_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_hook_runs(void)
{
    char dir[] = "/tmp/ts-html-XXXXXX", p[512];
    if (!mkdtemp(dir)) {
        skip(5, "no temporary directory");
        return;
    }
    snprintf(p, sizeof p, "%s/hooks", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/hooks/4242", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/hooks/local", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/hooks/4242/n1.env_preparation.log", dir);
    put(p, "tasksuite: env_preparation of job 4242 on n1, as u (uid 1000), at "
           "2026-11-30T12:00:03Z, timeout 300s\nhello\n");
    snprintf(p, sizeof p, "%s/hooks/4242/n.2.env_cleanup.log", dir);
    put(p, "no header\n");
    snprintf(p, sizeof p, "%s/hooks/4242/n1.other.log", dir);
    put(p, "not a hook\n");
    snprintf(p, sizeof p, "%s/hooks/local/env_preparation.host.log", dir);
    put(p, "");
    snprintf(p, sizeof p, "%s/hooks/on_complete.1.log", dir);
    put(p, "done\n");

    seen s = { 0 };
    long more = -1;
    ok(ts_hook_runs_foreach(dir, 100, run_cb, &s, &more) == 0, "the hooks' logs are walked");
    qsort(s.lines, (size_t)s.n, sizeof s.lines[0], by_line);
    is_int(s.n, 4, "four runs (a log of no known hook is none)");
    is_str(s.lines[0], "host|env_preparation|local|0|-1|0", "a --local hook: its host");
    is_str(s.lines[1], "n.2|env_cleanup|4242|0|-1|10", "a node name with a dot; no header: start unknown");
    is_str(s.lines[2], "n1|env_preparation|4242|1796040003|300|107",
           "the plugin's header gives the start (UTC) and the timeout");
    is_str(s.lines[3], "|on_complete||0|-1|5", "on_complete: no node, no header");
    seen t = { 0 };
    ts_hook_runs_foreach(dir, 1, run_cb, &t, &more);
    ok(t.n == 1 && more == 3, "at most `max` runs, the rest counted (%d, %ld)", t.n, more);
    ok(ts_hook_runs_foreach(NULL, 10, run_cb, &t, &more) == 0 && more == 0, "no directory: none");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

int main(void)
{
    test_escaping();
    test_assets();
    test_hook_runs();
    return done_testing();
}
