/*
 * test_store_sigv4.c - src/store/sigv4.c against published vectors: AWS's
 * Signature Version 4 test suite (aws-sig-v4-test-suite: get-vanilla and
 * friends, credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, service
 * "service") and the worked examples of the S3 API reference ("Signature
 * calculations for the Authorization header", examplebucket, 2013-05-24),
 * which botocore 1.29 also reproduces. Plus URI encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/sigv4.h"

#include <string.h>

#define SUITE_SCOPE                                                                                \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

struct vec {
    const char *name, *method, *path, *query;
    struct fl_sigv4_header extra[4];
    const char *want;
};

static const char sts_token[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ"
    "0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDr"
    "ypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

static const struct vec suite[] = {
    {"get-vanilla",
     "GET",
     "/",
     "",
     {{0}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                 "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"post-vanilla",
     "POST",
     "/",
     "",
     {{0}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                 "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/",
     "Param2=value2&Param1=value1",
     {{0}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                 "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value",
     "GET",
     "/",
     "Param1=value2&Param1=value1",
     {{0}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                 "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     "",
     {{0}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                 "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"post-header-value-case",
     "POST",
     "/",
     "",
     {{"My-Header1", "VALUE1"}},
     SUITE_SCOPE "SignedHeaders=host;my-header1;x-amz-date, "
                 "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"get-header-value-trim",
     "GET",
     "/",
     "",
     {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}},
     SUITE_SCOPE "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                 "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     "",
     {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
     SUITE_SCOPE "SignedHeaders=host;my-header1;x-amz-date, "
                 "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"post-sts-header-before",
     "POST",
     "/",
     "",
     {{"X-Amz-Security-Token", sts_token}},
     SUITE_SCOPE "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                 "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
};

static void sign_suite(const struct vec *v, char *auth, size_t n, struct fl_buf *canon) {
    struct fl_sigv4_header h[8] = {{"Host", "example.amazonaws.com"},
                                   {"X-Amz-Date", "20150830T123600Z"}};
    size_t nh = 2;
    for (size_t i = 0; i < 4 && v->extra[i].name; i++) h[nh++] = v->extra[i];
    struct fl_sigv4_req req = {
        .method = v->method,
        .path = v->path,
        .query = v->query,
        .headers = h,
        .nheaders = nh,
        .payload_hash = FL_SIGV4_EMPTY_SHA256,
        .amz_date = "20150830T123600Z",
        .region = "us-east-1",
        .service = "service",
        .access_key = "AKIDEXAMPLE",
        .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_sigv4_sign(&req, auth, n, canon, &e), FL_OK);
}

static void test_aws_suite(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        char auth[512];
        sign_suite(&suite[i], auth, sizeof(auth), NULL);
        if (strcmp(auth, suite[i].want) != 0) print_error("vector %s\n", suite[i].name);
        assert_string_equal(auth, suite[i].want);
    }
}

static void test_canonical_request(void **state) {
    (void)state;
    /* get-vanilla-query-order-key-case.creq from the suite */
    struct fl_buf canon;
    fl_buf_init(&canon, 4096);
    char auth[512];
    sign_suite(&suite[2], auth, sizeof(auth), &canon);
    const char *want = "GET\n/\nParam1=value1&Param2=value2\n"
                       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                       "host;x-amz-date\n" FL_SIGV4_EMPTY_SHA256;
    assert_int_equal(canon.len, strlen(want));
    assert_memory_equal(canon.data, want, canon.len);
    fl_buf_fini(&canon);
}

/* The S3 API reference's examples (AKIAIOSFODNN7EXAMPLE). */
static void s3_example(const char *method, const char *path, const char *query,
                       const struct fl_sigv4_header *extra, size_t nextra, const char *hash,
                       const char *want_sig) {
    struct fl_sigv4_header h[8] = {{"Host", "examplebucket.s3.amazonaws.com"},
                                   {"x-amz-date", "20130524T000000Z"},
                                   {"x-amz-content-sha256", hash}};
    for (size_t i = 0; i < nextra; i++) h[3 + i] = extra[i];
    struct fl_sigv4_req req = {
        .method = method,
        .path = path,
        .query = query,
        .headers = h,
        .nheaders = 3 + nextra,
        .payload_hash = hash,
        .amz_date = "20130524T000000Z",
        .region = "us-east-1",
        .service = "s3",
        .access_key = "AKIAIOSFODNN7EXAMPLE",
        .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    char auth[512];
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_sigv4_sign(&req, auth, sizeof(auth), NULL, &e), FL_OK);
    const char *sig = strstr(auth, "Signature=");
    assert_non_null(sig);
    assert_string_equal(sig + 10, want_sig);
    assert_non_null(
        strstr(auth, "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"));
}

static void test_s3_examples(void **state) {
    (void)state;
    struct fl_sigv4_header range = {"Range", "bytes=0-9"};
    s3_example("GET", "/test.txt", "", &range, 1, FL_SIGV4_EMPTY_SHA256,
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    const char *body = "Welcome to Amazon S3.";
    char hash[65];
    fl_sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    struct fl_sigv4_header put[2] = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    s3_example("PUT", "/test%24file.text", "", put, 2, hash,
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    s3_example("GET", "/", "max-keys=2&prefix=J", NULL, 0, FL_SIGV4_EMPTY_SHA256,
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void test_uri_encode(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 1024);
    const char *in = "db/t/data/a b+c=d&e~f_g.h-i$é";
    assert_int_equal(fl_sigv4_uri_encode(&b, in, strlen(in), true), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal((char *)b.data, "db/t/data/a%20b%2Bc%3Dd%26e~f_g.h-i%24%C3%A9");
    fl_buf_reset(&b);
    assert_int_equal(fl_sigv4_uri_encode(&b, "a/b", 3, false), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal((char *)b.data, "a%2Fb");
    fl_buf_fini(&b);
    char d[17];
    fl_sigv4_amz_date(1440938160, d);
    assert_string_equal(d, "20150830T123600Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_suite),
        cmocka_unit_test(test_canonical_request),
        cmocka_unit_test(test_s3_examples),
        cmocka_unit_test(test_uri_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
