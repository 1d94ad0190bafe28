/*
 * s3.h - what the S3 backend offers beyond struct fl_store's interface:
 * one raw signed request, for tests and tools (the SigV4 check of
 * tests/e2e/store_s3.sh sends every request shape floe uses through it).
 */
#ifndef FL_STORE_S3_H
#define FL_STORE_S3_H

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#include <stddef.h>

/* Sends one signed request (with the store's retries) to the store's
 * bucket: method "GET", "PUT", "POST", "DELETE" or "HEAD"; key relative
 * to the store's prefix, or NULL for the bucket itself; query already
 * URI-encoded ("partNumber=1&uploadId=x") or NULL. *status gets the
 * HTTP status; resp (optional) the response body, up to its cap.
 * FL_ERR_UNSUPPORTED when st is not an S3 store; FL_ERR_IO when no
 * response came. */
fl_err_t fl_store_s3_raw(struct fl_store *st, const char *method, const char *key,
                         const char *query, const void *body, size_t len, long *status,
                         struct fl_buf *resp, struct fl_error *err);

#endif
