/*
 * mem.h - checked allocation.
 *
 * fl_malloc and friends never return NULL: running out of memory for a
 * bounded allocation is not a condition floe can recover from, so they
 * log and abort (as Redis' zmalloc does). Sizes that come from outside
 * must be checked against a cap BEFORE they reach these functions; the
 * array forms also refuse multiplication overflow.
 */
#ifndef FL_CORE_MEM_H
#define FL_CORE_MEM_H

#include <stdbool.h>
#include <stddef.h>

void *fl_malloc(size_t size);
void *fl_calloc(size_t n, size_t size);
void *fl_realloc(void *ptr, size_t size);
/* realloc of n elements of size bytes, aborting on overflow */
void *fl_reallocarray(void *ptr, size_t n, size_t size);
char *fl_strdup(const char *s);
char *fl_strndup(const char *s, size_t n);
void fl_free(void *ptr);

/* true and *out = a*b when it fits, false on overflow */
static inline bool fl_mul_ok(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool fl_add_ok(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

#endif
