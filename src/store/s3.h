/*
 * s3.h - what the S3 backend offers beyond struct fl_store's interface:
 * one raw signed request, for tests and tools (the SigV4 check of
 * tests/e2e/store_s3.sh sends every request shape floe uses through it),
 * and the parser of ListMultipartUploads replies.
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

/* Parses one ListMultipartUploads reply page: cb for each <Upload> (key
 * with strip cut from its front; a key outside strip is corrupt),
 * *truncated, and the next markers (caller frees; NULL when absent).
 * Exposed for the offline tests and the fuzz target. */
fl_err_t fl_s3_uploads_parse(const char *xml, size_t len, const char *strip, fl_store_upload_fn cb,
                             void *ctx, bool *truncated, char **next_key, char **next_id,
                             struct fl_error *err);

#endif
