/*
 * multipart.h - multipart form data (RFC 7578) bodies, parsed whole from
 * a buffer whose size the server already capped: the boundary from the
 * Content-Type, and one named field's bytes. A body that does not end
 * with the closing delimiter is truncated and refused.
 */
#ifndef FL_INGEST_MULTIPART_H
#define FL_INGEST_MULTIPART_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FL_INGEST_BOUNDARY_MAX 70 /* RFC 2046 */

/* Copies the boundary parameter of a multipart/form-data Content-Type
 * (quoted or not) into out (at least FL_INGEST_BOUNDARY_MAX + 1 bytes).
 * FL_ERR_UNSUPPORTED when content_type is not multipart form data,
 * FL_ERR_INVALID when the boundary is missing or malformed. */
fl_err_t fl_ingest_multipart_boundary(const char *content_type, char *out, struct fl_error *err);

/* Finds the first part whose Content-Disposition names field and points
 * data and dlen at its bytes inside body. FL_ERR_CORRUPT (with a message) for
 * a malformed or truncated body, FL_ERR_NOTFOUND when no part has that
 * name. Never reads outside body[0..len). */
fl_err_t fl_ingest_multipart_field(const uint8_t *body, size_t len, const char *boundary,
                                   const char *field, const uint8_t **data, size_t *dlen,
                                   struct fl_error *err);

#endif
