/*
 * test_ingest.c - unit tests for src/ingest without sockets: UTF-8 and
 * percent-decoding, query parameters, the multipart parser, REST proxy
 * bodies, file name checks, and every route through fl_ingest_handle
 * over an in-memory backend (ingest_memlog.h), including that refused
 * requests leave the topics unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/coalesce.h"
#include "ingest/ingest.h"
#include "ingest/multipart.h"
#include "ingest/query.h"
#include "ingest/records.h"
#include "ingest_memlog.h"

#include <jansson.h>
#include <regex.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_utf8(void **state) {
    (void)state;
    assert_true(fl_ingest_utf8_valid((const uint8_t *)"abc", 3));
    assert_true(fl_ingest_utf8_valid((const uint8_t *)"Z\xc3\xbcrich", 7));
    assert_true(fl_ingest_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
    assert_false(fl_ingest_utf8_valid((const uint8_t *)"\xff", 1));
    assert_false(fl_ingest_utf8_valid((const uint8_t *)"\xc3", 1));             /* truncated */
    assert_false(fl_ingest_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
    assert_false(fl_ingest_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    assert_false(fl_ingest_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

static void test_url_decode(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 16);
    assert_int_equal(fl_ingest_url_decode("New%20York+x", 12, true, &b, NULL), FL_OK);
    assert_string_equal((char *)b.data, "New York x");
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("a+b", 3, false, &b, NULL), FL_OK);
    assert_string_equal((char *)b.data, "a+b");
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("%2", 2, true, &b, NULL), FL_ERR_INVALID);
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("%zz", 3, true, &b, NULL), FL_ERR_INVALID);
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("a%00", 4, true, &b, NULL), FL_ERR_INVALID);
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("%ff%fe", 6, true, &b, NULL), FL_ERR_INVALID);
    fl_buf_reset(&b);
    assert_int_equal(fl_ingest_url_decode("0123456789abcdefXYZ", 19, true, &b, NULL), FL_ERR_LIMIT);
    fl_buf_fini(&b);
}

static void test_query(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 64);
    const char *q = "x=1&city=New%20York&temperature=72.5&city=second&flag&ci%74y2=z";
    assert_int_equal(fl_ingest_query_get(q, strlen(q), "city", &b, NULL), FL_OK);
    assert_string_equal((char *)b.data, "New York");
    assert_int_equal(fl_ingest_query_get(q, strlen(q), "temperature", &b, NULL), FL_OK);
    assert_string_equal((char *)b.data, "72.5");
    assert_int_equal(fl_ingest_query_get(q, strlen(q), "flag", &b, NULL), FL_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(fl_ingest_query_get(q, strlen(q), "city2", &b, NULL), FL_OK);
    assert_string_equal((char *)b.data, "z");
    assert_int_equal(fl_ingest_query_get(q, strlen(q), "nope", &b, NULL), FL_ERR_NOTFOUND);
    assert_int_equal(fl_ingest_query_get("", 0, "city", &b, NULL), FL_ERR_NOTFOUND);
    assert_int_equal(fl_ingest_query_get("city=%C3", 8, "city", &b, NULL), FL_ERR_INVALID);
    fl_buf_fini(&b);
}

static const char MP_OK[] = "preamble\r\n--XyZ\r\n"
                            "Content-Disposition: form-data; name=\"other\"\r\n\r\n"
                            "ignored\r\n--XyZ\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"s.json\"\r\n"
                            "Content-Type: application/json\r\n\r\n"
                            "{\"a\":1}\r\n--XyZ--\r\n";

