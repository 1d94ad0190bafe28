/*
 * query.h - the text of a request target: percent-decoding, query
 * parameters (application/x-www-form-urlencoded) and UTF-8 validation.
 * Everything here works on bytes from the wire and checks every length.
 */
#ifndef FL_INGEST_QUERY_H
#define FL_INGEST_QUERY_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool fl_ingest_utf8_valid(const uint8_t *s, size_t len);

/* Percent-decodes s[0..len) onto out and NUL-terminates it (out->len
 * excludes the NUL); with plus, '+' decodes to a space (query strings).
 * FL_ERR_INVALID for a bad %XX escape, a decoded NUL byte or a result
 * that is not UTF-8; FL_ERR_LIMIT when out's cap is reached. */
fl_err_t fl_ingest_url_decode(const char *s, size_t len, bool plus, struct fl_buf *out,
                              struct fl_error *err);

/* Finds the first parameter called name in query[0..len) ("a=1&b=2", no
 * '?') and decodes its value onto out (reset first, NUL-terminated). A
 * parameter without '=' has the empty value. FL_ERR_NOTFOUND when absent,
 * else as fl_ingest_url_decode. */
fl_err_t fl_ingest_query_get(const char *query, size_t len, const char *name, struct fl_buf *out,
                             struct fl_error *err);

#endif
