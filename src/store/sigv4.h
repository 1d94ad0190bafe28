/*
 * sigv4.h - AWS Signature Version 4 for S3 requests (header form).
 *
 * Pure functions over a described request: no I/O, no clock, no
 * environment, so they can be checked exactly against AWS's published
 * test suite (tests/unit/test_store_sigv4.c) and, on the wire, against
 * botocore (tests/e2e/store_s3.sh).
 */
#ifndef FL_STORE_SIGV4_H
#define FL_STORE_SIGV4_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define FL_SIGV4_HEADERS_MAX 32
#define FL_SIGV4_QUERY_MAX 64
#define FL_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fl_sigv4_header {
    const char *name;
    const char *value;
};

/* A request to sign. path and query are exactly as sent on the wire
 * (already URI-encoded); the signer sorts the query's pairs. headers are
 * the ones to sign, any case and order: host and x-amz-date at least,
 * x-amz-content-sha256 and x-amz-security-token for S3 when used. */
struct fl_sigv4_req {
    const char *method;
    const char *path;
    const char *query; /* "" or NULL when none */
    const struct fl_sigv4_header *headers;
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;     /* "20150830T123600Z", must match the x-amz-date header */
    const char *region;
    const char *service;
    const char *access_key;
    const char *secret_key;
};

/* Writes the Authorization header's value into auth (NUL-terminated).
 * When canon is not NULL the canonical request is appended to it (for
 * error messages and tests). FL_ERR_INVALID on too many headers or
 * query pairs, FL_ERR_LIMIT when auth is too small. */
fl_err_t fl_sigv4_sign(const struct fl_sigv4_req *req, char *auth, size_t auth_size,
                       struct fl_buf *canon, struct fl_error *err);

/* Lowercase hex SHA-256 of data into out[65]. */
void fl_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Appends s[0..len) to out URI-encoded as SigV4 wants: everything but
 * A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase); '/' is kept when
 * keep_slash (object paths) and encoded otherwise (query values). */
fl_err_t fl_sigv4_uri_encode(struct fl_buf *out, const char *s, size_t len, bool keep_slash);

/* "YYYYMMDDTHHMMSSZ" for the UTC time t into out[17]. */
void fl_sigv4_amz_date(time_t t, char out[17]);

#endif
