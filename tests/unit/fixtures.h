/*
 * fixtures.h - where the unit tests find the data other tools wrote,
 * vendored in tests/fixtures/ (its README says where each file came
 * from): $FLOE_FIXTURES when set (ctest sets it), else the tests/fixtures
 * folder of the source tree this test was built from. Never a path
 * outside the repository. Header-only, like ingest_memlog.h.
 */
#ifndef FL_TESTS_FIXTURES_H
#define FL_TESTS_FIXTURES_H

#include <stdlib.h>

#ifndef FLOE_TEST_FIXTURES
#error "CMakeLists.txt defines FLOE_TEST_FIXTURES for the unit tests"
#endif

/* The fixtures folder: borrowed, never NULL. */
static inline const char *fixtures_dir(void) {
    const char *f = getenv("FLOE_FIXTURES");
    return f && *f ? f : FLOE_TEST_FIXTURES;
}

#endif
