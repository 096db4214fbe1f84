#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

int ts_grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 64;
    if (want <= n || want > SIZE_MAX / elem)
        return -1;
    void *nv = realloc(*v, want * elem);
    if (!nv)
        return -1;
    *v = nv;
    *cap = want;
    return 0;
}
