/*
 * bounds.h - lower and upper bounds of byte arrays for Parquet statistics
 * and column indexes: truncation of min to a prefix and of max to an
 * incremented prefix, on UTF-8 character boundaries for strings.
 */
#ifndef FL_FORMAT_PARQUET_BOUNDS_H
#define FL_FORMAT_PARQUET_BOUNDS_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes into out (reset first; a buffer without a tight cap) a lower
 * bound of v of at most maxlen bytes (maxlen 0: no truncation); *exact
 * tells whether it is v itself. For a well-formed UTF-8 string the cut
 * falls on a character boundary. */
void fl_pq_bound_min(bool is_string, const uint8_t *v, size_t len, size_t maxlen,
                     struct fl_buf *out, bool *exact);
/* Writes an upper bound of v of about maxlen bytes (a UTF-8 increment may
 * lengthen the last character); v itself, exact, when it fits or when no
 * unit of the prefix can be incremented. */
void fl_pq_bound_max(bool is_string, const uint8_t *v, size_t len, size_t maxlen,
                     struct fl_buf *out, bool *exact);

#endif