static void test_multipart(void **state) {
    (void)state;
    char b[FL_INGEST_BOUNDARY_MAX + 1];
    assert_int_equal(fl_ingest_multipart_boundary("multipart/form-data; boundary=XyZ", b, NULL),
                     FL_OK);
    assert_string_equal(b, "XyZ");
    assert_int_equal(
        fl_ingest_multipart_boundary("multipart/form-data; charset=x; boundary=\"a b\"", b, NULL),
        FL_OK);
    assert_string_equal(b, "a b");
    assert_int_equal(fl_ingest_multipart_boundary("multipart/form-data", b, NULL), FL_ERR_INVALID);
    assert_int_equal(fl_ingest_multipart_boundary("application/json", b, NULL), FL_ERR_UNSUPPORTED);
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'a', 100);
    assert_int_equal(fl_ingest_multipart_boundary(longb, b, NULL), FL_ERR_INVALID);

    const uint8_t *d;
    size_t n;
    const uint8_t *body = (const uint8_t *)MP_OK;
    size_t len = sizeof(MP_OK) - 1;
    assert_int_equal(fl_ingest_multipart_field(body, len, "XyZ", "file", &d, &n, NULL), FL_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(d, "{\"a\":1}", 7);
    assert_int_equal(fl_ingest_multipart_field(body, len, "XyZ", "nofield", &d, &n, NULL),
                     FL_ERR_NOTFOUND);
    /* every truncation is refused */
    for (size_t cut = 0; cut < len - 2; cut++) {
        fl_err_t rc = fl_ingest_multipart_field(body, cut, "XyZ", "file", &d, &n, NULL);
        assert_true(rc == FL_ERR_CORRUPT);
    }
    assert_int_equal(fl_ingest_multipart_field(body, len, "Other", "file", &d, &n, NULL),
                     FL_ERR_CORRUPT);
    /* curl's shape: no preamble, CRLF-less first delimiter */
    const char *c = "--b\r\nContent-Disposition: form-data; name=file\r\n\r\nX\r\n--b--";
    assert_int_equal(
        fl_ingest_multipart_field((const uint8_t *)c, strlen(c), "b", "file", &d, &n, NULL), FL_OK);
    assert_int_equal(n, 1);
}

static void test_records(void **state) {
    (void)state;
    struct fl_ingest_recs r = {0};
    fl_ingest_body_t k;
    assert_int_equal(fl_ingest_body_kind("application/vnd.kafka.json.v2+json", &k, NULL), FL_OK);
    assert_int_equal(k, FL_INGEST_BODY_REST);
    assert_int_equal(fl_ingest_body_kind("application/json; charset=utf-8", &k, NULL), FL_OK);
    assert_int_equal(k, FL_INGEST_BODY_JSON);
    assert_int_equal(fl_ingest_body_kind("application/x-ndjson", &k, NULL), FL_OK);
    assert_int_equal(k, FL_INGEST_BODY_NDJSON);
    assert_int_equal(fl_ingest_body_kind("text/plain", &k, NULL), FL_ERR_UNSUPPORTED);
    assert_int_equal(fl_ingest_body_kind(NULL, &k, NULL), FL_ERR_UNSUPPORTED);

    const char *rest = "{\"records\":[{\"key\":\"k1\",\"value\":{\"a\":1}},{\"value\":[1, 2]},"
                       "{\"key\":7,\"value\":null,\"partition\":2}]}";
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_REST, (const uint8_t *)rest,
                                             strlen(rest), 10, &r, NULL),
                     FL_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[0].key, "k1");
    assert_string_equal(r.v[0].value, "{\"a\":1}");
    assert_null(r.v[1].key);
    assert_string_equal(r.v[1].value, "[1,2]");
    assert_string_equal(r.v[2].key, "7");
    assert_null(r.v[2].value);
    assert_int_equal(r.v[2].partition, 2);
    fl_ingest_recs_fini(&r);

    assert_int_equal(
        fl_ingest_records_parse(FL_INGEST_BODY_REST, (const uint8_t *)"{\"a\":1}", 7, 10, &r, NULL),
        FL_ERR_INVALID);
    fl_ingest_recs_fini(&r);
    assert_int_equal(
        fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"{\"a\":1}", 7, 10, &r, NULL),
        FL_OK);
    assert_int_equal(r.n, 1);
    fl_ingest_recs_fini(&r);
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"[1,{},\"s\"]",
                                             10, 10, &r, NULL),
                     FL_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[2].value, "\"s\"");
    fl_ingest_recs_fini(&r);
    assert_int_equal(
        fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"[1,2,3]", 7, 2, &r, NULL),
        FL_ERR_LIMIT);
    fl_ingest_recs_fini(&r);
    assert_int_equal(
        fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"[]", 2, 2, &r, NULL),
        FL_ERR_INVALID);
    fl_ingest_recs_fini(&r);
    assert_int_equal(
        fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"5", 1, 2, &r, NULL),
        FL_ERR_INVALID);
    fl_ingest_recs_fini(&r);
    const char *nd = "{\"a\":1}\n\n  {\"b\":2}\r\n";
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_NDJSON, (const uint8_t *)nd, strlen(nd),
                                             10, &r, NULL),
                     FL_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[1].value, "{\"b\":2}");
    fl_ingest_recs_fini(&r);
    const char *ndbad = "{\"a\":1}\n{\"b\":\n";
    struct fl_error err = {0};
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_NDJSON, (const uint8_t *)ndbad,
                                             strlen(ndbad), 10, &r, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "line 2"));
    fl_ingest_recs_fini(&r);
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_JSON, (const uint8_t *)"[\"\xff\"]", 5,
                                             10, &r, NULL),
                     FL_ERR_INVALID);
    fl_ingest_recs_fini(&r);
    const char *unk = "{\"records\":[{\"value\":1,\"bogus\":2}]}";
    assert_int_equal(fl_ingest_records_parse(FL_INGEST_BODY_REST, (const uint8_t *)unk, strlen(unk),
                                             10, &r, NULL),
                     FL_ERR_INVALID);
    fl_ingest_recs_fini(&r);
}

