/* grow.h: room for one more element in a malloc'd array that doubles.
 *
 *   if (ts_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0)
 *       return -1;
 *   l->v[l->n++] = item;
 */
#ifndef TS_GROW_H
#define TS_GROW_H

#include <stddef.h>

/* Make *v hold at least n + 1 elements of elem bytes (doubling from 64);
 * -1 on allocation failure (then *v is unchanged). */
int ts_grow(void **v, size_t *cap, size_t n, size_t elem);

#endif
