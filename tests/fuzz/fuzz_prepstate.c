/* fuzz_prepstate.c: libFuzzer target for the preparation record reader
 * (ts_prepstate_read, prepstate.c).
 *
 * Root reads the record in slurmd's prolog/epilog and in slurmstepd; the
 * file is root's own, but it embeds the user's hook spec, and a torn write
 * or a full disk can leave anything in it. Any content must end in a stamp
 * with a known state and bounded, terminated strings (freed with
 * ts_prepstamp_free), or in a "preparation record: ..." error. The input is
 * written to a memfd the reader pread(2)s. Build and run: tests/fuzz/run.sh. */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prepstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    ts_prepstamp st;
    ts_err err = { 0 };

    if (fd < 0)
        check((fd = memfd_create("prepstate", MFD_CLOEXEC)) >= 0);
    check(ftruncate(fd, 0) == 0);
    for (size_t off = 0; off < size;) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        check(w > 0);
        off += (size_t)w;
    }
    if (ts_prepstate_read(fd, &st, &err) == 0) {
        check(st.state >= TS_PREP_RUNNING && st.state <= TS_PREP_NOHOOK);
        check(memchr(st.log, '\0', sizeof st.log) != NULL);
        check(memchr(st.message, '\0', sizeof st.message) != NULL);
        check(st.n_limits >= 0 && st.n_limits <= TS_PREP_MAX_LIMITS);
        ts_prepstamp_free(&st);
    } else {
        check(!st.spec && !st.nodelist);
        check(strncmp(err.msg, "preparation record: ", 20) == 0);
    }
    return 0;
}
