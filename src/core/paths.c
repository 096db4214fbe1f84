#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

static int fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

int ts_path_absolute(const char *path, char *out, size_t len, ts_err *err)
{
    if (!path || !*path)
        return ts_errf(err, "empty path");
    if (path[0] == '/') {
        if (!fits(snprintf(out, len, "%s", path), len))
            return ts_errf(err, "path too long: %.64s...", path);
        return 0;
    }
    if (path[0] == '~') {
        const char *home = getenv("HOME");
        if (path[1] != '\0' && path[1] != '/')
            return ts_errf(err, "%s: \"~user\" paths are not supported, write the full path", path);
        if (!home || home[0] != '/')
            return ts_errf(err, "%s: HOME is not set to an absolute path", path);
        if (!fits(snprintf(out, len, "%s%s", home, path + 1), len))
            return ts_errf(err, "path too long: %.64s...", path);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return ts_errf(err, "%s: cannot read the current directory: %s", path,
                       strerror(errno));
    if (!fits(snprintf(out, len, "%s/%s", cwd, path), len))
        return ts_errf(err, "path too long: %.64s...", path);
    return 0;
}
