/* paths.h: turning what users write into absolute paths, on their side. */
#ifndef TS_PATHS_H
#define TS_PATHS_H

#include <stddef.h>

#include "err.h"

/* "~" and "~/x" -> $HOME[/x]; "x" -> CWD/x; "/x" unchanged. No symlink
 * resolution and no access to the file (it may live on another node).
 * Returns 0, or -1 with err ("~user" forms are refused: ambiguous on the
 * compute side). */
int ts_path_absolute(const char *path, char *out, size_t len, ts_err *err);

#endif
