/*
 * coalesce.h - request coalescing in front of the log: concurrent
 * appends to one topic partition from many HTTP threads are merged into
 * one fl_log_append (one record batch, one write, one fsync), and every
 * caller still returns only when its own records are durable.
 */
#ifndef FL_INGEST_COALESCE_H
#define FL_INGEST_COALESCE_H

#include "ingest/ingest.h"

/* Fills out with a backend that forwards to inner (copied), coalescing
 * appends into groups of at most max_bytes of keys and values (and 10000
 * records). Free with fl_ingest_coalesce_fini. */
void fl_ingest_coalesce_init(struct fl_ingest_backend *out, const struct fl_ingest_backend *inner,
                             size_t max_bytes);
void fl_ingest_coalesce_fini(struct fl_ingest_backend *be);

#endif