/* ---- routes through fl_ingest_handle over the in-memory backend ---- */

struct env {
    struct memlog ml;
    struct fl_ingest_backend be;
    struct fl_ingest *ing;
    struct fl_ingest_resp resp;
};

static int env_setup(void **state) {
    struct env *e = calloc(1, sizeof(*e));
    memlog_init(&e->ml, &e->be);
    e->ml.default_parts = 1;
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.limits.body_bytes = 4096;
    cfg.limits.records = 5;
    assert_int_equal(fl_ingest_new(&cfg, &e->be, &e->ing, NULL), FL_OK);
    fl_ingest_config_fini(&cfg);
    fl_ingest_resp_init(&e->resp);
    memlog_create(&e->ml, "weather", 1);
    memlog_create(&e->ml, "session_topic", 1);
    memlog_create(&e->ml, "employee_topic", 1);
    memlog_create(&e->ml, "client_topic", 1);
    memlog_create(&e->ml, "keyed", 4);
    *state = e;
    return 0;
}

static int env_teardown(void **state) {
    struct env *e = *state;
    fl_ingest_resp_fini(&e->resp);
    fl_ingest_free(e->ing);
    memlog_fini(&e->ml);
    free(e);
    return 0;
}

static int call(struct env *e, const char *method, const char *target, const char *ct,
                const char *body, size_t len) {
    struct fl_ingest_header h[1] = {{"content-type", ct}};
    struct fl_ingest_req req = {.method = method,
                                .target = target,
                                .headers = h,
                                .nheaders = ct ? 1 : 0,
                                .body = (const uint8_t *)body,
                                .body_len = len};
    fl_ingest_handle(e->ing, &req, &e->resp);
    fl_buf_append_u8(&e->resp.body, 0);
    e->resp.body.len--;
    return e->resp.status;
}

static const char *body(struct env *e) { return (const char *)e->resp.body.data; }

/* The reply is an error object with the code; returns its message. */
static void assert_error(struct env *e, int status, int code) {
    assert_int_equal(e->resp.status, status);
    json_t *j = json_loads(body(e), 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "error_code")), code);
    assert_true(json_is_string(json_object_get(j, "message")));
    json_decref(j);
}

static int total(struct env *e) {
    return memlog_count(&e->ml, "weather") + memlog_count(&e->ml, "session_topic") +
           memlog_count(&e->ml, "employee_topic") + memlog_count(&e->ml, "client_topic") +
           memlog_count(&e->ml, "keyed");
}

static void test_health_and_routing(void **state) {
    struct env *e = *state;
    assert_int_equal(call(e, "GET", "/health", NULL, NULL, 0), 200);
    assert_string_equal(body(e), "{\"status\":\"healthy\"}");
    assert_int_equal(call(e, "GET", "/nope", NULL, NULL, 0), 404);
    assert_error(e, 404, 40400);
    assert_int_equal(call(e, "DELETE", "/health", NULL, NULL, 0), 405);
    assert_int_equal(call(e, "POST", "/log?city=a&temperature=1", NULL, NULL, 0), 405);
    assert_int_equal(call(e, "GET", "/upload/file/sessions_1.json", NULL, NULL, 0), 405);
    assert_int_equal(call(e, "GET", "/he%zzalth", NULL, NULL, 0), 400);
    assert_int_equal(call(e, "GET", "*", NULL, NULL, 0), 400);
    assert_int_equal(total(e), 0);
}

