/*
 * test_prom.c - the Prometheus text writer (src/ingest/prom.c): family
 * lines, label escaping, number forms and cumulative histograms.
 * GET /metrics itself: tests/e2e/metrics_prom.sh (promtool, Prometheus).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/prom.h"

#include <string.h>

static char *text(struct fl_buf *b) {
    fl_buf_append_u8(b, 0);
    return (char *)b->data;
}

static void test_family_and_escaping(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    fl_prom_family(&b, "x_total", "counter", "things");
    const char *lab[] = {"a", "q\"b\\c\nd", "e", "", NULL};
    fl_prom_sample(&b, "x_total", lab, 3);
    fl_prom_sample(&b, "x_total", NULL, 0.25);
    fl_prom_sample(&b, "x_total", NULL, 12345678901.0);
    assert_string_equal(text(&b), "# HELP x_total things\n# TYPE x_total counter\n"
                                  "x_total{a=\"q\\\"b\\\\c\\nd\",e=\"\"} 3\n"
                                  "x_total 0.25\n"
                                  "x_total 12345678901\n");
    fl_buf_fini(&b);
}

static void test_histogram_cumulative(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    const double bounds[] = {0.005, 1, 2.5};
    const uint64_t counts[] = {2, 0, 3, 1};
    const char *lab[] = {"r", "/x", NULL};
    fl_prom_histogram(&b, "h_seconds", lab, bounds, counts, 3, 4.5);
    assert_string_equal(text(&b), "h_seconds_bucket{r=\"/x\",le=\"0.005\"} 2\n"
                                  "h_seconds_bucket{r=\"/x\",le=\"1\"} 2\n"
                                  "h_seconds_bucket{r=\"/x\",le=\"2.5\"} 5\n"
                                  "h_seconds_bucket{r=\"/x\",le=\"+Inf\"} 6\n"
                                  "h_seconds_sum{r=\"/x\"} 4.5\n"
                                  "h_seconds_count{r=\"/x\"} 6\n");
    fl_buf_fini(&b);
    fl_buf_init(&b, 1 << 20);
    fl_prom_histogram(&b, "h", NULL, bounds, counts, 3, 0);
    assert_non_null(strstr(text(&b), "h_bucket{le=\"+Inf\"} 6\nh_sum 0\nh_count 6\n"));
    fl_buf_fini(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_escaping),
        cmocka_unit_test(test_histogram_cumulative),
    };
    return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
