/*
 * catalog_lease_cases.h - fl_catalog_lease's cases, shared by
 * test_catalog.c (SQLite) and test_catalog_pg.c (PostgreSQL): two
 * catalogs a and b open on one database. Header-only, like pipe_env.h.
 */
#ifndef FL_TESTS_CATALOG_LEASE_CASES_H
#define FL_TESTS_CATALOG_LEASE_CASES_H

#include "catalog/catalog.h"

#include <stdbool.h>

/* fl_catalog_lease: the first taker holds it, the holder renews, another
 * owner waits until it expires, then takes it over. */
static inline void lease_cases(struct fl_catalog *a, struct fl_catalog *b) {
    struct fl_error err = {0};
    bool held = false;
    assert_int_equal(fl_catalog_lease(a, "maintenance/d.t", "w1", 1000, 500, &held, &err), FL_OK);
    assert_true(held);
    assert_int_equal(fl_catalog_lease(b, "maintenance/d.t", "w2", 1200, 500, &held, &err), FL_OK);
    assert_false(held);
    assert_int_equal(fl_catalog_lease(a, "maintenance/d.t", "w1", 1400, 500, &held, &err), FL_OK);
    assert_true(held); /* renewed to 1900 */
    assert_int_equal(fl_catalog_lease(b, "maintenance/d.t", "w2", 1800, 500, &held, &err), FL_OK);
    assert_false(held);
    assert_int_equal(fl_catalog_lease(b, "maintenance/d.t", "w2", 2000, 500, &held, &err), FL_OK);
    assert_true(held); /* expired: taken over */
    assert_int_equal(fl_catalog_lease(a, "maintenance/d.t", "w1", 2100, 500, &held, &err), FL_OK);
    assert_false(held);
    assert_int_equal(fl_catalog_lease(a, "maintenance/d.u", "w1", 2100, 500, &held, &err), FL_OK);
    assert_true(held); /* another lease */
    assert_int_equal(fl_catalog_lease(a, "", "w1", 0, 1, &held, &err), FL_ERR_INVALID);
}

#endif