static void test_log_route(void **state) {
    struct env *e = *state;
    assert_int_equal(call(e, "GET", "/log?city=New%20York&temperature=72.5", NULL, NULL, 0), 200);
    regex_t re;
    assert_int_equal(
        regcomp(
            &re,
            "^\\{\"status\":\"success\",\"message\":\"Weather data logged\",\"data\":"
            "\\{\"city\":\"New "
            "York\",\"temperature\":\"72.5\",\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}\"\\}\\}$",
            REG_EXTENDED | REG_NOSUB),
        0);
    assert_int_equal(regexec(&re, body(e), 0, NULL, 0), 0);
    regfree(&re);
    struct memtopic *t = memlog_find(&e->ml, "weather");
    assert_int_equal(t->n[0], 1);
    assert_non_null(
        strstr(t->recs[0][0].value, "{\"city\":\"New York\",\"temperature\":\"72.5\",\"ts\":\""));
    assert_null(t->recs[0][0].key);
    assert_int_equal(call(e, "GET", "/log?city=Z%C3%BCrich&temperature=-3e1", NULL, NULL, 0), 200);

    const char *bad[] = {"/log",
                         "/log?city=X",
                         "/log?temperature=1",
                         "/log?city=&temperature=1",
                         "/log?city=X&temperature=",
                         "/log?city=X&temperature=abc",
                         "/log?city=X&temperature=1.2.3",
                         "/log?city=X&temperature=nan",
                         "/log?city=X&temperature=inf",
                         "/log?city=X&temperature=0x10",
                         "/log?city=X&temperature=%201",
                         "/log?city=%FF&temperature=1",
                         "/log?city=a%00b&temperature=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(call(e, "GET", bad[i], NULL, NULL, 0), 400);
        assert_error(e, 400, e->resp.status * 100 + (i < 5 ? 3 : i < 11 ? 4 : 1));
    }
    assert_int_equal(memlog_count(&e->ml, "weather"), 2);
    e->ml.fail_append = FL_ERR_LIMIT;
    assert_int_equal(call(e, "GET", "/log?city=X&temperature=1", NULL, NULL, 0), 503);
    assert_error(e, 503, 50301);
    assert_int_equal(e->resp.retry_after_s, 1);
    e->ml.fail_append = FL_ERR_IO;
    assert_int_equal(call(e, "GET", "/log?city=X&temperature=1", NULL, NULL, 0), 500);
    e->ml.fail_append = 0;
    assert_int_equal(memlog_count(&e->ml, "weather"), 2);
}

