/*
 * fixtures.h - where the unit tests find the data other tools wrote,
 * vendored in tests/fixtures/ (its README says where each file came
 * from): $FLOE_FIXTURES when set (ctest sets it), else the tests/fixtures
 * folder of the source tree this test was built from. Never a path
 * outside the repository. Header-only, like ingest_memlog.h.
 */
#ifndef FL_TESTS_FIXTURES_H
#define FL_TESTS_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FLOE_TEST_FIXTURES
#error "CMakeLists.txt defines FLOE_TEST_FIXTURES for the unit tests"
#endif

/* The fixtures folder: borrowed, never NULL. */
static inline const char *fixtures_dir(void) {
    const char *f = getenv("FLOE_FIXTURES");
    return f && *f ? f : FLOE_TEST_FIXTURES;
}

/* The bytes of the fixture at rel (under fixtures_dir()), malloc'd (the
 * caller frees them), and their count in *len; NULL when unreadable. */
static inline uint8_t *fixtures_read(const char *rel, size_t *len) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", fixtures_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *d = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        d = malloc((size_t)n + 1);
        if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
            free(d);
            d = NULL;
        }
    }
    fclose(f);
    *len = d ? (size_t)n : 0;
    return d;
}

#endif
