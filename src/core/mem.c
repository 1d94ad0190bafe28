/*
 * mem.c - allocation that aborts on exhaustion instead of returning NULL.
 */
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size) {
    fprintf(stderr, "floe: out of memory allocating %zu bytes\n", size);
    abort();
}

void *fl_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *fl_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *fl_realloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *fl_reallocarray(void *ptr, size_t n, size_t size) {
    size_t total;
    if (!fl_mul_ok(n, size, &total)) oom(SIZE_MAX);
    return fl_realloc(ptr, total);
}

char *fl_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = fl_malloc(n);
    memcpy(p, s, n);
    return p;
}

char *fl_strndup(const char *s, size_t n) {
    char *p = fl_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void fl_free(void *ptr) { free(ptr); }