static void test_upload_route(void **state) {
    struct env *e = *state;
    assert_int_equal(call(e, "POST", "/upload/file/sessions_1.json",
                          "multipart/form-data; boundary=XyZ", MP_OK, sizeof(MP_OK) - 1),
                     200);
    assert_string_equal(body(e), "{\"status\":\"success\",\"message\":\"File uploaded\","
                                 "\"file_name\":\"sessions_1.json\",\"file_path\":"
                                 "\"uploads/sessions/sessions_1.json\",\"topic\":\"session_topic\","
                                 "\"partition\":0,\"offset\":0}");
    assert_int_equal(e->ml.nfiles, 1);
    assert_string_equal(e->ml.file_key[0], "uploads/sessions/sessions_1.json");
    assert_string_equal(e->ml.file_data[0], "{\"a\":1}");
    struct memtopic *t = memlog_find(&e->ml, "session_topic");
    assert_string_equal(t->recs[0][0].value, "{\"file_name\":\"sessions_1.json\",\"file_path\":"
                                             "\"uploads/sessions/sessions_1.json\"}");
    /* raw body, overwrite, other kinds */
    assert_int_equal(call(e, "POST", "/upload/file/sessions_1.json", "application/json", "[2]", 3),
                     200);
    assert_int_equal(e->ml.nfiles, 1);
    assert_string_equal(e->ml.file_data[0], "[2]");
    assert_int_equal(call(e, "POST", "/upload/file/employees_4.json", NULL, "{}", 2), 200);
    assert_non_null(strstr(body(e), "\"file_path\":\"uploads/employee_files/employees_4.json\""));
    assert_int_equal(
        call(e, "POST", "/upload/file/clients_2.json", "application/octet-stream", "{}", 2), 200);
    assert_non_null(strstr(body(e), "\"topic\":\"client_topic\""));
    assert_int_equal(call(e, "POST", "/upload/file/session_9.json", NULL, "{}", 2), 200);
    assert_int_equal(total(e), 5);

    struct {
        const char *target, *ct, *body;
        int status, code;
    } bad[] = {
        {"/upload/file/a%2Fb.json", NULL, "{}", 400, 40002},
        {"/upload/file/sessions/x.json", NULL, "{}", 400, 40002},
        {"/upload/file/..", NULL, "{}", 400, 40002},
        {"/upload/file/sessions..json", NULL, "{}", 400, 40002},
        {"/upload/file/sessions%01.json", NULL, "{}", 400, 40002},
        {"/upload/file/sessions%7F.json", NULL, "{}", 400, 40002},
        {"/upload/file/sessions%5C.json", NULL, "{}", 400, 40002},
        {"/upload/file/", NULL, "{}", 400, 40002},
        {"/upload/file/sessions%FF.json", NULL, "{}", 400, 40001},
        {"/upload/file/other.json", NULL, "{}", 400, 40008},
        {"/upload/file/sessions_1.json", NULL, "", 400, 40005},
        {"/upload/file/sessions_1.json", NULL, "{not json", 400, 40006},
        {"/upload/file/sessions_1.json", NULL, "\"\xff\"", 400, 40006},
        {"/upload/file/sessions_1.json", "text/plain", "{}", 415, 41501},
        {"/upload/file/sessions_1.json", "multipart/mixed; boundary=a", "{}", 415, 41501},
        {"/upload/file/sessions_1.json", "multipart/form-data", "{}", 400, 40007},
        {"/upload/file/sessions_1.json", "multipart/form-data; boundary=XyZ",
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n{}", 400, 40007},
        {"/upload/file/sessions_1.json", "multipart/form-data; boundary=XyZ",
         "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n{}\r\n--XyZ--", 400, 40007},
        {"/upload/file/sessions_1.json", "multipart/form-data; boundary=XyZ",
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--XyZ--", 400, 40005},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call(e, "POST", bad[i].target, bad[i].ct, bad[i].body, strlen(bad[i].body));
        assert_error(e, bad[i].status, bad[i].code);
    }
    char longname[400] = "/upload/file/sessions_";
    memset(longname + strlen(longname), 'x', 250);
    call(e, "POST", longname, NULL, "{}", 2);
    assert_error(e, 400, 40002);
    char big[5000];
    memset(big, ' ', sizeof(big));
    big[0] = '1';
    call(e, "POST", "/upload/file/sessions_1.json", NULL, big, sizeof(big));
    assert_error(e, 413, 41301);
    assert_int_equal(total(e), 5);
    assert_string_equal(e->ml.file_data[0], "[2]");
    e->ml.fail_append = FL_ERR_LIMIT;
    call(e, "POST", "/upload/file/sessions_1.json", NULL, "{}", 2);
    assert_error(e, 503, 50301);
    e->ml.fail_append = 0;
}

static void test_topics_route(void **state) {
    struct env *e = *state;
    const char *rest = "{\"records\":[{\"key\":\"alice\",\"value\":{\"n\":1}},{\"key\":\"bob\","
                       "\"value\":{\"n\":2}},"
                       "{\"key\":\"alice\",\"value\":{\"n\":3}},{\"value\":4}]}";
    assert_int_equal(
        call(e, "POST", "/topics/keyed", "application/vnd.kafka.json.v2+json", rest, strlen(rest)),
        200);
    json_t *j = json_loads(body(e), 0, NULL);
    assert_non_null(j);
    json_t *offs = json_object_get(j, "offsets");
    assert_int_equal(json_array_size(offs), 4);
    int pa = fl_log_partition_for_key((const uint8_t *)"alice", 5, 4);
    int pb = fl_log_partition_for_key((const uint8_t *)"bob", 3, 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(offs, 0), "partition")), pa);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(offs, 1), "partition")), pb);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(offs, 2), "partition")), pa);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(offs, 0), "offset")), 0);
    int64_t o2 = json_integer_value(json_object_get(json_array_get(offs, 2), "offset"));
    assert_true(o2 == 1 || (pa == pb && o2 == 2));
    assert_true(json_is_null(json_object_get(json_array_get(offs, 0), "error_code")));
    assert_true(json_is_null(json_object_get(j, "key_schema_id")));
    json_decref(j);
    struct memtopic *t = memlog_find(&e->ml, "keyed");
    assert_string_equal(t->recs[pa][0].key, "alice");
    assert_string_equal(t->recs[pa][0].value, "{\"n\":1}");
    assert_int_equal(memlog_count(&e->ml, "keyed"), 4);

    assert_int_equal(call(e, "POST", "/topics/weather", "application/json", "{\"city\":\"x\"}", 12),
                     200);
    assert_string_equal(body(e),
                        "{\"offsets\":[{\"partition\":0,\"offset\":0,\"error_code\":null,"
                        "\"error\":null}],\"key_schema_id\":null,\"value_schema_id\":null}");
    assert_int_equal(call(e, "POST", "/topics/weather", "application/json", "[{},{}]", 7), 200);
    assert_non_null(strstr(body(e), "\"offset\":2"));
    assert_int_equal(call(e, "POST", "/topics/weather", "application/x-ndjson", "{}\n{}\n{}\n", 9),
                     200);
    assert_non_null(strstr(body(e), "\"offset\":5"));
    assert_int_equal(memlog_count(&e->ml, "weather"), 6);
    /* auto-create */
    assert_int_equal(call(e, "POST", "/topics/fresh.topic-1", "application/json", "{}", 2), 200);
    assert_int_equal(memlog_count(&e->ml, "fresh.topic-1"), 1);

    int before = total(e);
    struct {
        const char *target, *ct, *body;
        int status, code;
    } bad[] = {
        {"/topics/weather", "text/plain", "{}", 415, 41501},
        {"/topics/weather", NULL, "{}", 415, 41501},
        {"/topics/weather", "application/json", "", 400, 40005},
        {"/topics/weather", "application/json", "{\"a\":", 422, 42201},
        {"/topics/weather", "application/json", "[{},{},{},{},{},{}]", 413, 41302},
        {"/topics/weather", "application/vnd.kafka.json.v2+json", "{\"value\":1}", 422, 42201},
        {"/topics/weather", "application/x-ndjson", "{}\n{\n", 422, 42201},
        {"/topics/weather", "application/json", "[\"\xc3\"]", 422, 42201},
        {"/topics/keyed", "application/json",
         "{\"records\":[{\"value\":1},{\"value\":2,\"partition\":4}]}", 404, 40402},
        {"/topics/bad%20name", "application/json", "{}", 400, 40002},
        {"/topics/", "application/json", "{}", 400, 40002},
        {"/topics/..", "application/json", "{}", 400, 40002},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call(e, "POST", bad[i].target, bad[i].ct, bad[i].body, strlen(bad[i].body));
        assert_error(e, bad[i].status, bad[i].code);
    }
    assert_int_equal(total(e), before);
    /* the router's body cap (body_bytes, 4096 here), for every route: at it
     * the route decides, one byte past it 413 41301 naming the limit */
    char *big = malloc(4097);
    memset(big, ' ', 4097);
    big[0] = '{', big[4095] = '}';
    call(e, "POST", "/topics/weather", "application/json", big, 4096);
    assert_int_equal(e->resp.status, 200);
    static const char *const targets[] = {"/topics/weather", "/upload/file/sessions_1.json",
                                          "/health"};
    for (size_t i = 0; i < 3; i++) {
        call(e, i == 2 ? "GET" : "POST", targets[i], "application/json", big, 4097);
        assert_error(e, 413, 41301);
        assert_non_null(strstr(body(e), "4096"));
    }
    free(big);
    before = total(e);
    e->ml.fail_append = FL_ERR_LIMIT;
    call(e, "POST", "/topics/weather", "application/json", "{}", 2);
    assert_error(e, 503, 50301);
    assert_non_null(strstr(body(e), "\"offset\":null"));
    e->ml.fail_append = 0;
    assert_int_equal(total(e), before);
}

