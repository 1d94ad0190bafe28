/*
 * test_auth.c - API keys (src/core/auth.c): the hash text, parsing it,
 * lookups by key and by name and key, roles; and the router's check
 * (ingest/router.c) through fl_ingest_handle: 401 / 403 / served by role,
 * both headers, GET /health open, open_metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/auth.h"
#include "ingest/ingest.h"
#include "ingest_memlog.h"

#include <stdlib.h>
#include <string.h>

static void test_hash_text(void **state) {
    (void)state;
    char h[FL_AUTH_HASH_TEXT];
    fl_auth_hash_format("abc", 3, h); /* FIPS 180-2's example */
    assert_string_equal(h,
                        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t d[32];
    struct fl_error err = {0};
    assert_int_equal(fl_auth_hash_parse(h, d, &err), FL_OK);
    assert_int_equal(d[0], 0xba);
    assert_int_equal(d[31], 0xad);
    assert_int_equal(fl_auth_hash_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB4"
                                        "10FF61F20015AD",
                                        d, &err),
                     FL_OK);
    const char *bad[] = {"abc",
                         "sha256:",
                         "md5:ba7816bf8f01cfea414140de5dae2223",
                         "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
                         "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adX",
                         "sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fl_error e = {0};
        assert_int_equal(fl_auth_hash_parse(bad[i], d, &e), FL_ERR_INVALID);
        if (strlen(bad[i]) > 16) assert_null(strstr(e.msg, bad[i] + 7)); /* never echoed */
    }
}

static struct fl_auth_key keys[3];
static struct fl_auth auth;

static void make_auth(void) {
    const char *secret[] = {"r-key", "w-key", "a-key"};
    const char *name[] = {"reader", "writer", "ops"};
    const char *role[] = {"read", "write", "admin"};
    for (int i = 0; i < 3; i++) {
        char h[FL_AUTH_HASH_TEXT];
        fl_auth_hash_format(secret[i], strlen(secret[i]), h);
        keys[i].name = (char *)name[i];
        keys[i].grants = fl_auth_role_grants(role[i]);
        assert_int_equal(fl_auth_hash_parse(h, keys[i].sha256, NULL), FL_OK);
    }
    auth = (struct fl_auth){.present = true, .keys = keys, .nkeys = 3};
}

static void test_lookup(void **state) {
    (void)state;
    make_auth();
    assert_true(fl_auth_required(&auth));
    assert_ptr_equal(fl_auth_find(&auth, "w-key", 5), &keys[1]);
    assert_null(fl_auth_find(&auth, "w-ke", 4));
    assert_null(fl_auth_find(&auth, "", 0));
    assert_ptr_equal(fl_auth_find_named(&auth, "ops", "a-key", 5), &keys[2]);
    assert_null(fl_auth_find_named(&auth, "reader", "a-key", 5)); /* another's key */
    assert_null(fl_auth_find_named(&auth, "nobody", "a-key", 5));
    assert_int_equal(fl_auth_role_grants("admin"), FL_AUTH_READ | FL_AUTH_WRITE | FL_AUTH_ADMIN);
    assert_int_equal(fl_auth_role_grants("owner"), 0);
    struct fl_auth open = {.present = true, .open = true};
    assert_false(fl_auth_required(&open));
    assert_false(fl_auth_required(NULL));
}

static int status_of(struct fl_ingest *ing, const char *method, const char *target,
                     const char *hname, const char *hval, int *code) {
    struct fl_ingest_header h = {hname, hval};
    struct fl_ingest_req req = {
        .method = method, .target = target, .headers = &h, .nheaders = hname ? 1 : 0};
    struct fl_ingest_resp resp;
    fl_ingest_resp_init(&resp);
    fl_ingest_handle(ing, &req, &resp);
    int st = resp.status;
    *code = 0;
    char body[512] = "";
    size_t n = resp.body.len < sizeof(body) - 1 ? resp.body.len : sizeof(body) - 1;
    if (n) memcpy(body, resp.body.data, n);
    body[n] = 0;
    const char *p = strstr(body, "\"error_code\":");
    if (p) *code = atoi(p + 13);
    fl_ingest_resp_fini(&resp);
    return st;
}

static void test_router(void **state) {
    (void)state;
    make_auth();
    struct memlog ml;
    struct fl_ingest_backend be;
    memlog_init(&ml, &be);
    memlog_create(&ml, "weather", 1);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.auth = &auth;
    struct fl_ingest *ing = NULL;
    assert_int_equal(fl_ingest_new(&cfg, &be, &ing, NULL), FL_OK);
    int code;
    const char *log = "/log?city=a&temperature=1";
    assert_int_equal(status_of(ing, "GET", log, NULL, NULL, &code), 401);
    assert_int_equal(code, 40101);
    assert_int_equal(status_of(ing, "GET", log, "Authorization", "Bearer nope", &code), 401);
    assert_int_equal(status_of(ing, "GET", log, "Authorization", "Basic w-key", &code), 401);
    assert_int_equal(status_of(ing, "GET", log, "Authorization", "Bearer r-key", &code), 403);
    assert_int_equal(code, 40302);
    assert_int_equal(status_of(ing, "GET", log, "Authorization", "Bearer w-key", &code), 200);
    assert_int_equal(status_of(ing, "GET", log, "x-api-key", "a-key", &code), 200);
    assert_int_equal(ml.appends, 2); /* refusals appended nothing */
    assert_int_equal(status_of(ing, "GET", "/health", NULL, NULL, &code), 200);
    assert_int_equal(status_of(ing, "GET", "/metrics", NULL, NULL, &code), 401);
    assert_int_equal(status_of(ing, "GET", "/metrics", "X-API-Key", "r-key", &code), 200);
    assert_int_equal(status_of(ing, "GET", "/metrics", "X-API-Key", "w-key", &code), 403);
    fl_ingest_free(ing);
    auth.open_metrics = true;
    assert_int_equal(fl_ingest_new(&cfg, &be, &ing, NULL), FL_OK);
    assert_int_equal(status_of(ing, "GET", "/metrics", NULL, NULL, &code), 200);
    fl_ingest_free(ing);
    auth.open_metrics = false;
    fl_ingest_config_fini(&cfg);
    memlog_fini(&ml);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_text),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_router),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
