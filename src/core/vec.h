/* core/vec.h — the growable array every module uses: any struct with the fields `v` (element
 * pointer), `n` (count) and `cap` (capacity) is a vector, e.g.
 *
 *     struct names { char **v; size_t n, cap; } ns = {0};
 *     if (!vec_push(&ns, s)) ...out of memory, ns unchanged...
 *     vec_free(&ns);
 *
 * Capacity doubles (from 8), so n pushes cost O(n). Nothing here logs or aborts: a failed growth
 * returns false and leaves the vector as it was. Header-only, no dependencies, so libraries that
 * must not depend on the application (swimmies) can use it too. */
#ifndef JOYRIDE_CORE_VEC_H
#define JOYRIDE_CORE_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for at least `need` elements of `elem` bytes in the array *data_ptr (a T **) of
 * capacity *cap. Returns false, changing nothing, on overflow or when memory runs out. */
static inline bool vec_grow_(void *data_ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return false;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem)
        return false;
    void *old;
    memcpy(&old, data_ptr, sizeof old);
    void *nv = realloc(old, ncap * elem);
    if (!nv)
        return false;
    memcpy(data_ptr, &nv, sizeof nv);
    *cap = ncap;
    return true;
}

/* Room for `need` elements in all; false when memory runs out. */
#define vec_reserve(vec, need) vec_grow_(&(vec)->v, &(vec)->cap, (need), sizeof *(vec)->v)
/* Appends x (an element value); false, vector unchanged, when memory runs out. */
#define vec_push(vec, x)                                                                           \
    (vec_reserve((vec), (vec)->n + 1) ? ((vec)->v[(vec)->n++] = (x), true) : false)
/* A pointer to a new zeroed element at the end, or NULL when memory runs out. */
#define vec_push_zero(vec)                                                                         \
    (vec_reserve((vec), (vec)->n + 1) ? memset(&(vec)->v[(vec)->n++], 0, sizeof *(vec)->v) : NULL)
/* The same growth for an array kept in fields of other names: `vec_grow(o->pending, o->cap, n)`
 * makes room for n elements in the T *pending whose capacity is the size_t cap. */
#define vec_grow(ptr, cap, need) vec_grow_(&(ptr), &(cap), (need), sizeof *(ptr))
/* Frees the array (not what elements point to) and empties the vector. */
#define vec_free(vec) (free((vec)->v), (vec)->v = NULL, (vec)->n = 0, (vec)->cap = 0)

#endif