static void test_no_autocreate(void **state) {
    (void)state;
    struct memlog ml;
    struct fl_ingest_backend be;
    memlog_init(&ml, &be);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.auto_create_topics = false;
    assert_int_equal(fl_ingest_config_set_kind(&cfg, "sess", "raw", "raw_topic", NULL), FL_OK);
    assert_int_equal(fl_ingest_config_set_kind(&cfg, "x", "a/b", "t", NULL), FL_ERR_INVALID);
    assert_int_equal(fl_ingest_config_set_kind(&cfg, "x", "a", "bad topic", NULL), FL_ERR_INVALID);
    struct fl_ingest *ing;
    assert_int_equal(fl_ingest_new(&cfg, &be, &ing, NULL), FL_OK);
    fl_ingest_config_fini(&cfg);
    struct env e = {.ing = ing};
    fl_ingest_resp_init(&e.resp);
    call(&e, "POST", "/topics/absent", "application/json", "{}", 2);
    assert_error(&e, 404, 40401);
    /* longest prefix wins: "session_1" is still "session", "sess_1" is "sess" */
    assert_int_equal(call(&e, "POST", "/upload/file/sess_1.json", NULL, "{}", 2), 200);
    assert_non_null(strstr(body(&e), "uploads/raw/sess_1.json"));
    assert_int_equal(call(&e, "POST", "/upload/file/session_1.json", NULL, "{}", 2), 200);
    assert_non_null(strstr(body(&e), "uploads/sessions/session_1.json"));
    fl_ingest_resp_fini(&e.resp);
    fl_ingest_free(ing);
    memlog_fini(&ml);
}

