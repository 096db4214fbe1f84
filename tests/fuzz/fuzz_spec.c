/* fuzz_spec.c: libFuzzer target for the suite parser (spec.c).
 *
 * The parser reads user files inside sbatch, so any input must end in a
 * suite or in one well-formed error line: never a crash, a leak, undefined
 * behaviour or a hang. Beyond the sanitizers, the checks below hold the
 * parser to its documented results. Build and run: tests/fuzz/run.sh. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

/* An error names the file and is one line (SPEC.md section 7). */
static void check_error(const ts_err *err)
{
    check(strncmp(err->msg, "fuzz.yaml:", 10) == 0);
    check(strchr(err->msg, '\n') == NULL);
}

/* A parsed suite has what spec.h promises. */
static void check_suite(const ts_suite *s)
{
    check(s->run && *s->run);
    check(s->name && *s->name && strlen(s->name) <= 64);
    check(s->num_nodes >= 1);
    check(s->resume.max_retries >= 0 && s->resume.max_retries <= 100);
    check(!s->worker_schedule.present || s->worker_schedule.worker_count >= 1);
    for (size_t i = 0; i < s->nmatrix; i++)
        check(s->matrix[i].values.n > 0);
    for (size_t i = 0; i < s->warnings.n; i++)
        check(strchr(s->warnings.v[i], '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_suite *s = (ts_suite *)&size;
    ts_err err = { 0 };

    if (ts_spec_parse("fuzz.yaml", (const char *)data, size, &s, &err) == 0) {
        check_suite(s);
        ts_spec_free(s);
    } else {
        check(s == (ts_suite *)&size);     /* *out untouched on error */
        check_error(&err);
    }
    return 0;
}