/* ---- the coalescer's appender threads under fl_ingest_handle_async ---- */

#define CO_THREADS 4
#define CO_EVENTS 300

struct co_env {
    struct fl_ingest *ing;
    atomic_int done;
    struct fl_ingest_resp resp[CO_THREADS][CO_EVENTS];
};

struct co_arg {
    struct co_env *ce;
    int id;
    int sync_ok; /* POSTs answered 200 (asserted on the main thread) */
};

static void co_done(void *arg) { atomic_fetch_add(&((struct co_env *)arg)->done, 1); }

static void co_wait(struct co_env *ce, int n) {
    for (int i = 0; i < 10000 && atomic_load(&ce->done) < n; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(atomic_load(&ce->done), n);
}

/* One client: CO_EVENTS async GET /log, every 30th followed by a blocking
 * POST /topics/weather through the same coalescer. */
static void *co_client(void *p) {
    struct co_arg *a = p;
    char target[128];
    for (int j = 0; j < CO_EVENTS; j++) {
        snprintf(target, sizeof(target), "/log?city=T%d&temperature=%d", a->id, j);
        struct fl_ingest_req req = {.method = "GET", .target = target};
        struct fl_ingest_resp *resp = &a->ce->resp[a->id][j];
        if (!fl_ingest_handle_async(a->ce->ing, &req, resp, co_done, a->ce)) co_done(a->ce);
        if (j % 30 == 0) {
            struct fl_ingest_header h = {"Content-Type", "application/json"};
            struct fl_ingest_req preq = {.method = "POST",
                                         .target = "/topics/weather",
                                         .headers = &h,
                                         .nheaders = 1,
                                         .body = (const uint8_t *)"{\"s\":1}",
                                         .body_len = 7};
            struct fl_ingest_resp presp;
            fl_ingest_resp_init(&presp);
            fl_ingest_handle(a->ce->ing, &preq, &presp);
            if (presp.status == 200) a->sync_ok++;
            fl_ingest_resp_fini(&presp);
        }
    }
    return NULL;
}

static void test_coalesce_async(void **state) {
    (void)state;
    struct memlog ml;
    struct fl_ingest_backend be, co;
    memlog_init(&ml, &be);
    fl_ingest_coalesce_init(&co, &be, 4096); /* small groups: many of them */
    assert_non_null(co.append_async);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    struct co_env *ce = calloc(1, sizeof(*ce));
    assert_int_equal(fl_ingest_new(&cfg, &co, &ce->ing, NULL), FL_OK);
    fl_ingest_config_fini(&cfg);
    for (int i = 0; i < CO_THREADS; i++)
        for (int j = 0; j < CO_EVENTS; j++) fl_ingest_resp_init(&ce->resp[i][j]);

    pthread_t th[CO_THREADS];
    struct co_arg args[CO_THREADS];
    for (int i = 0; i < CO_THREADS; i++) {
        args[i] = (struct co_arg){ce, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, co_client, &args[i]), 0);
    }
    for (int i = 0; i < CO_THREADS; i++) pthread_join(th[i], NULL);
    co_wait(ce, CO_THREADS * CO_EVENTS);
    for (int i = 0; i < CO_THREADS; i++) assert_int_equal(args[i].sync_ok, CO_EVENTS / 30);

    /* every event answered 200 with its own data, stored once, and each
     * client's events in the order it sent them */
    for (int i = 0; i < CO_THREADS; i++)
        for (int j = 0; j < CO_EVENTS; j++) {
            char want[64];
            snprintf(want, sizeof(want), "\"city\":\"T%d\",\"temperature\":\"%d\"", i, j);
            assert_int_equal(ce->resp[i][j].status, 200);
            fl_buf_append_u8(&ce->resp[i][j].body, 0);
            assert_non_null(strstr((const char *)ce->resp[i][j].body.data, want));
        }
    struct memtopic *t = memlog_find(&ml, "weather");
    assert_non_null(t);
    assert_int_equal(t->n[0], CO_THREADS * CO_EVENTS + CO_THREADS * (CO_EVENTS / 30));
    int next[CO_THREADS] = {0};
    for (int k = 0; k < t->n[0]; k++) {
        int id, temp;
        if (sscanf(t->recs[0][k].value, "{\"city\":\"T%d\",\"temperature\":\"%d\"", &id, &temp) !=
            2)
            continue; /* a POST /topics record */
        assert_true(id >= 0 && id < CO_THREADS);
        assert_int_equal(temp, next[id]);
        next[id]++;
    }
    for (int i = 0; i < CO_THREADS; i++) assert_int_equal(next[i], CO_EVENTS);

    /* a failed append: 503, nothing stored */
    int before = t->n[0];
    ml.fail_append = FL_ERR_LIMIT;
    atomic_store(&ce->done, 0);
    struct fl_ingest_req req = {.method = "GET", .target = "/log?city=X&temperature=1"};
    fl_ingest_resp_fini(&ce->resp[0][0]);
    fl_ingest_resp_init(&ce->resp[0][0]);
    assert_true(fl_ingest_handle_async(ce->ing, &req, &ce->resp[0][0], co_done, ce));
    co_wait(ce, 1);
    assert_int_equal(ce->resp[0][0].status, 503);
    assert_int_equal(ce->resp[0][0].retry_after_s, 1);
    ml.fail_append = 0;
    assert_int_equal(t->n[0], before);

    for (int i = 0; i < CO_THREADS; i++)
        for (int j = 0; j < CO_EVENTS; j++) fl_ingest_resp_fini(&ce->resp[i][j]);
    fl_ingest_free(ce->ing);
    fl_ingest_coalesce_fini(&co);
    memlog_fini(&ml);
    free(ce);
}

/* The one table of error codes: each code once, its status its first
 * three digits, a meaning, and a row in docs/internals/ingest.md. */
static void test_error_table(void **state) {
    (void)state;
    int n = 0;
    const struct fl_ingest_errdef *t = fl_ingest_err_table(&n);
    assert_true(n > 20);
    const char *src = getenv("FLOE_SRC");
    char path[512], *doc = NULL;
    snprintf(path, sizeof(path), "%s/docs/internals/ingest.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    doc = calloc(1, 1 << 20);
    size_t len = fread(doc, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(len > 0);
    for (int i = 0; i < n; i++) {
        for (int k = i + 1; k < n; k++) assert_int_not_equal(t[i].code, t[k].code);
        assert_int_equal(t[i].status, (int)t[i].code / 100);
        assert_non_null(t[i].meaning);
        assert_ptr_equal(fl_ingest_err_def(t[i].code), &t[i]);
        char row[32];
        snprintf(row, sizeof(row), "| %d | %d |", t[i].status, (int)t[i].code);
        if (!strstr(doc, row)) fail_msg("docs/internals/ingest.md has no row \"%s\"", row);
    }
    free(doc);
    /* an unknown code (a bug) answers as the internal error */
    assert_int_equal(fl_ingest_err_def((fl_ingest_ecode_t)12345)->code, FL_INGEST_E_INTERNAL);
    /* the header limit has one default, the one documented */
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    assert_int_equal(cfg.limits.header_bytes, FL_INGEST_HEADER_BYTES_DEFAULT);
    assert_int_equal(FL_INGEST_HEADER_BYTES_DEFAULT, 8192);
    fl_ingest_config_fini(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_records),
        cmocka_unit_test_setup_teardown(test_health_and_routing, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_log_route, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_upload_route, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_topics_route, env_setup, env_teardown),
        cmocka_unit_test(test_no_autocreate),
        cmocka_unit_test(test_coalesce_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
